#pragma once
// Paintbrush and eraser: round or square, size in voxels (so it scales with zoom on screen, as
// ITK-SNAP's), 2D on the current slice. Shift inverts paint and erase while dragging.
#include <memory>

#include "ui/model/ToolModel.h"

namespace dacw {

/// Size and shape of a brush; the paintbrush and the eraser of a window share one.
struct BrushShape {
    int diameter = 8;
    bool round = true;
};

class BrushTool : public ToolModel {
public:
    BrushTool(LabelEditor& editor, bool eraser, std::shared_ptr<BrushShape> shape = nullptr)
        : ToolModel(editor), eraser_(eraser), shape_(shape ? std::move(shape) : std::make_shared<BrushShape>())
    {
    }

    std::string name() const override { return eraser_ ? "Eraser" : "Brush"; }
    void setDiameter(int d) { shape_->diameter = d < 1 ? 1 : d > 255 ? 255 : d; }
    int diameter() const { return shape_->diameter; }
    void setRound(bool r) { shape_->round = r; }
    bool round() const { return shape_->round; }
    bool resize(int delta) override
    {
        setDiameter(diameter() + delta);
        return true;
    }

    ToolResult press(const ToolEvent& e) override;
    ToolResult drag(const ToolEvent& e) override;
    ToolResult release(const ToolEvent& e) override;
    ToolResult hover(const ToolEvent& e) override;

private:
    void updateCursor(const Point2& p);

    bool eraser_;
    std::shared_ptr<BrushShape> shape_;
    bool painting_ = false;
    bool erase_ = false;
    Point2 last_{};
};

}  // namespace dacw
