#pragma once
// Threshold inside a box: drag a rectangle; its pixels with intensity in [low, high] take the
// active label (Shift: are erased).
#include "ui/model/ToolModel.h"

namespace dacw {

class ThresholdBoxTool : public ToolModel {
public:
    explicit ThresholdBoxTool(LabelEditor& editor) : ToolModel(editor) {}
    std::string name() const override { return "Threshold in box"; }
    void setRange(double low, double high) {
        low_ = low;
        high_ = high;
    }
    double low() const { return low_; }
    double high() const { return high_; }

    ToolResult press(const ToolEvent& e) override;
    ToolResult drag(const ToolEvent& e) override;
    ToolResult release(const ToolEvent& e) override;
    ToolResult cancel() override;
    /// The range becomes [middle of the image's intensities, its maximum].
    void imageChanged(const Image& image) override;

private:
    void updateOutline(const Point2& to);

    double low_ = 128.0, high_ = 255.0;
    bool dragging_ = false;
    bool erase_ = false;
    SliceFrame frame_;
    Point2 start_{};
};

}  // namespace dacw
