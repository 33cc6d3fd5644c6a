#include "core/train/Losses.h"

#include <torch/torch.h>

#include <cmath>

namespace dacw::train {
namespace F = torch::nn::functional;

at::Tensor crossEntropyLoss(const at::Tensor& logits, const at::Tensor& labels) {
    at::Tensor perPixel = F::cross_entropy(logits.to(at::kFloat), labels,
                                           F::CrossEntropyFuncOptions().ignore_index(kIgnoreLabel).reduction(torch::kNone));
    at::Tensor count = labels.ne(kIgnoreLabel).sum().clamp_min(1).to(at::kFloat);
    return perPixel.sum() / count;
}

at::Tensor weightedCrossEntropyLoss(const at::Tensor& logits, const at::Tensor& labels, const at::Tensor& weights) {
    at::Tensor perPixel = F::cross_entropy(logits.to(at::kFloat), labels,
                                           F::CrossEntropyFuncOptions().ignore_index(kIgnoreLabel).reduction(torch::kNone));
    at::Tensor w = weights.detach().to(at::kFloat) * labels.ne(kIgnoreLabel).to(at::kFloat);
    return (perPixel * w).sum() / w.sum().clamp_min(1e-6);
}

at::Tensor softDiceLoss(const at::Tensor& logits, const at::Tensor& labels, bool includeBackground, double eps) {
    const int64_t k = logits.size(1);
    at::Tensor probs = torch::softmax(logits.to(at::kFloat), 1);
    at::Tensor valid = labels.ne(kIgnoreLabel);
    at::Tensor onehot = F::one_hot(labels.clamp_min(0), k).permute({0, 3, 1, 2}).to(at::kFloat);
    at::Tensor validF = valid.unsqueeze(1).to(at::kFloat);
    probs = probs * validF;
    onehot = onehot * validF;
    at::Tensor inter = (probs * onehot).sum({0, 2, 3});
    at::Tensor denom = probs.sum({0, 2, 3}) + onehot.sum({0, 2, 3});
    at::Tensor dice = (2.0 * inter + eps) / (denom + eps);
    if (!includeBackground && k > 1) dice = dice.slice(0, 1, k);
    return 1.0 - dice.mean();
}

PseudoLabels makePseudoLabels(const at::Tensor& logits, double threshold) {
    torch::NoGradGuard noGrad;
    return pseudoLabelsFromProbabilities(torch::softmax(logits.detach().to(at::kFloat), 1), threshold);
}

PseudoLabels pseudoLabelsFromProbabilities(const at::Tensor& probs, double threshold) {
    torch::NoGradGuard noGrad;
    auto [conf, labels] = probs.detach().max(1);
    if (threshold > 0.0) labels = labels.masked_fill(conf.lt(threshold), kIgnoreLabel);
    return {labels, conf};
}

at::Tensor classFrequencies(const at::Tensor& labels, int64_t numClasses) {
    torch::NoGradGuard noGrad;
    at::Tensor flat = labels.detach().reshape(-1).to(at::kCPU, at::kLong);
    flat = flat.masked_select(flat.ge(0).logical_and(flat.lt(numClasses)));
    if (flat.numel() == 0) return torch::full({numClasses}, 1.0 / static_cast<double>(numClasses), at::kFloat);
    at::Tensor counts = torch::bincount(flat, {}, numClasses).to(at::kFloat);
    return counts / counts.sum();
}

namespace {
// Priors are kept away from 0 so that log-ratios and re-weighting stay finite: a class that
// vanished from one batch must be able to come back in the next.
constexpr double kPriorFloor = 1e-6;

at::Tensor floorPrior(const at::Tensor& p) {
    at::Tensor q = p.to(at::kFloat).clamp_min(kPriorFloor);
    return q / q.sum();
}
}  // namespace

at::Tensor shiftedLogPrior(const at::Tensor& prior) { return floorPrior(prior).log(); }

at::Tensor shiftPosteriors(const at::Tensor& probs, const at::Tensor& sourcePrior, const at::Tensor& targetPrior) {
    torch::NoGradGuard noGrad;
    const int64_t k = probs.size(1);
    at::Tensor w = (floorPrior(targetPrior) / floorPrior(sourcePrior)).to(probs.device()).reshape({1, k, 1, 1});
    at::Tensor q = probs.detach().to(at::kFloat) * w;
    return q / q.sum(1, /*keepdim=*/true).clamp_min(1e-12);
}

at::Tensor estimateClassPrior(const at::Tensor& probs, const at::Tensor& sourcePrior, const at::Tensor& start, int iterations) {
    torch::NoGradGuard noGrad;
    const int64_t k = probs.size(1);
    at::Tensor p = probs.detach().to(at::kFloat);
    at::Tensor source = floorPrior(sourcePrior.to(p.device()));
    at::Tensor prior = start.defined() ? floorPrior(start.to(p.device())) : source.clone();
    for (int i = 0; i < iterations; ++i) {
        at::Tensor next = shiftPosteriors(p, source, prior).transpose(0, 1).reshape({k, -1}).mean(1);
        const double change = (next - prior).abs().max().item<double>();
        prior = floorPrior(next);
        if (change < 1e-6) break;
    }
    return prior.cpu();
}

at::Tensor featureCosineLoss(const at::Tensor& projected, const at::Tensor& target) {
    at::Tensor cos = F::cosine_similarity(projected.to(at::kFloat), target.detach().to(at::kFloat),
                                          F::CosineSimilarityFuncOptions().dim(1).eps(1e-6));
    return (1.0 - cos).mean();
}

at::Tensor featureContrastiveLoss(const at::Tensor& projected, const at::Tensor& target, const at::Tensor& labels,
                                  int64_t samples, double temperature, int64_t offset) {
    const int64_t d = projected.size(1);
    at::Tensor p = projected.to(at::kFloat).permute({0, 2, 3, 1}).reshape({-1, d});
    at::Tensor t = target.detach().to(at::kFloat).permute({0, 2, 3, 1}).reshape({-1, d});
    at::Tensor l = labels.reshape({-1}).to(p.device());
    const int64_t n = p.size(0);
    const int64_t stride = std::max<int64_t>(1, (n + samples - 1) / samples);
    at::Tensor idx = at::arange(offset % stride, n, stride, at::TensorOptions().dtype(at::kLong).device(p.device()));
    p = F::normalize(p.index_select(0, idx), F::NormalizeFuncOptions().dim(1).eps(1e-6));
    t = F::normalize(t.index_select(0, idx), F::NormalizeFuncOptions().dim(1).eps(1e-6));
    l = l.index_select(0, idx);
    at::Tensor logits = p.matmul(t.t()) / temperature;
    const int64_t m = idx.size(0);
    at::Tensor eye = at::eye(m, at::TensorOptions().dtype(at::kBool).device(p.device()));
    at::Tensor sameClass = l.unsqueeze(1).eq(l.unsqueeze(0)).logical_and(eye.logical_not());
    logits = logits.masked_fill(sameClass, -1e9);
    return F::cross_entropy(logits, at::arange(m, at::TensorOptions().dtype(at::kLong).device(p.device())));
}

at::Tensor binaryMapLoss(const at::Tensor& logits, const at::Tensor& target) {
    return F::binary_cross_entropy_with_logits(logits.to(at::kFloat), target.to(at::kFloat));
}

at::Tensor classificationLoss(const at::Tensor& logits, const at::Tensor& labels) {
    return F::cross_entropy(logits.to(at::kFloat), labels);
}

double sigmoidRampUp(int64_t iteration, int64_t length) {
    if (length <= 0 || iteration >= length) return 1.0;
    const double t = 1.0 - static_cast<double>(std::max<int64_t>(iteration, 0)) / static_cast<double>(length);
    return std::exp(-5.0 * t * t);
}

at::Tensor hardDicePerRegion(const at::Tensor& predicted, const at::Tensor& truth,
                             const std::vector<std::vector<int64_t>>& regions) {
    const int64_t n = predicted.size(0);
    at::Tensor out = at::empty({n, static_cast<int64_t>(regions.size())}, at::kDouble);
    at::Tensor p = predicted.reshape({n, -1}).to(at::kCPU);
    at::Tensor t = truth.reshape({n, -1}).to(at::kCPU);
    for (size_t r = 0; r < regions.size(); ++r) {
        at::Tensor pc = at::zeros_like(p, at::kBool), tc = at::zeros_like(t, at::kBool);
        for (int64_t c : regions[r]) {
            pc = pc | p.eq(c);
            tc = tc | t.eq(c);
        }
        at::Tensor inter = (pc & tc).sum(1).to(at::kDouble);
        at::Tensor total = (pc.sum(1) + tc.sum(1)).to(at::kDouble);
        at::Tensor dice = torch::where(total.gt(0), 2.0 * inter / total.clamp_min(1), torch::ones_like(total));
        out.select(1, static_cast<int64_t>(r)).copy_(dice);
    }
    return out;
}

at::Tensor hardDicePerImage(const at::Tensor& predicted, const at::Tensor& truth, int64_t numClasses) {
    std::vector<std::vector<int64_t>> regions;
    for (int64_t c = 1; c < std::max<int64_t>(numClasses, 2); ++c) regions.push_back({c});
    return hardDicePerRegion(predicted, truth, regions);
}

}  // namespace dacw::train
