#pragma once
// The 2D camera maths of a slice view, without any rendering: fit, one-to-one, zoom about a
// point, pan, and the mapping between display pixels and slice coordinates. Plain C++ (no VTK,
// no Qt): viewers/SliceViewPipeline keeps a SliceCamera and sets its vtkCamera from it, and the
// unit tests check the maths without a display.
//
// Slice space as the pipeline lays it out: pixel (u, v) is centred at (u * su, v * sv) mm, where
// su, sv are the voxel spacings along u and v. Display positions are device pixels with the
// origin at the top left (as in Qt); the viewport centre shows the focal point.
#include <array>
#include <cstddef>

#include "core/image/Image.h"
#include "core/image/SliceGeometry.h"

namespace dacw {

/// What the camera needs to know of the slice shown.
struct SlicePlane {
    SliceAxis axis = SliceAxis::Axial;
    std::size_t width = 0, height = 0;        // pixels along u and v
    std::array<double, 2> spacing{1.0, 1.0};  // mm along u and v

    static SlicePlane of(const Geometry& g, const SliceFrame& f) {
        return {f.axis, f.width(), f.height(), {g.spacing[f.uAxis()], g.spacing[f.vAxis()]}};
    }
    /// Screen "up" in slice space: axial images put row 0 on top; coronal and sagittal put z up.
    double upSign() const { return axis == SliceAxis::Axial ? -1.0 : 1.0; }
};

/// A parallel-projection camera looking at a slice.
struct SliceCamera {
    std::array<double, 2> focal{0.0, 0.0};  // slice space (mm) at the viewport centre
    double parallelScale = 1.0;             // half the viewport height, in mm
    std::array<int, 2> viewport{400, 400};  // device pixels

    double mmPerPixel() const;
    /// Display pixels per voxel along the finer of the two spacings (the magnification).
    double pixelsPerVoxel(const SlicePlane& p) const;

    /// Centres the slice and shows all of it, with a 2 % margin on the tighter side.
    void fit(const SlicePlane& p);
    /// One display pixel per voxel (along the finer spacing), about the same focal point.
    void oneToOne(const SlicePlane& p);
    /// Multiplies the magnification by factor, keeping the slice point under (x, y) fixed.
    /// Returns false (and changes nothing) when factor is not positive.
    bool zoom(const SlicePlane& p, double factor, double x, double y);
    /// Drags the slice by (dx, dy) display pixels: what was under the cursor stays under it.
    void pan(const SlicePlane& p, double dx, double dy);

    /// Continuous slice coordinates (u, v), in voxels, of a display position.
    std::array<double, 2> displayToSlice(const SlicePlane& p, double x, double y) const;
    std::array<double, 2> sliceToDisplay(const SlicePlane& p, double u, double v) const;
};

}  // namespace dacw
