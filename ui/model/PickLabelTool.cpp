#include "ui/model/PickLabelTool.h"

#include <cmath>

namespace dacw {

ToolResult PickLabelTool::press(const ToolEvent& e) {
    ToolResult r;
    const auto v = editor_.labelAt(e.frame, std::lround(e.point[0]), std::lround(e.point[1]));
    if (v && *v != 0 && *v != editor_.activeLabel()) {
        editor_.setActiveLabel(*v);
        r.activeLabelChanged = true;
    }
    return r;
}

}  // namespace dacw
