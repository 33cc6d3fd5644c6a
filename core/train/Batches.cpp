#include "core/train/Batches.h"

#include <dlfcn.h>
#include <torch/torch.h>

#include <vector>

namespace dacw::train::detail {

namespace {

constexpr int64_t kFeatureStride = 4;  // decoder features are at 1/4 of the input resolution

// The batch producer runs torch ops on its own thread; keep that thread to one OpenMP thread so it
// does not compete with the trainer's parallel regions (and its idle team does not spin). ATen
// initialises a thread's OpenMP thread count lazily on its first parallel op, so run one first.
void useOneOmpThreadHere() {
    (void)at::ones({1 << 16}).sum();
    using SetThreads = void (*)(int);
    if (auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"))) fn(1);
}

}  // namespace

uint64_t mixSeed(uint64_t seed, uint64_t stream, uint64_t index) {
    uint64_t z = seed * 0x9E3779B97F4A7C15ull ^ (stream + 0x632BE59BD9B4E019ull) * 0xBF58476D1CE4E5B9ull ^ index;
    for (int i = 0; i < 2; ++i) {
        z += 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
    }
    return z;
}
at::Generator generatorFor(uint64_t seed, uint64_t stream, uint64_t index) {
    return at::make_generator<at::CPUGeneratorImpl>(mixSeed(seed, stream, index));
}

Batch BatchFactory::make(int64_t it) {
    torch::NoGradGuard noGrad;
    Batch b;
    b.iteration = it;
    at::Tensor li = indices(labeled_.size(), cfg_.labeledBatch, it, kLabeledOrder, labeledPerm_);
    at::Generator gen = generatorFor(cfg_.seed, kAugment, static_cast<uint64_t>(it));
    ImageMaskBatch l = weakAugment({labeled_.images.index_select(0, li), labeled_.masks.index_select(0, li)},
                                   cfg_.augment, gen);
    ImageMaskBatch u;
    if (co_ || styleFromUnlabeled()) {
        at::Tensor ui = indices(unlabeled_.size(), cfg_.unlabeledBatch, it, kUnlabeledOrder, unlabeledPerm_);
        u = weakAugment({unlabeled_.images.index_select(0, ui), at::Tensor()}, cfg_.augment, gen);
    }
    // The labeled images, the only clean supervision, see the unlabeled centres' styles.
    at::Tensor labeledImages = styleFromUnlabeled() ? fourierStyleMix(l.images, u.images, cfg_.augment, gen) : l.images;
    b.labeledImages = cfg_.augment.strongOnLabeled ? strongAugment(labeledImages, cfg_.augment, gen)
                                                   : normalizeImages(labeledImages, cfg_.augment.normalization);
    b.labeledMasks = l.masks;
    // Shard `rank_` of a data-parallel run: rows [lo, hi) of each stream.
    auto shard = [&](const at::Tensor& t) {
        if (world_ <= 1 || !t.defined()) return t;
        const int64_t n = t.size(0) / world_;
        return t.slice(0, rank_ * n, (rank_ + 1) * n).contiguous();
    };
    b.labeledImages = shard(b.labeledImages);
    b.labeledMasks = shard(b.labeledMasks);
    if (co_) {
        b.unlabeledWeak = shard(normalizeImages(u.images, cfg_.augment.normalization));
        at::Tensor strong = strongAugment(u.images, cfg_.augment, gen);
        b.plan = makeMixPlan(strong.size(0), strong.size(2), strong.size(3), cfg_.augment, rotation_, kFeatureStride, gen);
        if (world_ > 1) {
            strong = shard(strong);
            b.plan.pasteMask = shard(b.plan.pasteMask);
            b.plan.rotBox = shard(b.plan.rotBox);
            b.plan.rotK = shard(b.plan.rotK);
            b.plan.partner = (at::arange(strong.size(0), at::kLong) + 1).remainder(strong.size(0));
        }
        b.mixedImages = applyMix(b.plan, strong);
        b.regionTarget = pastedRegionTarget(b.plan);
    }
    return b;
}

at::Tensor BatchFactory::indices(int64_t n, int64_t batch, int64_t it, Stream stream, std::pair<int64_t, at::Tensor>& cache) {
    std::vector<int64_t> out;
    for (int64_t j = 0; j < batch; ++j) {
        const int64_t p = it * batch + j, epoch = p / n;
        if (!cache.second.defined() || cache.first != epoch) {
            at::Generator g = generatorFor(cfg_.seed, stream, static_cast<uint64_t>(epoch));
            cache = {epoch, at::randperm(n, g, at::kLong)};
        }
        out.push_back(cache.second[p % n].item<int64_t>());
    }
    return at::tensor(out, at::kLong);
}

BatchProducer::BatchProducer(BatchFactory factory, int64_t first, int64_t end, int depth)
    : factory_(std::move(factory)), next_(first), end_(end), depth_(depth) {
    if (depth_ > 0) thread_ = std::thread([this] { loop(); });
}

BatchProducer::~BatchProducer() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::pair<Batch, double> BatchProducer::next() {
    const auto t0 = Clock::now();
    if (depth_ == 0) {
        Batch b = factory_.make(next_++);
        return {std::move(b), seconds(Clock::now() - t0)};
    }
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return !queue_.empty() || error_; });
    if (queue_.empty() && error_) std::rethrow_exception(error_);
    Batch b = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    cv_.notify_all();
    return {std::move(b), seconds(Clock::now() - t0)};
}

void BatchProducer::loop() {
    try {
        useOneOmpThreadHere();
        for (;;) {
            int64_t it;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                cv_.wait(lock, [this] { return stop_ || static_cast<int>(queue_.size()) < depth_; });
                if (stop_ || next_ >= end_) return;
                it = next_++;
            }
            Batch b = factory_.make(it);
            {
                std::lock_guard<std::mutex> lock(mutex_);
                queue_.push_back(std::move(b));
            }
            cv_.notify_all();
        }
    } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        error_ = std::current_exception();
        cv_.notify_all();
    }
}

}  // namespace dacw::train::detail
