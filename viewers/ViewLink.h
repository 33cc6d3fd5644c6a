#pragma once
// Links any number of slice views: a zoom, pan, slice or orientation change in one is applied to
// all the others, so that a reviewer compares the same spot in several images.
#include <QList>
#include <QObject>
#include <QPointer>

#include "viewers/SliceView.h"

namespace dacw {

class ViewLink : public QObject {
    Q_OBJECT
public:
    explicit ViewLink(QObject* parent = nullptr);

    /// The new view takes the state of the views already linked (when there are any).
    void add(SliceView* view);
    void remove(SliceView* view);
    QList<SliceView*> views() const;

private:
    void propagate(SliceView* source, const ViewState& state);

    QList<QPointer<SliceView>> views_;
    bool propagating_ = false;
};

}  // namespace dacw
