#include "core/train/Predictor.h"

#include <torch/torch.h>

#include <sstream>
#include <thread>

#include "core/train/Autocast.h"
#include "core/train/Errors.h"
#include "core/train/ModelFile.h"
#include "core/train/Networks.h"
#include "core/train/Serialization.h"

namespace dacw::train {
namespace {
constexpr const char* kModelKind = "dacw-model";
// 2: the head's channels and ASPP rates are stored; 3: "resize" (letterbox or stretch)
constexpr int64_t kModelVersion = 3;

ModelInfo readInfo(torch::serialize::InputArchive& ar, const std::string& path) {
    std::string kind;
    try {
        kind = readString(ar, "dacw_kind");
    } catch (const std::exception&) {
    }
    if (kind != kModelKind) throw FileFormatError("'" + path + "' is not an exported DAC Workbench model");
    ModelInfo info;
    try {
        at::Tensor version, ints, width;
        ar.read("version", version);
        if (version.item<int64_t>() > kModelVersion)
            throw FileFormatError("model '" + path + "' was written by a newer version");
        info.backbone = parseBackbone(readString(ar, "backbone"));
        ar.read("ints", ints);  // inChannels, numClasses, size, iterations
        ar.read("width", width);
        if (ints.numel() != 4) throw FileFormatError("model '" + path + "' has a malformed header");
        info.inChannels = ints[0].item<int64_t>();
        info.numClasses = ints[1].item<int64_t>();
        info.size = ints[2].item<int64_t>();
        info.iterations = ints[3].item<int64_t>();
        info.width = width.item<double>();
        info.headChannels = scaledChannels(256, info.width);
        if (version.item<int64_t>() >= 2) {
            at::Tensor head;
            ar.read("head", head);  // headChannels, three ASPP rates
            if (head.numel() != 4) throw FileFormatError("model '" + path + "' has a malformed head description");
            info.headChannels = head[0].item<int64_t>();
            info.asppRates = {head[1].item<int64_t>(), head[2].item<int64_t>(), head[3].item<int64_t>()};
        }
        if (version.item<int64_t>() >= 3) {
            const std::string resize = readString(ar, "resize");
            try {
                info.resize = parseResize(resize);
            } catch (const std::exception&) {
                throw FileFormatError("model '" + path + "' has an unknown resize mode '" + resize + "'");
            }
        }
        if (info.headChannels < 1 || info.headChannels > 4096 || info.inChannels < 1 || info.numClasses < 2)
            throw FileFormatError("model '" + path + "' has a malformed header");
        info.method = readString(ar, "method");
        info.subModel = readString(ar, "sub_model");
        info.userMetadata = readString(ar, "user_metadata");
    } catch (const FileFormatError&) {
        throw;
    } catch (const std::exception& e) {
        throw FileFormatError("model '" + path + "' is incomplete or corrupt: " + firstLine(e.what()));
    }
    return info;
}
}  // namespace

void writeModelFile(const std::string& path, DeepLabV3Plus& net, const ModelInfo& info) {
    torch::serialize::OutputArchive ar;
    writeString(ar, "dacw_kind", kModelKind);
    ar.write("version", at::tensor(kModelVersion));
    writeString(ar, "backbone", toString(info.backbone));
    ar.write("ints", at::tensor(std::vector<int64_t>{info.inChannels, info.numClasses, info.size, info.iterations}));
    ar.write("width", at::tensor(info.width, at::kDouble));
    const NetworkSpec& spec = net->spec();
    ar.write("head", at::tensor(std::vector<int64_t>{spec.resolvedHeadChannels(), spec.asppRates[0], spec.asppRates[1],
                                                     spec.asppRates[2]}));
    writeString(ar, "resize", toString(info.resize));
    writeString(ar, "method", info.method);
    writeString(ar, "sub_model", info.subModel);
    writeString(ar, "user_metadata", info.userMetadata);
    torch::serialize::OutputArchive netArchive;
    // Stored on the CPU in the default layout, loadable anywhere.
    DeepLabV3Plus copy(net->spec());
    {
        torch::NoGradGuard noGrad;
        auto src = net->named_parameters(true);
        for (auto& p : copy->named_parameters(true)) p.value().copy_(src[p.key()].cpu());
        auto srcBuf = net->named_buffers(true);
        for (auto& b : copy->named_buffers(true)) b.value().copy_(srcBuf[b.key()].cpu());
    }
    copy->save(netArchive);
    ar.write("network", netArchive);
    saveArchiveAtomically(ar, path);
}

namespace {
std::string widthText(double w) {
    std::ostringstream o;
    o << w;  // 0.25, not 0.250000
    return o.str();
}
}  // namespace

void loadModelWeights(DeepLabV3Plus& net, const std::string& path) {
    torch::serialize::InputArchive ar;
    loadArchive(ar, path, "model");
    const ModelInfo info = readInfo(ar, path);
    const NetworkSpec& s = net->spec();
    const bool sameRates = info.asppRates.size() == 3 && info.asppRates[0] == s.asppRates[0] &&
                           info.asppRates[1] == s.asppRates[1] && info.asppRates[2] == s.asppRates[2];
    if (info.backbone != s.backbone || std::abs(info.width - s.width) > 1e-9 || info.inChannels != s.inChannels ||
        info.numClasses != s.numClasses || info.headChannels != s.resolvedHeadChannels() || !sameRates)
        throw FileFormatError("model '" + path + "' is a " + toString(info.backbone) + " x" + widthText(info.width) + " (head " +
                              std::to_string(info.headChannels) + " channels) with " + std::to_string(info.inChannels) +
                              " input channels and " + std::to_string(info.numClasses) + " classes; this run trains a " +
                              toString(s.backbone) + " x" + widthText(s.width) + " (head " +
                              std::to_string(s.resolvedHeadChannels()) + " channels) with " + std::to_string(s.inChannels) +
                              " and " + std::to_string(s.numClasses));
    NetworkSpec spec = s;
    DeepLabV3Plus loaded(spec);
    try {
        torch::serialize::InputArchive netArchive;
        ar.read("network", netArchive);
        loaded->load(netArchive);
    } catch (const std::exception& e) {
        throw FileFormatError("model '" + path + "' is incomplete or corrupt: " + firstLine(e.what()));
    }
    torch::NoGradGuard noGrad;
    auto src = loaded->named_parameters(true);
    for (auto& p : net->named_parameters(true)) p.value().copy_(src[p.key()]);
    auto srcBuf = loaded->named_buffers(true);
    for (auto& b : net->named_buffers(true)) b.value().copy_(srcBuf[b.key()]);
}

ModelInfo readModelInfo(const std::string& path) {
    torch::serialize::InputArchive ar;
    loadArchive(ar, path, "model");
    return readInfo(ar, path);
}

struct Predictor::Private {
    ModelInfo info;
    DeepLabV3Plus net{nullptr};
    torch::Device device{torch::kCPU};
    bool bf16 = false;
    bool channelsLast = true;
    Tta tta = Tta::None;

    // Class probabilities of one chunk [n,C,H,W] on the device, without augmentation.
    at::Tensor probabilities(const at::Tensor& x) {
        at::Tensor in = x.contiguous(channelsLast ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous);
        at::Tensor logits;
        {
            AutocastGuard ac(bf16, device.type());
            logits = net->forward(in).logits;
        }
        return torch::softmax(logits.to(at::kFloat), 1);
    }
    // Mirror (and scale) copies, each mapped back to [n,K,H,W], then averaged.
    at::Tensor augmented(const at::Tensor& x) {
        if (tta == Tta::None) return probabilities(x);
        const int64_t h = x.size(2), w = x.size(3);
        std::vector<double> scales{1.0};
        if (tta == Tta::FlipScales) scales = {0.75, 1.0, 1.25};
        at::Tensor sum;
        int passes = 0;
        for (double s : scales) {
            at::Tensor xs = x;
            const int64_t hs = std::max<int64_t>(16, int64_t(std::lround(double(h) * s / 16.0)) * 16);
            const int64_t ws = std::max<int64_t>(16, int64_t(std::lround(double(w) * s / 16.0)) * 16);
            const bool resized = hs != h || ws != w;
            if (resized)
                xs = torch::nn::functional::interpolate(x, torch::nn::functional::InterpolateFuncOptions()
                                                               .size(std::vector<int64_t>{hs, ws})
                                                               .mode(torch::kBilinear)
                                                               .align_corners(false));
            for (bool mirrored : {false, true}) {
                at::Tensor p = probabilities(mirrored ? xs.flip({3}) : xs);
                if (mirrored) p = p.flip({3});
                if (resized)
                    p = torch::nn::functional::interpolate(p, torch::nn::functional::InterpolateFuncOptions()
                                                                  .size(std::vector<int64_t>{h, w})
                                                                  .mode(torch::kBilinear)
                                                                  .align_corners(false));
                sum = sum.defined() ? sum + p : p;
                ++passes;
            }
        }
        return sum / double(passes);
    }
};

Predictor::Predictor(const std::string& path, const std::string& device, int threads) : d_(std::make_unique<Private>()) {
    if (device != "cpu") {
        if (!torch::cuda::is_available()) throw ConfigError("device '" + device + "' requested but CUDA is not available");
        d_->device = torch::Device(device);
    }
    if (threads > 0) torch::set_num_threads(threads);
    torch::serialize::InputArchive ar;
    loadArchive(ar, path, "model");
    d_->info = readInfo(ar, path);
    NetworkSpec spec;
    spec.backbone = d_->info.backbone;
    spec.width = d_->info.width;
    spec.inChannels = d_->info.inChannels;
    spec.numClasses = d_->info.numClasses;
    spec.headChannels = d_->info.headChannels;
    spec.asppRates = {d_->info.asppRates[0], d_->info.asppRates[1], d_->info.asppRates[2]};
    spec.dropout = 0.0;
    try {
        d_->net = DeepLabV3Plus(spec);
        torch::serialize::InputArchive netArchive;
        ar.read("network", netArchive);
        d_->net->load(netArchive);
        DeepLabV3Plus reference(spec);
        auto ref = reference->named_parameters(true);
        for (auto& p : d_->net->named_parameters(true))
            if (!p.value().sizes().equals(ref[p.key()].sizes()))
                throw FileFormatError("model '" + path + "': parameter " + p.key() + " has the wrong shape");
    } catch (const TrainError&) {
        throw;
    } catch (const std::exception& e) {
        throw FileFormatError("model '" + path + "' is incomplete or corrupt: " + firstLine(e.what()));
    }
    d_->net->eval();
    toChannelsLast(*d_->net);
    d_->net->to(d_->device);
    d_->bf16 = d_->device.is_cuda() || cpuSupportsBf16();
}

Predictor::~Predictor() = default;
Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;

const ModelInfo& Predictor::info() const { return d_->info; }
void Predictor::setBf16(bool on) { d_->bf16 = on && (d_->device.is_cuda() || cpuSupportsBf16()); }
void Predictor::setChannelsLast(bool on) {
    d_->channelsLast = on;
    torch::NoGradGuard noGrad;
    for (auto& p : d_->net->parameters())
        if (p.dim() == 4)
            p.set_data(p.data().contiguous(on ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous));
}

void Predictor::setTta(Tta tta) { d_->tta = tta; }
Tta Predictor::tta() const { return d_->tta; }

at::Tensor Predictor::predict(const at::Tensor& images, int64_t batch) const {
    if (images.dim() != 4 || images.size(1) != d_->info.inChannels)
        throw ConfigError("predict expects images [N," + std::to_string(d_->info.inChannels) + ",H,W], got " +
                          c10::str(images.sizes()));
    c10::InferenceMode inference;
    std::vector<at::Tensor> out;
    for (int64_t i = 0; i < images.size(0); i += std::max<int64_t>(1, batch)) {
        const int64_t e = std::min(images.size(0), i + std::max<int64_t>(1, batch));
        at::Tensor x = images.slice(0, i, e).to(d_->device, at::kFloat);
        out.push_back(d_->augmented(x).cpu().contiguous());
    }
    return torch::cat(out, 0);
}

Disagreement disagreementOf(const at::Tensor& probsA, const at::Tensor& probsB) {
    if (!probsA.sizes().equals(probsB.sizes()) || probsA.dim() != 4)
        throw ConfigError("disagreement needs two probability maps [N,K,H,W] of the same shape");
    Disagreement d;
    d.maps = (probsA - probsB).abs().sum(1).mul(0.5).to(at::kFloat).cpu().contiguous();
    at::Tensor diff = d.maps.mean({1, 2}).to(at::kDouble).contiguous();
    at::Tensor flip = probsA.argmax(1).ne(probsB.argmax(1)).to(at::kDouble).mean({1, 2}).contiguous();
    d.meanAbsDiff.assign(diff.data_ptr<double>(), diff.data_ptr<double>() + diff.numel());
    d.labelFlip.assign(flip.data_ptr<double>(), flip.data_ptr<double>() + flip.numel());
    return d;
}

}  // namespace dacw::train
