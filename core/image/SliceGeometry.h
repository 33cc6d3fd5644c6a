#pragma once
// How a 2D slice of a volume is addressed. Plain C++ (no VTK, no Qt): the viewers render slices
// and the tool models edit them, and both must agree on which voxel (u, v) of a slice is.
#include <array>
#include <cstddef>
#include <string>

#include "core/image/Image.h"

namespace dacw {

/// The value is the index of the axis normal to the slice.
enum class SliceAxis { Sagittal = 0, Coronal = 1, Axial = 2 };

inline const char* toString(SliceAxis a)
{
    switch (a) {
    case SliceAxis::Sagittal: return "sagittal";
    case SliceAxis::Coronal: return "coronal";
    case SliceAxis::Axial: return "axial";
    }
    return "?";
}

/// One slice of a voxel grid. Slice coordinates (u, v): axial u = x, v = y; coronal u = x,
/// v = z; sagittal u = y, v = z.
struct SliceFrame {
    SliceAxis axis = SliceAxis::Axial;
    std::size_t slice = 0;
    std::array<std::size_t, 3> size{0, 0, 1};

    static SliceFrame of(const Geometry& g, SliceAxis axis, std::size_t slice)
    {
        SliceFrame f;
        f.axis = axis;
        f.size = g.size;
        f.slice = slice;
        return f;
    }

    int normalAxis() const { return static_cast<int>(axis); }
    int uAxis() const { return axis == SliceAxis::Sagittal ? 1 : 0; }
    int vAxis() const { return axis == SliceAxis::Axial ? 1 : 2; }
    std::size_t width() const { return size[uAxis()]; }
    std::size_t height() const { return size[vAxis()]; }
    std::size_t sliceCount() const { return size[normalAxis()]; }
    std::size_t pixelCount() const { return width() * height(); }
    bool contains(long u, long v) const
    {
        return u >= 0 && v >= 0 && static_cast<std::size_t>(u) < width() && static_cast<std::size_t>(v) < height();
    }

    std::array<std::size_t, 3> voxel(std::size_t u, std::size_t v) const
    {
        std::array<std::size_t, 3> p{};
        p[normalAxis()] = slice;
        p[uAxis()] = u;
        p[vAxis()] = v;
        return p;
    }
    /// Linear index of voxel (u, v) in an x-fastest volume.
    std::size_t index(std::size_t u, std::size_t v) const
    {
        const auto p = voxel(u, v);
        return (p[2] * size[1] + p[1]) * size[0] + p[0];
    }
    /// Distance in the volume between (u, v) and (u + 1, v), and between (u, v) and (u, v + 1).
    std::size_t uStride() const { return stride(uAxis()); }
    std::size_t vStride() const { return stride(vAxis()); }
    std::size_t stride(int axisIndex) const
    {
        return axisIndex == 0 ? 1 : axisIndex == 1 ? size[0] : size[0] * size[1];
    }
    bool operator==(const SliceFrame& o) const { return axis == o.axis && slice == o.slice && size == o.size; }
};

/// Physical position (mm) of a continuous voxel index, through spacing, direction and origin.
inline std::array<double, 3> voxelToPhysical(const Geometry& g, const std::array<double, 3>& idx)
{
    std::array<double, 3> s{idx[0] * g.spacing[0], idx[1] * g.spacing[1], idx[2] * g.spacing[2]};
    std::array<double, 3> p{};
    for (int r = 0; r < 3; ++r)
        p[r] = g.origin[r] + g.direction[r * 3 + 0] * s[0] + g.direction[r * 3 + 1] * s[1] + g.direction[r * 3 + 2] * s[2];
    return p;
}

}  // namespace dacw
