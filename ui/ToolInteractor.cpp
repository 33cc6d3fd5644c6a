#include "ui/ToolInteractor.h"

namespace dacw {

ToolInteractor::ToolInteractor(QObject* parent) : QObject(parent) {}

void ToolInteractor::setTool(ToolModel* tool) {
    if (tool_ && tool_ != tool) tool_->cancel();
    tool_ = tool;
}

ToolEvent ToolInteractor::toolEvent(SliceView& view, const SliceMouseEvent& e) const {
    ToolEvent t;
    t.frame = view.pipeline().frame();
    t.point = e.slicePoint;
    t.shift = e.modifiers & Qt::ShiftModifier;
    t.control = e.modifiers & Qt::ControlModifier;
    return t;
}

void ToolInteractor::apply(SliceView& view, const ToolResult& r) {
    if (!tool_) return;
    if (r.feedbackChanged) {
        const ToolFeedback& f = tool_->feedback();
        view.pipeline().setBrushCursor(f.brushCentre[0], f.brushCentre[1], f.brushRadius, f.brushRound, f.brushVisible);
        view.pipeline().setToolOutline(f.outline, f.outlineClosed);
    }
    if (r.labelsChanged) {
        view.pipeline().labelsChanged();
        Q_EMIT labelsChanged(&view);
    }
    if (r.activeLabelChanged) Q_EMIT activeLabelPicked(tool_->editor().activeLabel());
    if (r.feedbackChanged || r.labelsChanged) view.requestRender();
    if (r.editFinished) Q_EMIT editFinished();
}

bool ToolInteractor::press(SliceView& view, const SliceMouseEvent& e) {
    if (!tool_ || !tool_->editor().hasData()) return false;
    Q_EMIT editStarting();
    apply(view, tool_->press(toolEvent(view, e)));
    return true;
}

void ToolInteractor::drag(SliceView& view, const SliceMouseEvent& e) {
    if (tool_) apply(view, tool_->drag(toolEvent(view, e)));
}

void ToolInteractor::release(SliceView& view, const SliceMouseEvent& e) {
    if (tool_) apply(view, tool_->release(toolEvent(view, e)));
}

void ToolInteractor::hover(SliceView& view, const SliceMouseEvent& e) {
    if (tool_) apply(view, tool_->hover(toolEvent(view, e)));
}

void ToolInteractor::doubleClick(SliceView& view, const SliceMouseEvent& e) {
    if (tool_) apply(view, tool_->doubleClick(toolEvent(view, e)));
}

void ToolInteractor::leave(SliceView& view) {
    if (tool_) apply(view, tool_->leave());
}

void ToolInteractor::finish(SliceView& view) {
    if (tool_) apply(view, tool_->finish());
}

void ToolInteractor::cancel(SliceView& view) {
    if (tool_) apply(view, tool_->cancel());
}

bool ToolInteractor::key(SliceView& view, int key, Qt::KeyboardModifiers) {
    if (!tool_) return false;
    if (key == Qt::Key_Return || key == Qt::Key_Enter) {
        finish(view);
        return true;
    }
    if (key == Qt::Key_Escape) {
        cancel(view);
        return true;
    }
    return false;
}

}  // namespace dacw
