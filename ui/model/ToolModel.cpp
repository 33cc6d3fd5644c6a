#include "ui/model/ToolModel.h"

namespace dacw {

ToolResult ToolModel::cancel() {
    ToolResult r;
    r.feedbackChanged = !feedback_.outline.empty() || feedback_.brushVisible;
    feedback_ = {};
    return r;
}

ToolResult ToolModel::leave() {
    ToolResult r;
    r.feedbackChanged = feedback_.brushVisible;
    feedback_.brushVisible = false;
    return r;
}

}  // namespace dacw
