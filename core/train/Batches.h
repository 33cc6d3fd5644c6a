#pragma once
// Internal: the co-trainer's batches, and the seeded generators behind every random draw of a
// run (sample order, augmentation, dropout, initialisation). Batches are prepared ahead on a
// background thread, in iteration order.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "core/train/Augment.h"
#include "core/train/TensorDataset.h"
#include "core/train/TrainConfig.h"

namespace dacw::train::detail {

using Clock = std::chrono::steady_clock;

// Seconds of a duration: the producer's waits and the trainer's timing.
inline double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// SplitMix64: turns (seed, stream, index) into independent generator seeds, so every random draw
// of iteration i is a pure function of (seed, i). Resuming needs no generator state at all.
uint64_t mixSeed(uint64_t seed, uint64_t stream, uint64_t index);
at::Generator generatorFor(uint64_t seed, uint64_t stream, uint64_t index);
enum Stream : uint64_t { kInitA = 1, kInitB, kLabeledOrder, kUnlabeledOrder, kAugment, kDropoutA, kDropoutB, kStyleMix };

struct Batch {
    int64_t iteration = 0;
    at::Tensor labeledImages, labeledMasks;
    at::Tensor unlabeledWeak;  // teacher input
    at::Tensor mixedImages;    // student input: strong, CutMix-mixed, region-rotated
    MixPlan plan;
    at::Tensor regionTarget;   // pasted region after rotation, [Bu,1,H,W]
};

// Everything random about batch i comes from generators derived from (seed, i).
class BatchFactory {
public:
    BatchFactory(const TensorDataset& labeled, const TensorDataset& unlabeled, const TrainConfig& cfg, bool coTraining,
                 bool rotation)
        : labeled_(labeled), unlabeled_(unlabeled), cfg_(cfg), co_(coTraining), rotation_(rotation) {}

    Batch make(int64_t it);

    bool styleFromUnlabeled() const { return cfg_.augment.fourierProb > 0.0 && unlabeled_.size() > 0; }

    /// Data-parallel runs: make() still draws the global batch of iteration i (the one a single
    /// process trains on) and keeps shard `rank` of `world` equal slices of it. CutMix pairs
    /// images within the shard (partner i+1 mod the shard's size), the one difference from the
    /// single-process batch: the teacher's pseudo-labels of a partner must be on the same rank.
    void setShard(int rank, int world) {
        rank_ = rank;
        world_ = world;
    }

private:
    // Sampling without replacement within an epoch: position p of the stream is element p % n of
    // the permutation drawn for epoch p / n.
    at::Tensor indices(int64_t n, int64_t batch, int64_t it, Stream stream, std::pair<int64_t, at::Tensor>& cache);
    const TensorDataset& labeled_;
    const TensorDataset& unlabeled_;
    const TrainConfig& cfg_;
    bool co_, rotation_;
    int rank_ = 0, world_ = 1;
    std::pair<int64_t, at::Tensor> labeledPerm_{-1, at::Tensor()}, unlabeledPerm_{-1, at::Tensor()};
};

// Prepares batches ahead on a background thread, in iteration order (so timing never changes the
// data). With depth 0 it produces inline.
class BatchProducer {
public:
    BatchProducer(BatchFactory factory, int64_t first, int64_t end, int depth);
    ~BatchProducer();
    // Returns the next batch and the seconds spent waiting for it.
    std::pair<Batch, double> next();

private:
    void loop();
    BatchFactory factory_;
    int64_t next_, end_;
    int depth_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Batch> queue_;
    bool stop_ = false;
    std::exception_ptr error_;
};

}  // namespace dacw::train::detail
