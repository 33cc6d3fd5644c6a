#include "core/train/TrainConfig.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>

#include "core/train/Errors.h"

namespace dacw::train {
namespace {

template <typename E>
struct Names {
    std::vector<std::pair<E, std::string>> items;
    std::string name(E e) const {
        for (const auto& [v, n] : items)
            if (v == e) return n;
        return "?";
    }
    E parse(const std::string& s, const char* what) const {
        std::string low = s;
        std::transform(low.begin(), low.end(), low.begin(), [](unsigned char c) { return std::tolower(c); });
        for (const auto& [v, n] : items)
            if (n == low) return v;
        std::string valid;
        for (const auto& [v, n] : items) valid += (valid.empty() ? "" : ", ") + n;
        throw ConfigError("unknown " + std::string(what) + " '" + s + "' (valid: " + valid + ")");
    }
};

const Names<Method> kMethods{{{Method::Supervised, "supervised"},
                              {Method::Cps, "cps"},
                              {Method::Dac, "dac"},
                              {Method::DacNoFeat, "dac-no-feat"},
                              {Method::DacNoAux, "dac-no-aux"},
                              {Method::DacSymAux, "dac-sym-aux"}}};
const Names<Backbone> kBackbones{
    {{Backbone::ResNet18, "resnet18"}, {Backbone::ResNet34, "resnet34"}, {Backbone::ResNet50, "resnet50"}}};
const Names<OptimizerKind> kOptimizers{{{OptimizerKind::AdamW, "adamw"}, {OptimizerKind::Sgd, "sgd"}}};
const Names<LrSchedule> kSchedules{
    {{LrSchedule::Auto, "auto"}, {LrSchedule::Constant, "constant"}, {LrSchedule::Poly, "poly"}}};
const Names<CpsWeighting> kCpsWeightings{{{CpsWeighting::None, "none"}, {CpsWeighting::Confidence, "confidence"}}};
const Names<FeatureLoss> kFeatureLosses{{{FeatureLoss::Cosine, "cosine"}, {FeatureLoss::Contrastive, "contrastive"}}};
const Names<CpsPrior> kCpsPriors{{{CpsPrior::None, "none"}, {CpsPrior::Em, "em"}}};
const Names<Tta> kTtas{{{Tta::None, "none"}, {Tta::Flip, "flip"}, {Tta::FlipScales, "flip-scales"}}};
const Names<Resize> kResizes{{{Resize::Letterbox, "letterbox"}, {Resize::Stretch, "stretch"}}};
const Names<PredictPrior> kPredictPriors{{{PredictPrior::Labeled, "labeled"}, {PredictPrior::Unlabeled, "unlabeled"}}};
const Names<Normalization> kNorms{{{Normalization::None, "none"},
                                   {Normalization::PerImage, "per-image"},
                                   {Normalization::PerImageChannel, "per-image-channel"}}};

std::string fmt(double v) {
    std::ostringstream os;
    os.precision(10);
    os << v;
    return os.str();
}
std::string fmt(bool v) { return v ? "true" : "false"; }

double toDouble(const std::string& key, const std::string& v) {
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (v.empty() || end == nullptr || *end != '\0' || !std::isfinite(d))
        throw ConfigError("option " + key + ": '" + v + "' is not a number");
    return d;
}
int64_t toInt(const std::string& key, const std::string& v) {
    char* end = nullptr;
    long long i = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || end == nullptr || *end != '\0') throw ConfigError("option " + key + ": '" + v + "' is not an integer");
    return static_cast<int64_t>(i);
}
bool toBool(const std::string& key, const std::string& v) {
    if (v == "1" || v == "true" || v == "on" || v == "yes") return true;
    if (v == "0" || v == "false" || v == "off" || v == "no") return false;
    throw ConfigError("option " + key + ": '" + v + "' is not a boolean (true/false)");
}
std::string joinInts(const std::vector<int64_t>& v) {
    std::string s;
    for (auto i : v) s += (s.empty() ? "" : ",") + std::to_string(i);
    return s;
}

std::vector<int64_t> splitInts(const std::string& key, const std::string& v) {
    std::vector<int64_t> out;
    std::stringstream ss(v);
    for (std::string item; std::getline(ss, item, ',');)
        if (!item.empty()) out.push_back(toInt(key, item));
    return out;
}
// Regions as "1,2;2": classes joined by commas, regions by semicolons.
std::string joinRegions(const std::vector<std::vector<int64_t>>& regions) {
    std::string s;
    for (const auto& r : regions) s += (s.empty() ? "" : ";") + joinInts(r);
    return s;
}
std::vector<std::vector<int64_t>> parseRegions(const std::string& v) {
    std::vector<std::vector<int64_t>> out;
    std::stringstream ss(v);
    for (std::string item; std::getline(ss, item, ';');)
        if (!item.empty()) out.push_back(splitInts("validation-regions", item));
    return out;
}

// One table drives printing and parsing, so the two cannot drift apart.
struct Option {
    std::string key;
    std::function<std::string(const TrainConfig&)> get;
    std::function<void(TrainConfig&, const std::string&)> set;
};

#define DBL(k, field) \
    Option{k, [](const TrainConfig& c) { return fmt(c.field); }, [](TrainConfig& c, const std::string& v) { c.field = toDouble(k, v); }}
#define INT(k, field)                                                          \
    Option{k, [](const TrainConfig& c) { return std::to_string(c.field); },    \
           [](TrainConfig& c, const std::string& v) { c.field = static_cast<decltype(c.field)>(toInt(k, v)); }}
#define BOOL(k, field) \
    Option{k, [](const TrainConfig& c) { return fmt(c.field); }, [](TrainConfig& c, const std::string& v) { c.field = toBool(k, v); }}

// A kernel switch: true/false pins it, "auto" leaves it to the per-machine measurement.
#define KERNEL(k, field)                                                                                       \
    Option{k, [](const TrainConfig& c) { return c.autoKernels.field ? std::string("auto") : fmt(c.field); }, \
           [](TrainConfig& c, const std::string& v) {                                                        \
               c.autoKernels.field = v == "auto";                                                            \
               if (v != "auto") c.field = toBool(k, v);                                                      \
           }}

const std::vector<Option>& options() {
    static const std::vector<Option> opts = {
        Option{"method", [](const TrainConfig& c) { return toString(c.method); },
               [](TrainConfig& c, const std::string& v) { c.method = parseMethod(v); }},
        INT("iterations", iterations),
        INT("labeled-batch", labeledBatch),
        INT("unlabeled-batch", unlabeledBatch),
        INT("size", size),
        Option{"resize", [](const TrainConfig& c) { return toString(c.resize); },
               [](TrainConfig& c, const std::string& v) { c.resize = parseResize(v); }},
        INT("num-classes", numClasses),
        Option{"backbone", [](const TrainConfig& c) { return toString(c.backbone); },
               [](TrainConfig& c, const std::string& v) { c.backbone = parseBackbone(v); }},
        DBL("width", width),
        DBL("dropout", dropout),
        INT("head-channels", headChannels),
        Option{"aspp-rates", [](const TrainConfig& c) { return joinInts(c.asppRates); },
               [](TrainConfig& c, const std::string& v) { c.asppRates = splitInts("aspp-rates", v); }},
        BOOL("aspp-shortcut", atrousShortcut),
        Option{"encoder-weights", [](const TrainConfig& c) { return c.encoderWeights; },
               [](TrainConfig& c, const std::string& v) { c.encoderWeights = v; }},
        Option{"init-model", [](const TrainConfig& c) { return c.initModel; },
               [](TrainConfig& c, const std::string& v) { c.initModel = v; }},
        Option{"optimizer", [](const TrainConfig& c) { return toString(c.optimizer); },
               [](TrainConfig& c, const std::string& v) { c.optimizer = parseOptimizer(v); }},
        Option{"schedule", [](const TrainConfig& c) { return toString(c.schedule); },
               [](TrainConfig& c, const std::string& v) { c.schedule = parseLrSchedule(v); }},
        DBL("lr", lr),
        DBL("encoder-lr-scale", encoderLrScale),
        DBL("average-from", averageFrom),
        DBL("weight-decay", weightDecay),
        DBL("momentum", momentum),
        DBL("poly-power", polyPower),
        BOOL("fused-adamw", fusedAdamW),
        BOOL("bf16-shadows", bf16Shadows),
        DBL("w-ce", weights.ce),
        DBL("w-dice", weights.dice),
        DBL("w-cps", weights.cps),
        DBL("w-feature", weights.feature),
        DBL("w-aux-cutmix", weights.auxCutmix),
        DBL("w-aux-rotation", weights.auxRotation),
        INT("ramp-up", rampUp),
        BOOL("ramp-aux", rampAux),
        DBL("cps-threshold", cpsThreshold),
        DBL("style-mix-prob", styleMixProb),
        DBL("style-mix-alpha", styleMixAlpha),
        BOOL("teacher-batch-stats", teacherBatchStats),
        Option{"cps-weighting", [](const TrainConfig& c) { return toString(c.cpsWeighting); },
               [](TrainConfig& c, const std::string& v) { c.cpsWeighting = parseCpsWeighting(v); }},
        Option{"feature-loss", [](const TrainConfig& c) { return toString(c.featureLoss); },
               [](TrainConfig& c, const std::string& v) { c.featureLoss = parseFeatureLoss(v); }},
        Option{"cps-prior", [](const TrainConfig& c) { return toString(c.cpsPrior); },
               [](TrainConfig& c, const std::string& v) { c.cpsPrior = parseCpsPrior(v); }},
        DBL("cps-prior-momentum", cpsPriorMomentum),
        Option{"predict-prior", [](const TrainConfig& c) { return toString(c.predictPrior); },
               [](TrainConfig& c, const std::string& v) { c.predictPrior = parsePredictPrior(v); }},
        Option{"tta", [](const TrainConfig& c) { return toString(c.tta); },
               [](TrainConfig& c, const std::string& v) { c.tta = parseTta(v); }},
        BOOL("dice-background", diceIncludeBackground),
        BOOL("aug-hflip", augment.hflip),
        BOOL("aug-vflip", augment.vflip),
        BOOL("aug-rot90", augment.rot90),
        DBL("aug-rotate-deg", augment.rotateDeg),
        DBL("aug-scale-min", augment.scaleMin),
        DBL("aug-scale-max", augment.scaleMax),
        DBL("aug-translate", augment.translate),
        BOOL("aug-strong-labeled", augment.strongOnLabeled),
        DBL("aug-brightness", augment.brightness),
        DBL("aug-contrast", augment.contrast),
        DBL("aug-gamma", augment.gamma),
        DBL("aug-saturation", augment.saturation),
        DBL("aug-channel-mix", augment.channelMix),
        DBL("aug-blur-prob", augment.blurProb),
        DBL("aug-blur-sigma", augment.blurSigmaMax),
        DBL("aug-noise", augment.noiseStd),
        Option{"normalization", [](const TrainConfig& c) { return toString(c.augment.normalization); },
               [](TrainConfig& c, const std::string& v) { c.augment.normalization = parseNormalization(v); }},
        DBL("aug-fourier-prob", augment.fourierProb),
        DBL("aug-fourier-beta", augment.fourierBeta),
        DBL("cutmix-min-area", augment.cutmixMinArea),
        DBL("cutmix-max-area", augment.cutmixMaxArea),
        DBL("rot-region-min", augment.rotRegionMin),
        DBL("rot-region-max", augment.rotRegionMax),
        Option{"seed", [](const TrainConfig& c) { return std::to_string(c.seed); },
               [](TrainConfig& c, const std::string& v) {
                   int64_t s = toInt("seed", v);
                   if (s < 0) throw ConfigError("option seed: must be >= 0");
                   c.seed = static_cast<uint64_t>(s);
               }},
        INT("threads", threads),
        Option{"device", [](const TrainConfig& c) { return c.device; },
               [](TrainConfig& c, const std::string& v) { c.device = v; }},
        KERNEL("bf16", bf16),
        KERNEL("channels-last", channelsLast),
        INT("prefetch", prefetch),
        KERNEL("model-parallel", modelParallel),
        Option{"checkpoint", [](const TrainConfig& c) { return c.checkpointPath; },
               [](TrainConfig& c, const std::string& v) { c.checkpointPath = v; }},
        INT("checkpoint-interval", checkpointInterval),
        BOOL("resume", resume),
        INT("validation-interval", validationInterval),
        INT("validation-batch", validationBatch),
        INT("nan-patience", nanPatience),
        Option{"validation-regions", [](const TrainConfig& c) { return joinRegions(c.validationRegions); },
               [](TrainConfig& c, const std::string& v) { c.validationRegions = parseRegions(v); }},
        Option{"test-poison-loss-at", [](const TrainConfig& c) { return joinInts(c.testHooks.poisonLossAt); },
               [](TrainConfig& c, const std::string& v) {
                   c.testHooks.poisonLossAt.clear();
                   std::stringstream ss(v);
                   std::string item;
                   while (std::getline(ss, item, ','))
                       if (!item.empty()) c.testHooks.poisonLossAt.push_back(toInt("test-poison-loss-at", item));
               }},
    };
    return opts;
}
#undef DBL
#undef INT
#undef BOOL
#undef KERNEL

}  // namespace

std::string toString(Method m) { return kMethods.name(m); }
std::string toString(Backbone b) { return kBackbones.name(b); }
std::string toString(OptimizerKind o) { return kOptimizers.name(o); }
std::string toString(LrSchedule s) { return kSchedules.name(s); }
std::string toString(Normalization n) { return kNorms.name(n); }
std::string toString(CpsWeighting w) { return kCpsWeightings.name(w); }
std::string toString(FeatureLoss f) { return kFeatureLosses.name(f); }
FeatureLoss parseFeatureLoss(const std::string& s) { return kFeatureLosses.parse(s, "feature loss"); }
CpsWeighting parseCpsWeighting(const std::string& s) { return kCpsWeightings.parse(s, "cps weighting"); }
std::string toString(CpsPrior p) { return kCpsPriors.name(p); }
CpsPrior parseCpsPrior(const std::string& s) { return kCpsPriors.parse(s, "cps prior"); }
std::string toString(PredictPrior p) { return kPredictPriors.name(p); }
PredictPrior parsePredictPrior(const std::string& s) { return kPredictPriors.parse(s, "predict prior"); }
std::string toString(Tta t) { return kTtas.name(t); }
Tta parseTta(const std::string& s) { return kTtas.parse(s, "test-time augmentation"); }
std::string toString(Resize r) { return kResizes.name(r); }
Resize parseResize(const std::string& s) { return kResizes.parse(s, "resize"); }
Method parseMethod(const std::string& s) { return kMethods.parse(s, "method"); }
Backbone parseBackbone(const std::string& s) { return kBackbones.parse(s, "backbone"); }
OptimizerKind parseOptimizer(const std::string& s) { return kOptimizers.parse(s, "optimizer"); }
LrSchedule parseLrSchedule(const std::string& s) { return kSchedules.parse(s, "lr schedule"); }
Normalization parseNormalization(const std::string& s) { return kNorms.parse(s, "normalization"); }

std::vector<std::string> methodNames() {
    std::vector<std::string> out;
    for (const auto& [m, n] : kMethods.items) out.push_back(n);
    return out;
}

MethodParts partsOf(Method m) {
    MethodParts p;
    switch (m) {
    case Method::Supervised: break;
    case Method::Cps: p.coTraining = true; break;
    case Method::Dac:
        p.coTraining = p.featureSupervision = p.cutmixHeadA = p.rotationHeadB = true;
        break;
    case Method::DacNoFeat: p.coTraining = p.cutmixHeadA = p.rotationHeadB = true; break;
    case Method::DacNoAux: p.coTraining = p.featureSupervision = true; break;
    case Method::DacSymAux:
        // Both sub-models get the CutMix-localisation task (see docs/method.md).
        p.coTraining = p.featureSupervision = p.cutmixHeadA = p.cutmixHeadB = true;
        break;
    }
    return p;
}

std::vector<std::pair<std::string, std::string>> toKeyValues(const TrainConfig& c) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& o : options()) out.emplace_back(o.key, o.get(c));
    return out;
}

void applyOption(TrainConfig& c, const std::string& key, const std::string& value) {
    for (const auto& o : options())
        if (o.key == key) {
            o.set(c, value);
            return;
        }
    throw ConfigError("unknown training option '" + key + "'");
}

void validateConfig(const TrainConfig& c) {
    auto need = [](bool ok, const std::string& msg) {
        if (!ok) throw ConfigError(msg);
    };
    need(c.iterations >= 1, "iterations must be >= 1");
    need(c.labeledBatch >= 1, "labeled-batch must be >= 1");
    need(c.method == Method::Supervised || c.unlabeledBatch >= 2,
         "unlabeled-batch must be >= 2 for co-training (CutMix pastes between images of the batch)");
    need(c.size == 0 || (c.size >= 32 && c.size % 16 == 0), "size must be a multiple of 16, at least 32");
    need(c.numClasses == 0 || c.numClasses >= 2, "num-classes must be >= 2 (background + at least one)");
    need(c.width > 0.0 && c.width <= 4.0, "width must be in (0, 4]");
    need(c.dropout >= 0.0 && c.dropout < 1.0, "dropout must be in [0, 1)");
    need(c.headChannels == 0 || (c.headChannels >= 8 && c.headChannels <= 2048),
         "head-channels must be 0 (256 x width) or in [8, 2048]");
    need(c.asppRates.size() == 3 && std::all_of(c.asppRates.begin(), c.asppRates.end(), [](int64_t r) { return r >= 1 && r <= 64; }),
         "aspp-rates must be three dilations in [1, 64], e.g. 6,12,18");
    need(c.lr > 0.0, "lr must be > 0");
    need(c.encoderLrScale >= 0.0 && c.encoderLrScale <= 1.0, "encoder-lr-scale must be in [0, 1] (0 freezes the encoder)");
    need(c.averageFrom > 0.0 && c.averageFrom <= 1.0, "average-from must be in (0, 1] (1: no weight averaging)");
    need(c.weightDecay >= 0.0, "weight-decay must be >= 0");
    need(c.cpsThreshold >= 0.0 && c.cpsThreshold < 1.0, "cps-threshold must be in [0, 1)");
    need(c.styleMixProb >= 0.0 && c.styleMixProb <= 1.0, "style-mix-prob must be in [0, 1]");
    need(c.styleMixAlpha > 0.0 && c.styleMixAlpha <= 10.0, "style-mix-alpha must be in (0, 10]");
    need(c.cpsPriorMomentum >= 0.0 && c.cpsPriorMomentum < 1.0, "cps-prior-momentum must be in [0, 1)");
    need(c.threads >= 0, "threads must be >= 0");
    need(c.prefetch >= 0 && c.prefetch <= 16, "prefetch must be in [0, 16]");
    need(c.checkpointInterval >= 0, "checkpoint-interval must be >= 0");
    need(c.checkpointInterval == 0 || !c.checkpointPath.empty(), "checkpoint-interval needs a checkpoint path");
    need(!c.resume || !c.checkpointPath.empty(), "resume needs a checkpoint path");
    need(c.validationInterval >= 0, "validation-interval must be >= 0");
    need(c.validationBatch >= 1, "validation-batch must be >= 1");
    need(c.nanPatience >= 1, "nan-patience must be >= 1");
    const auto& a = c.augment;
    need(a.scaleMin > 0.0 && a.scaleMin <= a.scaleMax, "aug-scale-min must be > 0 and <= aug-scale-max");
    need(a.cutmixMinArea > 0.0 && a.cutmixMinArea <= a.cutmixMaxArea && a.cutmixMaxArea < 1.0,
         "cutmix areas must satisfy 0 < min <= max < 1");
    need(a.rotRegionMin > 0.0 && a.rotRegionMin <= a.rotRegionMax && a.rotRegionMax <= 1.0,
         "rotation region sides must satisfy 0 < min <= max <= 1");
    need(a.blurProb >= 0.0 && a.blurProb <= 1.0, "aug-blur-prob must be in [0, 1]");
    need(a.fourierProb >= 0.0 && a.fourierProb <= 1.0, "aug-fourier-prob must be in [0, 1]");
    need(a.fourierBeta > 0.0 && a.fourierBeta <= 1.0, "aug-fourier-beta must be in (0, 1]");
    for (const auto& r : c.validationRegions) {
        need(!r.empty(), "validation-regions: a region lists no class");
        for (int64_t k : r)
            need(k >= 1 && (c.numClasses == 0 || k < c.numClasses), "validation-regions: class " + std::to_string(k) +
                                                                         " is not a foreground class");
    }
    need(a.gamma >= 0.0 && a.saturation >= 0.0 && a.noiseStd >= 0.0 && a.channelMix >= 0.0 &&
             a.brightness >= 0.0 && a.contrast >= 0.0 && a.contrast < 1.0,
         "augmentation magnitudes must be >= 0 (contrast < 1)");
    need(c.device == "cpu" || c.device.rfind("cuda", 0) == 0, "device must be 'cpu' or 'cuda[:N]'");
}

bool cpuSupportsBf16() {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16");
#elif defined(__x86_64__) && defined(__clang__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16");
#else
    return false;
#endif
}

}  // namespace dacw::train
