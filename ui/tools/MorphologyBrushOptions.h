#pragma once
// Options of the smoothing brush: open or close, the element's radius and the brush size.
#include "ui/tools/ToolPalette.h"

class QComboBox;
class QSpinBox;

namespace dacw {

class MorphologyBrushTool;

class MorphologyBrushOptions : public ToolOptions {
public:
    explicit MorphologyBrushOptions(MorphologyBrushTool& tool);
    void refresh() override;

private:
    MorphologyBrushTool& tool_;
    QComboBox* mode_ = nullptr;
    QSpinBox* radius_ = nullptr;
    QSpinBox* size_ = nullptr;
};

}  // namespace dacw
