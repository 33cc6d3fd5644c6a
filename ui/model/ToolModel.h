#pragma once
// The annotation tools as models (ITK-SNAP's GUI/Model ring): each takes press/drag/release
// events in slice coordinates, edits the LabelEditor, and describes the feedback to draw
// (brush footprint, polygon, box). A Qt adapter forwards view events; tests call them directly.
#include <array>
#include <string>
#include <vector>

#include "ui/model/LabelEditor.h"

namespace dacw {

struct ToolEvent {
    SliceFrame frame;  // the slice shown (size = the label map's)
    Point2 point{};    // continuous slice coordinates (u, v)
    bool shift = false;
    bool control = false;
};

/// What an event did, so the view knows what to redraw and the window what to save.
struct ToolResult {
    bool labelsChanged = false;  // pixels of the label map changed
    bool editFinished = false;   // an undo step was recorded (autosave point)
    bool feedbackChanged = false;
    bool activeLabelChanged = false;
    ToolResult& operator|=(const ToolResult& o) {
        labelsChanged |= o.labelsChanged;
        editFinished |= o.editFinished;
        feedbackChanged |= o.feedbackChanged;
        activeLabelChanged |= o.activeLabelChanged;
        return *this;
    }
};

/// What the view draws for the tool.
struct ToolFeedback {
    bool brushVisible = false;
    Point2 brushCentre{};
    double brushRadius = 0.0;
    bool brushRound = true;
    std::vector<Point2> outline;  // polygon, lasso or box, in slice coordinates
    bool outlineClosed = false;
};

class ToolModel {
public:
    explicit ToolModel(LabelEditor& editor) : editor_(editor) {}
    virtual ~ToolModel() = default;

    virtual std::string name() const = 0;
    virtual ToolResult press(const ToolEvent& e) = 0;
    virtual ToolResult drag(const ToolEvent& e) { return {}; }
    virtual ToolResult release(const ToolEvent& e) { return {}; }
    virtual ToolResult hover(const ToolEvent& e) { return {}; }
    virtual ToolResult doubleClick(const ToolEvent& e) { return {}; }
    /// Enter: completes a pending shape (polygon).
    virtual ToolResult finish() { return {}; }
    /// Escape, or leaving the tool: drops a pending shape.
    virtual ToolResult cancel();
    /// The pointer left the view.
    virtual ToolResult leave();
    /// The [ and ] keys: grows or shrinks the tool by delta pixels; false when it has no size.
    virtual bool resize(int delta) { return false; }
    /// A new image is open: reset settings that depend on its intensities (default: none).
    virtual void imageChanged(const Image& image) {}

    const ToolFeedback& feedback() const { return feedback_; }
    LabelEditor& editor() { return editor_; }

protected:
    LabelEditor& editor_;
    ToolFeedback feedback_;
};

}  // namespace dacw
