#pragma once
// DeepLabv3+ with a ResNet-18/34/50 encoder (output stride 16), and the small training-only
// heads of DAC. Module and parameter names follow torchvision's ResNet (conv1, bn1, layer1.0.conv1,
// ...), so encoder weights scripted from torchvision load by name.
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <cstdint>
#include <string>

#include "core/train/TrainConfig.h"

namespace dacw::train {

struct NetworkSpec {
    Backbone backbone = Backbone::ResNet18;
    double width = 1.0;
    int64_t inChannels = 3;
    int64_t numClasses = 2;
    double dropout = 0.1;
    /// ASPP branches whose dilation is at least the feature map's size only ever read padding
    /// away from the centre tap; run them as the (identical) 1x1 convolution of the centre weights.
    bool atrousShortcut = true;
    int64_t headChannels = 0;                    // ASPP and decoder channels; 0 = 256 x width
    std::array<int64_t, 3> asppRates{6, 12, 18};  // dilations of the 3x3 ASPP branches
    /// The head's channel count this spec builds.
    int64_t resolvedHeadChannels() const;
};

/// Channel count `base` scaled by `width`, rounded to a multiple of 8 (at least 8), which keeps
/// oneDNN's vectorised kernels busy.
int64_t scaledChannels(int64_t base, double width);

struct EncoderOutput {
    at::Tensor low;   // after layer1, stride 4
    at::Tensor high;  // after layer4, stride 16
};

/// One iteration's feature-statistics mixing (MixStyle): after layer1 and layer2, image i's
/// per-channel mean and standard deviation become lambda[i] x its own + (1 - lambda[i]) x those of
/// image partner[i]. Both tensors undefined = no mixing.
struct StyleMix {
    at::Tensor partner;  // [N] int64
    at::Tensor lambda;   // [N] float
    bool active() const { return partner.defined(); }
};

/// Draws a StyleMix for a batch of `labeled` then `unlabeled` images: with probability `prob`
/// (else none), lambda ~ Beta(alpha, alpha), and each labeled image's partner is a random
/// unlabeled one and each unlabeled image's a random labeled one; with no unlabeled images, a
/// random other labeled image. Deterministic given `gen`.
StyleMix drawStyleMix(int64_t labeled, int64_t unlabeled, double prob, double alpha, at::Generator gen);
/// Applies a StyleMix to [N,C,H,W] features. The statistics are treated as constants (no
/// gradient through them); computed in float32, returned in x's dtype.
at::Tensor mixFeatureStyle(const at::Tensor& x, const StyleMix& mix);

class ResNetEncoderImpl : public torch::nn::Module {
public:
    ResNetEncoderImpl(Backbone backbone, double width, int64_t inChannels);
    EncoderOutput forward(const at::Tensor& x, const StyleMix& mix = {});
    int64_t lowChannels() const { return lowChannels_; }
    int64_t highChannels() const { return highChannels_; }
    Backbone backbone() const { return backbone_; }
    double width() const { return width_; }
    int64_t inChannels() const { return inChannels_; }

private:
    torch::nn::Sequential makeLayer(bool bottleneck, int64_t& inPlanes, int64_t planes, int64_t blocks,
                                    int64_t stride, int64_t& dilation, bool dilate);
    torch::nn::Conv2d conv1{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr};
    torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
    int64_t lowChannels_ = 0, highChannels_ = 0;
    Backbone backbone_;
    double width_;
    int64_t inChannels_;
};
TORCH_MODULE(ResNetEncoder);

/// Atrous spatial pyramid pooling: 1x1, three 3x3 with the given rates (6/12/18 by default), and
/// image pooling.
class AsppImpl : public torch::nn::Module {
public:
    AsppImpl(int64_t in, int64_t out, double dropout, bool atrousShortcut = true,
             std::array<int64_t, 3> rates = {6, 12, 18});
    /// `dropoutGen` (may be undefined) draws the dropout mask, so training randomness comes from
    /// the trainer's own generator and not from torch's global one.
    /// `dropout` false skips dropout even in training mode (the teachers' pseudo-label pass).
    at::Tensor forward(const at::Tensor& x, const c10::optional<at::Generator>& dropoutGen, bool dropout = true);

private:
    at::Tensor atrous(torch::nn::Sequential& branch, int64_t dilation, const at::Tensor& x);
    torch::nn::Sequential b0{nullptr}, b1{nullptr}, b2{nullptr}, b3{nullptr}, pool{nullptr}, project{nullptr};
    double dropout_;
    bool atrousShortcut_;
    std::array<int64_t, 3> rates_;
};
TORCH_MODULE(Aspp);

struct SegOutput {
    at::Tensor logits;    // [N, classes, H, W] at the input resolution
    at::Tensor features;  // [N, D, H/4, W/4] decoder features before the classifier
};

class DeepLabV3PlusImpl : public torch::nn::Module {
public:
    explicit DeepLabV3PlusImpl(const NetworkSpec& spec);
    /// `mix` (training only) mixes feature statistics in the encoder (StyleMix).
    SegOutput forward(const at::Tensor& x, const c10::optional<at::Generator>& dropoutGen = c10::nullopt,
                      const StyleMix& mix = {});
    /// The forward pass without dropout, BatchNorm as the module's mode says: what the teachers
    /// use, so that pseudo-labels are a deterministic function of the weights and the batch.
    SegOutput forwardNoDropout(const at::Tensor& x);
    const NetworkSpec& spec() const { return spec_; }
    int64_t featureChannels() const { return featureChannels_; }
    ResNetEncoder encoder() const { return encoder_; }

private:
    SegOutput run(const at::Tensor& x, const c10::optional<at::Generator>& dropoutGen, bool dropout, const StyleMix& mix = {});
    NetworkSpec spec_;
    int64_t featureChannels_;
    ResNetEncoder encoder_{nullptr};
    Aspp aspp_{nullptr};
    torch::nn::Sequential lowProject_{nullptr}, fuse_{nullptr};
    torch::nn::Conv2d classifier_{nullptr};
};
TORCH_MODULE(DeepLabV3Plus);

/// 1x1 conv - BN - ReLU - 1x1 conv: maps a model's decoder features into the space where they
/// are compared with the other model's (detached) features.
class ProjectionHeadImpl : public torch::nn::Module {
public:
    explicit ProjectionHeadImpl(int64_t channels);
    at::Tensor forward(const at::Tensor& f);

private:
    torch::nn::Sequential body{nullptr};
};
TORCH_MODULE(ProjectionHead);

/// A single 1x1 convolution: per-pixel logit "this pixel was pasted by CutMix".
class CutMixHeadImpl : public torch::nn::Module {
public:
    explicit CutMixHeadImpl(int64_t channels);
    at::Tensor forward(const at::Tensor& f);  // [N,1,h,w] logits at feature resolution

private:
    torch::nn::Conv2d conv{nullptr};
};
TORCH_MODULE(CutMixHead);

/// A single linear layer on features average-pooled inside the rotated square: 4 rotation classes.
class RotationHeadImpl : public torch::nn::Module {
public:
    explicit RotationHeadImpl(int64_t channels);
    /// `boxes` [N,3] int64 (y, x, side) in input pixels; `stride` = input side / feature side.
    at::Tensor forward(const at::Tensor& f, const at::Tensor& boxes, int64_t stride);

private:
    torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(RotationHead);

/// Average of features [N,D,h,w] inside each box (y, x, side in input pixels) -> [N,D].
at::Tensor regionAveragePool(const at::Tensor& features, const at::Tensor& boxes, int64_t stride);

/// Bilinear resize (align_corners = false). On CPU bfloat16 it is done as two small matrix
/// products with interpolation matrices, which oneDNN runs several times faster than the
/// upsample kernel (whose bf16 backward is slow in LibTorch 1.13); otherwise torch's interpolate.
at::Tensor resizeBilinear(const at::Tensor& x, int64_t h, int64_t w);
/// The [out, in] matrix of 1-D linear interpolation with align_corners = false.
at::Tensor interpolationMatrix(int64_t in, int64_t out, const at::TensorOptions& options);

/// Deterministic initialisation from `seed` (Kaiming-normal convolutions, unit BN, uniform
/// linear layers), independent of torch's global generator.
void initializeWeights(torch::nn::Module& module, uint64_t seed);
/// Converts 4-D parameters to channels-last in place.
void toChannelsLast(torch::nn::Module& module);
/// Loads encoder weights saved with torch::save(encoder) or scripted from a torchvision ResNet
/// (the "fc" entries are ignored). Throws FileFormatError naming the file and the mismatch.
void loadEncoderWeights(ResNetEncoder& encoder, const std::string& path);

}  // namespace dacw::train
