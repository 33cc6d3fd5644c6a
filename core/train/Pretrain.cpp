#include "core/train/Pretrain.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <deque>

#include "core/train/Augment.h"
#include "core/train/Autocast.h"
#include "core/train/Batches.h"
#include "core/train/Errors.h"
#include "core/train/Networks.h"
#include "core/train/Optimizers.h"
#include "core/train/Serialization.h"

namespace dacw::train {
namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {
constexpr double kPi = 3.14159265358979323846;
// Generator streams of pretraining (apart from the trainer's, so a pretraining seed never
// replays a training run's draws).
enum : uint64_t { kPretrainInit = 101, kPretrainOrder, kPretrainViews };

/// Linear - BN - ReLU - Linear on pooled encoder features (SimCLR's head; training only).
class ContrastHeadImpl : public nn::Module {
public:
    ContrastHeadImpl(int64_t in, int64_t out) {
        body = register_module("body", nn::Sequential(nn::Linear(in, in), nn::BatchNorm1d(in), nn::ReLU(),
                                                      nn::Linear(in, out)));
    }
    at::Tensor forward(const at::Tensor& x) { return body->forward(x); }

private:
    nn::Sequential body{nullptr};
};
TORCH_MODULE(ContrastHead);

}  // namespace

AugmentConfig PretrainConfig::contrastiveAugment() {
    AugmentConfig a;
    a.hflip = true;
    a.rotateDeg = 15.0;
    a.scaleMin = 1.0;
    a.scaleMax = 2.0;
    a.translate = 0.1;
    a.gamma = 0.4;
    a.saturation = 0.5;
    a.channelMix = 0.1;
    a.blurProb = 0.5;
    a.blurSigmaMax = 1.2;
    a.noiseStd = 0.08;
    return a;
}

PretrainConfig pretrainConfigFor(const TrainConfig& t) {
    PretrainConfig p;
    p.backbone = t.backbone;
    p.width = t.width;
    p.seed = t.seed;
    p.threads = t.threads;
    p.bf16 = t.bf16;
    p.channelsLast = t.channelsLast;
    p.augment.normalization = t.augment.normalization;
    return p;
}

struct EncoderPretrainer::Private {
    PretrainConfig cfg;
    int64_t inChannels;
    ResNetEncoder encoder{nullptr};
    ContrastHead head{nullptr};
    std::unique_ptr<FusedAdamW> optimizer;
    bool bf16 = false;

    Private(PretrainConfig c, int64_t channels) : cfg(std::move(c)), inChannels(channels) {
        if (cfg.iterations < 1) throw ConfigError("pretraining needs at least 1 iteration");
        if (cfg.batch < 2) throw ConfigError("the contrastive batch must hold at least 2 images");
        if (!(cfg.lr > 0.0) || !std::isfinite(cfg.lr)) throw ConfigError("the learning rate must be positive");
        if (!(cfg.temperature > 0.0)) throw ConfigError("the temperature must be positive");
        if (cfg.projectionDim < 2) throw ConfigError("the projection dimension must be at least 2");
        if (!(cfg.width > 0.0) || cfg.width > 4.0) throw ConfigError("width must be in (0, 4]");
        if (channels < 1) throw ConfigError("images need at least one channel");
        encoder = ResNetEncoder(cfg.backbone, cfg.width, channels);
        head = ContrastHead(encoder->highChannels(), cfg.projectionDim);
        initializeWeights(*encoder, detail::mixSeed(cfg.seed, kPretrainInit, 0));
        initializeWeights(*head, detail::mixSeed(cfg.seed, kPretrainInit, 1));
        if (cfg.channelsLast) toChannelsLast(*encoder);
        std::vector<at::Tensor> params = encoder->parameters();
        for (auto& p : head->parameters()) params.push_back(p);
        optimizer = std::make_unique<FusedAdamW>(params, cfg.lr, cfg.weightDecay);
        bf16 = cfg.bf16 && cpuSupportsBf16();
    }

    double lrAt(int64_t it) const {
        const int64_t warm = cfg.warmup >= 0 ? cfg.warmup : std::max<int64_t>(1, cfg.iterations / 20);
        if (it < warm) return cfg.lr * double(it + 1) / double(warm);
        const int64_t rest = std::max<int64_t>(1, cfg.iterations - warm);
        return cfg.lr * 0.5 * (1.0 + std::cos(kPi * double(it - warm) / double(rest)));
    }

    // Two views of the images chosen for iteration `it`: [2B,C,H,W], view 1 then view 2.
    at::Tensor views(const TensorDataset& data, int64_t it) const {
        torch::NoGradGuard noGrad;
        const int64_t n = data.size(), b = std::min(cfg.batch, n);
        at::Generator order = detail::generatorFor(cfg.seed, kPretrainOrder, uint64_t(it));
        at::Tensor idx = at::randperm(n, order, at::TensorOptions().dtype(at::kLong)).slice(0, 0, b);
        at::Tensor x = data.images.index_select(0, idx);
        at::Generator gen = detail::generatorFor(cfg.seed, kPretrainViews, uint64_t(it));
        std::vector<at::Tensor> v;
        for (int k = 0; k < 2; ++k) {
            at::Tensor w = weakAugment({x, at::Tensor()}, cfg.augment, gen).images;
            v.push_back(strongAugment(w, cfg.augment, gen));
        }
        return at::cat(v, 0);
    }

    // NT-Xent over 2B views: the positive of view i is view (i + B) mod 2B; the other 2B - 2 are
    // negatives; a view is never compared with itself.
    at::Tensor contrastiveLoss(const at::Tensor& projected) const {
        const int64_t twoB = projected.size(0), b = twoB / 2;
        at::Tensor z = F::normalize(projected.to(at::kFloat), F::NormalizeFuncOptions().dim(1));
        at::Tensor sim = at::matmul(z, z.t()) / cfg.temperature;
        sim = sim.masked_fill(at::eye(twoB, at::TensorOptions().dtype(at::kBool)), -1e9);
        at::Tensor target = (at::arange(twoB, at::TensorOptions().dtype(at::kLong)) + b) % twoB;
        return F::cross_entropy(sim, target);
    }

    double step(const TensorDataset& data, int64_t it) {
        at::Tensor x = views(data, it);
        if (cfg.channelsLast) x = x.contiguous(at::MemoryFormat::ChannelsLast);
        encoder->train();
        head->train();
        optimizer->setLr(lrAt(it));
        for (auto& p : encoder->parameters()) p.mutable_grad() = at::Tensor();
        for (auto& p : head->parameters()) p.mutable_grad() = at::Tensor();
        at::Tensor loss;
        {
            AutocastGuard autocast(bf16, c10::DeviceType::CPU);
            at::Tensor f = encoder->forward(x).high;
            at::Tensor pooled = f.mean({2, 3});
            loss = contrastiveLoss(head->forward(pooled));
        }
        const double value = loss.item<double>();
        if (!std::isfinite(value))
            throw DivergenceError("pretraining loss is not finite at iteration " + std::to_string(it + 1) +
                                  "; try a lower --lr");
        loss.backward();
        optimizer->step();
        return value;
    }
};

EncoderPretrainer::EncoderPretrainer(PretrainConfig config, int64_t inChannels)
    : d_(std::make_unique<Private>(std::move(config), inChannels)) {}
EncoderPretrainer::~EncoderPretrainer() = default;
const PretrainConfig& EncoderPretrainer::config() const { return d_->cfg; }

PretrainResult EncoderPretrainer::run(const TensorDataset& images, const PretrainCallback& callback,
                                      const std::atomic<bool>* cancel) {
    if (!images.images.defined() || images.images.dim() != 4)
        throw ConfigError("pretraining needs images [N,C,H,W]");
    if (images.size() < 2) throw ConfigError("pretraining needs at least 2 images, got " + std::to_string(images.size()));
    if (images.channels() != d_->inChannels)
        throw ConfigError("images have " + std::to_string(images.channels()) + " channels, the encoder " +
                          std::to_string(d_->inChannels));
    if (images.height() != images.width() || images.height() % 16 != 0 || images.height() < 32)
        throw ConfigError("pretraining images must be square with a side that is a multiple of 16, at least 32");
    if (images.images.scalar_type() != at::kFloat) throw ConfigError("pretraining images must be float32");
    if (d_->cfg.threads > 0) torch::set_num_threads(d_->cfg.threads);
    TensorDataset data;
    data.images = images.images.contiguous();
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    PretrainResult r;
    std::deque<std::pair<Clock::time_point, int64_t>> recent;  // (end time, images) of recent iterations
    recent.emplace_back(start, 0);
    std::deque<double> window;  // the last 10 losses
    const int64_t perIteration = std::min(d_->cfg.batch, data.size());
    for (int64_t it = 0; it < d_->cfg.iterations; ++it) {
        if (cancel && cancel->load()) {
            r.cancelled = true;
            break;
        }
        const double loss = d_->step(data, it);
        r.losses.push_back(loss);
        window.push_back(loss);
        if (window.size() > 10) window.pop_front();
        const auto now = Clock::now();
        recent.emplace_back(now, perIteration);
        while (recent.size() > 11) recent.pop_front();
        if (callback) {
            PretrainProgress p;
            p.iteration = it + 1;
            p.total = d_->cfg.iterations;
            p.loss = loss;
            double sum = 0.0;
            for (double l : window) sum += l;
            p.meanLoss = sum / double(window.size());
            int64_t imgs = 0;
            for (size_t k = 1; k < recent.size(); ++k) imgs += recent[k].second;
            const double span = std::chrono::duration<double>(recent.back().first - recent.front().first).count();
            p.imagesPerSecond = span > 0 ? double(imgs) / span : 0.0;
            p.seconds = std::chrono::duration<double>(now - start).count();
            callback(p);
        }
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return r;
}

void EncoderPretrainer::saveEncoder(const std::string& path) const {
    // A contiguous CPU copy, so the file does not depend on the memory layout trained with.
    ResNetEncoder copy(d_->cfg.backbone, d_->cfg.width, d_->inChannels);
    {
        torch::NoGradGuard noGrad;
        auto src = d_->encoder->named_parameters(true);
        for (auto& p : copy->named_parameters(true)) p.value().copy_(src[p.key()]);
        auto srcBuf = d_->encoder->named_buffers(true);
        for (auto& b : copy->named_buffers(true)) b.value().copy_(srcBuf[b.key()]);
    }
    torch::serialize::OutputArchive ar;
    copy->save(ar);
    saveArchiveAtomically(ar, path);
}

std::vector<std::pair<std::string, at::Tensor>> EncoderPretrainer::encoderState() const {
    std::vector<std::pair<std::string, at::Tensor>> out;
    for (const auto& p : d_->encoder->named_parameters(true)) out.emplace_back(p.key(), p.value().detach().contiguous());
    for (const auto& b : d_->encoder->named_buffers(true)) out.emplace_back(b.key(), b.value().contiguous());
    return out;
}

}  // namespace dacw::train
