#pragma once
// Internal: the co-trainer's sub-models and the thread that lets sub-model B step while A does.
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/train/Networks.h"

namespace dacw::train::detail {

// One sub-model: the segmentation network and the training-only heads its method needs.
class SubModelImpl : public torch::nn::Module {
public:
    SubModelImpl(const NetworkSpec& spec, bool projection, bool cutmix, bool rotation, bool classPriors = false);
    DeepLabV3Plus net{nullptr};
    ProjectionHead proj{nullptr};
    CutMixHead cutmixHead{nullptr};
    RotationHead rotationHead{nullptr};
    /// With cps-prior em ([K] float moving averages, all zero until the first iteration): the
    /// class prior of the labeled batches this sub-model learned from, its teacher's EM estimate
    /// of the unlabeled domains' prior, and the teacher's mean posterior there. Buffers, so that
    /// checkpoints, skipped steps and data-parallel averaging treat them like BatchNorm
    /// statistics. Never exported.
    at::Tensor labeledPrior, unlabeledPrior, unlabeledMean;
};
TORCH_MODULE(SubModel);

// Sub-model m's letter in loss names and checkpoint keys.
inline std::string letter(size_t m) { return m == 0 ? "a" : "b"; }

// Runs jobs on one persistent thread (sub-model B's), so A and B can step concurrently: on a few
// cores two single-threaded streams of work beat one two-threaded stream, whose many small
// operations each pay a parallel-region fork/join and wait for the slower half.
class ModelWorker {
public:
    ModelWorker();
    ~ModelWorker();
    // Runs fn(1) on the worker and fn(0) here; returns when both are done, rethrowing the first error.
    void both(const std::function<void(size_t)>& fn);

private:
    void loop();
    std::mutex mutex_;
    std::condition_variable cv_;
    std::function<void()> job_;
    bool done_ = true, stop_ = false;
    std::exception_ptr error_;
    std::thread thread_;
};

}  // namespace dacw::train::detail
