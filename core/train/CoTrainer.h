#pragma once
// The DAC co-trainer: two DeepLabv3+ sub-models trained together (or one, for `supervised`),
// with batches prepared on a background thread, checkpoints, resume, validation and export.
#include <ATen/core/Tensor.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/train/TensorDataset.h"
#include "core/train/TrainConfig.h"

namespace dacw::train {

/// Set to true from any thread to stop training; checked before every iteration, so at most the
/// iteration under way finishes.
using CancelToken = std::atomic<bool>;

/// Validation Dice of one sub-model: per domain, one value per foreground class (mean over cases).
using DomainDice = std::map<std::string, std::vector<double>>;

struct Progress {
    int64_t iteration = 0;             // iterations completed
    int64_t total = 0;
    std::map<std::string, double> losses;   // "total", "sup_ce_a", "sup_dice_a", "cps_a", "feat_a",
                                            // "aux_cutmix_a", "aux_rot_b", ... and "ramp"
    double lr = 0.0;
    double imagesPerSecond = 0.0;      // labeled + unlabeled images per second (moving average)
    double secondsPerIteration = 0.0;  // moving average
    double etaSeconds = 0.0;
    double dataWaitFraction = 0.0;     // share of wall time the trainer waited for batches
    bool skipped = false;              // this iteration's step was skipped (non-finite loss)
    bool validated = false;            // validation below was computed at this iteration
    std::map<std::string, DomainDice> validation;   // "A" / "B" -> domain -> per-class Dice
    std::vector<std::string> messages;              // checkpoints written, skipped steps, ...
};
using ProgressCallback = std::function<void(const Progress&)>;

enum class RunStatus { Finished, Cancelled };

struct RunResult {
    RunStatus status = RunStatus::Finished;
    int64_t iterations = 0;            // completed iterations (including resumed ones)
    int64_t startIteration = 0;        // > 0 when resumed
    std::string chosen = "A";          // sub-model chosen on validation ("A" without validation)
    std::map<std::string, DomainDice> validation;   // last validation, per sub-model
    std::map<std::string, double> lastLosses;
    double seconds = 0.0;
    double dataWaitFraction = 0.0;
    int64_t skippedSteps = 0;
    std::vector<std::string> messages;  // those after the last progress report (its checkpoint)
};

/// Per-image disagreement between two predictions, for choosing what to label next.
struct Disagreement {
    std::vector<double> meanAbsDiff;   // mean over pixels of 0.5 * sum_k |pA_k - pB_k| (0..1)
    std::vector<double> labelFlip;     // fraction of pixels whose argmax differs
};

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
    struct Impl;
    std::unique_ptr<Impl> d_;
};

}  // namespace dacw::train
