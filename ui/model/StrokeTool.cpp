#include "ui/model/StrokeTool.h"

namespace dacw {

void StrokeTool::updateCursor(const Point2& p) {
    const int diameter = this->diameter();
    feedback_.brushVisible = true;
    feedback_.brushCentre = brushCentre(p[0], p[1], diameter);
    feedback_.brushRadius = diameter / 2.0;
    feedback_.brushRound = footprintRound();
}

ToolResult StrokeTool::press(const ToolEvent& e) {
    ToolResult r;
    if (!editor_.hasData()) return r;
    editor_.beginEdit(e.frame);
    painting_ = true;
    last_ = e.point;
    r.labelsChanged = beginStroke(e);
    updateCursor(e.point);
    r.feedbackChanged = true;
    return r;
}

ToolResult StrokeTool::drag(const ToolEvent& e) {
    ToolResult r;
    updateCursor(e.point);
    r.feedbackChanged = true;
    if (!painting_) return r;
    r.labelsChanged = continueStroke(last_, e.point);
    last_ = e.point;
    return r;
}

ToolResult StrokeTool::release(const ToolEvent& e) {
    ToolResult r;
    if (!painting_) return r;
    painting_ = false;
    r.editFinished = editor_.endEdit();
    updateCursor(e.point);
    r.feedbackChanged = true;
    return r;
}

ToolResult StrokeTool::hover(const ToolEvent& e) {
    updateCursor(e.point);
    ToolResult r;
    r.feedbackChanged = true;
    return r;
}

}  // namespace dacw
