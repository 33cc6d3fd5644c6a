#pragma once
// The DAC co-trainer: two DeepLabv3+ sub-models trained together (or one, for `supervised`),
// with batches prepared on a background thread, checkpoints, resume, validation and export.
#include <ATen/core/Tensor.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/train/Progress.h"
#include "core/train/TensorDataset.h"
#include "core/train/TrainConfig.h"

namespace dacw::train {

/// Per-image disagreement between two predictions, for choosing what to label next.
struct Disagreement {
    std::vector<double> meanAbsDiff;   // mean over pixels of 0.5 * sum_k |pA_k - pB_k| (0..1)
    std::vector<double> labelFlip;     // fraction of pixels whose argmax differs
    at::Tensor maps;                   // [N,H,W] float32 on the CPU: 0.5 * sum_k |pA_k - pB_k| per pixel
    /// [N,D] float32 on the CPU, when the sub-models produced it: each image's decoder features,
    /// average-pooled and scaled to unit length, averaged over the two sub-models (what the
    /// calibration pick clusters; empty from disagreementOf alone).
    at::Tensor embeddings;
};

class Distributed;

class CoTrainer {
public:
    explicit CoTrainer(TrainConfig config);
    ~CoTrainer();
    CoTrainer(const CoTrainer&) = delete;
    CoTrainer& operator=(const CoTrainer&) = delete;

    /// Trains (or, with config.resume and an existing checkpoint, continues). `labeled` needs
    /// masks; `unlabeled` may be empty only for Method::Supervised. Validation sets need masks.
    /// Throws ConfigError, FileFormatError, DivergenceError; exceptions from the callback pass
    /// through. The models stay in memory afterwards for export and disagreement.
    RunResult run(const TensorDataset& labeled, const TensorDataset& unlabeled,
                  const std::map<std::string, TensorDataset>& validation = {},
                  const ProgressCallback& callback = {}, const CancelToken* cancel = nullptr);

    /// Trains data-parallel over `dist`'s ranks (before run(); null: one process). Every rank
    /// calls run() with the same data and configuration: each trains on its shard of every global
    /// batch (labeledBatch and unlabeledBatch are the global sizes) and gradients are averaged,
    /// so all ranks hold the same models. Checkpoints are written by rank 0 alone; on resume every
    /// rank reads the same checkpoint file (a folder all ranks see).
    void setDistributed(std::shared_ptr<Distributed> dist);

    const TrainConfig& config() const;
    bool hasModels() const;
    /// Validation Dice of sub-model "A" or "B" on labeled datasets, per domain name.
    DomainDice validate(const std::string& subModel, const std::map<std::string, TensorDataset>& sets);
    /// Writes the plain segmentation network of "A", "B" or "chosen" (no auxiliary or projection
    /// heads) to a self-describing file for Predictor. `userMetadata` is stored verbatim.
    void exportModel(const std::string& path, const std::string& subModel = "chosen",
                     const std::string& userMetadata = "") const;
    /// Disagreement of the two sub-models on images [N,C,H,W] (needs a co-training method).
    Disagreement disagreement(const at::Tensor& images) const;
    /// Writes a checkpoint now (atomic). Normally done by run() every checkpointInterval.
    void saveCheckpoint(const std::string& path) const;

private:
    struct Private;
    std::unique_ptr<Private> d_;
};

}  // namespace dacw::train
