#pragma once
// A slice viewer: the Qt widget that turns mouse and keys into calls on its SliceViewPipeline.
// Navigation (zoom, pan, window/level, slice) is handled here; the left button is offered first
// to the SliceInteractor (the active annotation tool), when one is set.
#include <memory>

#include <QPointF>
#include <QString>

#include "viewers/QtVtkWidget.h"
#include "viewers/SliceViewPipeline.h"

namespace dacw {

class SliceView;

/// A mouse event in slice terms.
struct SliceMouseEvent {
    QPointF pos;                       // widget position (logical pixels)
    std::array<double, 2> slicePoint;  // continuous slice coordinates (u, v)
    PickResult pick;
    Qt::MouseButton button = Qt::NoButton;
    Qt::MouseButtons buttons;
    Qt::KeyboardModifiers modifiers;
};

/// Receives the left button and hover events of a SliceView (an annotation tool).
class SliceInteractor {
public:
    virtual ~SliceInteractor() = default;
    /// Return true to take the press (and the drag and release that follow).
    virtual bool press(SliceView& view, const SliceMouseEvent& e) = 0;
    virtual void drag(SliceView& view, const SliceMouseEvent& e) = 0;
    virtual void release(SliceView& view, const SliceMouseEvent& e) = 0;
    virtual void hover(SliceView& view, const SliceMouseEvent& e) {}
    virtual void doubleClick(SliceView& view, const SliceMouseEvent& e) {}
    virtual void leave(SliceView& view) {}
    /// Return true when the key was used.
    virtual bool key(SliceView& view, int key, Qt::KeyboardModifiers mods) { return false; }
};

struct WindowLevelPreset {
    QString name;
    double window;
    double level;
};

class SliceView : public QtVtkWidget {
    Q_OBJECT
public:
    explicit SliceView(QWidget* parent = nullptr);
    ~SliceView() override;

    SliceViewPipeline& pipeline();
    const SliceViewPipeline& pipeline() const;

    void setImage(std::shared_ptr<const Image> image);
    void setLabels(std::shared_ptr<const LabelMap> labels);
    void setPrediction(std::shared_ptr<const LabelMap> prediction);
    void setHeatMap(std::shared_ptr<const LabelMap> heat);
    /// Re-reads the label slice and repaints (after a tool edited the label map).
    void labelsChanged();

    void setInteractor(SliceInteractor* interactor);  // not owned; nullptr = navigation only
    SliceInteractor* interactor() const;

    // Navigation; each emits viewStateChanged so that linked views follow.
    void setAxis(SliceAxis axis);
    void setSlice(std::size_t slice);
    void stepSlice(int delta);
    void fit();
    void oneToOne();
    void zoomBy(double factor);
    void zoomAt(double factor, QPointF pos);
    void panBy(QPointF delta);
    void setViewState(const ViewState& s);  // from a linked view: does not re-emit
    void setWindowLevel(double window, double level);
    QList<WindowLevelPreset> windowLevelPresets() const;

    /// The readout of the last position under the cursor.
    QString statusText() const;
    /// Slice coordinates of a widget position.
    std::array<double, 2> toSlice(QPointF pos) const;
    QPointF toWidget(double u, double v) const;

    /// Schedules a repaint (renders once per event-loop pass however often it is called).
    void requestRender();

Q_SIGNALS:
    void viewStateChanged(const dacw::ViewState& state);
    void windowLevelChanged(double window, double level);
    void statusChanged(const QString& text);
    void pickChanged(const dacw::PickResult& pick);
    /// A repaint was scheduled (a layer, style or camera changed): views that mirror this one sync.
    void renderRequested();
    /// labelsChanged() re-read the label slice (an edit, undo, a loaded label map).
    void labelsRefreshed();
    void interactorChanged();

protected:
    void beforeRender(int width, int height) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;
    void mouseDoubleClickEvent(QMouseEvent* e) override;
    void wheelEvent(QWheelEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;
    void leaveEvent(QEvent* e) override;
    void resizeEvent(QResizeEvent* e) override;

private:
    SliceMouseEvent makeEvent(QMouseEvent* e) const;
    void updateStatus(QPointF pos);
    void viewChanged();

    struct Private;
    std::unique_ptr<Private> d;
};

}  // namespace dacw

Q_DECLARE_METATYPE(dacw::ViewState)
Q_DECLARE_METATYPE(dacw::PickResult)
