#pragma once
// The Qt side of the annotation tools: forwards a SliceView's left-button and hover events to
// the active ToolModel and turns its results into repaints and signals. No painting logic here.
#include <QObject>

#include "ui/model/ToolModel.h"
#include "viewers/SliceView.h"

namespace dacw {

class ToolInteractor : public QObject, public SliceInteractor {
    Q_OBJECT
public:
    explicit ToolInteractor(QObject* parent = nullptr);

    void setTool(ToolModel* tool);  // not owned; nullptr = navigation
    ToolModel* tool() const { return tool_; }
    /// Enter / Escape for the active tool, on a view.
    void finish(SliceView& view);
    void cancel(SliceView& view);

    bool press(SliceView& view, const SliceMouseEvent& e) override;
    void drag(SliceView& view, const SliceMouseEvent& e) override;
    void release(SliceView& view, const SliceMouseEvent& e) override;
    void hover(SliceView& view, const SliceMouseEvent& e) override;
    void doubleClick(SliceView& view, const SliceMouseEvent& e) override;
    void leave(SliceView& view) override;
    bool key(SliceView& view, int key, Qt::KeyboardModifiers mods) override;

Q_SIGNALS:
    /// A tool is about to start an edit (autosave flushes the previous one first).
    void editStarting();
    void labelsChanged(dacw::SliceView* view);
    void editFinished();
    void activeLabelPicked(int value);

private:
    ToolEvent toolEvent(SliceView& view, const SliceMouseEvent& e) const;
    void apply(SliceView& view, const ToolResult& r);

    ToolModel* tool_ = nullptr;
};

}  // namespace dacw
