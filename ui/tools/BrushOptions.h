#pragma once
// Options of the paintbrush and the eraser: diameter in voxels and round or square.
#include "ui/tools/ToolPalette.h"

class QCheckBox;
class QSpinBox;

namespace dacw {

class BrushTool;

class BrushOptions : public ToolOptions {
public:
    explicit BrushOptions(BrushTool& tool);
    void refresh() override;

private:
    BrushTool& tool_;
    QSpinBox* size_ = nullptr;
    QCheckBox* round_ = nullptr;
};

}  // namespace dacw
