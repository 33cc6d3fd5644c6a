#include "ui/model/PolygonTool.h"

#include <cmath>

namespace dacw {

void PolygonTool::updateOutline(const Point2* cursor) {
    feedback_.outline = vertices_;
    if (cursor && mode_ == Mode::Polygon && !vertices_.empty()) feedback_.outline.push_back(*cursor);
    feedback_.outlineClosed = mode_ == Mode::Lasso;
}

ToolResult PolygonTool::press(const ToolEvent& e) {
    ToolResult r;
    if (!editor_.hasData()) return r;
    r.feedbackChanged = true;
    if (mode_ == Mode::Lasso) {
        frame_ = e.frame;
        erase_ = e.shift;
        vertices_ = {e.point};
        drawing_ = true;
        updateOutline(nullptr);
        return r;
    }
    if (!vertices_.empty() && !(frame_ == e.frame)) vertices_.clear();  // the slice changed under a pending polygon
    if (vertices_.empty()) {
        frame_ = e.frame;
        erase_ = e.shift;
    } else if (vertices_.size() >= 3 && std::hypot(e.point[0] - vertices_.front()[0], e.point[1] - vertices_.front()[1]) < 1.5) {
        r |= close();
        return r;
    }
    vertices_.push_back(e.point);
    updateOutline(&e.point);
    return r;
}

ToolResult PolygonTool::drag(const ToolEvent& e) {
    ToolResult r;
    if (mode_ == Mode::Lasso && drawing_) {
        const Point2& last = vertices_.back();
        if (std::hypot(e.point[0] - last[0], e.point[1] - last[1]) >= 0.5) {
            vertices_.push_back(e.point);
            updateOutline(nullptr);
            r.feedbackChanged = true;
        }
    } else if (mode_ == Mode::Polygon && !vertices_.empty()) {
        updateOutline(&e.point);
        r.feedbackChanged = true;
    }
    return r;
}

ToolResult PolygonTool::release(const ToolEvent& e) {
    if (mode_ == Mode::Lasso && drawing_) {
        drawing_ = false;
        return close();
    }
    return {};
}

ToolResult PolygonTool::hover(const ToolEvent& e) {
    ToolResult r;
    if (mode_ == Mode::Polygon && !vertices_.empty()) {
        updateOutline(&e.point);
        r.feedbackChanged = true;
    }
    return r;
}

ToolResult PolygonTool::doubleClick(const ToolEvent& e) {
    // The press of the double click already added a vertex at this spot.
    return mode_ == Mode::Polygon ? close() : ToolResult{};
}

ToolResult PolygonTool::finish() { return close(); }

ToolResult PolygonTool::cancel() {
    vertices_.clear();
    drawing_ = false;
    return ToolModel::cancel();
}

ToolResult PolygonTool::close() {
    ToolResult r;
    r.feedbackChanged = true;
    // Drop a duplicate last vertex (double click adds the same point twice).
    while (vertices_.size() >= 2 && std::hypot(vertices_.back()[0] - vertices_[vertices_.size() - 2][0],
                                               vertices_.back()[1] - vertices_[vertices_.size() - 2][1]) < 1e-6)
        vertices_.pop_back();
    if (vertices_.size() >= 3 && editor_.hasData()) {
        SliceFrame f = frame_;
        f.size = editor_.labels()->geometry().size;
        const SliceMask mask = polygonMask(f.width(), f.height(), vertices_);
        r.editFinished = editor_.applyMask(f, mask, erase_);
        r.labelsChanged = r.editFinished;
    }
    vertices_.clear();
    feedback_.outline.clear();
    return r;
}

}  // namespace dacw
