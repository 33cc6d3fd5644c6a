#include "ui/model/ThresholdBoxTool.h"

#include <cmath>

namespace dacw {

void ThresholdBoxTool::updateOutline(const Point2& to) {
    const double u0 = std::round(start_[0]) - 0.5, v0 = std::round(start_[1]) - 0.5;
    const double u1 = std::round(to[0]) + 0.5, v1 = std::round(to[1]) + 0.5;
    feedback_.outline = {{u0, v0}, {u1, v0}, {u1, v1}, {u0, v1}};
    feedback_.outlineClosed = true;
}

ToolResult ThresholdBoxTool::press(const ToolEvent& e) {
    ToolResult r;
    if (!editor_.hasData()) return r;
    dragging_ = true;
    erase_ = e.shift;
    frame_ = e.frame;
    start_ = e.point;
    updateOutline(e.point);
    r.feedbackChanged = true;
    return r;
}

ToolResult ThresholdBoxTool::drag(const ToolEvent& e) {
    ToolResult r;
    if (dragging_) {
        updateOutline(e.point);
        r.feedbackChanged = true;
    }
    return r;
}

ToolResult ThresholdBoxTool::release(const ToolEvent& e) {
    ToolResult r;
    if (!dragging_) return r;
    dragging_ = false;
    feedback_.outline.clear();
    r.feedbackChanged = true;
    SliceFrame f = frame_;
    f.size = editor_.image()->geometry().size;
    const auto slice = extractSlice(*editor_.image(), f);
    const SliceMask mask = thresholdBoxMask(slice, f.width(), f.height(), editor_.image()->components(),
                                            {std::lround(start_[0]), std::lround(start_[1])},
                                            {std::lround(e.point[0]), std::lround(e.point[1])}, low_, high_);
    r.editFinished = editor_.applyMask(f, mask, erase_);
    r.labelsChanged = r.editFinished;
    return r;
}

ToolResult ThresholdBoxTool::cancel() {
    dragging_ = false;
    return ToolModel::cancel();
}

void ThresholdBoxTool::imageChanged(const Image& image) {
    const auto [lo, hi] = image.range();
    setRange((lo + hi) / 2.0, hi);
}

}  // namespace dacw
