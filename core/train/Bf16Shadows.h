#pragma once
// Internal: bf16 copies ("shadows") of a module's convolution and linear weights, for training on
// the CPU under bf16 autocast. Autocast casts every float32 weight to bf16 at each forward and
// casts its bf16 gradient back to float32 in backward; with the shadows the layers read a bf16
// weight directly, autograd leaves a bf16 gradient on the shadow, and the fused AdamW step
// (FusedAdamW::setShadows) updates the float32 weight from it and rewrites the shadow in the same
// pass. The float32 weights stay the module's registered parameters: checkpoints, exports,
// validation and weight averages see nothing of the shadows.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <cstdint>
#include <vector>

namespace dacw::train::detail {

class Bf16Shadows {
public:
    /// Every Conv2d and Linear weight below `root` (float32, on the CPU) gets a bf16 copy with its
    /// layout and requires_grad. The module must outlive this object.
    explicit Bf16Shadows(torch::nn::Module& root);
    /// Points each layer at its shadow, first re-copying any shadow whose float32 weight was
    /// changed since (a loaded checkpoint, an in-place update; detected by version and storage).
    void activate();
    /// Points each layer back at its float32 weight.
    void restore();
    /// One entry per tensor of `params`: its shadow, or undefined.
    std::vector<at::Tensor> alignedTo(const std::vector<at::Tensor>& params) const;
    size_t size() const { return entries_.size(); }

private:
    struct Entry {
        at::Tensor* slot;  // the layer's `weight` member
        at::Tensor master, shadow;
        int64_t version = -1;
        const void* data = nullptr;
    };
    std::vector<Entry> entries_;
};

// Points the layers at their shadows for one scope (restores on every exit, errors included).
class ShadowScope {
public:
    explicit ShadowScope(std::vector<Bf16Shadows>& s) : shadows_(s) {
        for (auto& x : shadows_) x.activate();
    }
    ~ShadowScope() {
        for (auto& x : shadows_) x.restore();
    }
    ShadowScope(const ShadowScope&) = delete;
    ShadowScope& operator=(const ShadowScope&) = delete;

private:
    std::vector<Bf16Shadows>& shadows_;
};

}  // namespace dacw::train::detail
