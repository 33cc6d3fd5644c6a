#pragma once
// Options of threshold-in-box: the intensity range [low, high] that takes the label.
#include "ui/tools/ToolPalette.h"

class QDoubleSpinBox;

namespace dacw {

class ThresholdBoxTool;

class ThresholdBoxOptions : public ToolOptions {
public:
    explicit ThresholdBoxOptions(ThresholdBoxTool& tool);
    void refresh() override;

private:
    ThresholdBoxTool& tool_;
    QDoubleSpinBox* low_ = nullptr;
    QDoubleSpinBox* high_ = nullptr;
};

}  // namespace dacw
