#pragma once
// The VTK render pipeline of one slice view, without any widget code: image layer (gray with
// window/level, or RGB), label overlay, prediction overlay, a heat map (the sub-models'
// disagreement), brush cursor and tool outlines, the
// 2D camera, and display <-> voxel mapping. A test can drive it with a plain vtkRenderWindow.
// The maths behind it has no VTK and lives in core: image/SliceMaths.h (slice pixels, label
// outlines, automatic window/level) and image/SliceCamera.h (fit, zoom, pan, display <-> slice).
//
// The scene is laid out in slice space: the current slice is the plane z = 0, pixel (u, v) is
// centred at (u * su, v * sv) where su, sv are the voxel spacings along u and v. Physical (mm)
// positions are computed from the image geometry (origin, direction) only for the readout.
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/image/Image.h"
#include "core/image/SliceGeometry.h"

class vtkRenderer;
class vtkRenderWindow;

namespace dacw {

struct LabelStyle {
    std::array<std::uint8_t, 3> color{255, 0, 0};
    double opacity = 1.0;  // multiplied by the layer opacity
    bool visible = true;
};

enum class OverlayStyle { Fill, Outline, DashedOutline };

/// What linked views share: the slice and the 2D camera (focal point in slice space, zoom).
struct ViewState {
    SliceAxis axis = SliceAxis::Axial;
    std::size_t slice = 0;
    std::array<double, 2> focal{0.0, 0.0};
    double parallelScale = 1.0;  // half the viewport height, in mm
};

/// What lies under a display position.
struct PickResult {
    bool inside = false;                 // within the image
    std::array<double, 2> slicePoint{};  // continuous slice coordinates (u, v), in voxels
    std::array<long, 3> voxel{};         // nearest voxel (x, y, z)
    std::array<double, 3> mm{};          // physical position
    std::vector<float> value;            // intensity (one per component)
    int label = -1;                      // -1 when there is no label map
    int prediction = -1;
    int heat = -1;                 // heat map value 0..255, -1 when none is shown
    std::string describe() const;  // "x 12 y 40 z 3 | 6.0, 20.0, 22.5 mm | 118 | label 1"
};

class SliceViewPipeline {
public:
    SliceViewPipeline();
    ~SliceViewPipeline();
    SliceViewPipeline(const SliceViewPipeline&) = delete;
    SliceViewPipeline& operator=(const SliceViewPipeline&) = delete;

    /// Adds the pipeline's renderers (scene and overlay layer) to a render window.
    void attach(vtkRenderWindow* window);
    vtkRenderer* renderer() const;

    // --- layers ---------------------------------------------------------------------------
    /// The pipeline keeps a reference; call imageChanged() after editing the pixels.
    void setImage(std::shared_ptr<const Image> image);
    const std::shared_ptr<const Image>& image() const;
    void imageChanged();
    /// The label map must share the image grid (size); the pipeline reads it, tools write it.
    void setLabels(std::shared_ptr<const LabelMap> labels);
    const std::shared_ptr<const LabelMap>& labels() const;
    /// Re-reads the label slice shown (call after any edit of the label map).
    void labelsChanged();
    void setPrediction(std::shared_ptr<const LabelMap> prediction);
    const std::shared_ptr<const LabelMap>& prediction() const;
    void predictionChanged();

    void setLabelStyle(std::uint8_t value, const LabelStyle& style);
    LabelStyle labelStyle(std::uint8_t value) const;
    void setLabelOpacity(double opacity);  // whole label layer, 0..1
    double labelOpacity() const;
    void setLabelOverlayStyle(OverlayStyle s);
    OverlayStyle labelOverlayStyle() const;
    void setPredictionOpacity(double opacity);
    double predictionOpacity() const;
    void setPredictionOverlayStyle(OverlayStyle s);
    OverlayStyle predictionOverlayStyle() const;
    void setPredictionVisible(bool on);
    bool predictionVisible() const;
    /// A heat map on the image grid, 0..255 (0 transparent; dark red to yellow as it grows).
    void setHeatMap(std::shared_ptr<const LabelMap> heat);
    const std::shared_ptr<const LabelMap>& heatMap() const;
    void setHeatMapVisible(bool on);
    bool heatMapVisible() const;
    /// True when a heat map of the image's size is drawn (set, visible, matching).
    bool heatMapShown() const;

    // --- window / level ---------------------------------------------------------------------
    void setWindowLevel(double window, double level);
    double window() const;
    double level() const;
    /// 0.5 % .. 99.5 % of the intensities (0..255 for 8-bit and RGB images).
    void resetWindowLevel();
    /// The window/level that resetWindowLevel() picks.
    std::pair<double, double> defaultWindowLevel() const;

    // --- slice ------------------------------------------------------------------------------
    void setAxis(SliceAxis axis);  // keeps the slice index of that axis, refits the camera
    SliceAxis axis() const;
    void setSlice(std::size_t slice);  // clamped
    std::size_t slice() const;
    std::size_t sliceCount() const;
    SliceFrame frame() const;

    // --- camera (viewport in device pixels, origin top-left as in Qt) -------------------------
    void setViewportSize(int width, int height);
    std::array<int, 2> viewportSize() const;
    void fit();
    void oneToOne();  // one screen pixel per voxel
    /// Multiplies the magnification by factor, keeping the point under (x, y) fixed.
    void zoom(double factor, double x, double y);
    void zoom(double factor);
    void pan(double dx, double dy);  // drag by (dx, dy) screen pixels
    double pixelsPerVoxel() const;   // current magnification
    ViewState viewState() const;
    void setViewState(const ViewState& state);  // slice clamped to this image

    // --- picking ----------------------------------------------------------------------------
    std::array<double, 2> displayToSlice(double x, double y) const;
    std::array<double, 2> sliceToDisplay(double u, double v) const;
    PickResult pick(double x, double y) const;

    // --- tool feedback ----------------------------------------------------------------------
    /// A round or square brush footprint at (u, v) with a radius in voxels.
    void setBrushCursor(double u, double v, double radius, bool round, bool visible);
    bool brushCursorVisible() const;
    /// A polyline in slice coordinates (polygon, lasso, box); empty hides it.
    void setToolOutline(const std::vector<std::array<double, 2>>& points, bool closed);

    // --- crosshair (linked axial / coronal / sagittal views) -------------------------------------
    /// A 3D position in voxel indices (x, y, z), drawn as two lines through its projection on the
    /// slice shown (whatever slice that is: the linked views move their slices to it).
    void setCrosshair(const std::array<double, 3>& voxel, bool visible);
    bool crosshairVisible() const;
    std::array<double, 3> crosshair() const;
    /// The crosshair's (u, v) in this view's slice coordinates.
    std::array<double, 2> crosshairInSlice() const;

    /// Monotonic counter bumped by every change that needs a re-render.
    std::uint64_t revision() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

}  // namespace dacw
