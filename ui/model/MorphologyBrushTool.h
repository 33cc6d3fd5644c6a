#pragma once
// Smoothing brush: where it is dragged, the active label is opened (specks and thin spurs
// narrower than the radius are removed) or closed (holes and notches narrower than the radius
// are filled). Pixels outside the brush never change; "preserve other labels" is honoured.
#include "ui/model/ToolModel.h"

namespace dacw {

class MorphologyBrushTool : public ToolModel {
public:
    enum class Mode { Open, Close };

    explicit MorphologyBrushTool(LabelEditor& editor) : ToolModel(editor) {}
    std::string name() const override { return "Smooth"; }

    void setDiameter(int d) { diameter_ = d < 1 ? 1 : d > 255 ? 255 : d; }
    int diameter() const { return diameter_; }
    void setMode(Mode m) { mode_ = m; }
    Mode mode() const { return mode_; }
    /// Radius of the disc structuring element, in pixels (1..10).
    void setRadius(int r) { radius_ = r < 1 ? 1 : r > 10 ? 10 : r; }
    int radius() const { return radius_; }
    bool resize(int delta) override
    {
        setDiameter(diameter_ + delta);
        return true;
    }

    ToolResult press(const ToolEvent& e) override;
    ToolResult drag(const ToolEvent& e) override;
    ToolResult release(const ToolEvent& e) override;
    ToolResult hover(const ToolEvent& e) override;

private:
    bool stamp(const Point2& at);
    void updateCursor(const Point2& p);

    int diameter_ = 15;
    int radius_ = 2;
    Mode mode_ = Mode::Open;
    bool painting_ = false;
    Point2 last_{};
};

}  // namespace dacw
