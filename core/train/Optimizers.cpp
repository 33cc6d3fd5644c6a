#include "core/train/Optimizers.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "core/train/Errors.h"

namespace dacw::train {
namespace {

struct AdamCoefficients {
    float decay, beta1, beta2, oneMinusBeta1, oneMinusBeta2, stepSize, invBc2Sqrt, eps;
};

// p <- p * decay - stepSize * m / (sqrt(v) / sqrt(bc2) + eps), after the moment updates; the same
// arithmetic as torch::optim::AdamW, in float32. One element; returns the new p.
inline float adamwOne(float& p, float g, float& m, float& v, const AdamCoefficients& c) {
    m = m * c.beta1 + g * c.oneMinusBeta1;
    v = v * c.beta2 + g * g * c.oneMinusBeta2;
    p = p * c.decay - c.stepSize * m / (std::sqrt(v) * c.invBc2Sqrt + c.eps);
    return p;
}

#if defined(__SSE2__)
// The same for four elements at a time.
struct AdamSse {
    __m128 decay, b1, b2, ob1, ob2, step, ibc, eps;
    explicit AdamSse(const AdamCoefficients& c)
        : decay(_mm_set1_ps(c.decay)),
          b1(_mm_set1_ps(c.beta1)),
          b2(_mm_set1_ps(c.beta2)),
          ob1(_mm_set1_ps(c.oneMinusBeta1)),
          ob2(_mm_set1_ps(c.oneMinusBeta2)),
          step(_mm_set1_ps(c.stepSize)),
          ibc(_mm_set1_ps(c.invBc2Sqrt)),
          eps(_mm_set1_ps(c.eps)) {}
    __m128 update(float* p, __m128 g, float* m, float* v) const {
        const __m128 mv = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(m), b1), _mm_mul_ps(g, ob1));
        const __m128 vv = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(v), b2), _mm_mul_ps(_mm_mul_ps(g, g), ob2));
        const __m128 denom = _mm_add_ps(_mm_mul_ps(_mm_sqrt_ps(vv), ibc), eps);
        const __m128 pv = _mm_sub_ps(_mm_mul_ps(_mm_loadu_ps(p), decay), _mm_div_ps(_mm_mul_ps(step, mv), denom));
        _mm_storeu_ps(m, mv);
        _mm_storeu_ps(v, vv);
        _mm_storeu_ps(p, pv);
        return pv;
    }
};
#endif

void adamwRange(float* p, const float* g, float* m, float* v, int64_t begin, int64_t end, const AdamCoefficients& c) {
    int64_t i = begin;
#if defined(__SSE2__)
    const AdamSse sse(c);
    for (; i + 4 <= end; i += 4) sse.update(p + i, _mm_loadu_ps(g + i), m + i, v + i);
#endif
    for (; i < end; ++i) adamwOne(p[i], g[i], m[i], v[i], c);
}

// The same update with the gradient read from a bf16 tensor, and the updated parameter also
// written, rounded to nearest even, to its bf16 copy: one pass instead of a gradient cast before
// the step and a weight cast at the next forward.
void adamwRangeBf16(float* p, const c10::BFloat16* g, float* m, float* v, c10::BFloat16* shadow, int64_t begin, int64_t end,
                    const AdamCoefficients& c) {
    int64_t i = begin;
#if defined(__SSE2__)
    const AdamSse sse(c);
    const __m128i zero = _mm_setzero_si128(), one = _mm_set1_epi32(1), half = _mm_set1_epi32(0x7FFF);
    for (; i + 4 <= end; i += 4) {
        // bf16 -> float32: the 16 bits are the high half of the float.
        const __m128i gb = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(g + i));
        const __m128 pv = sse.update(p + i, _mm_castsi128_ps(_mm_unpacklo_epi16(zero, gb)), m + i, v + i);
        // float32 -> bf16, rounded to nearest even: add 0x7FFF plus the lowest kept bit, keep the
        // high half. The arithmetic shift keeps each value inside int16, so the signed pack is
        // exact. (As c10::BFloat16 for every finite value; a NaN weight may come out as another NaN
        // or an infinity.)
        const __m128i bits = _mm_castps_si128(pv);
        const __m128i rounded = _mm_add_epi32(bits, _mm_add_epi32(half, _mm_and_si128(_mm_srli_epi32(bits, 16), one)));
        const __m128i high = _mm_srai_epi32(rounded, 16);
        _mm_storel_epi64(reinterpret_cast<__m128i*>(shadow + i), _mm_packs_epi32(high, high));
    }
#endif
    for (; i < end; ++i) shadow[i] = c10::BFloat16(adamwOne(p[i], static_cast<float>(g[i]), m[i], v[i], c));
}

// The parameters grouped by their learning-rate multiplier (groups at 0 are left out), for
// torch's optimizers, whose param groups each carry their own lr.
struct ScaledGroups {
    std::vector<std::vector<at::Tensor>> params;
    std::vector<double> scales;
};

ScaledGroups groupByScale(const std::vector<at::Tensor>& params, const std::vector<double>& lrScale) {
    ScaledGroups g;
    for (size_t i = 0; i < params.size(); ++i) {
        const double s = lrScale.empty() ? 1.0 : lrScale[i];
        if (s == 0.0) continue;
        size_t k = 0;
        while (k < g.scales.size() && g.scales[k] != s) ++k;
        if (k == g.scales.size()) {
            g.scales.push_back(s);
            g.params.emplace_back();
        }
        g.params[k].push_back(params[i]);
    }
    return g;
}

template <typename Options>
std::vector<torch::optim::OptimizerParamGroup> torchGroups(const ScaledGroups& g, const Options& base, double lr) {
    std::vector<torch::optim::OptimizerParamGroup> groups;
    for (size_t k = 0; k < g.scales.size(); ++k) {
        auto opts = std::make_unique<Options>(base);
        opts->lr(lr * g.scales[k]);
        groups.emplace_back(g.params[k], std::move(opts));
    }
    return groups;
}

template <typename Optim, typename Options>
class TorchOptimizer : public ParamOptimizer {
public:
    TorchOptimizer(const ScaledGroups& g, const Options& base, double lr)
        : scales_(g.scales), opt_(torchGroups(g, base, lr), base) {}
    void step() override { opt_.step(); }
    void setLr(double lr) override {
        auto& groups = opt_.param_groups();
        for (size_t k = 0; k < groups.size(); ++k) static_cast<Options&>(groups[k].options()).lr(lr * scales_[k]);
    }
    void save(torch::serialize::OutputArchive& ar) const override { opt_.save(ar); }
    void load(torch::serialize::InputArchive& ar) override { opt_.load(ar); }

private:
    std::vector<double> scales_;
    Optim opt_;
};

}  // namespace

FusedAdamW::FusedAdamW(std::vector<at::Tensor> params, double lr, double weightDecay, std::vector<double> lrScale)
    : params_(std::move(params)), lrScale_(std::move(lrScale)), lr_(lr), weightDecay_(weightDecay) {
    if (lrScale_.empty()) lrScale_.assign(params_.size(), 1.0);
    if (lrScale_.size() != params_.size()) throw std::invalid_argument("FusedAdamW: one lr multiplier per parameter");
    for (const auto& p : params_) {
        expAvg_.push_back(at::zeros_like(p));  // same strides as the parameter
        expAvgSq_.push_back(at::zeros_like(p));
    }
}

void FusedAdamW::setShadows(std::vector<at::Tensor> shadows) {
    if (!shadows.empty() && shadows.size() != params_.size())
        throw std::invalid_argument("FusedAdamW: one bf16 copy (or none) per parameter");
    for (size_t i = 0; i < shadows.size(); ++i) {
        const at::Tensor& s = shadows[i];
        if (s.defined() && (s.scalar_type() != at::kBFloat16 || !s.sizes().equals(params_[i].sizes()) ||
                            s.strides() != params_[i].strides() || !s.is_cpu()))
            throw std::invalid_argument("FusedAdamW: a bf16 copy must match its parameter's shape and layout");
    }
    shadows_ = std::move(shadows);
}

void FusedAdamW::step() {
    torch::NoGradGuard noGrad;
    ++step_;
    const double bc1 = 1.0 - std::pow(beta1_, static_cast<double>(step_));
    const double bc2 = 1.0 - std::pow(beta2_, static_cast<double>(step_));
    for (size_t i = 0; i < params_.size(); ++i) {
        at::Tensor& p = params_[i];
        at::Tensor shadow = i < shadows_.size() ? shadows_[i] : at::Tensor();
        at::Tensor g = shadow.defined() ? shadow.grad() : p.grad();
        if (shadow.defined()) shadow.mutable_grad().reset();  // consumed here; backward writes the next
        if (!g.defined() || lrScale_[i] == 0.0) continue;
        const double lr = lr_ * lrScale_[i];
        const AdamCoefficients c{static_cast<float>(1.0 - lr * weightDecay_),
                                 static_cast<float>(beta1_),
                                 static_cast<float>(beta2_),
                                 static_cast<float>(1.0 - beta1_),
                                 static_cast<float>(1.0 - beta2_),
                                 static_cast<float>(lr / bc1),
                                 static_cast<float>(1.0 / std::sqrt(bc2)),
                                 static_cast<float>(eps_)};
        at::Tensor& m = expAvg_[i];
        at::Tensor& v = expAvgSq_[i];
        const bool fusable = p.is_cpu() && p.scalar_type() == at::kFloat && p.is_non_overlapping_and_dense() &&
                             m.strides() == p.strides() && v.strides() == p.strides();
        if (fusable && shadow.defined()) {
            if (g.scalar_type() != at::kBFloat16 || g.strides() != p.strides()) g = at::empty_like(shadow).copy_(g);
            float* pp = p.data_ptr<float>();
            const c10::BFloat16* gp = g.data_ptr<c10::BFloat16>();
            float* mp = m.data_ptr<float>();
            float* vp = v.data_ptr<float>();
            c10::BFloat16* sp = shadow.data_ptr<c10::BFloat16>();
            at::parallel_for(0, p.numel(), 1 << 15, [&](int64_t b, int64_t e) { adamwRangeBf16(pp, gp, mp, vp, sp, b, e, c); });
        } else if (fusable) {
            if (g.scalar_type() != at::kFloat || g.strides() != p.strides()) g = at::empty_like(p).copy_(g);
            float* pp = p.data_ptr<float>();
            const float* gp = g.data_ptr<float>();
            float* mp = m.data_ptr<float>();
            float* vp = v.data_ptr<float>();
            at::parallel_for(0, p.numel(), 1 << 15, [&](int64_t b, int64_t e) { adamwRange(pp, gp, mp, vp, b, e, c); });
        } else {
            p.mul_(c.decay);
            m.mul_(beta1_).add_(g, 1.0 - beta1_);
            v.mul_(beta2_).addcmul_(g, g, 1.0 - beta2_);
            p.addcdiv_(m, (v.sqrt() / std::sqrt(bc2)).add_(eps_), -lr / bc1);
            if (shadow.defined()) shadow.copy_(p);
        }
    }
}

void FusedAdamW::save(torch::serialize::OutputArchive& ar) const {
    ar.write("kind", at::tensor(int64_t{1}));
    ar.write("step", at::tensor(step_));
    for (size_t i = 0; i < params_.size(); ++i) {
        ar.write("exp_avg_" + std::to_string(i), expAvg_[i], /*is_buffer=*/true);
        ar.write("exp_avg_sq_" + std::to_string(i), expAvgSq_[i], /*is_buffer=*/true);
    }
}

void FusedAdamW::load(torch::serialize::InputArchive& ar) {
    at::Tensor kind, step;
    ar.read("kind", kind);
    if (kind.item<int64_t>() != 1) throw FileFormatError("optimizer state is not AdamW");
    ar.read("step", step);
    std::vector<at::Tensor> m(params_.size()), v(params_.size());
    for (size_t i = 0; i < params_.size(); ++i) {
        ar.read("exp_avg_" + std::to_string(i), m[i], true);
        ar.read("exp_avg_sq_" + std::to_string(i), v[i], true);
        if (!m[i].sizes().equals(params_[i].sizes()) || !v[i].sizes().equals(params_[i].sizes()))
            throw FileFormatError("optimizer state does not match the parameters");
    }
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < params_.size(); ++i) {
        expAvg_[i].copy_(m[i]);  // keeps this run's layout and device
        expAvgSq_[i].copy_(v[i]);
    }
    step_ = step.item<int64_t>();
}

std::unique_ptr<ParamOptimizer> makeOptimizer(const TrainConfig& cfg, const std::vector<at::Tensor>& params,
                                              const std::vector<double>& lrScale) {
    if (!lrScale.empty() && lrScale.size() != params.size())
        throw std::invalid_argument("makeOptimizer: one lr multiplier per parameter");
    if (cfg.optimizer == OptimizerKind::Sgd) {
        using Sgd = TorchOptimizer<torch::optim::SGD, torch::optim::SGDOptions>;
        const auto base = torch::optim::SGDOptions(cfg.lr).momentum(cfg.momentum).weight_decay(cfg.weightDecay);
        return std::make_unique<Sgd>(groupByScale(params, lrScale), base, cfg.lr);
    }
    if (!cfg.fusedAdamW) {  // torch's own AdamW, kept for the benchmark's step-by-step comparison
        using AdamW = TorchOptimizer<torch::optim::AdamW, torch::optim::AdamWOptions>;
        return std::make_unique<AdamW>(groupByScale(params, lrScale),
                                       torch::optim::AdamWOptions(cfg.lr).weight_decay(cfg.weightDecay), cfg.lr);
    }
    return std::make_unique<FusedAdamW>(params, cfg.lr, cfg.weightDecay, lrScale);
}

}  // namespace dacw::train
