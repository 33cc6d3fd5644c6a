#pragma once
// Flood fill: the 4-connected region around the clicked pixel whose intensity stays within a
// tolerance of the clicked pixel's. Shift erases the active label there instead.
#include "ui/model/ToolModel.h"

namespace dacw {

class FloodFillTool : public ToolModel {
public:
    explicit FloodFillTool(LabelEditor& editor) : ToolModel(editor) {}
    std::string name() const override { return "Flood fill"; }
    void setTolerance(double t) { tolerance_ = t < 0 ? 0 : t; }
    double tolerance() const { return tolerance_; }
    ToolResult press(const ToolEvent& e) override;

private:
    double tolerance_ = 10.0;
};

}  // namespace dacw
