#include "ui/model/FloodFillTool.h"

#include <cmath>

namespace dacw {

ToolResult FloodFillTool::press(const ToolEvent& e) {
    ToolResult r;
    if (!editor_.hasData()) return r;
    SliceFrame f = e.frame;
    f.size = editor_.image()->geometry().size;
    const long u = std::lround(e.point[0]), v = std::lround(e.point[1]);
    if (!f.contains(u, v)) return r;
    const auto slice = extractSlice(*editor_.image(), f);
    const SliceMask mask = floodFillMask(slice, f.width(), f.height(), editor_.image()->components(), {u, v}, tolerance_);
    r.editFinished = editor_.applyMask(f, mask, e.shift);
    r.labelsChanged = r.editFinished;
    return r;
}

}  // namespace dacw
