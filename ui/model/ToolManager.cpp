#include "ui/model/ToolManager.h"

#include <stdexcept>

namespace dacw {

void ToolManager::addEntry(Entry e) {
    if (entry(e.id)) throw std::logic_error("Tool registered twice: " + e.id);
    if (tools_.empty()) active_ = e.id;
    tools_.push_back(std::move(e));
}

const ToolManager::Entry* ToolManager::entry(const std::string& id) const {
    for (const auto& e : tools_)
        if (e.id == id) return &e;
    return nullptr;
}

ToolModel* ToolManager::activeModel() const {
    const Entry* e = entry(active_);
    return e ? e->model.get() : nullptr;
}

bool ToolManager::setActive(const std::string& id) {
    if (!entry(id)) return false;
    if (id != active_)
        if (ToolModel* old = activeModel()) old->cancel();
    active_ = id;
    for (const auto& l : listeners_) l(id);
    return true;
}

void ToolManager::imageChanged(const Image& image) {
    for (const auto& e : tools_)
        if (e.model) e.model->imageChanged(image);
}

}  // namespace dacw
