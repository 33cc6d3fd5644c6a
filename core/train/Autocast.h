#pragma once
// Internal: RAII bfloat16 autocast for CPU or CUDA, across LibTorch versions (1.13 has per-device
// setters; 2.4+ takes the device type as an argument).
#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace dacw::train {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define DACW_AUTOCAST_BY_DEVICE 1
#endif

class AutocastGuard {
public:
    AutocastGuard(bool enabled, c10::DeviceType device) : enabled_(enabled), device_(device) {
        if (!enabled_) return;
#ifdef DACW_AUTOCAST_BY_DEVICE
        wasEnabled_ = at::autocast::is_autocast_enabled(device_);
        oldType_ = at::autocast::get_autocast_dtype(device_);
        at::autocast::set_autocast_enabled(device_, true);
        at::autocast::set_autocast_dtype(device_, at::kBFloat16);
#else
        if (device_ == c10::DeviceType::CUDA) {
            wasEnabled_ = at::autocast::is_enabled();
            oldType_ = at::autocast::get_autocast_gpu_dtype();
            at::autocast::set_enabled(true);
            at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
        } else {
            wasEnabled_ = at::autocast::is_cpu_enabled();
            oldType_ = at::autocast::get_autocast_cpu_dtype();
            at::autocast::set_cpu_enabled(true);
            at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
        }
#endif
        at::autocast::increment_nesting();
    }
    ~AutocastGuard() {
        if (!enabled_) return;
        // Leaving the outermost region drops cached weight casts, as torch.autocast does; so a
        // no-grad pass never lends its casts (without autograd history) to a later pass.
        if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#ifdef DACW_AUTOCAST_BY_DEVICE
        at::autocast::set_autocast_enabled(device_, wasEnabled_);
        at::autocast::set_autocast_dtype(device_, oldType_);
#else
        if (device_ == c10::DeviceType::CUDA) {
            at::autocast::set_enabled(wasEnabled_);
            at::autocast::set_autocast_gpu_dtype(oldType_);
        } else {
            at::autocast::set_cpu_enabled(wasEnabled_);
            at::autocast::set_autocast_cpu_dtype(oldType_);
        }
#endif
    }
    AutocastGuard(const AutocastGuard&) = delete;
    AutocastGuard& operator=(const AutocastGuard&) = delete;

private:
    bool enabled_;
    c10::DeviceType device_;
    bool wasEnabled_ = false;
    at::ScalarType oldType_ = at::kBFloat16;
};

}  // namespace dacw::train
