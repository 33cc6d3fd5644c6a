#include "ui/model/BrushTool.h"

namespace dacw {

void BrushTool::updateCursor(const Point2& p)
{
    feedback_.brushVisible = true;
    feedback_.brushCentre = brushCentre(p[0], p[1], diameter());
    feedback_.brushRadius = diameter() / 2.0;
    feedback_.brushRound = round();
}

ToolResult BrushTool::press(const ToolEvent& e)
{
    ToolResult r;
    if (!editor_.hasData())
        return r;
    editor_.beginEdit(e.frame);
    painting_ = true;
    erase_ = eraser_ != e.shift;
    last_ = e.point;
    r.labelsChanged = editor_.paintBrush(e.point, diameter(), round(), erase_);
    updateCursor(e.point);
    r.feedbackChanged = true;
    return r;
}

ToolResult BrushTool::drag(const ToolEvent& e)
{
    ToolResult r;
    updateCursor(e.point);
    r.feedbackChanged = true;
    if (!painting_)
        return r;
    r.labelsChanged = editor_.paintSegment(last_, e.point, diameter(), round(), erase_);
    last_ = e.point;
    return r;
}

ToolResult BrushTool::release(const ToolEvent& e)
{
    ToolResult r;
    if (!painting_)
        return r;
    painting_ = false;
    r.editFinished = editor_.endEdit();
    updateCursor(e.point);
    r.feedbackChanged = true;
    return r;
}

ToolResult BrushTool::hover(const ToolEvent& e)
{
    updateCursor(e.point);
    ToolResult r;
    r.feedbackChanged = true;
    return r;
}

}  // namespace dacw
