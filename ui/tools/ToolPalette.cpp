#include "ui/tools/ToolPalette.h"

namespace dacw {

ToolOptions* ToolPalette::createOptions(const std::string& id) const {
    const auto it = options_.find(id);
    return it == options_.end() ? nullptr : it->second();
}

}  // namespace dacw
