#include "core/image/SliceMaths.h"

#include <algorithm>
#include <vector>

namespace dacw {

void extractGraySlice(const Image& img, const SliceFrame& f, float* dst) {
    const int comps = img.components();
    const int w = static_cast<int>(f.width()), h = static_cast<int>(f.height());
    const float* src = img.data().data();
    const std::size_t us = f.uStride() * comps, vs = f.vStride() * comps;
    const std::size_t base = f.index(0, 0) * comps;
    // Axial slices of a one-component image are contiguous rows.
    if (us == 1) {
        for (int v = 0; v < h; ++v)
            std::copy_n(src + base + v * vs, w, dst + static_cast<std::size_t>(v) * w);
    } else {
        for (int v = 0; v < h; ++v)
            for (int u = 0; u < w; ++u)
                *dst++ = src[base + v * vs + u * us];
    }
}

void extractRgbSlice(const Image& img, const SliceFrame& f, std::uint8_t* dst) {
    const int comps = img.components();
    const int w = static_cast<int>(f.width()), h = static_cast<int>(f.height());
    const float* src = img.data().data();
    const std::size_t us = f.uStride() * comps, vs = f.vStride() * comps;
    const std::size_t base = f.index(0, 0) * comps;
    for (int v = 0; v < h; ++v) {
        const float* row = src + base + v * vs;
        for (int u = 0; u < w; ++u, dst += 3) {
            const float* p = row + u * us;
            for (int c = 0; c < 3; ++c)
                dst[c] = static_cast<unsigned char>(std::clamp(p[c], 0.0f, 255.0f) + 0.5f);
        }
    }
}

void extractLabelSlice(const LabelMap& m, const SliceFrame& f, std::uint8_t* dst) {
    const int w = static_cast<int>(f.width()), h = static_cast<int>(f.height());
    const auto* src = m.data().data();
    const std::size_t us = f.uStride(), vs = f.vStride(), base = f.index(0, 0);
    for (int v = 0; v < h; ++v) {
        const auto* row = src + base + v * vs;
        if (us == 1)
            std::copy_n(row, w, dst + static_cast<std::size_t>(v) * w);
        else
            for (int u = 0; u < w; ++u)
                dst[static_cast<std::size_t>(v) * w + u] = row[u * us];
    }
}

void keepLabelOutlines(std::uint8_t* pixels, std::size_t width, std::size_t height) {
    const int w = static_cast<int>(width), h = static_cast<int>(height);
    // Neighbours are read from a copy: clearing a pixel must not make its neighbour an edge.
    const std::vector<unsigned char> in(pixels, pixels + static_cast<std::size_t>(w) * h);
    for (int v = 0; v < h; ++v)
        for (int u = 0; u < w; ++u) {
            const std::size_t i = static_cast<std::size_t>(v) * w + u;
            const unsigned char c = in[i];
            if (!c)
                continue;
            const bool edge = u == 0 || v == 0 || u == w - 1 || v == h - 1 || in[i - 1] != c || in[i + 1] != c ||
                              in[i - w] != c || in[i + w] != c;
            if (!edge)
                pixels[i] = 0;
        }
}

void keepDashedLabelOutlines(std::uint8_t* pixels, std::size_t width, std::size_t height, std::size_t period) {
    keepLabelOutlines(pixels, width, height);
    if (period == 0) return;
    for (std::size_t v = 0; v < height; ++v)
        for (std::size_t u = 0; u < width; ++u)
            if (((u + v) / period) % 2 == 1) pixels[v * width + u] = 0;
}

std::pair<double, double> automaticWindowLevel(const Image& img) {
    if (img.empty() || img.isRgb())
        return {255.0, 127.5};
    const PixelType t = img.originalPixelType();
    if (t == PixelType::UInt8)
        return {255.0, 127.5};
    // Percentiles of a subsample: robust to a few hot voxels, fast on big volumes.
    const auto& data = img.data();
    const std::size_t step = std::max<std::size_t>(1, data.size() / 200000);
    std::vector<float> sample;
    sample.reserve(data.size() / step + 1);
    for (std::size_t i = 0; i < data.size(); i += step)
        sample.push_back(data[i]);
    const auto lo = sample.begin() + static_cast<long>(sample.size() * 0.005);
    const auto hi = sample.begin() + static_cast<long>((sample.size() - 1) * 0.995);
    std::nth_element(sample.begin(), lo, sample.end());
    const double vlo = *lo;
    std::nth_element(sample.begin(), hi, sample.end());
    const double vhi = *hi;
    const double w = std::max(vhi - vlo, 1e-3);
    return {w, vlo + w / 2.0};
}

}  // namespace dacw
