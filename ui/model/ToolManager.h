#pragma once
// The annotation tools of one window and which of them is active (MITK's ToolManager). The window
// builds its tool actions and option panels from tools(); it keeps no list of its own. Plain C++:
// no Qt, no VTK.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ui/model/ToolModel.h"

namespace dacw {

class ToolManager {
public:
    struct Entry {
        std::string id;                    // also the name of the window's action ("toolBrush")
        std::string text;                  // "Brush"
        char key = 0;                      // one-letter shortcut ('B'), 0 for none
        std::unique_ptr<ToolModel> model;  // null: navigation (no tool on the view)
    };

    explicit ToolManager(LabelEditor& editor) : editor_(editor) {}
    ToolManager(const ToolManager&) = delete;
    ToolManager& operator=(const ToolManager&) = delete;

    LabelEditor& editor() { return editor_; }

    /// Registers a tool made as T(editor, args...). Ids are unique; the first tool registered is
    /// active until another is chosen.
    template <class T, class... Args>
    T& add(std::string id, std::string text, char key, Args&&... args) {
        auto model = std::make_unique<T>(editor_, std::forward<Args>(args)...);
        T& t = *model;
        addEntry({std::move(id), std::move(text), key, std::move(model)});
        return t;
    }
    /// The navigation entry: the view pans and zooms, no tool edits.
    void addNavigation(std::string id, std::string text, char key) { addEntry({std::move(id), std::move(text), key, nullptr}); }

    const std::vector<Entry>& tools() const { return tools_; }
    const Entry* entry(const std::string& id) const;
    /// The model of a tool as its class; null when the id is unknown or of another class.
    template <class T>
    T* find(const std::string& id) const {
        const Entry* e = entry(id);
        return e ? dynamic_cast<T*>(e->model.get()) : nullptr;
    }
    /// Every model of class T (the brush and the eraser share their size this way).
    template <class T>
    std::vector<T*> all() const {
        std::vector<T*> out;
        for (const auto& e : tools_)
            if (auto* t = dynamic_cast<T*>(e.model.get())) out.push_back(t);
        return out;
    }

    /// Makes a tool active; the one it replaces drops a pending shape first. False for an unknown id.
    bool setActive(const std::string& id);
    const std::string& active() const { return active_; }
    ToolModel* activeModel() const;
    /// Called after every change of the active tool, with the new id.
    void onActiveChanged(std::function<void(const std::string&)> listener) { listeners_.push_back(std::move(listener)); }

    /// A new image is open: every tool resets what depends on it (ToolModel::imageChanged).
    void imageChanged(const Image& image);

private:
    void addEntry(Entry e);

    LabelEditor& editor_;
    std::vector<Entry> tools_;
    std::string active_;
    std::vector<std::function<void(const std::string&)>> listeners_;
};

}  // namespace dacw
