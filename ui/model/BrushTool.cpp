#include "ui/model/BrushTool.h"

namespace dacw {

bool BrushTool::beginStroke(const ToolEvent& e) {
    erase_ = eraser_ != e.shift;
    return editor_.paintBrush(e.point, diameter(), round(), erase_);
}

bool BrushTool::continueStroke(const Point2& from, const Point2& to) {
    return editor_.paintSegment(from, to, diameter(), round(), erase_);
}

}  // namespace dacw
