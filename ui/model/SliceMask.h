#pragma once
// Masks and pixel access on one 2D slice of a volume; the shapes every tool produces.
// Plain C++: no Qt, no VTK.
#include <array>
#include <cstdint>
#include <vector>

#include "core/image/Image.h"
#include "core/image/SliceGeometry.h"

namespace dacw {

/// A binary mask over the pixels of one slice, row-major (u fastest).
struct SliceMask {
    std::size_t width = 0, height = 0;
    std::vector<std::uint8_t> bits;

    SliceMask() = default;
    SliceMask(std::size_t w, std::size_t h) : width(w), height(h), bits(w * h, 0) {}
    std::uint8_t& at(std::size_t u, std::size_t v) { return bits[v * width + u]; }
    std::uint8_t at(std::size_t u, std::size_t v) const { return bits[v * width + u]; }
    std::size_t count() const;
};

using Point2 = std::array<double, 2>;

/// The intensities of one slice: width * height * components floats, row-major.
std::vector<float> extractSlice(const Image& img, const SliceFrame& f);

/// Pixels of a brush of `diameter` pixels centred at (u, v): round or square. Odd diameters
/// centre on a pixel, even ones on a pixel corner (as ITK-SNAP's brush).
std::vector<std::array<long, 2>> brushFootprint(double u, double v, int diameter, bool round);
/// Centre the footprint snaps to for a cursor at (u, v).
Point2 brushCentre(double u, double v, int diameter);

/// Pixels inside a polygon (centre inside, even-odd rule) plus the pixels on its edges.
SliceMask polygonMask(std::size_t width, std::size_t height, const std::vector<Point2>& polygon);

/// 4-connected region from seed whose intensity differs from the seed's by at most tolerance
/// (the largest difference over the components, for RGB).
SliceMask floodFillMask(const std::vector<float>& slice, std::size_t width, std::size_t height, int components,
                        std::array<long, 2> seed, double tolerance);

/// Pixels inside the box [u0, u1] x [v0, v1] (inclusive, any corner order) with intensity in
/// [lo, hi] (mean over components for RGB).
SliceMask thresholdBoxMask(const std::vector<float>& slice, std::size_t width, std::size_t height, int components,
                           std::array<long, 2> corner0, std::array<long, 2> corner1, double lo, double hi);

}  // namespace dacw
