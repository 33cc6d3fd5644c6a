#pragma once
// Paintbrush and eraser: round or square, size in voxels (so it scales with zoom on screen, as
// ITK-SNAP's), 2D on the current slice. Shift inverts paint and erase while dragging.
#include "ui/model/StrokeTool.h"

namespace dacw {

class BrushTool : public StrokeTool {
public:
    BrushTool(LabelEditor& editor, bool eraser, std::shared_ptr<BrushShape> shape = nullptr)
        : StrokeTool(editor, std::move(shape)), eraser_(eraser) {}

    std::string name() const override { return eraser_ ? "Eraser" : "Brush"; }
    void setRound(bool r) { shape_->round = r; }
    bool round() const { return shape_->round; }

protected:
    bool footprintRound() const override { return round(); }
    bool beginStroke(const ToolEvent& e) override;
    bool continueStroke(const Point2& from, const Point2& to) override;

private:
    bool eraser_;
    bool erase_ = false;
};

}  // namespace dacw
