#pragma once
// Options of the flood fill: the largest intensity difference from the clicked pixel.
#include "ui/tools/ToolPalette.h"

class QDoubleSpinBox;

namespace dacw {

class FloodFillTool;

class FloodFillOptions : public ToolOptions {
public:
    explicit FloodFillOptions(FloodFillTool& tool);
    void refresh() override;

private:
    FloodFillTool& tool_;
    QDoubleSpinBox* tolerance_ = nullptr;
};

}  // namespace dacw
