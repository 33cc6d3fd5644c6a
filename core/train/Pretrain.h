#pragma once
// Self-supervised pretraining of the segmentation network's ResNet encoder on images alone
// (labeled and unlabeled domains, masks ignored), for `dacw pretrain`. Two pretext tasks:
// - contrastive (SimCLR-style, NT-Xent): two augmented views of each image, the encoder's pooled
//   layer4 features through a small projection head, each view must pick out its partner among
//   the other 2B - 1 views of the batch;
// - masked (SimMIM-style, dense): a random share of the 16x16 patches of each image is blanked
//   (set to 0, the normalised mean), the encoder's stride-16 features go through one linear
//   1x1 convolution to 16x16xC values per feature pixel, and the L1 error to the original pixels
//   counts on the blanked patches only. Views are geometric only, so intensity is kept.
// The result is written in exactly the layout
// loadEncoderWeights reads (torch::save of a ResNetEncoder), so `dacw train --set
// encoder-weights=FILE` starts from it. Declarations here are torch-light (ATen tensors only).
#include <ATen/core/Tensor.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/train/TensorDataset.h"
#include "core/train/TrainConfig.h"

namespace dacw::train {

enum class Pretext { Contrastive, Masked };
std::string toString(Pretext p);
/// "contrastive" or "masked"; throws ConfigError otherwise.
Pretext parsePretext(const std::string& name);

struct PretrainConfig {
    Pretext pretext = Pretext::Contrastive;
    // The encoder: must be the one the training run builds (backbone, width, input channels).
    Backbone backbone = Backbone::ResNet18;
    double width = 1.0;
    int64_t iterations = 300;
    int64_t batch = 32;            // images per iteration (each seen in two views)
    double lr = 1e-3;              // AdamW peak rate: linear warm-up, then cosine decay to 0
    double weightDecay = 1e-4;
    int64_t warmup = -1;           // warm-up iterations; -1 = 5% of the iterations
    double temperature = 0.2;      // NT-Xent temperature
    int64_t projectionDim = 64;    // output of the projection head
    double maskRatio = 0.6;        // masked: share of the 16x16 patches blanked, in (0, 1)
    uint64_t seed = 0;
    int threads = 0;               // intra-op threads; 0 = leave LibTorch's setting
    bool bf16 = true;              // bfloat16 autocast where the CPU has AVX-512 BF16
    bool channelsLast = true;
    /// The views' augmentation (Augment.h), stronger than training's: wider zoom and shift, more
    /// colour and blur. `augment.normalization` must be the training data's normalisation.
    AugmentConfig augment = contrastiveAugment();

    /// The default views: flip, rotation +-15 degrees, zoom 1.0-2.0 (crops of 50-100% of the
    /// side), shift +-10%, gamma, saturation, colour mix, blur (p 0.5) and noise.
    static AugmentConfig contrastiveAugment();
    /// The masked task's views: flip, rotation +-10 degrees, zoom 1.0-1.5, shift +-5%; no
    /// photometric change (the target is the picture's own intensities).
    static AugmentConfig maskedAugment();
};

/// The pretraining configuration whose encoder matches a training configuration's (backbone,
/// width), with its seed, threads, bf16 / channels-last and normalisation.
PretrainConfig pretrainConfigFor(const TrainConfig& train, Pretext pretext = Pretext::Contrastive);

struct PretrainProgress {
    int64_t iteration = 0;         // completed iterations
    int64_t total = 0;
    double loss = 0.0;             // the pretext loss of this iteration (NT-Xent, or L1 on masked pixels)
    double meanLoss = 0.0;         // mean over the last 10 iterations
    double imagesPerSecond = 0.0;  // images (not views) per second over the last iterations
    double seconds = 0.0;          // wall time since the start
};
using PretrainCallback = std::function<void(const PretrainProgress&)>;

struct PretrainResult {
    std::vector<double> losses;    // one per completed iteration
    double seconds = 0.0;
    bool cancelled = false;
};

class EncoderPretrainer {
public:
    /// Builds the encoder (seeded initialisation, as the trainer's) and the projection head.
    /// Throws ConfigError for unusable settings.
    EncoderPretrainer(PretrainConfig config, int64_t inChannels);
    ~EncoderPretrainer();
    EncoderPretrainer(const EncoderPretrainer&) = delete;
    EncoderPretrainer& operator=(const EncoderPretrainer&) = delete;

    /// Pretrains on `images` ([N,C,H,W], masks ignored; N >= 2, square, side a multiple of 16).
    /// Every random draw of iteration i comes from generators seeded by (seed, i). `callback`
    /// is called after every iteration; `cancel` is checked before each.
    PretrainResult run(const TensorDataset& images, const PretrainCallback& callback = {},
                       const std::atomic<bool>* cancel = nullptr);
    /// Writes the encoder (parameters and BatchNorm statistics, contiguous, CPU) atomically in the
    /// torch::save(ResNetEncoder) layout that loadEncoderWeights reads.
    void saveEncoder(const std::string& path) const;
    /// The encoder's parameters and buffers by name (torchvision names), for tests and checks.
    std::vector<std::pair<std::string, at::Tensor>> encoderState() const;
    const PretrainConfig& config() const;

private:
    struct Private;
    std::unique_ptr<Private> d_;
};

}  // namespace dacw::train
