#pragma once
// Three linked views of a volume — axial, coronal and sagittal — around the window's main slice
// view, with one 3D cursor drawn as a crosshair in each. The main view stays the one the window
// talks to (tools, readouts, W/L); the two others mirror its layers, label styles, window/level
// and annotation tool, so an edit in any view is an edit of the same label map.
//
// Navigation: with no annotation tool active, a left click (or drag) places the cursor in every
// view, and the two other views move to the slices through it; scrolling the slices of one view
// moves the cursor along that view's normal. Pan stays on the middle button (or Alt + left).
#include <array>
#include <memory>

#include <QWidget>

#include "viewers/SliceView.h"

namespace dacw {

class OrthoViews : public QWidget {
    Q_OBJECT
public:
    /// `primary` moves into this widget's layout (top left).
    explicit OrthoViews(SliceView* primary, QWidget* parent = nullptr);
    ~OrthoViews() override;

    SliceView* primary() const;
    /// The views in layout order: the primary, then the two others (empty slots when inactive).
    QList<SliceView*> views() const;
    /// The view that shows `axis` while three views are on; nullptr otherwise.
    SliceView* viewOf(SliceAxis axis) const;

    /// On: the primary shows the axial slice through the cursor and the two others appear. Off:
    /// the primary alone, as before (its slice and camera are kept).
    void setActive(bool on);
    bool isActive() const;

    /// The shared cursor (voxel indices x, y, z), clamped to the image; the other views' slices
    /// follow it.
    void setCursorVoxel(const std::array<double, 3>& voxel);
    std::array<double, 3> cursorVoxel() const;

    /// Re-reads the label slice of every view but `except` (after a tool edited in that one).
    void refreshLabels(SliceView* except = nullptr);

Q_SIGNALS:
    void cursorMoved();
    void activeChanged(bool on);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void sync();                       // layers, styles, W/L and tool from the primary
    void sliceMoved(SliceView* view);  // the cursor follows a view's slice
    void placeCursor(SliceView* view, QPointF pos);
    void showCursor();

    struct Private;
    std::unique_ptr<Private> d;
};

}  // namespace dacw
