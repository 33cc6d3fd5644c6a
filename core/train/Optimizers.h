#pragma once
// Internal: the optimizers the co-trainer steps, behind one small interface so a checkpoint can
// hold either. AdamW is a fused single-pass implementation (same update as torch::optim::AdamW);
// SGD is torch's.
#include <torch/serialize/archive.h>
#include <torch/types.h>

#include <memory>
#include <vector>

#include "core/train/TrainConfig.h"

namespace dacw::train {

class ParamOptimizer {
public:
    virtual ~ParamOptimizer() = default;
    /// Applies one update from the parameters' .grad(); parameters without a gradient are left alone.
    virtual void step() = 0;
    virtual void setLr(double lr) = 0;
    virtual void save(torch::serialize::OutputArchive& ar) const = 0;
    virtual void load(torch::serialize::InputArchive& ar) = 0;
};

/// AdamW (decoupled weight decay, betas 0.9/0.999, eps 1e-8) in one pass over each parameter's
/// memory on the CPU: reads p, g, m, v and writes p, m, v once, where torch's implementation makes
/// about ten passes and allocates temporaries. Other devices fall back to tensor operations.
class FusedAdamW : public ParamOptimizer {
public:
    /// lrScale: one multiplier of lr per parameter (empty = all 1); a parameter at 0 is not updated.
    FusedAdamW(std::vector<at::Tensor> params, double lr, double weightDecay, std::vector<double> lrScale = {});
    void step() override;
    void setLr(double lr) override { lr_ = lr; }
    void save(torch::serialize::OutputArchive& ar) const override;
    void load(torch::serialize::InputArchive& ar) override;
    int64_t steps() const { return step_; }
    /// bf16 copies of the parameters (one entry per parameter, undefined where there is none; see
    /// Bf16Shadows.h): a parameter with a copy takes its gradient from the copy's .grad() (bf16),
    /// updates the float32 parameter as usual, writes the copy (rounded to nearest even) in the
    /// same pass and drops the copy's gradient. Empty = none.
    void setShadows(std::vector<at::Tensor> shadows);

private:
    std::vector<at::Tensor> params_, expAvg_, expAvgSq_, shadows_;
    std::vector<double> lrScale_;
    int64_t step_ = 0;
    double lr_, weightDecay_;
    double beta1_ = 0.9, beta2_ = 0.999, eps_ = 1e-8;
};

/// lrScale: one multiplier of cfg.lr per parameter (empty = all 1); parameters at 0 stay as they are.
std::unique_ptr<ParamOptimizer> makeOptimizer(const TrainConfig& cfg, const std::vector<at::Tensor>& params,
                                              const std::vector<double>& lrScale = {});

}  // namespace dacw::train
