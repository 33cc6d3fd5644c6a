#pragma once
// Smoothing brush: where it is dragged, the active label is opened (specks and thin spurs
// narrower than the radius are removed) or closed (holes and notches narrower than the radius
// are filled). Pixels outside the brush never change; "preserve other labels" is honoured.
#include "ui/model/StrokeTool.h"

namespace dacw {

class MorphologyBrushTool : public StrokeTool {
public:
    enum class Mode { Open, Close };

    explicit MorphologyBrushTool(LabelEditor& editor) : StrokeTool(editor, std::make_shared<BrushShape>(BrushShape{15, true})) {}
    std::string name() const override { return "Smooth"; }

    void setMode(Mode m) { mode_ = m; }
    Mode mode() const { return mode_; }
    /// Radius of the disc structuring element, in pixels (1..10).
    void setRadius(int r) { radius_ = r < 1 ? 1 : r > 10 ? 10 : r; }
    int radius() const { return radius_; }

protected:
    bool beginStroke(const ToolEvent& e) override { return stamp(e.point); }
    bool continueStroke(const Point2& from, const Point2& to) override;

private:
    bool stamp(const Point2& at);

    int radius_ = 2;
    Mode mode_ = Mode::Open;
};

}  // namespace dacw
