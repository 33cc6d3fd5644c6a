#pragma once
// The Qt side of the tool list: a ToolManager plus, for each tool that has options, a factory for
// its small options widget. A tool is added with one line in WorkbenchTools.cpp (its model class
// in ui/model and, if it has options, one widget here); the main window builds its actions, the
// toolbar and the options panel from the list.
#include <functional>
#include <map>
#include <string>
#include <type_traits>

#include <QWidget>

#include "ui/model/ToolManager.h"

namespace dacw {

/// Base of the options widgets: refresh() re-reads the model (after [ / ], a new image, or when
/// the tool becomes active).
class ToolOptions : public QWidget {
public:
    using QWidget::QWidget;
    virtual void refresh() {}
};

class ToolPalette {
public:
    explicit ToolPalette(LabelEditor& editor) : manager_(editor) {}

    ToolManager& manager() { return manager_; }
    const ToolManager& manager() const { return manager_; }

    /// Registers T(editor, args...) with the options widget Options(T&), or none for void.
    template <class T, class Options = void, class... Args>
    T& add(std::string id, std::string text, char key, Args&&... args) {
        T& tool = manager_.add<T>(id, std::move(text), key, std::forward<Args>(args)...);
        if constexpr (!std::is_void_v<Options>) options_[id] = [&tool] { return static_cast<ToolOptions*>(new Options(tool)); };
        return tool;
    }
    void addNavigation(std::string id, std::string text, char key) {
        manager_.addNavigation(std::move(id), std::move(text), key);
    }

    /// A new options widget for a tool; null when it has none.
    ToolOptions* createOptions(const std::string& id) const;

private:
    ToolManager manager_;
    std::map<std::string, std::function<ToolOptions*()>> options_;
};

/// The workbench's tools in toolbar order: the one place a tool is registered.
void addWorkbenchTools(ToolPalette& palette);

}  // namespace dacw
