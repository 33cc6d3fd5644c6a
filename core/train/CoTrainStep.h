#pragma once
// Internal: one training iteration of the co-trainer's sub-models: the student and teacher
// passes, every loss term (supervised, CPS, feature, auxiliary CutMix and rotation), then the
// backward passes and optimiser steps, or none of them when the loss is not finite.
#include <ATen/core/Tensor.h>
#include <torch/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/train/Batches.h"
#include "core/train/Bf16Shadows.h"
#include "core/train/Distributed.h"
#include "core/train/ModelWorker.h"
#include "core/train/Optimizers.h"
#include "core/train/TrainConfig.h"

namespace dacw::train::detail {

// What an iteration reads and updates, and the iteration itself. CoTrainer::Private derives from it
// and adds the rest of a run (network spec, resume counters, validation, messages).
struct CoTrainStep {
    explicit CoTrainStep(TrainConfig c) : cfg(std::move(c)) {}

    TrainConfig cfg;
    MethodParts parts;
    torch::Device device{torch::kCPU};
    bool bf16 = false;
    std::vector<SubModel> models;
    std::vector<std::unique_ptr<ParamOptimizer>> optimizers;
    std::vector<std::vector<at::Tensor>> bufferSnapshots;  // BN statistics before the step
    std::unique_ptr<ModelWorker> worker;                  // set when A and B step concurrently
    std::shared_ptr<Distributed> dist;                    // set in a data-parallel run
    std::vector<Bf16Shadows> shadows;                     // per sub-model, when shadowWeights()
    CommStats lastComm;                                   // of the last step, both sub-models

    // fn(m) for every sub-model, concurrently when a worker exists.
    void perModel(const std::function<void(size_t)>& fn);
    int64_t rampLength() const;
    // cps-prior em: iterations during which the unlabeled domain's class prior is estimated
    // (the CPS ramp-up, or 20% of the run when there is none); afterwards it is fixed. (With
    // predict-prior unlabeled alone it is estimated at every iteration.)
    int64_t priorEstimationLength() const;
    double lrAt(int64_t it) const;
    void setLr(double lr);
    at::Tensor prepareInput(const at::Tensor& x) const;
    // bf16 copies of the weights (Bf16Shadows.h): bf16 on the CPU with the fused AdamW, one process.
    bool shadowWeights() const;
    // average <- momentum * average + (1 - momentum) * value; an all-zero average takes value.
    static void updatePrior(at::Tensor& average, const at::Tensor& value, double momentum);

    struct StepResult {
        std::map<std::string, double> losses;
        bool skipped = false;
    };

    StepResult step(const Batch& batch);
};

}  // namespace dacw::train::detail
