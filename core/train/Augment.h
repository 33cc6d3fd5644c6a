#pragma once
// Augmentation as batched tensor operations, every random draw from an explicit generator.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "core/train/TrainConfig.h"

namespace dacw::train {

struct ImageMaskBatch {
    at::Tensor images;  // [B,C,H,W] float
    at::Tensor masks;   // [B,H,W] int64, or undefined
};

/// Flip, rotation (small angle, optionally plus a multiple of 90 degrees), scale-crop and shift:
/// one affine warp per image, bilinear for the image, nearest for the mask; outside is 0 (the
/// normalised mean) and background.
ImageMaskBatch weakAugment(const ImageMaskBatch& in, const AugmentConfig& cfg, at::Generator& gen);

/// Gamma, saturation, colour mixing, brightness/contrast (if enabled), Gaussian blur and noise,
/// per image, followed by the configured per-image normalisation.
at::Tensor strongAugment(const at::Tensor& images, const AugmentConfig& cfg, at::Generator& gen);

/// Style transfer without labels (as FDA/EPL): for a share `fourierProb` of the content images,
/// the low-frequency part (a window of side fourierBeta of the image side) of the Fourier
/// amplitude is moved towards a randomly chosen style image's by a factor drawn in [0,1]; the
/// phase, which carries the structure and so stays aligned with the mask, is kept. Then the
/// configured normalisation. Identity when fourierProb is 0 or `style` is empty.
at::Tensor fourierStyleMix(const at::Tensor& content, const at::Tensor& style, const AugmentConfig& cfg, at::Generator& gen);

/// Re-applies per-image (or per-image-per-channel) z-scoring.
at::Tensor normalizeImages(const at::Tensor& images, Normalization n);

/// How a batch of unlabeled images is mixed: sample i gets the box `pasteMask[i]` from sample
/// `partner[i]` pasted into it; then, if rotation is on, the square `rotBox[i]` = (y, x, side) is
/// rotated by rotK[i] * 90 degrees (torch::rot90 over the last two dims). The same plan applied to
/// images, pseudo-labels and the paste mask keeps them aligned exactly.
struct MixPlan {
    at::Tensor partner;    // [B] int64
    at::Tensor pasteMask;  // [B,1,H,W] float 0/1, 1 = pasted from the partner
    at::Tensor rotBox;     // [B,3] int64 (y, x, side); undefined without rotation
    at::Tensor rotK;       // [B] int64 in 0..3; undefined without rotation
    bool rotation() const { return rotBox.defined(); }
};

/// Box area uniform in [cutmixMinArea, cutmixMaxArea] of the image (exact in pixels), aspect ratio
/// in [1/2, 2]; rotated squares with side and corner on multiples of `align` (the feature stride)
/// so that pooling over them at feature resolution is exact.
MixPlan makeMixPlan(int64_t batch, int64_t height, int64_t width, const AugmentConfig& cfg, bool withRotation,
                    int64_t align, at::Generator& gen);
/// Pastes the partner's box: works for [B,C,H,W] (any dtype) and [B,H,W] tensors.
at::Tensor applyCutMix(const MixPlan& plan, const at::Tensor& x);
/// Rotates each sample's square region; identity without rotation.
at::Tensor applyRegionRotation(const MixPlan& plan, const at::Tensor& x);
/// applyRegionRotation(applyCutMix(x)).
at::Tensor applyMix(const MixPlan& plan, const at::Tensor& x);
/// The target of the CutMix-localisation head: the paste mask moved with the region rotation.
at::Tensor pastedRegionTarget(const MixPlan& plan);

}  // namespace dacw::train
