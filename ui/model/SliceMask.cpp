#include "ui/model/SliceMask.h"

#include <algorithm>
#include <cmath>

namespace dacw {

std::size_t SliceMask::count() const {
    return static_cast<std::size_t>(std::count_if(bits.begin(), bits.end(), [](std::uint8_t b) { return b != 0; }));
}

std::vector<float> extractSlice(const Image& img, const SliceFrame& f) {
    const int c = img.components();
    const std::size_t w = f.width(), h = f.height();
    std::vector<float> out(w * h * c);
    const float* src = img.data().data();
    const std::size_t us = f.uStride() * c, vs = f.vStride() * c, base = f.index(0, 0) * c;
    float* dst = out.data();
    for (std::size_t v = 0; v < h; ++v)
        for (std::size_t u = 0; u < w; ++u)
            for (int k = 0; k < c; ++k) *dst++ = src[base + v * vs + u * us + k];
    return out;
}

Point2 brushCentre(double u, double v, int diameter) {
    if (diameter % 2 == 1) return {std::round(u), std::round(v)};
    return {std::floor(u) + 0.5, std::floor(v) + 0.5};
}

std::vector<std::array<long, 2>> brushFootprint(double u, double v, int diameter, bool round) {
    diameter = std::max(1, diameter);
    const Point2 c = brushCentre(u, v, diameter);
    const double r = diameter / 2.0;
    const double r2 = r * r + 1e-9;
    std::vector<std::array<long, 2>> out;
    const long u0 = static_cast<long>(std::floor(c[0] - r)), u1 = static_cast<long>(std::ceil(c[0] + r));
    const long v0 = static_cast<long>(std::floor(c[1] - r)), v1 = static_cast<long>(std::ceil(c[1] + r));
    for (long y = v0; y <= v1; ++y)
        for (long x = u0; x <= u1; ++x) {
            const double dx = x - c[0], dy = y - c[1];
            const bool in = round ? dx * dx + dy * dy <= r2 : std::abs(dx) <= r + 1e-9 && std::abs(dy) <= r + 1e-9;
            if (in) out.push_back({x, y});
        }
    return out;
}

namespace {

void drawLine(SliceMask& m, Point2 a, Point2 b) {
    long x0 = std::lround(a[0]), y0 = std::lround(a[1]);
    const long x1 = std::lround(b[0]), y1 = std::lround(b[1]);
    const long dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
    const long sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    long err = dx + dy;
    for (;;) {
        if (x0 >= 0 && y0 >= 0 && x0 < static_cast<long>(m.width) && y0 < static_cast<long>(m.height)) m.at(x0, y0) = 1;
        if (x0 == x1 && y0 == y1) break;
        const long e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

}  // namespace

SliceMask polygonMask(std::size_t width, std::size_t height, const std::vector<Point2>& poly) {
    SliceMask m(width, height);
    const std::size_t n = poly.size();
    if (n == 0) return m;
    if (n >= 3) {
        std::vector<double> xs;
        for (std::size_t v = 0; v < height; ++v) {
            const double y = static_cast<double>(v);
            xs.clear();
            for (std::size_t i = 0; i < n; ++i) {
                const Point2& a = poly[i];
                const Point2& b = poly[(i + 1) % n];
                // Half-open in y so that a vertex shared by two edges is counted once.
                if ((a[1] <= y && b[1] > y) || (b[1] <= y && a[1] > y))
                    xs.push_back(a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]));
            }
            std::sort(xs.begin(), xs.end());
            for (std::size_t k = 0; k + 1 < xs.size(); k += 2) {
                const long ua = std::max(0L, static_cast<long>(std::ceil(xs[k])));
                const long ub = std::min(static_cast<long>(width) - 1, static_cast<long>(std::floor(xs[k + 1])));
                for (long u = ua; u <= ub; ++u) m.at(u, v) = 1;
            }
        }
    }
    for (std::size_t i = 0; i < n; ++i) drawLine(m, poly[i], poly[(i + 1) % n]);
    return m;
}

SliceMask floodFillMask(const std::vector<float>& slice, std::size_t width, std::size_t height, int components,
                        std::array<long, 2> seed, double tolerance) {
    SliceMask m(width, height);
    if (seed[0] < 0 || seed[1] < 0 || seed[0] >= static_cast<long>(width) || seed[1] >= static_cast<long>(height)) return m;
    const std::size_t s = (seed[1] * width + seed[0]) * components;
    std::vector<float> ref(slice.begin() + s, slice.begin() + s + components);
    auto within = [&](std::size_t i) {
        for (int c = 0; c < components; ++c)
            if (std::abs(slice[i * components + c] - ref[c]) > tolerance) return false;
        return true;
    };
    std::vector<std::size_t> stack{static_cast<std::size_t>(seed[1]) * width + seed[0]};
    m.bits[stack.back()] = 1;
    while (!stack.empty()) {
        const std::size_t i = stack.back();
        stack.pop_back();
        const std::size_t u = i % width, v = i / width;
        auto visit = [&](std::size_t j) {
            if (!m.bits[j] && within(j)) {
                m.bits[j] = 1;
                stack.push_back(j);
            }
        };
        if (u > 0) visit(i - 1);
        if (u + 1 < width) visit(i + 1);
        if (v > 0) visit(i - width);
        if (v + 1 < height) visit(i + width);
    }
    return m;
}

SliceMask thresholdBoxMask(const std::vector<float>& slice, std::size_t width, std::size_t height, int components,
                           std::array<long, 2> c0, std::array<long, 2> c1, double lo, double hi) {
    SliceMask m(width, height);
    const long u0 = std::max(0L, std::min(c0[0], c1[0])), u1 = std::min<long>(width - 1, std::max(c0[0], c1[0]));
    const long v0 = std::max(0L, std::min(c0[1], c1[1])), v1 = std::min<long>(height - 1, std::max(c0[1], c1[1]));
    for (long v = v0; v <= v1; ++v)
        for (long u = u0; u <= u1; ++u) {
            const std::size_t i = (v * width + u) * components;
            double x = 0;
            for (int c = 0; c < components; ++c) x += slice[i + c];
            x /= components;
            if (x >= lo && x <= hi) m.at(u, v) = 1;
        }
    return m;
}

}  // namespace dacw
