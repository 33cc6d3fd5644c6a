#include "core/train/Pretrain.h"

#include <torch/torch.h>

#include <algorithm>
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
enum : uint64_t { kPretrainInit = 101, kPretrainOrder, kPretrainViews, kPretrainMask };
constexpr int64_t kPatch = 16;  // the masked task's patch side = the encoder's output stride

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

/// One linear map per stride-16 feature pixel to the 16x16xC pixels it covers (SimMIM's head;
/// training only).
class PixelHeadImpl : public nn::Module {
public:
    PixelHeadImpl(int64_t in, int64_t channels) {
        conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions(in, channels * kPatch * kPatch, 1)));
    }
    at::Tensor forward(const at::Tensor& f) { return at::pixel_shuffle(conv->forward(f), kPatch); }

private:
    nn::Conv2d conv{nullptr};
};
TORCH_MODULE(PixelHead);

}  // namespace

std::string toString(Pretext p) { return p == Pretext::Masked ? "masked" : "contrastive"; }

Pretext parsePretext(const std::string& name) {
    if (name == "contrastive") return Pretext::Contrastive;
    if (name == "masked") return Pretext::Masked;
    throw ConfigError("unknown pretext task '" + name + "' (contrastive or masked)");
}

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

AugmentConfig PretrainConfig::maskedAugment() {
    AugmentConfig a;
    a.hflip = true;
    a.rotateDeg = 10.0;
    a.scaleMin = 1.0;
    a.scaleMax = 1.5;
    a.translate = 0.05;
    a.gamma = a.saturation = a.channelMix = a.blurProb = a.noiseStd = 0.0;
    return a;
}

PretrainConfig pretrainConfigFor(const TrainConfig& t, Pretext pretext) {
    PretrainConfig p;
    p.pretext = pretext;
    if (pretext == Pretext::Masked) p.augment = PretrainConfig::maskedAugment();
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
    ContrastHead head{nullptr};    // contrastive
    PixelHead pixelHead{nullptr};  // masked
    std::shared_ptr<nn::Module> headModule;
    std::unique_ptr<FusedAdamW> optimizer;
    bool bf16 = false;

    Private(PretrainConfig c, int64_t channels) : cfg(std::move(c)), inChannels(channels) {
        if (cfg.iterations < 1) throw ConfigError("pretraining needs at least 1 iteration");
        if (cfg.batch < 2) throw ConfigError("the contrastive batch must hold at least 2 images");
        if (!(cfg.lr > 0.0) || !std::isfinite(cfg.lr)) throw ConfigError("the learning rate must be positive");
        if (!(cfg.temperature > 0.0)) throw ConfigError("the temperature must be positive");
        if (!(cfg.maskRatio > 0.0 && cfg.maskRatio < 1.0)) throw ConfigError("the mask ratio must be in (0, 1)");
        if (cfg.projectionDim < 2) throw ConfigError("the projection dimension must be at least 2");
        if (!(cfg.width > 0.0) || cfg.width > 4.0) throw ConfigError("width must be in (0, 4]");
        if (channels < 1) throw ConfigError("images need at least one channel");
        encoder = ResNetEncoder(cfg.backbone, cfg.width, channels);
        if (cfg.pretext == Pretext::Masked) {
            pixelHead = PixelHead(encoder->highChannels(), channels);
            headModule = pixelHead.ptr();
        } else {
            head = ContrastHead(encoder->highChannels(), cfg.projectionDim);
            headModule = head.ptr();
        }
        initializeWeights(*encoder, detail::mixSeed(cfg.seed, kPretrainInit, 0));
        initializeWeights(*headModule, detail::mixSeed(cfg.seed, kPretrainInit, 1));
        if (cfg.channelsLast) toChannelsLast(*encoder);
        std::vector<at::Tensor> params = encoder->parameters();
        for (auto& p : headModule->parameters()) params.push_back(p);
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

    // The masked task's input: one geometric view per image [B,C,H,W] (normalised), and the mask
    // [B,1,H,W] (1 = blanked) with round(maskRatio * patches) patches of each image blanked.
    std::pair<at::Tensor, at::Tensor> maskedView(const TensorDataset& data, int64_t it) const {
        torch::NoGradGuard noGrad;
        const int64_t n = data.size(), b = std::min(cfg.batch, n);
        at::Generator order = detail::generatorFor(cfg.seed, kPretrainOrder, uint64_t(it));
        at::Tensor idx = at::randperm(n, order, at::TensorOptions().dtype(at::kLong)).slice(0, 0, b);
        at::Generator gen = detail::generatorFor(cfg.seed, kPretrainViews, uint64_t(it));
        at::Tensor x = weakAugment({data.images.index_select(0, idx), at::Tensor()}, cfg.augment, gen).images;
        x = normalizeImages(x, cfg.augment.normalization);
        const int64_t gh = x.size(2) / kPatch, gw = x.size(3) / kPatch, patches = gh * gw;
        const int64_t masked = std::clamp<int64_t>(std::llround(cfg.maskRatio * double(patches)), 1, patches - 1);
        at::Generator maskGen = detail::generatorFor(cfg.seed, kPretrainMask, uint64_t(it));
        at::Tensor grid = at::zeros({b, patches});
        for (int64_t i = 0; i < b; ++i) {
            at::Tensor pick = at::randperm(patches, maskGen, at::TensorOptions().dtype(at::kLong)).slice(0, 0, masked);
            grid[i].index_fill_(0, pick, 1.0);
        }
        at::Tensor mask =
            grid.view({b, 1, gh, 1, gw, 1}).expand({b, 1, gh, kPatch, gw, kPatch}).reshape({b, 1, gh * kPatch, gw * kPatch});
        return {x, mask.contiguous()};
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

    // L1 between the reconstruction and the view, over the blanked pixels of all channels.
    static at::Tensor maskedLoss(const at::Tensor& reconstruction, const at::Tensor& target, const at::Tensor& mask) {
        at::Tensor err = (reconstruction.to(at::kFloat) - target).abs() * mask;
        return err.sum() / (mask.sum() * double(target.size(1)));
    }

    double step(const TensorDataset& data, int64_t it) {
        encoder->train();
        headModule->train();
        optimizer->setLr(lrAt(it));
        for (auto& p : encoder->parameters()) p.mutable_grad() = at::Tensor();
        for (auto& p : headModule->parameters()) p.mutable_grad() = at::Tensor();
        at::Tensor loss;
        if (cfg.pretext == Pretext::Masked) {
            auto [target, mask] = maskedView(data, it);
            at::Tensor x = target * (1.0 - mask);
            if (cfg.channelsLast) x = x.contiguous(at::MemoryFormat::ChannelsLast);
            at::Tensor reconstruction;
            {
                AutocastGuard autocast(bf16, c10::DeviceType::CPU);
                reconstruction = pixelHead->forward(encoder->forward(x).high);
            }
            loss = maskedLoss(reconstruction, target, mask);
        } else {
            at::Tensor x = views(data, it);
            if (cfg.channelsLast) x = x.contiguous(at::MemoryFormat::ChannelsLast);
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
