#pragma once
// Configuration of a co-training run: plain data, no torch types, so that callers (the command
// line, the GUI, config.json writers) can fill, print and parse it without including LibTorch.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dacw::train {

/// The training methods of one engine. `Supervised` trains sub-model A alone on labeled data.
enum class Method { Supervised, Cps, Dac, DacNoFeat, DacNoAux, DacSymAux };
enum class Backbone { ResNet18, ResNet34, ResNet50 };
enum class OptimizerKind { AdamW, Sgd };
enum class LrSchedule { Auto, Constant, Poly };  // Auto: Poly for SGD, Constant for AdamW
/// Per-image normalisation the caller applied; augmentation re-applies it after intensity jitter
/// so the network only ever sees inputs with the statistics it will see at test time.
enum class Normalization { None, PerImage, PerImageChannel };
/// How CPS weighs pseudo-labelled pixels: all alike (CPS), or by the teacher's confidence.
enum class CpsWeighting { None, Confidence };
/// The feature-supervision term: cosine distance to the other sub-model's detached feature at the
/// same pixel (Cosine), or an InfoNCE over sampled pixels whose negatives are the other model's
/// features at pixels of other pseudo-classes (Contrastive: a target that cannot saturate).
enum class FeatureLoss { Cosine, Contrastive };
/// Which class prior the teachers' pseudo-labels follow: the labeled domain's, implicit in the
/// network (None, as CPS), or the unlabeled domain's, estimated by EM from the teachers' own
/// posteriors (Em: Saerens et al. 2002 label-shift adjustment; docs/method.md section 6).
enum class CpsPrior { None, Em };
/// The class prior an exported model predicts under: the labeled domain's (as trained) or the
/// unlabeled domains' EM estimate, added to the classifier's bias as log(unlabeled / labeled).
enum class PredictPrior { Labeled, Unlabeled };
/// Test-time augmentation of prediction: the class probabilities averaged over transformed copies
/// of each image, each mapped back first. `Flip`: the image and its left-right mirror (2 passes).
/// `FlipScales`: both at 0.75, 1 and 1.25 times the side, rounded to a multiple of 16 (6 passes).
enum class Tta { None, Flip, FlipScales };
/// How an image of another aspect ratio becomes the square network input: scaled so that its
/// longer side fits and centred on zero padding, shapes kept (Letterbox), or squashed to the
/// square (Stretch: what every model before format 3 was trained with). Square images give the
/// same input either way. core/data/Preprocess.h applies it, both ways.
enum class Resize { Letterbox, Stretch };

std::string toString(Method m);
std::string toString(Backbone b);
std::string toString(OptimizerKind o);
std::string toString(LrSchedule s);
std::string toString(Normalization n);
std::string toString(CpsWeighting w);
std::string toString(FeatureLoss f);
std::string toString(CpsPrior p);
std::string toString(PredictPrior p);
std::string toString(Resize r);
/// Parsers accept the names toString produces (e.g. "dac-no-feat", "resnet18", "adamw", "sgd");
/// they throw ConfigError listing the valid names otherwise.
Method parseMethod(const std::string& s);
Backbone parseBackbone(const std::string& s);
OptimizerKind parseOptimizer(const std::string& s);
LrSchedule parseLrSchedule(const std::string& s);
Normalization parseNormalization(const std::string& s);
CpsWeighting parseCpsWeighting(const std::string& s);
FeatureLoss parseFeatureLoss(const std::string& s);
CpsPrior parseCpsPrior(const std::string& s);
PredictPrior parsePredictPrior(const std::string& s);
std::string toString(Tta t);
/// "none", "flip" or "flip-scales"; throws ConfigError otherwise.
Tta parseTta(const std::string& s);
Resize parseResize(const std::string& s);
std::vector<std::string> methodNames();

/// Which parts of DAC a method switches on.
struct MethodParts {
    bool coTraining = false;       // two sub-models, CPS on CutMix-mixed unlabeled images
    bool featureSupervision = false;
    bool cutmixHeadA = false;      // A localises the pasted CutMix region
    bool cutmixHeadB = false;      // B too (only for the symmetric ablation)
    bool rotationHeadB = false;    // B recognises the rotation of a rotated square region
};
MethodParts partsOf(Method m);

struct AugmentConfig {
    // weak (geometric, shared by image and mask)
    bool hflip = true;
    bool vflip = false;
    bool rot90 = false;           // add a random multiple of 90 degrees
    double rotateDeg = 15.0;      // uniform in [-rotateDeg, rotateDeg]
    double scaleMin = 0.8;        // zoom factor of the scale-crop, drawn log-uniformly; wide enough
    double scaleMax = 1.8;        // for centres that frame the structure at different sizes
    double translate = 0.08;      // fraction of the image side
    // strong (photometric, image only)
    bool strongOnLabeled = true;
    double brightness = 0.0;      // additive shift in normalised units (cancelled by z-scoring)
    double contrast = 0.0;        // multiplicative gain around the mean (cancelled by z-scoring)
    double gamma = 0.4;           // gamma drawn log-uniformly in [1/(1+g), 1+g]
    double saturation = 0.4;      // colour saturation factor in [1-s, 1+s] (3 channels only)
    double channelMix = 0.1;      // off-diagonal colour mixing (3 channels only)
    double blurProb = 0.3;
    double blurSigmaMax = 1.2;    // pixels
    double noiseStd = 0.08;       // max std of additive Gaussian noise, normalised units
    Normalization normalization = Normalization::PerImageChannel;
    // style: low-frequency Fourier amplitude of a labeled image mixed with an unlabeled one's
    double fourierProb = 0.0;     // share of labeled images that get another domain's style (off:
                                  // measured worse on the cup, docs/results.md)
    double fourierBeta = 0.1;     // side of the low-frequency window, fraction of the image side
    // mixing
    double cutmixMinArea = 0.25;  // fraction of the image covered by the pasted box
    double cutmixMaxArea = 0.5;
    double rotRegionMin = 0.25;   // side of the rotated square, fraction of the image side
    double rotRegionMax = 0.5;
};

struct LossWeights {
    double ce = 1.0;              // supervised cross-entropy
    double dice = 1.0;            // supervised soft Dice
    double cps = 1.0;             // cross pseudo supervision (ramped up)
    double feature = 0.1;         // feature-level supervision (ramped up)
    double auxCutmix = 0.2;       // CutMix-region localisation head
    double auxRotation = 0.2;     // region-rotation head
};

/// Test hooks: not for users. Iterations listed here get a NaN loss injected.
struct TestHooks {
    std::vector<int64_t> poisonLossAt;
};

struct TrainConfig {
    Method method = Method::Dac;
    int64_t iterations = 1000;
    int64_t labeledBatch = 4;
    int64_t unlabeledBatch = 4;
    int64_t size = 0;             // expected image side (square); 0 = take it from the data
    /// How the caller made images square (recorded in the exported model for prediction; the
    /// trainer itself sees tensors that are square already). Stretch by default: letterbox did not
    /// help polyps (-0.7 Dice points over 12 paired runs, docs/results.md, 2026-12-06).
    Resize resize = Resize::Stretch;
    int64_t numClasses = 0;       // 0 = max label in the labeled masks + 1
    // network
    Backbone backbone = Backbone::ResNet18;
    double width = 1.0;           // channel multiplier (0.25 / 0.5 for CPU presets)
    double dropout = 0.1;         // after the ASPP projection
    /// ASPP and decoder channels; 0 = 256 x width (the published DeepLabv3+ head). 128 is the
    /// compact head a CPU user would write: about half the FLOPs at equal Dice (docs/method.md).
    int64_t headChannels = 0;
    std::vector<int64_t> asppRates{6, 12, 18};   // dilations of the three 3x3 ASPP branches
    bool atrousShortcut = true;   // exact 1x1 form of ASPP branches dilated beyond the map
    std::string encoderWeights;   // optional file with encoder weights (see loadEncoderWeights)
    std::string initModel;        // optional exported model.pt both sub-models start from (fine-tuning)
    // optimisation
    OptimizerKind optimizer = OptimizerKind::AdamW;
    LrSchedule schedule = LrSchedule::Auto;
    double lr = 3e-4;
    /// The encoder's learning rate as a multiple of lr: 1 trains it like the rest, 0 freezes its
    /// weights (BatchNorm statistics still follow the data). Fine-tuning on a few cases of a new
    /// centre is where a value below 1 matters (docs/results.md, few-shot calibration).
    double encoderLrScale = 1.0;
    /// Weight averaging (as SWA/SWAD): from this fraction of the iterations on, a running mean of
    /// each sub-model's network weights and BatchNorm statistics is kept, and a finished run
    /// validates and exports the averages. 1 = off (the last weights).
    double averageFrom = 1.0;
    double weightDecay = 0.01;
    double momentum = 0.9;        // SGD only
    double polyPower = 0.9;
    bool fusedAdamW = true;       // single-pass AdamW (same update as torch's; false = torch's own)
    bool bf16Shadows = false;     // bf16 on the CPU: layers read bf16 copies of their weights, which the
                                  // fused AdamW step writes (no casts per iteration; Bf16Shadows.h).
                                  // Off by default: level on Zen 4, slower on Zen 5 (docs/method.md)
    LossWeights weights;
    int64_t rampUp = -1;          // ramp-up length in iterations; -1 = 20% of the iterations
    bool rampAux = false;         // ramp the auxiliary terms too (their targets are exact)
    double cpsThreshold = 0.0;    // pseudo-labels with confidence below are ignored (0 = none)
    /// Feature-statistics mixing (MixStyle, Zhou et al. 2021) in the students' encoder: in this
    /// share of the iterations, after layer1 and layer2 each image's per-channel mean and standard
    /// deviation are replaced by a mix of its own and a partner's from the other part of the batch
    /// (a labeled image with an unlabeled one and back), weight ~ Beta(style-mix-alpha). 0 = off.
    /// Training only: teachers, validation and prediction never mix.
    double styleMixProb = 0.0;
    double styleMixAlpha = 0.1;
    CpsWeighting cpsWeighting = CpsWeighting::None;
    FeatureLoss featureLoss = FeatureLoss::Cosine;
    /// Pseudo-labels under the unlabeled domain's estimated class prior instead of the labeled
    /// domain's; the estimates are moving averages over iterations with this momentum.
    CpsPrior cpsPrior = CpsPrior::None;
    double cpsPriorMomentum = 0.9;
    /// Unlabeled by default (co-training methods): measured +2 cup Dice points and -0.03 vCDR
    /// error in 6 of 6 paired runs on unseen RIM-ONE centres (docs/results.md, 2026-12-06).
    PredictPrior predictPrior = PredictPrior::Unlabeled;
    /// Test-time augmentation of the run's test scoring and of every prediction with its model
    /// (stored in the model's metadata; `dacw predict --tta` overrides it). Flip by default: on the
    /// labeled centre's held-out cases it raised cup and disc Dice in 6 of 6 runs (+0.5 to +0.8
    /// points; docs/results.md, 2026-12-07). Files exported before the option predict without.
    Tta tta = Tta::Flip;
    /// Whether the class priors are estimated during training (cps-prior em or predict-prior
    /// unlabeled; co-training methods only, which have unlabeled images and teachers).
    bool estimatesPriors() const { return cpsPrior == CpsPrior::Em || predictPrior == PredictPrior::Unlabeled; }
    /// BatchNorm in the teachers' pseudo-label pass: the unlabeled batch's own statistics (true,
    /// as CPS) or the running statistics (false, inference mode).
    bool teacherBatchStats = true;
    bool diceIncludeBackground = false;
    AugmentConfig augment;
    // reproducibility and execution
    uint64_t seed = 0;
    int threads = 0;              // 0 = all cores
    std::string device = "cpu";   // "cpu" or "cuda" / "cuda:N"
    bool bf16 = true;             // bfloat16 autocast (CPU with AVX-512 BF16, or CUDA)
    bool channelsLast = true;
    int prefetch = 2;             // batches prepared ahead on a background thread (0 = inline)
    bool modelParallel = true;    // co-training on the CPU with >= 2 threads: A and B each on its
                                  // own thread with threads/2 intra-op threads
    /// Which of bf16 / channelsLast / modelParallel are "auto": the run paths (`dacw train`, the
    /// GUI, `dacw-train`) measure them on this machine at the run's size and keep the fastest
    /// (core/train/KernelChoice.h); the values above are then the defaults the search starts
    /// from. Setting an option to true/false pins it. CoTrainer alone uses the values as given.
    struct AutoKernels {
        bool bf16 = true, channelsLast = true, modelParallel = true;
        bool any() const { return bf16 || channelsLast || modelParallel; }
    } autoKernels;
    // run management
    std::string checkpointPath;   // where checkpoints go ("" = none)
    int64_t checkpointInterval = 0;
    bool resume = false;          // continue from checkpointPath if it exists
    int64_t validationInterval = 0;   // 0 = validate only at the end
    int64_t validationBatch = 8;
    /// Regions validation scores (and model selection uses), each a set of class indices; the
    /// task's evaluation regions (fundus: disc = {1,2}, cup = {2}). Empty: each foreground class.
    std::vector<std::vector<int64_t>> validationRegions;
    int nanPatience = 5;          // stop after this many non-finite losses in a row
    TestHooks testHooks;
};

/// The configuration as ordered key/value pairs (for config files and logs) and the inverse:
/// set one option by key from its text. Unknown keys or bad values throw ConfigError.
std::vector<std::pair<std::string, std::string>> toKeyValues(const TrainConfig& c);
void applyOption(TrainConfig& c, const std::string& key, const std::string& value);
/// Checks ranges and consistency; throws ConfigError naming the offending option.
void validateConfig(const TrainConfig& c);
/// Whether this CPU (or build) can run bfloat16 convolutions fast; the trainer falls back to
/// float32 otherwise and says so.
bool cpuSupportsBf16();

}  // namespace dacw::train
