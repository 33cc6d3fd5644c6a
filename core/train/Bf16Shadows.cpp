#include "core/train/Bf16Shadows.h"

#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/torch.h>

namespace dacw::train::detail {

Bf16Shadows::Bf16Shadows(torch::nn::Module& root) {
    for (const auto& m : root.modules(/*include_self=*/true)) {
        at::Tensor* slot = nullptr;
        if (auto* c = m->as<torch::nn::Conv2d>()) slot = &c->weight;
        else if (auto* l = m->as<torch::nn::Linear>()) slot = &l->weight;
        if (!slot || !slot->defined() || slot->scalar_type() != at::kFloat || !slot->is_cpu()) continue;
        Entry e;
        e.slot = slot;
        e.master = *slot;
        e.shadow = at::empty_like(e.master, e.master.options().dtype(at::kBFloat16));  // same strides
        e.shadow.requires_grad_(e.master.requires_grad());
        entries_.push_back(std::move(e));
    }
}

void Bf16Shadows::activate() {
    torch::NoGradGuard noGrad;
    for (Entry& e : entries_) {
        const int64_t version = static_cast<int64_t>(e.master._version());
        const void* data = e.master.data_ptr();
        if (version != e.version || data != e.data || e.shadow.strides() != e.master.strides()) {
            if (e.shadow.strides() != e.master.strides()) {
                const bool grad = e.master.requires_grad();
                e.shadow = at::empty_like(e.master, e.master.options().dtype(at::kBFloat16));
                e.shadow.requires_grad_(grad);
            }
            e.shadow.copy_(e.master);
            e.version = version;
            e.data = data;
        }
        if (e.shadow.requires_grad() != e.master.requires_grad()) e.shadow.requires_grad_(e.master.requires_grad());
        *e.slot = e.shadow;
    }
}

void Bf16Shadows::restore() {
    for (Entry& e : entries_) *e.slot = e.master;
}

std::vector<at::Tensor> Bf16Shadows::alignedTo(const std::vector<at::Tensor>& params) const {
    std::vector<at::Tensor> out(params.size());
    for (size_t i = 0; i < params.size(); ++i)
        for (const Entry& e : entries_)
            if (e.master.unsafeGetTensorImpl() == params[i].unsafeGetTensorImpl()) out[i] = e.shadow;
    return out;
}

}  // namespace dacw::train::detail
