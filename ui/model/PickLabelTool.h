#pragma once
// Pick label: the label under the pointer becomes the active label (background is ignored).
#include "ui/model/ToolModel.h"

namespace dacw {

class PickLabelTool : public ToolModel {
public:
    explicit PickLabelTool(LabelEditor& editor) : ToolModel(editor) {}
    std::string name() const override { return "Pick label"; }
    ToolResult press(const ToolEvent& e) override;
};

}  // namespace dacw
