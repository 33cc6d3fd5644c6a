#include "ui/OrthoViews.h"

#include <algorithm>
#include <cmath>

#include <QGridLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QTimer>

namespace dacw {

namespace {
bool sameStyle(const LabelStyle& a, const LabelStyle& b) {
    return a.color == b.color && a.opacity == b.opacity && a.visible == b.visible;
}

std::array<SliceAxis, 2> otherAxes(SliceAxis a) {
    switch (a) {
    case SliceAxis::Axial: return {SliceAxis::Coronal, SliceAxis::Sagittal};
    case SliceAxis::Coronal: return {SliceAxis::Axial, SliceAxis::Sagittal};
    case SliceAxis::Sagittal: return {SliceAxis::Axial, SliceAxis::Coronal};
    }
    return {SliceAxis::Coronal, SliceAxis::Sagittal};
}
}  // namespace

struct OrthoViews::Private {
    SliceView* primary = nullptr;
    std::array<SliceView*, 2> others{nullptr, nullptr};
    QLabel* info = nullptr;
    QGridLayout* grid = nullptr;
    bool active = false;
    bool moving = false;    // the cursor is moving the slices: their signals are ours
    bool dragging = false;  // a left drag places the cursor
    std::array<double, 3> cursor{0.0, 0.0, 0.0};
    std::array<std::size_t, 3> size{0, 0, 0};  // the image size the cursor belongs to
};

OrthoViews::OrthoViews(SliceView* primary, QWidget* parent) : QWidget(parent), d(std::make_unique<Private>()) {
    d->primary = primary;
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(2);
    grid->addWidget(primary, 0, 0);
    const char* names[] = {"orthoView1", "orthoView2"};
    for (int i = 0; i < 2; ++i) {
        auto* v = new SliceView;
        v->setObjectName(names[i]);
        v->hide();
        d->others[std::size_t(i)] = v;
    }
    grid->addWidget(d->others[0], 0, 1);
    grid->addWidget(d->others[1], 1, 0);
    d->info = new QLabel;
    d->info->setObjectName("orthoInfo");
    d->info->setWordWrap(true);
    d->info->setAlignment(Qt::AlignCenter);
    d->info->setMargin(12);
    d->info->hide();
    grid->addWidget(d->info, 1, 1);
    grid->setRowStretch(0, 1);
    grid->setColumnStretch(0, 1);
    d->grid = grid;
    for (SliceView* v : {d->primary, d->others[0], d->others[1]}) {
        v->installEventFilter(this);
        connect(v, &SliceView::viewStateChanged, this, [this, v] { sliceMoved(v); });
    }
    connect(d->primary, &SliceView::renderRequested, this, [this] { sync(); });
    connect(d->primary, &SliceView::interactorChanged, this, [this] { sync(); });
    connect(d->primary, &SliceView::labelsRefreshed, this, [this] { refreshLabels(d->primary); });
    connect(d->primary, &SliceView::windowLevelChanged, this, [this](double w, double l) {
        for (SliceView* v : d->others)
            if (v->pipeline().window() != w || v->pipeline().level() != l) v->setWindowLevel(w, l);
    });
}

OrthoViews::~OrthoViews() = default;

SliceView* OrthoViews::primary() const { return d->primary; }

QList<SliceView*> OrthoViews::views() const {
    if (!d->active) return {d->primary};
    return {d->primary, d->others[0], d->others[1]};
}

SliceView* OrthoViews::viewOf(SliceAxis axis) const {
    if (!d->active) return nullptr;
    for (SliceView* v : views())
        if (v->pipeline().axis() == axis) return v;
    return nullptr;
}

bool OrthoViews::isActive() const { return d->active; }

void OrthoViews::setActive(bool on) {
    const auto& image = d->primary->pipeline().image();
    on = on && image && !image->empty() && image->geometry().size[2] > 1;  // volumes only
    if (on == d->active) return;
    d->active = on;
    for (SliceView* v : d->others) v->setVisible(on);
    d->info->setVisible(on);
    d->grid->setRowStretch(1, on ? 1 : 0);  // four equal quarters, or the main view alone
    d->grid->setColumnStretch(1, on ? 1 : 0);
    if (on) {
        sync();
        // The cursor starts at the centre of what the main view shows, on its slice.
        const auto g = image->geometry().size;
        std::array<double, 3> c{double(g[0] / 2), double(g[1] / 2), double(g[2] / 2)};
        c[static_cast<int>(d->primary->pipeline().axis())] = double(d->primary->pipeline().slice());
        setCursorVoxel(c);
        // Fit the new views once the layout has given them a size.
        QTimer::singleShot(0, this, [this] {
            for (SliceView* v : d->others) v->fit();
            d->primary->fit();
        });
    } else {
        showCursor();
    }
    Q_EMIT activeChanged(on);
}

std::array<double, 3> OrthoViews::cursorVoxel() const { return d->cursor; }

void OrthoViews::setCursorVoxel(const std::array<double, 3>& voxel) {
    const auto& image = d->primary->pipeline().image();
    if (!image || image->empty()) return;
    const auto g = image->geometry().size;
    for (int a = 0; a < 3; ++a)
        d->cursor[std::size_t(a)] = std::clamp(std::round(voxel[std::size_t(a)]), 0.0, double(g[std::size_t(a)]) - 1.0);
    d->size = g;
    if (d->active) {
        d->moving = true;
        for (SliceView* v : views()) v->setSlice(std::size_t(d->cursor[std::size_t(static_cast<int>(v->pipeline().axis()))]));
        d->moving = false;
    }
    showCursor();
    Q_EMIT cursorMoved();
}

void OrthoViews::refreshLabels(SliceView* except) {
    if (!d->active) return;
    for (SliceView* v : views())
        if (v != except) {
            v->pipeline().labelsChanged();
            v->update();
        }
}

void OrthoViews::sync() {
    if (!d->active) return;
    const SliceViewPipeline& p = d->primary->pipeline();
    if (!p.image() || p.image()->empty() || p.sliceCount() == 0) {
        setActive(false);
        return;
    }
    if (p.image()->geometry().size[2] <= 1) {  // a 2D image: nothing to link
        setActive(false);
        return;
    }
    const auto axes = otherAxes(p.axis());
    for (std::size_t i = 0; i < 2; ++i) {
        SliceView* v = d->others[i];
        SliceViewPipeline& q = v->pipeline();
        bool changed = false;
        if (q.image() != p.image()) {
            v->setImage(p.image());
            changed = true;
        }
        if (q.axis() != axes[i]) {
            v->setAxis(axes[i]);
            changed = true;
        }
        if (q.labels() != p.labels()) {
            q.setLabels(p.labels());
            changed = true;
        }
        if (q.prediction() != p.prediction()) {
            q.setPrediction(p.prediction());
            changed = true;
        }
        if (q.heatMap() != p.heatMap()) {
            q.setHeatMap(p.heatMap());
            changed = true;
        }
        for (int value = 1; value < 256; ++value) {
            const auto vv = static_cast<std::uint8_t>(value);
            if (!sameStyle(q.labelStyle(vv), p.labelStyle(vv))) {
                q.setLabelStyle(vv, p.labelStyle(vv));
                changed = true;
            }
        }
        if (q.labelOpacity() != p.labelOpacity()) {
            q.setLabelOpacity(p.labelOpacity());
            changed = true;
        }
        if (q.labelOverlayStyle() != p.labelOverlayStyle()) {
            q.setLabelOverlayStyle(p.labelOverlayStyle());
            changed = true;
        }
        if (q.predictionOpacity() != p.predictionOpacity() || q.predictionOverlayStyle() != p.predictionOverlayStyle() ||
            q.predictionVisible() != p.predictionVisible()) {
            q.setPredictionOpacity(p.predictionOpacity());
            q.setPredictionOverlayStyle(p.predictionOverlayStyle());
            q.setPredictionVisible(p.predictionVisible());
            changed = true;
        }
        if (q.heatMapVisible() != p.heatMapVisible()) {
            q.setHeatMapVisible(p.heatMapVisible());
            changed = true;
        }
        if (q.window() != p.window() || q.level() != p.level()) {
            v->setWindowLevel(p.window(), p.level());
            changed = true;
        }
        if (v->interactor() != d->primary->interactor()) {
            v->setInteractor(d->primary->interactor());
            changed = true;
        }
        if (changed) v->update();
    }
    // Another image (another case): the cursor starts again from its centre.
    if (p.image()->geometry().size != d->size) {
        const auto g = p.image()->geometry().size;
        setCursorVoxel({double(g[0] / 2), double(g[1] / 2), double(g[2] / 2)});
    } else if (!p.crosshairVisible()) {
        showCursor();
    }
}

void OrthoViews::sliceMoved(SliceView* view) {
    if (!d->active || d->moving) return;
    const int n = static_cast<int>(view->pipeline().axis());
    const double s = double(view->pipeline().slice());
    if (d->cursor[std::size_t(n)] == s) return;
    d->cursor[std::size_t(n)] = s;
    showCursor();
    Q_EMIT cursorMoved();
}

void OrthoViews::placeCursor(SliceView* view, QPointF pos) {
    const auto uv = view->toSlice(pos);
    const SliceFrame f = view->pipeline().frame();
    const long u = std::lround(uv[0]), v = std::lround(uv[1]);
    if (!f.contains(u, v)) return;
    const auto vox = f.voxel(std::size_t(u), std::size_t(v));
    setCursorVoxel({double(vox[0]), double(vox[1]), double(vox[2])});
}

void OrthoViews::showCursor() {
    for (SliceView* v : {d->primary, d->others[0], d->others[1]}) {
        v->pipeline().setCrosshair(d->cursor, d->active);
        v->update();
    }
    if (!d->active) return;
    const auto& image = d->primary->pipeline().image();
    const std::array<std::size_t, 3> c{std::size_t(d->cursor[0]), std::size_t(d->cursor[1]), std::size_t(d->cursor[2])};
    QString text = tr("Cursor x %1  y %2  z %3").arg(c[0]).arg(c[1]).arg(c[2]);
    if (image && !image->empty()) {
        const auto mm = voxelToPhysical(image->geometry(), d->cursor);
        text += tr("\n%1, %2, %3 mm").arg(mm[0], 0, 'f', 1).arg(mm[1], 0, 'f', 1).arg(mm[2], 0, 'f', 1);
        text += tr("\nvalue %1").arg(double(image->at(c[0], c[1], c[2], 0)), 0, 'g', 5);
        const auto& labels = d->primary->pipeline().labels();
        if (labels && labels->geometry().sameSize(image->geometry()))
            text += tr("  label %1").arg(int(labels->at(c[0], c[1], c[2])));
    }
    text +=
        tr("\n\nClick with the navigation tool to move the cursor; scroll to change a view's slice; "
           "middle button or Alt + drag to pan.");
    d->info->setText(text);
}

bool OrthoViews::eventFilter(QObject* watched, QEvent* event) {
    auto* view = qobject_cast<SliceView*>(watched);
    if (!d->active || !view || view->interactor()) return QWidget::eventFilter(watched, event);
    const auto type = event->type();
    if (type != QEvent::MouseButtonPress && type != QEvent::MouseMove && type != QEvent::MouseButtonRelease)
        return QWidget::eventFilter(watched, event);
    auto* e = static_cast<QMouseEvent*>(event);
    if (type == QEvent::MouseButtonPress) {
        if (e->button() != Qt::LeftButton || (e->modifiers() & Qt::AltModifier)) return false;
        view->setFocus(Qt::MouseFocusReason);
        d->dragging = true;
        placeCursor(view, e->position());
        return true;
    }
    if (!d->dragging) return false;
    if (type == QEvent::MouseMove) {
        placeCursor(view, e->position());
        return false;  // the view still updates its readout
    }
    d->dragging = false;
    return true;
}

}  // namespace dacw
