#include "viewers/ViewLink.h"

namespace dacw {

ViewLink::ViewLink(QObject* parent) : QObject(parent) {}

void ViewLink::add(SliceView* view) {
    if (!view || views().contains(view)) return;
    if (!views().isEmpty()) view->setViewState(views().first()->pipeline().viewState());
    views_.push_back(view);
    connect(view, &SliceView::viewStateChanged, this, [this, view](const ViewState& s) { propagate(view, s); });
    connect(view, &QObject::destroyed, this,
            [this] { views_.removeIf([](const QPointer<SliceView>& p) { return p.isNull(); }); });
}

void ViewLink::remove(SliceView* view) {
    if (!view) return;
    disconnect(view, nullptr, this, nullptr);
    views_.removeAll(view);
}

QList<SliceView*> ViewLink::views() const {
    QList<SliceView*> out;
    for (const auto& v : views_)
        if (v) out.push_back(v);
    return out;
}

void ViewLink::propagate(SliceView* source, const ViewState& state) {
    if (propagating_) return;
    propagating_ = true;
    for (SliceView* v : views())
        if (v != source) v->setViewState(state);
    propagating_ = false;
}

}  // namespace dacw
