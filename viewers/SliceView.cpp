#include "viewers/SliceView.h"

#include <cmath>

#include <QKeyEvent>
#include <QMouseEvent>
#include <QWheelEvent>

#include <vtkGenericOpenGLRenderWindow.h>

namespace dacw {

namespace {
enum class Drag { None, Tool, Pan, WindowLevel };
}

struct SliceView::Private {
    SliceViewPipeline pipeline;
    SliceInteractor* interactor = nullptr;
    Drag drag = Drag::None;
    QPointF last;
    double startWindow = 0.0, startLevel = 0.0;
    QPointF dragStart;
    QString status;
    bool sized = false;
    bool fitPending = true;
};

SliceView::SliceView(QWidget* parent) : QtVtkWidget(parent), d(std::make_unique<Private>()) {
    d->pipeline.attach(renderWindow());
}

SliceView::~SliceView() = default;

SliceViewPipeline& SliceView::pipeline() { return d->pipeline; }
const SliceViewPipeline& SliceView::pipeline() const { return d->pipeline; }

void SliceView::setImage(std::shared_ptr<const Image> image) {
    d->pipeline.setImage(std::move(image));
    d->fitPending = !d->sized;
    Q_EMIT windowLevelChanged(d->pipeline.window(), d->pipeline.level());
    viewChanged();
}

void SliceView::setLabels(std::shared_ptr<const LabelMap> labels) {
    d->pipeline.setLabels(std::move(labels));
    requestRender();
}

void SliceView::setPrediction(std::shared_ptr<const LabelMap> prediction) {
    d->pipeline.setPrediction(std::move(prediction));
    requestRender();
}

void SliceView::setHeatMap(std::shared_ptr<const LabelMap> heat) {
    d->pipeline.setHeatMap(std::move(heat));
    requestRender();
}

void SliceView::labelsChanged() {
    d->pipeline.labelsChanged();
    requestRender();
    Q_EMIT labelsRefreshed();
}

void SliceView::setInteractor(SliceInteractor* interactor) {
    if (d->interactor && d->interactor != interactor) d->interactor->leave(*this);
    d->interactor = interactor;
    d->pipeline.setBrushCursor(0, 0, 0, true, false);
    d->pipeline.setToolOutline({}, false);
    setCursor(interactor ? Qt::CrossCursor : Qt::OpenHandCursor);
    requestRender();
    Q_EMIT interactorChanged();
}
SliceInteractor* SliceView::interactor() const { return d->interactor; }

void SliceView::setAxis(SliceAxis axis) {
    d->pipeline.setAxis(axis);
    viewChanged();
}

void SliceView::setSlice(std::size_t slice) {
    d->pipeline.setSlice(slice);
    viewChanged();
}

void SliceView::stepSlice(int delta) {
    const long n = static_cast<long>(d->pipeline.sliceCount());
    const long s = std::clamp<long>(static_cast<long>(d->pipeline.slice()) + delta, 0, std::max(0L, n - 1));
    setSlice(static_cast<std::size_t>(s));
}

void SliceView::fit() {
    d->pipeline.fit();
    viewChanged();
}

void SliceView::oneToOne() {
    d->pipeline.oneToOne();
    viewChanged();
}

void SliceView::zoomBy(double factor) {
    d->pipeline.zoom(factor);
    viewChanged();
}

void SliceView::zoomAt(double factor, QPointF pos) {
    const double dpr = devicePixelRatioF();
    d->pipeline.zoom(factor, pos.x() * dpr, pos.y() * dpr);
    viewChanged();
}

void SliceView::panBy(QPointF delta) {
    const double dpr = devicePixelRatioF();
    d->pipeline.pan(delta.x() * dpr, delta.y() * dpr);
    viewChanged();
}

void SliceView::setViewState(const ViewState& s) {
    d->pipeline.setViewState(s);
    d->fitPending = false;
    requestRender();
}

void SliceView::setWindowLevel(double window, double level) {
    d->pipeline.setWindowLevel(window, level);
    Q_EMIT windowLevelChanged(d->pipeline.window(), d->pipeline.level());
    requestRender();
}

QList<WindowLevelPreset> SliceView::windowLevelPresets() const {
    QList<WindowLevelPreset> out;
    const auto [w, l] = d->pipeline.defaultWindowLevel();
    out.push_back({tr("Automatic (0.5-99.5 %)"), w, l});
    if (const auto& img = d->pipeline.image(); img && !img->empty()) {
        const auto [lo, hi] = img->range();
        out.push_back({tr("Full range"), std::max(1e-3, double(hi) - lo), (double(hi) + lo) / 2.0});
    }
    out.push_back({tr("CT soft tissue"), 400.0, 40.0});
    out.push_back({tr("CT lung"), 1500.0, -600.0});
    out.push_back({tr("CT bone"), 2000.0, 500.0});
    return out;
}

QString SliceView::statusText() const { return d->status; }

std::array<double, 2> SliceView::toSlice(QPointF pos) const {
    const double dpr = devicePixelRatioF();
    return d->pipeline.displayToSlice(pos.x() * dpr, pos.y() * dpr);
}

QPointF SliceView::toWidget(double u, double v) const {
    const double dpr = devicePixelRatioF();
    const auto p = d->pipeline.sliceToDisplay(u, v);
    return {p[0] / dpr, p[1] / dpr};
}

void SliceView::requestRender() {
    update();
    Q_EMIT renderRequested();
}

void SliceView::beforeRender(int width, int height) { d->pipeline.setViewportSize(width, height); }

void SliceView::resizeEvent(QResizeEvent* e) {
    const double dpr = devicePixelRatioF();
    d->pipeline.setViewportSize(static_cast<int>(width() * dpr), static_cast<int>(height() * dpr));
    d->sized = true;
    if (d->fitPending) {
        d->fitPending = false;
        d->pipeline.fit();
    }
    QtVtkWidget::resizeEvent(e);
}

SliceMouseEvent SliceView::makeEvent(QMouseEvent* e) const {
    SliceMouseEvent ev;
    ev.pos = e->position();
    const double dpr = devicePixelRatioF();
    ev.pick = d->pipeline.pick(ev.pos.x() * dpr, ev.pos.y() * dpr);
    ev.slicePoint = ev.pick.slicePoint;
    ev.button = e->button();
    ev.buttons = e->buttons();
    ev.modifiers = e->modifiers();
    return ev;
}

void SliceView::mousePressEvent(QMouseEvent* e) {
    setFocus(Qt::MouseFocusReason);
    d->last = e->position();
    d->dragStart = e->position();
    const bool alt = e->modifiers() & Qt::AltModifier;
    if (e->button() == Qt::LeftButton && !alt && d->interactor) {
        if (d->interactor->press(*this, makeEvent(e))) {
            d->drag = Drag::Tool;
            return;
        }
    }
    if (e->button() == Qt::RightButton) {
        d->drag = Drag::WindowLevel;
        d->startWindow = d->pipeline.window();
        d->startLevel = d->pipeline.level();
    } else if (e->button() == Qt::MiddleButton || e->button() == Qt::LeftButton) {
        d->drag = Drag::Pan;
        setCursor(Qt::ClosedHandCursor);
    }
}

void SliceView::mouseMoveEvent(QMouseEvent* e) {
    const QPointF pos = e->position();
    switch (d->drag) {
    case Drag::Tool: d->interactor->drag(*this, makeEvent(e)); break;
    case Drag::Pan: panBy(pos - d->last); break;
    case Drag::WindowLevel: {
        // Right/left changes the window (contrast), up/down the level (brightness), in
        // proportion to the default window so that the speed suits any intensity range.
        const double base = d->pipeline.defaultWindowLevel().first;
        const QPointF delta = pos - d->dragStart;
        const double w = std::max(1e-3, d->startWindow * std::exp(delta.x() / 200.0));
        const double l = d->startLevel - delta.y() * base / 400.0;
        setWindowLevel(w, l);
        break;
    }
    case Drag::None:
        if (d->interactor) {
            d->interactor->hover(*this, makeEvent(e));
        }
        break;
    }
    d->last = pos;
    updateStatus(pos);
}

void SliceView::mouseReleaseEvent(QMouseEvent* e) {
    if (d->drag == Drag::Tool && d->interactor) d->interactor->release(*this, makeEvent(e));
    if (d->drag == Drag::Pan) setCursor(d->interactor ? Qt::CrossCursor : Qt::OpenHandCursor);
    d->drag = Drag::None;
}

void SliceView::mouseDoubleClickEvent(QMouseEvent* e) {
    if (e->button() == Qt::LeftButton && d->interactor) {
        d->interactor->doubleClick(*this, makeEvent(e));
        return;
    }
    if (e->button() == Qt::MiddleButton) fit();
}

void SliceView::wheelEvent(QWheelEvent* e) {
    const double steps = e->angleDelta().y() / 120.0;
    if (steps == 0.0) return;
    if (e->modifiers() & (Qt::ControlModifier | Qt::ShiftModifier)) {
        stepSlice(steps > 0 ? 1 : -1);
    } else {
        zoomAt(std::pow(1.2, steps), e->position());
    }
    updateStatus(e->position());
    e->accept();
}

void SliceView::keyPressEvent(QKeyEvent* e) {
    if (d->interactor && d->interactor->key(*this, e->key(), e->modifiers())) return;
    switch (e->key()) {
    case Qt::Key_Up:
    case Qt::Key_PageUp: stepSlice(e->key() == Qt::Key_PageUp ? 5 : 1); break;
    case Qt::Key_Down:
    case Qt::Key_PageDown: stepSlice(e->key() == Qt::Key_PageDown ? -5 : -1); break;
    case Qt::Key_Home: setSlice(0); break;
    case Qt::Key_End: setSlice(d->pipeline.sliceCount() ? d->pipeline.sliceCount() - 1 : 0); break;
    case Qt::Key_F: fit(); break;
    case Qt::Key_1: oneToOne(); break;
    case Qt::Key_Plus:
    case Qt::Key_Equal: zoomBy(1.25); break;
    case Qt::Key_Minus: zoomBy(1.0 / 1.25); break;
    case Qt::Key_R:
        d->pipeline.resetWindowLevel();
        setWindowLevel(d->pipeline.window(), d->pipeline.level());
        break;
    default: QtVtkWidget::keyPressEvent(e); return;
    }
    updateStatus(mapFromGlobal(QCursor::pos()));
}

void SliceView::leaveEvent(QEvent* e) {
    if (d->interactor) d->interactor->leave(*this);
    d->pipeline.setBrushCursor(0, 0, 0, true, false);
    requestRender();
    QtVtkWidget::leaveEvent(e);
}

void SliceView::updateStatus(QPointF pos) {
    const double dpr = devicePixelRatioF();
    const PickResult p = d->pipeline.pick(pos.x() * dpr, pos.y() * dpr);
    d->status = QString::fromStdString(p.describe());
    Q_EMIT statusChanged(d->status);
    Q_EMIT pickChanged(p);
}

void SliceView::viewChanged() {
    requestRender();
    Q_EMIT viewStateChanged(d->pipeline.viewState());
}

}  // namespace dacw
