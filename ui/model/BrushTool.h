#pragma once
// Paintbrush and eraser: round or square, size in voxels (so it scales with zoom on screen, as
// ITK-SNAP's), 2D on the current slice. Shift inverts paint and erase while dragging.
#include "ui/model/ToolModel.h"

namespace dacw {

class BrushTool : public ToolModel {
public:
    BrushTool(LabelEditor& editor, bool eraser) : ToolModel(editor), eraser_(eraser) {}

    std::string name() const override { return eraser_ ? "Eraser" : "Brush"; }
    void setDiameter(int d) { diameter_ = d < 1 ? 1 : d > 255 ? 255 : d; }
    int diameter() const { return diameter_; }
    void setRound(bool r) { round_ = r; }
    bool round() const { return round_; }

    ToolResult press(const ToolEvent& e) override;
    ToolResult drag(const ToolEvent& e) override;
    ToolResult release(const ToolEvent& e) override;
    ToolResult hover(const ToolEvent& e) override;

private:
    void updateCursor(const Point2& p);

    bool eraser_;
    int diameter_ = 8;
    bool round_ = true;
    bool painting_ = false;
    bool erase_ = false;
    Point2 last_{};
};

}  // namespace dacw
