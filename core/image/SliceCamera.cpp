#include "core/image/SliceCamera.h"

#include <algorithm>

namespace dacw {

double SliceCamera::mmPerPixel() const { return 2.0 * parallelScale / std::max(1, viewport[1]); }

double SliceCamera::pixelsPerVoxel(const SlicePlane& p) const {
    return std::min(p.spacing[0], p.spacing[1]) / mmPerPixel();
}

void SliceCamera::fit(const SlicePlane& p) {
    const auto& sp = p.spacing;
    const double w = std::max<double>(1.0, static_cast<double>(p.width)) * sp[0];
    const double h = std::max<double>(1.0, static_cast<double>(p.height)) * sp[1];
    const double aspect = static_cast<double>(std::max(1, viewport[0])) / std::max(1, viewport[1]);
    focal = {(static_cast<double>(p.width) - 1.0) * 0.5 * sp[0], (static_cast<double>(p.height) - 1.0) * 0.5 * sp[1]};
    parallelScale = 0.5 * std::max(h, w / aspect) * 1.02;
}

void SliceCamera::oneToOne(const SlicePlane& p) {
    const auto& sp = p.spacing;
    parallelScale = 0.5 * viewport[1] * std::min(sp[0], sp[1]);
}

bool SliceCamera::zoom(const SlicePlane& p, double factor, double x, double y) {
    if (factor <= 0.0)
        return false;
    const auto anchor = displayToSlice(p, x, y);
    const auto& sp = p.spacing;
    const double ax = anchor[0] * sp[0], ay = anchor[1] * sp[1];
    focal = {ax + (focal[0] - ax) / factor, ay + (focal[1] - ay) / factor};
    parallelScale /= factor;
    return true;
}

void SliceCamera::pan(const SlicePlane& p, double dx, double dy) {
    const double k = mmPerPixel();
    focal[0] -= dx * k;
    focal[1] -= -dy * k * p.upSign();
}

std::array<double, 2> SliceCamera::displayToSlice(const SlicePlane& p, double x, double y) const {
    const double k = mmPerPixel();
    const double dx = x - viewport[0] / 2.0;
    const double dy = viewport[1] / 2.0 - y;  // screen up
    const double wx = focal[0] + dx * k;
    const double wy = focal[1] + dy * k * p.upSign();
    const auto& sp = p.spacing;
    return {wx / sp[0], wy / sp[1]};
}

std::array<double, 2> SliceCamera::sliceToDisplay(const SlicePlane& p, double u, double v) const {
    const double k = mmPerPixel();
    const auto& sp = p.spacing;
    const double dx = (u * sp[0] - focal[0]) / k;
    const double dy = (v * sp[1] - focal[1]) / k * p.upSign();
    return {viewport[0] / 2.0 + dx, viewport[1] / 2.0 - dy};
}

}  // namespace dacw
