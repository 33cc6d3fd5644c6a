#include "core/train/Augment.h"

#include <torch/fft.h>
#include <torch/torch.h>

#include <cmath>

#include "core/train/Errors.h"

namespace dacw::train {
namespace F = torch::nn::functional;

namespace {
constexpr double kPi = 3.14159265358979323846;

at::Tensor uniform(at::IntArrayRef shape, at::Generator& gen) { return at::rand(shape, gen, at::kDouble); }
}  // namespace

ImageMaskBatch weakAugment(const ImageMaskBatch& in, const AugmentConfig& cfg, at::Generator& gen) {
    const int64_t b = in.images.size(0);
    at::Tensor u = uniform({b, 7}, gen);
    auto a = u.accessor<double, 2>();
    at::Tensor theta = at::zeros({b, 2, 3}, at::kFloat);
    auto t = theta.accessor<float, 3>();
    for (int64_t i = 0; i < b; ++i) {
        const double fx = (cfg.hflip && a[i][0] < 0.5) ? -1.0 : 1.0;
        const double fy = (cfg.vflip && a[i][1] < 0.5) ? -1.0 : 1.0;
        double deg = (2.0 * a[i][2] - 1.0) * cfg.rotateDeg;
        if (cfg.rot90) deg += 90.0 * std::floor(a[i][3] * 4.0 - 1e-9);
        const double rad = deg * kPi / 180.0;
        // Zoom factor, log-uniform so that zooming in and out by the same ratio are equally likely.
        const double s = std::exp(std::log(cfg.scaleMin) + (std::log(cfg.scaleMax) - std::log(cfg.scaleMin)) * a[i][4]);
        const double c = std::cos(rad) / s, sn = std::sin(rad) / s;
        // theta maps output (normalised) coordinates to input coordinates.
        t[i][0][0] = static_cast<float>(c * fx);
        t[i][0][1] = static_cast<float>(-sn * fy);
        t[i][0][2] = static_cast<float>((2.0 * a[i][5] - 1.0) * cfg.translate * 2.0);
        t[i][1][0] = static_cast<float>(sn * fx);
        t[i][1][1] = static_cast<float>(c * fy);
        t[i][1][2] = static_cast<float>((2.0 * a[i][6] - 1.0) * cfg.translate * 2.0);
    }
    theta = theta.to(in.images.device());
    at::Tensor grid = F::affine_grid(theta, in.images.sizes(), /*align_corners=*/false);
    ImageMaskBatch out;
    out.images = F::grid_sample(in.images.to(at::kFloat), grid,
                                F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));
    if (in.masks.defined()) {
        at::Tensor m = F::grid_sample(in.masks.unsqueeze(1).to(at::kFloat), grid,
                                      F::GridSampleFuncOptions().mode(torch::kNearest).padding_mode(torch::kZeros).align_corners(false));
        out.masks = m.squeeze(1).round().to(at::kLong);
    }
    return out;
}

at::Tensor normalizeImages(const at::Tensor& images, Normalization n) {
    if (n == Normalization::None) return images;
    std::vector<int64_t> dims = n == Normalization::PerImage ? std::vector<int64_t>{1, 2, 3} : std::vector<int64_t>{2, 3};
    at::Tensor mean = images.mean(dims, true);
    at::Tensor sd = (images - mean).pow(2).mean(dims, true).sqrt().clamp_min(1e-6);
    return (images - mean) / sd;
}

at::Tensor strongAugment(const at::Tensor& images, const AugmentConfig& cfg, at::Generator& gen) {
    const int64_t b = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
    const auto dev = images.device();
    at::Tensor u = uniform({b, 8}, gen);
    auto col = [&](int64_t j) { return u.select(1, j).to(dev, at::kFloat).view({b, 1, 1, 1}); };
    at::Tensor x = images.to(at::kFloat);

    if (cfg.gamma > 0.0) {
        // Gamma on the image rescaled to [0,1]: one of the few intensity changes that per-image
        // z-scoring does not undo.
        at::Tensor lo = x.amin({1, 2, 3}, true), hi = x.amax({1, 2, 3}, true);
        at::Tensor range = (hi - lo).clamp_min(1e-6);
        at::Tensor g = ((2.0 * col(0) - 1.0) * std::log1p(cfg.gamma)).exp();
        x = lo + ((x - lo) / range).clamp(0.0, 1.0).pow(g) * range;
    }
    if (c == 3 && cfg.saturation > 0.0) {
        at::Tensor gray = x.mean(1, true);
        x = gray + (x - gray) * (1.0 + (2.0 * col(1) - 1.0) * cfg.saturation);
    }
    if (c == 3 && cfg.channelMix > 0.0) {
        at::Tensor mix = at::eye(3, at::kDouble).unsqueeze(0) + (2.0 * uniform({b, 3, 3}, gen) - 1.0) * cfg.channelMix;
        x = torch::bmm(mix.to(dev, at::kFloat), x.reshape({b, 3, h * w})).reshape({b, 3, h, w});
    }
    if (cfg.contrast > 0.0 || cfg.brightness > 0.0) {
        at::Tensor mean = x.mean({1, 2, 3}, true);
        x = (x - mean) * (1.0 + (2.0 * col(2) - 1.0) * cfg.contrast) + mean + (2.0 * col(3) - 1.0) * cfg.brightness;
    }
    if (cfg.blurProb > 0.0 && cfg.blurSigmaMax > 0.0) {
        // One separable Gaussian per image (a delta for images not blurred), as a grouped conv.
        const int64_t radius = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(2.0 * cfg.blurSigmaMax)));
        at::Tensor kernels = at::zeros({b, 2 * radius + 1}, at::kDouble);
        auto ua = u.accessor<double, 2>();
        auto ka = kernels.accessor<double, 2>();
        for (int64_t i = 0; i < b; ++i) {
            if (ua[i][4] >= cfg.blurProb) {
                ka[i][radius] = 1.0;
                continue;
            }
            const double sigma = 0.3 + (cfg.blurSigmaMax - 0.3) * ua[i][5];
            double sum = 0.0;
            for (int64_t j = -radius; j <= radius; ++j) sum += ka[i][j + radius] = std::exp(-0.5 * j * j / (sigma * sigma));
            for (int64_t j = 0; j <= 2 * radius; ++j) ka[i][j] /= sum;
        }
        at::Tensor k = kernels.to(dev, at::kFloat).repeat_interleave(c, 0);  // [b*c, K]
        at::Tensor flat = x.reshape({1, b * c, h, w});
        flat = F::pad(flat, F::PadFuncOptions({radius, radius, radius, radius}).mode(torch::kReflect));
        flat = F::conv2d(flat, k.view({b * c, 1, 1, 2 * radius + 1}), F::Conv2dFuncOptions().groups(b * c));
        flat = F::conv2d(flat, k.view({b * c, 1, 2 * radius + 1, 1}), F::Conv2dFuncOptions().groups(b * c));
        x = flat.reshape({b, c, h, w});
    }
    if (cfg.noiseStd > 0.0) {
        at::Tensor noise = at::randn({b, c, h, w}, gen, at::kFloat).to(dev);
        x = x + noise * (col(6) * cfg.noiseStd);
    }
    return normalizeImages(x, cfg.normalization);
}

at::Tensor fourierStyleMix(const at::Tensor& content, const at::Tensor& style, const AugmentConfig& cfg, at::Generator& gen) {
    const int64_t b = content.size(0), h = content.size(2), w = content.size(3);
    if (cfg.fourierProb <= 0.0 || !style.defined() || style.size(0) == 0) return content;
    TORCH_CHECK(style.size(1) == content.size(1) && style.size(2) == h && style.size(3) == w,
                "fourierStyleMix: style images differ in shape from the content images");
    at::Tensor u = uniform({b, 3}, gen);
    auto a = u.accessor<double, 2>();
    std::vector<int64_t> partner(static_cast<size_t>(b));
    at::Tensor lam = at::zeros({b, 1, 1, 1}, at::kFloat);
    for (int64_t i = 0; i < b; ++i) {
        partner[static_cast<size_t>(i)] = std::min<int64_t>(style.size(0) - 1, static_cast<int64_t>(a[i][1] * style.size(0)));
        if (a[i][0] < cfg.fourierProb) lam[i][0][0][0] = static_cast<float>(a[i][2]);
    }
    // The low-frequency window: |fy| <= r and |fx| <= r in integer frequencies (unshifted layout).
    const int64_t r = std::max<int64_t>(1, static_cast<int64_t>(std::floor(cfg.fourierBeta * std::min(h, w) / 2.0)));
    auto low = [&](int64_t n) {
        at::Tensor f = at::arange(n, at::kLong);
        f = torch::where(f.gt(n / 2), f - n, f);
        return f.abs().le(r).to(at::kFloat);
    };
    const auto dev = content.device();
    at::Tensor window = (low(h).view({h, 1}) * low(w).view({1, w})).to(dev);
    at::Tensor x = content.to(at::kFloat);
    at::Tensor sx = style.to(at::kFloat).index_select(0, at::tensor(partner, at::kLong).to(style.device())).to(dev);
    at::Tensor fc = torch::fft::fft2(x), fs = torch::fft::fft2(sx);
    at::Tensor amp = fc.abs(), phase = fc.angle();
    at::Tensor mixed = amp + window * lam.to(dev) * (fs.abs() - amp);
    at::Tensor out = at::real(torch::fft::ifft2(torch::polar(mixed, phase))).contiguous();
    return normalizeImages(out, cfg.normalization);
}

MixPlan makeMixPlan(int64_t batch, int64_t height, int64_t width, const AugmentConfig& cfg, bool withRotation,
                    int64_t align, at::Generator& gen) {
    MixPlan plan;
    plan.partner = (at::arange(batch, at::kLong) + 1).remainder(batch);
    plan.pasteMask = at::zeros({batch, 1, height, width}, at::kFloat);
    at::Tensor u = uniform({batch, 8}, gen);
    auto a = u.accessor<double, 2>();
    const double total = static_cast<double>(height * width);
    for (int64_t i = 0; i < batch; ++i) {
        const double area = (cfg.cutmixMinArea + (cfg.cutmixMaxArea - cfg.cutmixMinArea) * a[i][0]) * total;
        const double aspect = std::exp(std::log(0.5) + std::log(4.0) * a[i][1]);
        // Integer sides whose product stays inside [min, max] area exactly.
        auto sidesFor = [&](int64_t bh, int64_t& bw) {
            const int64_t lo = static_cast<int64_t>(std::ceil(cfg.cutmixMinArea * total / bh - 1e-9));
            const int64_t hi = std::min<int64_t>(width, static_cast<int64_t>(std::floor(cfg.cutmixMaxArea * total / bh + 1e-9)));
            if (lo > hi || lo < 1) return false;
            bw = std::clamp<int64_t>(std::llround(area / bh), lo, hi);
            return true;
        };
        int64_t bh = std::clamp<int64_t>(std::llround(std::sqrt(area * aspect)), 1, height), bw = 0;
        if (!sidesFor(bh, bw)) {
            bh = 0;
            for (int64_t cand = height; cand >= 1 && bh == 0; --cand)
                if (sidesFor(cand, bw)) bh = cand;
            if (bh == 0) throw ConfigError("image too small for the CutMix area range");
        }
        const int64_t y0 = std::min<int64_t>(height - bh, static_cast<int64_t>(a[i][2] * (height - bh + 1)));
        const int64_t x0 = std::min<int64_t>(width - bw, static_cast<int64_t>(a[i][3] * (width - bw + 1)));
        plan.pasteMask[i][0].slice(0, y0, y0 + bh).slice(1, x0, x0 + bw).fill_(1.0);
    }
    if (withRotation) {
        plan.rotBox = at::zeros({batch, 3}, at::kLong);
        plan.rotK = at::zeros({batch}, at::kLong);
        auto box = plan.rotBox.accessor<int64_t, 2>();
        auto k = plan.rotK.accessor<int64_t, 1>();
        const int64_t shortSide = std::min(height, width);
        for (int64_t i = 0; i < batch; ++i) {
            const double frac = cfg.rotRegionMin + (cfg.rotRegionMax - cfg.rotRegionMin) * a[i][4];
            int64_t side = std::llround(frac * shortSide / align) * align;
            side = std::clamp<int64_t>(side, align, (shortSide / align) * align);
            const int64_t ySlots = (height - side) / align + 1, xSlots = (width - side) / align + 1;
            box[i][0] = std::min<int64_t>(ySlots - 1, static_cast<int64_t>(a[i][5] * ySlots)) * align;
            box[i][1] = std::min<int64_t>(xSlots - 1, static_cast<int64_t>(a[i][6] * xSlots)) * align;
            box[i][2] = side;
            k[i] = std::min<int64_t>(3, static_cast<int64_t>(a[i][7] * 4.0));
        }
    }
    return plan;
}

at::Tensor applyCutMix(const MixPlan& plan, const at::Tensor& x) {
    TORCH_CHECK(x.size(0) == plan.partner.size(0), "applyCutMix: batch size differs from the plan");
    at::Tensor partner = plan.partner.to(x.device());
    at::Tensor mask = plan.pasteMask.to(x.device()).gt(0.5);
    if (x.dim() == 3) mask = mask.squeeze(1);
    return torch::where(mask, x.index_select(0, partner), x);
}

at::Tensor applyRegionRotation(const MixPlan& plan, const at::Tensor& x) {
    if (!plan.rotation()) return x;
    TORCH_CHECK(x.size(0) == plan.rotBox.size(0), "applyRegionRotation: batch size differs from the plan");
    at::Tensor out = x.clone();
    auto box = plan.rotBox.accessor<int64_t, 2>();
    auto k = plan.rotK.accessor<int64_t, 1>();
    const int64_t hd = x.dim() - 2, wd = x.dim() - 1;
    for (int64_t i = 0; i < x.size(0); ++i) {
        const int64_t y0 = box[i][0], x0 = box[i][1], s = box[i][2];
        at::Tensor src = x[i].slice(hd - 1, y0, y0 + s).slice(wd - 1, x0, x0 + s);
        out[i].slice(hd - 1, y0, y0 + s).slice(wd - 1, x0, x0 + s).copy_(torch::rot90(src, k[i], {hd - 1, wd - 1}));
    }
    return out;
}

at::Tensor applyMix(const MixPlan& plan, const at::Tensor& x) { return applyRegionRotation(plan, applyCutMix(plan, x)); }

at::Tensor pastedRegionTarget(const MixPlan& plan) { return applyRegionRotation(plan, plan.pasteMask); }

}  // namespace dacw::train
