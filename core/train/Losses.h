#pragma once
// Loss functions of the co-trainer. All take logits in any floating type and compute in float32.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace dacw::train {

constexpr int64_t kIgnoreLabel = -1;

/// Mean cross-entropy over pixels whose label is not kIgnoreLabel; 0 when every pixel is ignored.
/// logits [N,K,H,W], labels [N,H,W] int64.
at::Tensor crossEntropyLoss(const at::Tensor& logits, const at::Tensor& labels);

/// Cross-entropy weighted per pixel: sum(w * ce) / sum(w) over pixels that are not ignored
/// (confidence-aware CPS: a teacher's unsure pixels count less). 0 when nothing is left.
at::Tensor weightedCrossEntropyLoss(const at::Tensor& logits, const at::Tensor& labels, const at::Tensor& weights);

/// 1 - mean over classes of the soft Dice (2 sum(p g) + eps) / (sum p + sum g + eps), sums over
/// the whole batch, ignored pixels excluded. Background (class 0) is left out unless asked for or
/// there is only one class column.
at::Tensor softDiceLoss(const at::Tensor& logits, const at::Tensor& labels, bool includeBackground = false,
                        double eps = 1e-5);

struct PseudoLabels {
    at::Tensor labels;      // [N,H,W] int64, kIgnoreLabel where confidence < threshold
    at::Tensor confidence;  // [N,H,W] float, max softmax probability
};
/// Hard argmax pseudo-labels, detached. threshold <= 0 keeps every pixel.
PseudoLabels makePseudoLabels(const at::Tensor& logits, double threshold);

/// Class frequencies [K] (float, sum 1) of the labels in [0, K) of `labels` (other values, such
/// as kIgnoreLabel, are not counted); uniform when no pixel counts.
at::Tensor classFrequencies(const at::Tensor& labels, int64_t numClasses);

/// Label-shift EM (Saerens, Latinne & Decaestecker 2002): posteriors `probs` [N,K,H,W] were
/// made by a model trained under the class prior `sourcePrior` [K]; returns the prior [K] of
/// the pixels they describe, as the fixed point of "re-weight every posterior by target/source,
/// renormalise, average", starting from `start` (sourcePrior when undefined).
at::Tensor estimateClassPrior(const at::Tensor& probs, const at::Tensor& sourcePrior, const at::Tensor& start = {},
                              int iterations = 30);

/// Posteriors [N,K,H,W] moved from `sourcePrior` to `targetPrior`: p_k t_k / s_k, renormalised.
at::Tensor shiftPosteriors(const at::Tensor& probs, const at::Tensor& sourcePrior, const at::Tensor& targetPrior);

/// log of a class prior [K] after the floor that shiftPosteriors applies (so that
/// softmax(z + log t - log s) == shiftPosteriors(softmax(z), s, t)).
at::Tensor shiftedLogPrior(const at::Tensor& prior);

/// Hard pseudo-labels from posteriors already in probability form (see makePseudoLabels).
PseudoLabels pseudoLabelsFromProbabilities(const at::Tensor& probs, double threshold);

/// Feature-level supervision: mean over pixels of 1 - cos(projected, target) along channels.
/// The target is detached here, so no gradient ever reaches the model that produced it.
at::Tensor featureCosineLoss(const at::Tensor& projected, const at::Tensor& target);
/// InfoNCE between pixels: `projected` [N,D,h,w] and `target` [N,D,h,w] (detached inside),
/// `labels` [N,h,w] the target model's classes at those pixels. Up to `samples` pixels are taken
/// on a regular stride starting at `offset` (no random numbers: a resumed run takes the same);
/// for each, the positive is the target at the same pixel and the negatives the targets at the
/// sampled pixels of another class (same-class pixels are left out rather than pushed away);
/// logits are cosine similarities / `temperature`. A batch whose sampled pixels are all one
/// class still has its positive only (loss 0 once aligned).
at::Tensor featureContrastiveLoss(const at::Tensor& projected, const at::Tensor& target, const at::Tensor& labels,
                                  int64_t samples = 512, double temperature = 0.1, int64_t offset = 0);

/// Binary cross-entropy with logits of a per-pixel map against a 0/1 target of the same size.
at::Tensor binaryMapLoss(const at::Tensor& logits, const at::Tensor& target);

/// Cross-entropy of [N,K] logits against [N] class indices.
at::Tensor classificationLoss(const at::Tensor& logits, const at::Tensor& labels);

/// Sigmoid-shaped ramp exp(-5 (1 - t/length)^2), 1 from `length` on (and for length <= 0).
double sigmoidRampUp(int64_t iteration, int64_t length);

/// Per-image Dice of hard predictions for classes 1..K-1 (1 when both are empty): [N, K-1].
at::Tensor hardDicePerImage(const at::Tensor& predicted, const at::Tensor& truth, int64_t numClasses);
/// Per-image Dice of regions, each a union of classes (fundus disc = {1,2}): [N, regions].
at::Tensor hardDicePerRegion(const at::Tensor& predicted, const at::Tensor& truth,
                             const std::vector<std::vector<int64_t>>& regions);

}  // namespace dacw::train
