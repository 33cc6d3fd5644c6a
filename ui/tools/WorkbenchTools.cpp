// The workbench's tools, in toolbar order. Adding a tool: its model (ui/model/XTool.h), its options
// widget if it has options (ui/tools/XOptions.h), and one line here.
#include <memory>

#include "ui/model/BrushTool.h"
#include "ui/model/FloodFillTool.h"
#include "ui/model/MorphologyBrushTool.h"
#include "ui/model/PickLabelTool.h"
#include "ui/model/PolygonTool.h"
#include "ui/model/ThresholdBoxTool.h"
#include "ui/tools/BrushOptions.h"
#include "ui/tools/FloodFillOptions.h"
#include "ui/tools/MorphologyBrushOptions.h"
#include "ui/tools/ThresholdBoxOptions.h"
#include "ui/tools/ToolPalette.h"

namespace dacw {

void addWorkbenchTools(ToolPalette& p) {
    const auto shape = std::make_shared<BrushShape>();  // one size for paint and erase
    p.addNavigation("toolNavigate", "Navigate", 'N');
    p.add<BrushTool, BrushOptions>("toolBrush", "Brush", 'B', false, shape);
    p.add<BrushTool, BrushOptions>("toolEraser", "Eraser", 'E', true, shape);
    p.add<PolygonTool>("toolPolygon", "Polygon", 'P', PolygonTool::Mode::Polygon);
    p.add<PolygonTool>("toolLasso", "Lasso", 'L', PolygonTool::Mode::Lasso);
    p.add<FloodFillTool, FloodFillOptions>("toolFlood", "Flood fill", 'G');
    p.add<ThresholdBoxTool, ThresholdBoxOptions>("toolThreshold", "Threshold in box", 'T');
    p.add<MorphologyBrushTool, MorphologyBrushOptions>("toolSmooth", "Smooth (open / close)", 'M');
    p.add<PickLabelTool>("toolPick", "Pick label", 'I');
}

}  // namespace dacw
