#include "core/train/Networks.h"

#include <torch/torch.h>

#include <cmath>
#include <set>
#include <vector>

#include "core/train/Errors.h"

namespace dacw::train {
namespace F = torch::nn::functional;
namespace nn = torch::nn;

int64_t scaledChannels(int64_t base, double width) {
    const double c = static_cast<double>(base) * width;
    return std::max<int64_t>(8, static_cast<int64_t>(std::lround(c / 8.0)) * 8);
}

namespace {

nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t dilation = 1, bool bias = false) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, k)
                          .stride(stride)
                          .padding(dilation * (k - 1) / 2)
                          .dilation(dilation)
                          .bias(bias));
}

// torchvision's BasicBlock / Bottleneck, with the same member names.
class BlockImpl : public nn::Module {
public:
    BlockImpl(bool bottleneck, int64_t in, int64_t planes, int64_t stride, int64_t dilation, int64_t firstDilation)
        : bottleneck_(bottleneck) {
        const int64_t out = bottleneck ? planes * 4 : planes;
        if (bottleneck) {
            conv1 = register_module("conv1", conv(in, planes, 1));
            bn1 = register_module("bn1", nn::BatchNorm2d(planes));
            conv2 = register_module("conv2", conv(planes, planes, 3, stride, firstDilation));
            bn2 = register_module("bn2", nn::BatchNorm2d(planes));
            conv3 = register_module("conv3", conv(planes, out, 1));
            bn3 = register_module("bn3", nn::BatchNorm2d(out));
        } else {
            conv1 = register_module("conv1", conv(in, planes, 3, stride, firstDilation));
            bn1 = register_module("bn1", nn::BatchNorm2d(planes));
            conv2 = register_module("conv2", conv(planes, planes, 3, 1, dilation));
            bn2 = register_module("bn2", nn::BatchNorm2d(planes));
        }
        if (stride != 1 || in != out)
            downsample = register_module("downsample", nn::Sequential(conv(in, out, 1, stride), nn::BatchNorm2d(out)));
    }
    at::Tensor forward(const at::Tensor& x) {
        at::Tensor y = bn1(conv1(x)).relu_();
        if (bottleneck_) {
            y = bn2(conv2(y)).relu_();
            y = bn3(conv3(y));
        } else {
            y = bn2(conv2(y));
        }
        at::Tensor identity = downsample ? downsample->forward(x) : x;
        return y.add_(identity).relu_();
    }

private:
    bool bottleneck_;
    nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
    nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Block);

nn::Sequential convBnRelu(int64_t in, int64_t out, int64_t k, int64_t dilation = 1) {
    return nn::Sequential(conv(in, out, k, 1, dilation), nn::BatchNorm2d(out), nn::ReLU(nn::ReLUOptions(true)));
}

}  // namespace

ResNetEncoderImpl::ResNetEncoderImpl(Backbone backbone, double width, int64_t inChannels)
    : backbone_(backbone), width_(width), inChannels_(inChannels) {
    const bool bottleneck = backbone == Backbone::ResNet50;
    std::vector<int64_t> blocks = backbone == Backbone::ResNet18 ? std::vector<int64_t>{2, 2, 2, 2}
                                                                 : std::vector<int64_t>{3, 4, 6, 3};
    int64_t inPlanes = scaledChannels(64, width);
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(inChannels, inPlanes, 7).stride(2).padding(3).bias(false)));
    bn1 = register_module("bn1", nn::BatchNorm2d(inPlanes));
    int64_t dilation = 1;
    layer1 = register_module("layer1", makeLayer(bottleneck, inPlanes, scaledChannels(64, width), blocks[0], 1, dilation, false));
    lowChannels_ = inPlanes;
    layer2 = register_module("layer2", makeLayer(bottleneck, inPlanes, scaledChannels(128, width), blocks[1], 2, dilation, false));
    layer3 = register_module("layer3", makeLayer(bottleneck, inPlanes, scaledChannels(256, width), blocks[2], 2, dilation, false));
    // Output stride 16: layer4 keeps the resolution and dilates instead.
    layer4 = register_module("layer4", makeLayer(bottleneck, inPlanes, scaledChannels(512, width), blocks[3], 2, dilation, true));
    highChannels_ = inPlanes;
}

nn::Sequential ResNetEncoderImpl::makeLayer(bool bottleneck, int64_t& inPlanes, int64_t planes, int64_t blocks,
                                            int64_t stride, int64_t& dilation, bool dilate) {
    const int64_t previousDilation = dilation;
    if (dilate) {
        dilation *= stride;
        stride = 1;
    }
    nn::Sequential seq;
    seq->push_back(Block(bottleneck, inPlanes, planes, stride, dilation, previousDilation));
    inPlanes = bottleneck ? planes * 4 : planes;
    for (int64_t i = 1; i < blocks; ++i) seq->push_back(Block(bottleneck, inPlanes, planes, 1, dilation, dilation));
    return seq;
}

StyleMix drawStyleMix(int64_t labeled, int64_t unlabeled, double prob, double alpha, at::Generator gen) {
    StyleMix mix;
    const int64_t n = labeled + unlabeled;
    if (prob <= 0.0 || n < 2) return mix;
    if (at::empty({1}, at::kDouble).uniform_(0.0, 1.0, gen).item<double>() >= prob) return mix;
    const at::Tensor a = at::_standard_gamma(at::full({n}, alpha, at::kDouble), gen);
    const at::Tensor b = at::_standard_gamma(at::full({n}, alpha, at::kDouble), gen);
    // Beta(alpha, alpha) as a / (a + b); both can underflow to 0 for small alpha: then 1/2.
    const at::Tensor sum = a + b;
    mix.lambda = at::where(sum > 0, a / sum.clamp_min(1e-300), at::full_like(a, 0.5)).to(at::kFloat);
    std::vector<int64_t> partner(static_cast<size_t>(n));
    auto draw = [&](int64_t bound) { return at::randint(bound, {1}, gen, at::kLong).item<int64_t>(); };
    for (int64_t i = 0; i < n; ++i) {
        if (unlabeled == 0) {
            const int64_t j = draw(n - 1);
            partner[static_cast<size_t>(i)] = j < i ? j : j + 1;  // any other labeled image
        } else {
            partner[static_cast<size_t>(i)] = i < labeled ? labeled + draw(unlabeled) : draw(labeled);
        }
    }
    mix.partner = at::tensor(partner, at::kLong);
    return mix;
}

at::Tensor mixFeatureStyle(const at::Tensor& x, const StyleMix& mix) {
    if (!mix.active()) return x;
    const at::Tensor xf = x.to(at::kFloat);
    at::Tensor mu, sig;
    {
        torch::NoGradGuard noGrad;
        auto [var, mean] = at::var_mean(xf, {2, 3}, /*unbiased=*/false, /*keepdim=*/true);
        mu = mean;
        sig = (var + 1e-6).sqrt();
    }
    const at::Tensor partner = mix.partner.to(x.device());
    const at::Tensor lam = mix.lambda.to(x.device()).view({-1, 1, 1, 1});
    const at::Tensor mixedMu = lam * mu + (1 - lam) * mu.index_select(0, partner);
    const at::Tensor mixedSig = lam * sig + (1 - lam) * sig.index_select(0, partner);
    return ((xf - mu) / sig * mixedSig + mixedMu).to(x.scalar_type());
}

EncoderOutput ResNetEncoderImpl::forward(const at::Tensor& x, const StyleMix& mix) {
    at::Tensor y = bn1(conv1(x)).relu_();
    y = F::max_pool2d(y, F::MaxPool2dFuncOptions(3).stride(2).padding(1));
    EncoderOutput out;
    out.low = mixFeatureStyle(layer1->forward(y), mix);
    out.high = layer4->forward(layer3->forward(mixFeatureStyle(layer2->forward(out.low), mix)));
    return out;
}

int64_t NetworkSpec::resolvedHeadChannels() const { return headChannels > 0 ? headChannels : scaledChannels(256, width); }

AsppImpl::AsppImpl(int64_t in, int64_t out, double dropout, bool atrousShortcut, std::array<int64_t, 3> rates)
    : dropout_(dropout), atrousShortcut_(atrousShortcut), rates_(rates) {
    b0 = register_module("b0", convBnRelu(in, out, 1));
    b1 = register_module("b1", convBnRelu(in, out, 3, rates[0]));
    b2 = register_module("b2", convBnRelu(in, out, 3, rates[1]));
    b3 = register_module("b3", convBnRelu(in, out, 3, rates[2]));
    // No BatchNorm after image pooling: with a 1x1 map it would need several images per batch.
    pool = register_module("pool", nn::Sequential(conv(in, out, 1, 1, 1, true), nn::ReLU(nn::ReLUOptions(true))));
    project = register_module("project", convBnRelu(5 * out, out, 1));
}

at::Tensor AsppImpl::forward(const at::Tensor& x, const c10::optional<at::Generator>& dropoutGen, bool dropout) {
    const int64_t h = x.size(2), w = x.size(3);
    at::Tensor pooled = pool->forward(x.mean({2, 3}, true)).expand({-1, -1, h, w});
    at::Tensor y = project->forward(torch::cat({b0->forward(x), atrous(b1, rates_[0], x), atrous(b2, rates_[1], x), atrous(b3, rates_[2], x), pooled}, 1));
    if (dropout && is_training() && dropout_ > 0.0) {
        // Elementwise dropout with the mask drawn on the CPU from the given generator (so it is
        // reproducible and resumable on any device), or from torch's global one without it.
        at::Tensor keep = dropoutGen ? at::empty(y.sizes(), at::kFloat).bernoulli_(1.0 - dropout_, *dropoutGen)
                                     : at::empty(y.sizes(), at::kFloat).bernoulli_(1.0 - dropout_);
        keep = keep.div_(1.0 - dropout_).to(y.device(), y.scalar_type());
        y = y * keep;
    }
    return y;
}

at::Tensor AsppImpl::atrous(nn::Sequential& branch, int64_t dilation, const at::Tensor& x) {
    if (!atrousShortcut_ || x.size(2) > dilation || x.size(3) > dilation) return branch->forward(x);
    // Output pixel i reads input i + (k - 1) * dilation; with size <= dilation every tap but the
    // centre falls into the zero padding, so the 3x3 convolution equals this 1x1 one, gradients
    // included (the other taps' gradients are zero either way).
    auto* conv = branch[0]->as<nn::Conv2d>();
    // Two-element stride/padding/dilation: the profiler's FLOP counter needs them.
    at::Tensor y = torch::conv2d(x, conv->weight.narrow(2, 1, 1).narrow(3, 1, 1), at::Tensor(), std::vector<int64_t>{1, 1}, std::vector<int64_t>{0, 0},
                                 std::vector<int64_t>{1, 1});
    return branch[2]->as<nn::ReLU>()->forward(branch[1]->as<nn::BatchNorm2d>()->forward(y));
}

DeepLabV3PlusImpl::DeepLabV3PlusImpl(const NetworkSpec& spec) : spec_(spec) {
    if (spec.inChannels < 1) throw ConfigError("network needs at least one input channel");
    if (spec.numClasses < 2) throw ConfigError("network needs at least two classes");
    encoder_ = register_module("encoder", ResNetEncoder(spec.backbone, spec.width, spec.inChannels));
    featureChannels_ = spec.resolvedHeadChannels();
    const int64_t lowProj = scaledChannels(48, spec.width);
    aspp_ = register_module("aspp", Aspp(encoder_->highChannels(), featureChannels_, spec.dropout, spec.atrousShortcut, spec.asppRates));
    lowProject_ = register_module("low_project", convBnRelu(encoder_->lowChannels(), lowProj, 1));
    fuse_ = register_module("fuse", nn::Sequential(conv(featureChannels_ + lowProj, featureChannels_, 3),
                                                   nn::BatchNorm2d(featureChannels_), nn::ReLU(nn::ReLUOptions(true)),
                                                   conv(featureChannels_, featureChannels_, 3),
                                                   nn::BatchNorm2d(featureChannels_), nn::ReLU(nn::ReLUOptions(true))));
    classifier_ = register_module("classifier", conv(featureChannels_, spec.numClasses, 1, 1, 1, true));
}

SegOutput DeepLabV3PlusImpl::forward(const at::Tensor& x, const c10::optional<at::Generator>& dropoutGen, const StyleMix& mix) {
    return run(x, dropoutGen, true, mix);
}

SegOutput DeepLabV3PlusImpl::forwardNoDropout(const at::Tensor& x) { return run(x, c10::nullopt, false); }

SegOutput DeepLabV3PlusImpl::run(const at::Tensor& x, const c10::optional<at::Generator>& dropoutGen, bool dropout,
                                 const StyleMix& mix) {
    EncoderOutput e = encoder_->forward(x, is_training() ? mix : StyleMix{});
    at::Tensor high = aspp_->forward(e.high, dropoutGen, dropout);
    at::Tensor low = lowProject_->forward(e.low);
    high = resizeBilinear(high, low.size(2), low.size(3));
    if (low.suggest_memory_format() == at::MemoryFormat::ChannelsLast)
        high = high.contiguous(at::MemoryFormat::ChannelsLast);
    SegOutput out;
    out.features = fuse_->forward(torch::cat({high, low.to(high.scalar_type())}, 1));
    // The last upsampling is done in float32: it has only `classes` channels and the logits feed
    // the losses directly.
    at::Tensor logits = classifier_->forward(out.features).to(at::kFloat);
    out.logits = F::interpolate(logits, F::InterpolateFuncOptions()
                                            .size(std::vector<int64_t>{x.size(2), x.size(3)})
                                            .mode(torch::kBilinear)
                                            .align_corners(false));
    return out;
}

ProjectionHeadImpl::ProjectionHeadImpl(int64_t channels) {
    body = register_module("body", nn::Sequential(conv(channels, channels, 1), nn::BatchNorm2d(channels),
                                                  nn::ReLU(nn::ReLUOptions(true)), conv(channels, channels, 1, 1, 1, true)));
}
at::Tensor ProjectionHeadImpl::forward(const at::Tensor& f) { return body->forward(f); }

CutMixHeadImpl::CutMixHeadImpl(int64_t channels) { conv = register_module("conv", dacw::train::conv(channels, 1, 1, 1, 1, true)); }
at::Tensor CutMixHeadImpl::forward(const at::Tensor& f) { return conv(f); }

RotationHeadImpl::RotationHeadImpl(int64_t channels) { fc = register_module("fc", nn::Linear(channels, 4)); }
at::Tensor RotationHeadImpl::forward(const at::Tensor& f, const at::Tensor& boxes, int64_t stride) {
    return fc(regionAveragePool(f, boxes, stride).to(at::kFloat));
}

at::Tensor regionAveragePool(const at::Tensor& features, const at::Tensor& boxes, int64_t stride) {
    TORCH_CHECK(features.dim() == 4 && boxes.dim() == 2 && boxes.size(1) == 3 && boxes.size(0) == features.size(0),
                "regionAveragePool: features [N,D,h,w] and boxes [N,3] expected");
    at::Tensor b = boxes.to(at::kCPU, at::kLong).contiguous();
    auto acc = b.accessor<int64_t, 2>();
    std::vector<at::Tensor> pooled;
    for (int64_t i = 0; i < features.size(0); ++i) {
        const int64_t y0 = acc[i][0] / stride, x0 = acc[i][1] / stride;
        const int64_t side = std::max<int64_t>(1, acc[i][2] / stride);
        pooled.push_back(features[i].slice(1, y0, y0 + side).slice(2, x0, x0 + side).mean({1, 2}));
    }
    return torch::stack(pooled);
}

at::Tensor interpolationMatrix(int64_t in, int64_t out, const at::TensorOptions& options) {
    at::Tensor m = at::zeros({out, in}, at::kFloat);
    auto a = m.accessor<float, 2>();
    const double scale = static_cast<double>(in) / static_cast<double>(out);
    for (int64_t o = 0; o < out; ++o) {
        // Same source index rule as torch (area_pixel_compute_source_index, align_corners=false).
        double src = std::max(0.0, scale * (static_cast<double>(o) + 0.5) - 0.5);
        int64_t i0 = std::min<int64_t>(static_cast<int64_t>(std::floor(src)), in - 1);
        int64_t i1 = std::min<int64_t>(i0 + 1, in - 1);
        const double w1 = src - static_cast<double>(i0);
        a[o][i0] += static_cast<float>(1.0 - w1);
        a[o][i1] += static_cast<float>(w1);
    }
    return m.to(at::TensorOptions().device(options.device()).dtype(options.dtype()));
}

at::Tensor resizeBilinear(const at::Tensor& x, int64_t h, int64_t w) {
    if (x.size(2) == h && x.size(3) == w) return x;
    if (x.is_cpu() && x.scalar_type() == at::kBFloat16) {
        at::Tensor ry = interpolationMatrix(x.size(2), h, x.options());
        at::Tensor rx = interpolationMatrix(x.size(3), w, x.options());
        return torch::matmul(torch::matmul(ry, x), rx.t());
    }
    return F::interpolate(x, F::InterpolateFuncOptions()
                                 .size(std::vector<int64_t>{h, w})
                                 .mode(torch::kBilinear)
                                 .align_corners(false));
}

void initializeWeights(nn::Module& module, uint64_t seed) {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    torch::NoGradGuard noGrad;
    for (auto& m : module.modules(/*include_self=*/true)) {
        if (auto* c = m->as<nn::Conv2d>()) {
            const auto& w = c->weight;
            const double fanOut = static_cast<double>(w.size(0) * w.size(2) * w.size(3));
            at::Tensor v = at::empty(w.sizes(), at::kFloat).normal_(0.0, std::sqrt(2.0 / fanOut), gen);
            w.copy_(v);
            if (c->bias.defined()) c->bias.zero_();
        } else if (auto* bn = m->as<nn::BatchNorm2d>()) {
            bn->weight.fill_(1.0);
            bn->bias.zero_();
        } else if (auto* l = m->as<nn::Linear>()) {
            const double bound = 1.0 / std::sqrt(static_cast<double>(l->weight.size(1)));
            l->weight.copy_(at::empty(l->weight.sizes(), at::kFloat).uniform_(-bound, bound, gen));
            if (l->bias.defined()) l->bias.copy_(at::empty(l->bias.sizes(), at::kFloat).uniform_(-bound, bound, gen));
        }
    }
}

void toChannelsLast(nn::Module& module) {
    torch::NoGradGuard noGrad;
    for (auto& p : module.parameters())
        if (p.dim() == 4) p.set_data(p.data().contiguous(at::MemoryFormat::ChannelsLast));
}

namespace {
// Every tensor entry of a module archive, as dotted names ("layer1.0.conv1.weight"); entries that
// are neither tensors nor sub-archives (TorchScript's "training" flags) are skipped.
void archiveTensorNames(torch::serialize::InputArchive& ar, const std::string& prefix, std::vector<std::string>& out) {
    for (const auto& key : ar.keys()) {
        at::Tensor t;
        if (ar.try_read(key, t)) {
            out.push_back(prefix + key);
            continue;
        }
        torch::serialize::InputArchive child;
        if (ar.try_read(key, child)) archiveTensorNames(child, prefix + key + ".", out);
    }
}
}  // namespace

void loadEncoderWeights(ResNetEncoder& encoder, const std::string& path) {
    torch::serialize::InputArchive archive;
    try {
        archive.load_from(path);
    } catch (const std::exception& e) {
        throw FileFormatError("cannot read encoder weights '" + path + "': not a LibTorch/TorchScript archive (" +
                              std::string(e.what()).substr(0, 200) + ")");
    }
    const std::string expected = "this run's encoder is " + toString(encoder->backbone()) + " x" +
                                 c10::str(encoder->width()) + " with " + std::to_string(encoder->inChannels()) +
                                 " input channel(s); pretrain with the same preset, backbone and width";
    // Entries the encoder does not have mean another architecture (a ResNet-34 file holds
    // everything a ResNet-18 needs, and more): refuse rather than load part of it.
    std::set<std::string> known;
    for (const auto& p : encoder->named_parameters(true)) known.insert(p.key());
    for (const auto& b : encoder->named_buffers(true)) known.insert(b.key());
    std::vector<std::string> extra;
    archiveTensorNames(archive, "", extra);
    for (const auto& name : extra)
        if (!known.count(name) && name.rfind("fc.", 0) != 0)
            throw FileFormatError("encoder weights '" + path + "' do not match this encoder: the file has " + name +
                                  ", which this encoder lacks (" + expected + ")");
    // Read into a copy first so a mismatch leaves the encoder untouched.
    ResNetEncoder copy(encoder->backbone(), encoder->width(), encoder->inChannels());
    try {
        copy->load(archive);
    } catch (const std::exception& e) {
        std::string msg = e.what();
        msg = msg.substr(0, msg.find('\n'));
        throw FileFormatError("encoder weights '" + path + "' do not match this encoder (" +
                              std::to_string(encoder->lowChannels()) + " low / " +
                              std::to_string(encoder->highChannels()) + " high channels; " + expected + "): " + msg);
    }
    torch::NoGradGuard noGrad;
    auto src = copy->named_parameters(true);
    for (auto& p : encoder->named_parameters(true)) {
        if (!src[p.key()].sizes().equals(p.value().sizes()))
            throw FileFormatError("encoder weights '" + path + "' do not match this encoder: parameter " + p.key() +
                                  " has shape " + c10::str(src[p.key()].sizes()) + ", expected " +
                                  c10::str(p.value().sizes()) + " (" + expected + ")");
    }
    for (auto& p : encoder->named_parameters(true)) p.value().copy_(src[p.key()]);
    auto srcBuf = copy->named_buffers(true);
    for (auto& b : encoder->named_buffers(true)) b.value().copy_(srcBuf[b.key()]);
}

}  // namespace dacw::train
