#pragma once
// A tool dragged like a brush: press opens an edit on the slice and stamps, drag stamps along the
// way, release closes the edit (one undo step), hover shows the round or square footprint. The
// paintbrush, the eraser and the smoothing brush differ only in what a stamp does.
#include <memory>

#include "ui/model/ToolModel.h"

namespace dacw {

/// Size and shape of a brush; the paintbrush and the eraser of a window share one.
struct BrushShape {
    int diameter = 8;
    bool round = true;
};

class StrokeTool : public ToolModel {
public:
    StrokeTool(LabelEditor& editor, std::shared_ptr<BrushShape> shape)
        : ToolModel(editor), shape_(shape ? std::move(shape) : std::make_shared<BrushShape>()) {}

    /// The footprint's diameter in voxels (1..255).
    void setDiameter(int d) { shape_->diameter = d < 1 ? 1 : d > 255 ? 255 : d; }
    int diameter() const { return shape_->diameter; }
    bool resize(int delta) override {
        setDiameter(diameter() + delta);
        return true;
    }

    ToolResult press(const ToolEvent& e) override;
    ToolResult drag(const ToolEvent& e) override;
    ToolResult release(const ToolEvent& e) override;
    ToolResult hover(const ToolEvent& e) override;

protected:
    /// Whether the footprint (drawn under the cursor, stamped by the brush) is round.
    virtual bool footprintRound() const { return true; }
    /// The first stamp of a stroke (`e` carries Shift and Control); true when pixels changed.
    virtual bool beginStroke(const ToolEvent& e) = 0;
    /// The stroke moved from `from` to `to`; true when pixels changed.
    virtual bool continueStroke(const Point2& from, const Point2& to) = 0;

    std::shared_ptr<BrushShape> shape_;

private:
    void updateCursor(const Point2& p);

    bool painting_ = false;
    Point2 last_{};
};

}  // namespace dacw
