#pragma once
// Polygon fill (click vertices; double-click, Enter or a click on the first vertex closes) and
// lasso fill (drag a freehand outline; release closes). The inside and the outline are filled.
#include "ui/model/ToolModel.h"

namespace dacw {

class PolygonTool : public ToolModel {
public:
    enum class Mode { Polygon, Lasso };
    PolygonTool(LabelEditor& editor, Mode mode) : ToolModel(editor), mode_(mode) {}

    std::string name() const override { return mode_ == Mode::Polygon ? "Polygon" : "Lasso"; }
    Mode mode() const { return mode_; }
    const std::vector<Point2>& vertices() const { return vertices_; }

    ToolResult press(const ToolEvent& e) override;
    ToolResult drag(const ToolEvent& e) override;
    ToolResult release(const ToolEvent& e) override;
    ToolResult hover(const ToolEvent& e) override;
    ToolResult doubleClick(const ToolEvent& e) override;
    ToolResult finish() override;
    ToolResult cancel() override;

private:
    ToolResult close();
    void updateOutline(const Point2* cursor);

    Mode mode_;
    std::vector<Point2> vertices_;
    SliceFrame frame_;
    bool erase_ = false;
    bool drawing_ = false;
};

}  // namespace dacw
