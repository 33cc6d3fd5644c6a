#include "ui/model/MorphologyBrushTool.h"

#include <algorithm>
#include <cmath>

namespace dacw {

namespace {

/// A binary image on a window of the slice, with erosion and dilation by a disc.
struct Window {
    long u0 = 0, v0 = 0, w = 0, h = 0;
    std::vector<std::uint8_t> bits;
    std::uint8_t at(long u, long v) const { return bits[std::size_t(v * w + u)]; }
};

Window morph(const Window& in, int radius, bool dilate) {
    Window out = in;
    const long r = radius;
    for (long v = 0; v < in.h; ++v)
        for (long u = 0; u < in.w; ++u) {
            // Outside the window counts as what leaves the result unchanged there (background
            // for dilation, foreground for erosion): the window is larger than the brush by
            // twice the radius, so the brush pixels see true neighbours.
            bool hit = !dilate;
            for (long dv = -r; dv <= r && hit != dilate; ++dv)
                for (long du = -r; du <= r; ++du) {
                    if (du * du + dv * dv > r * r) continue;
                    const long uu = u + du, vv = v + dv;
                    const bool inside = uu >= 0 && vv >= 0 && uu < in.w && vv < in.h;
                    const bool on = inside ? in.at(uu, vv) != 0 : !dilate;
                    if (on == dilate) {
                        hit = dilate;
                        break;
                    }
                }
            out.bits[std::size_t(v * in.w + u)] = hit ? 1 : 0;
        }
    return out;
}

}  // namespace

bool MorphologyBrushTool::stamp(const Point2& at) {
    const auto footprint = brushFootprint(at[0], at[1], diameter(), true);
    if (footprint.empty()) return false;
    const SliceFrame& f = editor_.editFrame();
    long umin = footprint[0][0], umax = umin, vmin = footprint[0][1], vmax = vmin;
    for (const auto& p : footprint) {
        umin = std::min(umin, p[0]);
        umax = std::max(umax, p[0]);
        vmin = std::min(vmin, p[1]);
        vmax = std::max(vmax, p[1]);
    }
    // Opening or closing looks up to twice the radius away.
    const long margin = 2L * radius_;
    Window win;
    win.u0 = std::max(0L, umin - margin);
    win.v0 = std::max(0L, vmin - margin);
    const long u1 = std::min(long(f.width()) - 1, umax + margin), v1 = std::min(long(f.height()) - 1, vmax + margin);
    if (u1 < win.u0 || v1 < win.v0) return false;
    win.w = u1 - win.u0 + 1;
    win.h = v1 - win.v0 + 1;
    win.bits.assign(std::size_t(win.w * win.h), 0);
    const std::uint8_t active = editor_.activeLabel();
    for (long v = 0; v < win.h; ++v)
        for (long u = 0; u < win.w; ++u)
            win.bits[std::size_t(v * win.w + u)] = editor_.labelAt(f, win.u0 + u, win.v0 + v) == active ? 1 : 0;
    const bool open = mode_ == Mode::Open;
    const Window result = morph(morph(win, radius_, !open), radius_, open);
    bool changed = false;
    for (const auto& p : footprint) {
        const long u = p[0] - win.u0, v = p[1] - win.v0;
        if (u < 0 || v < 0 || u >= win.w || v >= win.h) continue;
        if (win.at(u, v) != result.at(u, v)) changed |= editor_.paintPixel(p[0], p[1], result.at(u, v) == 0);
    }
    return changed;
}

bool MorphologyBrushTool::continueStroke(const Point2& from, const Point2& to) {
    // Stamps every quarter of the brush along the drag, as the paintbrush does.
    const int d = diameter();
    const double len = std::hypot(to[0] - from[0], to[1] - from[1]);
    const int n = std::max(1, int(std::ceil(len / std::max(0.5, d / 4.0))));
    bool changed = false;
    for (int i = 1; i <= n; ++i) {
        const double t = double(i) / n;
        changed |= stamp({from[0] + t * (to[0] - from[0]), from[1] + t * (to[1] - from[1])});
    }
    return changed;
}

}  // namespace dacw
