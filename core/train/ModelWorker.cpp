#include "core/train/ModelWorker.h"

#include <torch/torch.h>

namespace dacw::train::detail {

SubModelImpl::SubModelImpl(const NetworkSpec& spec, bool projection, bool cutmix, bool rotation, bool classPriors) {
    net = register_module("net", DeepLabV3Plus(spec));
    const int64_t d = net->featureChannels();
    if (projection) proj = register_module("proj", ProjectionHead(d));
    if (cutmix) cutmixHead = register_module("cutmix_head", CutMixHead(d));
    if (rotation) rotationHead = register_module("rotation_head", RotationHead(d));
    if (classPriors) {
        labeledPrior = register_buffer("labeled_prior", torch::zeros({spec.numClasses}, at::kFloat));
        unlabeledPrior = register_buffer("unlabeled_prior", torch::zeros({spec.numClasses}, at::kFloat));
        unlabeledMean = register_buffer("unlabeled_mean", torch::zeros({spec.numClasses}, at::kFloat));
    }
}

ModelWorker::ModelWorker() : thread_([this] { loop(); }) {}

ModelWorker::~ModelWorker() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void ModelWorker::both(const std::function<void(size_t)>& fn) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        job_ = [&fn] { fn(1); };
        done_ = false;
        error_ = nullptr;
    }
    cv_.notify_all();
    std::exception_ptr local;
    try {
        fn(0);
    } catch (...) {
        local = std::current_exception();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return done_; });
    if (local) std::rethrow_exception(local);
    if (error_) std::rethrow_exception(error_);
}

void ModelWorker::loop() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait(lock, [this] { return stop_ || job_; });
            if (stop_) return;
            job = std::move(job_);
            job_ = nullptr;
        }
        std::exception_ptr err;
        try {
            job();
        } catch (...) {
            err = std::current_exception();
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            error_ = err;
            done_ = true;
        }
        cv_.notify_all();
    }
}

}  // namespace dacw::train::detail
