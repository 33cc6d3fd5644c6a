#include "viewers/SliceViewPipeline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include <vtkCamera.h>
#include <vtkNew.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkSmartPointer.h>

#include "core/image/SliceCamera.h"
#include "core/image/SliceMaths.h"
#include "viewers/SliceViewLayers.h"

namespace dacw {

using detail::Layer;
using detail::Outline;

namespace {

// Default colours for labels without a style (ITK-SNAP's first colours).
const std::array<std::array<std::uint8_t, 3>, 8> kPalette{
    {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}, {0, 255, 255}, {255, 0, 255}, {255, 239, 213}, {0, 0, 205}}};

}  // namespace

std::string PickResult::describe() const {
    if (!inside) return "outside the image";
    std::ostringstream s;
    s.setf(std::ios::fixed);
    s.precision(1);
    s << "x " << voxel[0] << "  y " << voxel[1] << "  z " << voxel[2] << "  |  " << mm[0] << ", " << mm[1] << ", " << mm[2]
      << " mm  |  ";
    s.precision(value.size() > 1 || (!value.empty() && value[0] == std::floor(value[0])) ? 0 : 3);
    for (std::size_t i = 0; i < value.size(); ++i) s << (i ? ", " : "") << value[i];
    if (label >= 0) s << "  |  label " << label;
    if (prediction >= 0) s << "  |  predicted " << prediction;
    if (heat >= 0) s << "  |  disagreement " << std::fixed << std::setprecision(2) << heat / 255.0;
    return s.str();
}

struct SliceViewPipeline::Private {
    vtkNew<vtkRenderer> scene;
    vtkNew<vtkRenderer> overlay;  // layer 1: cursor and tool outlines, always on top
    Layer image, labels, prediction, heat;
    Outline cursor, toolOutline, crossU, crossV;
    std::array<double, 3> cross{0.0, 0.0, 0.0};
    bool crossVisible = false;

    std::shared_ptr<const Image> img;
    std::shared_ptr<const LabelMap> lab;
    std::shared_ptr<const LabelMap> pred;
    std::shared_ptr<const LabelMap> heatMap;
    bool heatVisible = true;

    std::map<std::uint8_t, LabelStyle> styles;
    double labelOpacity = 0.5;
    OverlayStyle labelStyle = OverlayStyle::Fill;
    double predOpacity = 0.8;
    OverlayStyle predStyle = OverlayStyle::DashedOutline;  // never mistaken for the labels
    bool predVisible = true;

    double window = 255.0, level = 127.5;
    SliceAxis axis = SliceAxis::Axial;
    std::array<std::size_t, 3> sliceOf{0, 0, 0};  // remembered slice per axis
    SliceCamera camera;                           // focal point, parallel scale and viewport size
    bool cursorVisible = false;
    std::uint64_t revision = 1;

    Geometry geometry() const { return img ? img->geometry() : Geometry{}; }
    SliceFrame frame() const { return SliceFrame::of(geometry(), axis, sliceOf[static_cast<int>(axis)]); }
    SlicePlane plane() const { return SlicePlane::of(geometry(), frame()); }
    std::array<double, 2> spacing() const { return plane().spacing; }

    void applyCamera() {
        vtkCamera* cam = scene->GetActiveCamera();
        cam->ParallelProjectionOn();
        // Axial: look along +z so that x runs right while y runs down.
        const double side = axis == SliceAxis::Axial ? -1.0 : 1.0;
        cam->SetFocalPoint(camera.focal[0], camera.focal[1], 0.0);
        cam->SetPosition(camera.focal[0], camera.focal[1], side * 1000.0);
        cam->SetViewUp(0.0, plane().upSign(), 0.0);
        cam->SetParallelScale(camera.parallelScale);
        cam->SetClippingRange(1.0, 2000.0);
        // Overlays sit slightly in front of the image, towards the camera.
        labels.slice->SetPosition(0.0, 0.0, side * 0.01);
        prediction.slice->SetPosition(0.0, 0.0, side * 0.02);
        heat.slice->SetPosition(0.0, 0.0, side * 0.03);
        ++revision;
    }

    void fit() {
        camera.fit(plane());
        applyCamera();
    }

    void updateImageSlice() {
        if (!img || img->empty()) {
            image.slice->VisibilityOff();
            ++revision;
            return;
        }
        const auto f = frame();
        const auto sp = spacing();
        const int w = static_cast<int>(f.width()), h = static_cast<int>(f.height());
        vtkImageData* out = image.data;
        out->SetExtent(0, w - 1, 0, h - 1, 0, 0);
        out->SetSpacing(sp[0], sp[1], 1.0);
        out->SetOrigin(0.0, 0.0, 0.0);
        if (img->isRgb()) {
            out->AllocateScalars(VTK_UNSIGNED_CHAR, 3);
            extractRgbSlice(*img, f, static_cast<unsigned char*>(out->GetScalarPointer()));
        } else {
            out->AllocateScalars(VTK_FLOAT, 1);
            extractGraySlice(*img, f, static_cast<float*>(out->GetScalarPointer()));
        }
        out->Modified();
        image.slice->VisibilityOn();
        ++revision;
    }

    static void extractLabels(const LabelMap& m, const SliceFrame& f, OverlayStyle style, vtkImageData* out,
                              const std::array<double, 2>& sp) {
        const int w = static_cast<int>(f.width()), h = static_cast<int>(f.height());
        out->SetExtent(0, w - 1, 0, h - 1, 0, 0);
        out->SetSpacing(sp[0], sp[1], 1.0);
        out->SetOrigin(0.0, 0.0, 0.0);
        out->AllocateScalars(VTK_UNSIGNED_CHAR, 1);
        auto* dst = static_cast<unsigned char*>(out->GetScalarPointer());
        extractLabelSlice(m, f, dst);
        if (style == OverlayStyle::Outline) keepLabelOutlines(dst, f.width(), f.height());
        else if (style == OverlayStyle::DashedOutline) keepDashedLabelOutlines(dst, f.width(), f.height());
        out->Modified();
    }

    void updateLabelSlice() {
        if (!img || !lab || lab->empty() || !lab->geometry().sameSize(img->geometry())) {
            labels.slice->VisibilityOff();
        } else {
            extractLabels(*lab, frame(), labelStyle, labels.data, spacing());
            labels.slice->VisibilityOn();
        }
        ++revision;
    }

    void updatePredictionSlice() {
        if (!img || !pred || pred->empty() || !pred->geometry().sameSize(img->geometry()) || !predVisible) {
            prediction.slice->VisibilityOff();
        } else {
            extractLabels(*pred, frame(), predStyle, prediction.data, spacing());
            prediction.slice->VisibilityOn();
        }
        ++revision;
    }

    bool heatShown() const {
        return img && heatMap && !heatMap->empty() && heatMap->geometry().sameSize(img->geometry()) && heatVisible;
    }

    void updateHeatSlice() {
        if (!heatShown()) {
            heat.slice->VisibilityOff();
        } else {
            extractLabels(*heatMap, frame(), OverlayStyle::Fill, heat.data, spacing());
            heat.slice->VisibilityOn();
        }
        ++revision;
    }

    std::array<double, 2> crossInSlice() const {
        const SliceFrame f = frame();
        return {cross[f.uAxis()], cross[f.vAxis()]};
    }

    void updateCrosshair() {
        if (!crossVisible || !img || img->empty()) {
            crossU.set({}, false);
            crossV.set({}, false);
            ++revision;
            return;
        }
        const SliceFrame f = frame();
        const auto sp = spacing();
        const auto uv = crossInSlice();
        const double u0 = -0.5 * sp[0], u1 = (double(f.width()) - 0.5) * sp[0];
        const double v0 = -0.5 * sp[1], v1 = (double(f.height()) - 0.5) * sp[1];
        crossU.set({{u0, uv[1] * sp[1]}, {u1, uv[1] * sp[1]}}, false);  // along u, at the cursor's v
        crossV.set({{uv[0] * sp[0], v0}, {uv[0] * sp[0], v1}}, false);
        ++revision;
    }

    // Every layer's slice, after the slice, axis or image changed.
    void updateSlices() {
        updateImageSlice();
        updateLabelSlice();
        updatePredictionSlice();
        updateHeatSlice();
        updateCrosshair();
    }

    LabelStyle styleOf(std::uint8_t v) const {
        auto it = styles.find(v);
        if (it != styles.end()) return it->second;
        LabelStyle s;
        s.color = kPalette[(v + kPalette.size() - 1) % kPalette.size()];
        return s;
    }

    void updateLookupTables() {
        for (int v = 0; v < 256; ++v) {
            const LabelStyle s = styleOf(static_cast<std::uint8_t>(v));
            const double r = s.color[0] / 255.0, g = s.color[1] / 255.0, b = s.color[2] / 255.0;
            const double a = (v == 0 || !s.visible) ? 0.0 : std::clamp(s.opacity, 0.0, 1.0);
            labels.lut->SetTableValue(v, r, g, b, a * labelOpacity);
            prediction.lut->SetTableValue(v, r, g, b, a * predOpacity);
        }
        labels.lut->Modified();
        prediction.lut->Modified();
        ++revision;
    }
};

SliceViewPipeline::SliceViewPipeline() : d(std::make_unique<Private>()) {
    d->image.init(0);
    d->labels.init(1);
    d->labels.useLookupTable();
    d->prediction.init(2);
    d->prediction.useLookupTable();
    d->heat.init(3);
    d->heat.useLookupTable();
    // Heat: transparent below 2 %, dark red through orange to yellow (from 80 %), more opaque as
    // it grows, so that the image stays readable where the sub-models nearly agree.
    for (int v = 0; v < 256; ++v) {
        const double t = v / 255.0;
        d->heat.lut->SetTableValue(v, 0.55 + 0.45 * std::min(1.0, 2.0 * t), std::clamp(2.0 * t - 0.6, 0.0, 1.0), 0.1 * t,
                                   t < 0.02 ? 0.0 : std::min(0.85, 1.6 * t));
    }
    d->heat.lut->Modified();
    // Separate props lifted towards the camera (see applyCamera) render faster than a
    // vtkImageStack, which draws every layer in several passes.
    d->scene->AddViewProp(d->image.slice);
    d->scene->AddViewProp(d->labels.slice);
    d->scene->AddViewProp(d->prediction.slice);
    d->scene->AddViewProp(d->heat.slice);
    d->scene->SetBackground(0.0, 0.0, 0.0);
    d->overlay->SetLayer(1);
    d->overlay->InteractiveOff();
    d->overlay->SetActiveCamera(d->scene->GetActiveCamera());
    d->cursor.init(1.0, 0.9, 0.2);
    d->toolOutline.init(0.2, 0.9, 1.0);
    d->overlay->AddActor(d->cursor.actor);
    d->overlay->AddActor(d->toolOutline.actor);
    d->crossU.init(0.35, 0.7, 1.0);
    d->crossV.init(0.35, 0.7, 1.0);
    d->overlay->AddActor(d->crossU.actor);
    d->overlay->AddActor(d->crossV.actor);
    d->updateLookupTables();
    d->image.slice->GetProperty()->SetColorWindow(d->window);
    d->image.slice->GetProperty()->SetColorLevel(d->level);
    d->applyCamera();
}

SliceViewPipeline::~SliceViewPipeline() = default;

void SliceViewPipeline::attach(vtkRenderWindow* window) {
    window->SetNumberOfLayers(std::max(2, window->GetNumberOfLayers()));
    window->AddRenderer(d->scene);
    window->AddRenderer(d->overlay);
}

vtkRenderer* SliceViewPipeline::renderer() const { return d->scene; }

void SliceViewPipeline::setImage(std::shared_ptr<const Image> image) {
    const bool sameGrid = d->img && image && d->img->geometry().size == image->geometry().size;
    d->img = std::move(image);
    if (!sameGrid) {
        const auto g = d->geometry();
        d->sliceOf = {g.size[0] / 2, g.size[1] / 2, g.size[2] / 2};
        d->axis = SliceAxis::Axial;
    }
    d->updateSlices();
    resetWindowLevel();
    if (!sameGrid) d->fit();
}

const std::shared_ptr<const Image>& SliceViewPipeline::image() const { return d->img; }
void SliceViewPipeline::imageChanged() { d->updateImageSlice(); }

void SliceViewPipeline::setLabels(std::shared_ptr<const LabelMap> labels) {
    d->lab = std::move(labels);
    d->updateLabelSlice();
}
const std::shared_ptr<const LabelMap>& SliceViewPipeline::labels() const { return d->lab; }
void SliceViewPipeline::labelsChanged() { d->updateLabelSlice(); }

void SliceViewPipeline::setPrediction(std::shared_ptr<const LabelMap> prediction) {
    d->pred = std::move(prediction);
    d->updatePredictionSlice();
}
const std::shared_ptr<const LabelMap>& SliceViewPipeline::prediction() const { return d->pred; }
const std::shared_ptr<const LabelMap>& SliceViewPipeline::heatMap() const { return d->heatMap; }

void SliceViewPipeline::predictionChanged() { d->updatePredictionSlice(); }

void SliceViewPipeline::setLabelStyle(std::uint8_t value, const LabelStyle& style) {
    d->styles[value] = style;
    d->updateLookupTables();
}
LabelStyle SliceViewPipeline::labelStyle(std::uint8_t value) const { return d->styleOf(value); }

void SliceViewPipeline::setLabelOpacity(double opacity) {
    d->labelOpacity = std::clamp(opacity, 0.0, 1.0);
    d->updateLookupTables();
}
double SliceViewPipeline::labelOpacity() const { return d->labelOpacity; }

void SliceViewPipeline::setLabelOverlayStyle(OverlayStyle s) {
    d->labelStyle = s;
    d->updateLabelSlice();
}
OverlayStyle SliceViewPipeline::labelOverlayStyle() const { return d->labelStyle; }

void SliceViewPipeline::setPredictionOpacity(double opacity) {
    d->predOpacity = std::clamp(opacity, 0.0, 1.0);
    d->updateLookupTables();
}
void SliceViewPipeline::setHeatMap(std::shared_ptr<const LabelMap> heat) {
    d->heatMap = std::move(heat);
    d->updateHeatSlice();
}

void SliceViewPipeline::setHeatMapVisible(bool on) {
    d->heatVisible = on;
    d->updateHeatSlice();
}

bool SliceViewPipeline::heatMapVisible() const { return d->heatVisible; }
bool SliceViewPipeline::heatMapShown() const { return d->heatShown(); }

double SliceViewPipeline::predictionOpacity() const { return d->predOpacity; }

void SliceViewPipeline::setPredictionOverlayStyle(OverlayStyle s) {
    d->predStyle = s;
    d->updatePredictionSlice();
}
OverlayStyle SliceViewPipeline::predictionOverlayStyle() const { return d->predStyle; }

void SliceViewPipeline::setPredictionVisible(bool on) {
    d->predVisible = on;
    d->updatePredictionSlice();
}
bool SliceViewPipeline::predictionVisible() const { return d->predVisible; }

void SliceViewPipeline::setWindowLevel(double window, double level) {
    d->window = std::max(window, 1e-6);
    d->level = level;
    d->image.slice->GetProperty()->SetColorWindow(d->window);
    d->image.slice->GetProperty()->SetColorLevel(d->level);
    ++d->revision;
}
double SliceViewPipeline::window() const { return d->window; }
double SliceViewPipeline::level() const { return d->level; }

std::pair<double, double> SliceViewPipeline::defaultWindowLevel() const {
    // No image is shown as an empty one would be.
    return d->img ? automaticWindowLevel(*d->img) : automaticWindowLevel(Image{});
}

void SliceViewPipeline::resetWindowLevel() {
    const auto [w, l] = defaultWindowLevel();
    setWindowLevel(w, l);
}

void SliceViewPipeline::setAxis(SliceAxis axis) {
    if (axis == d->axis) return;
    d->axis = axis;
    d->updateSlices();
    d->fit();
}
SliceAxis SliceViewPipeline::axis() const { return d->axis; }

void SliceViewPipeline::setSlice(std::size_t slice) {
    const std::size_t n = sliceCount();
    const std::size_t s = n == 0 ? 0 : std::min(slice, n - 1);
    auto& cur = d->sliceOf[static_cast<int>(d->axis)];
    if (cur == s) return;
    cur = s;
    d->updateSlices();
}
std::size_t SliceViewPipeline::slice() const { return d->sliceOf[static_cast<int>(d->axis)]; }
std::size_t SliceViewPipeline::sliceCount() const { return d->frame().sliceCount(); }
SliceFrame SliceViewPipeline::frame() const { return d->frame(); }

void SliceViewPipeline::setViewportSize(int width, int height) {
    if (width <= 0 || height <= 0 || (width == d->camera.viewport[0] && height == d->camera.viewport[1])) return;
    d->camera.viewport = {width, height};
    d->applyCamera();
}
std::array<int, 2> SliceViewPipeline::viewportSize() const { return d->camera.viewport; }

void SliceViewPipeline::fit() { d->fit(); }

void SliceViewPipeline::oneToOne() {
    d->camera.oneToOne(d->plane());
    d->applyCamera();
}

void SliceViewPipeline::zoom(double factor, double x, double y) {
    if (d->camera.zoom(d->plane(), factor, x, y)) d->applyCamera();
}

void SliceViewPipeline::zoom(double factor) { zoom(factor, d->camera.viewport[0] / 2.0, d->camera.viewport[1] / 2.0); }

void SliceViewPipeline::pan(double dx, double dy) {
    d->camera.pan(d->plane(), dx, dy);
    d->applyCamera();
}

double SliceViewPipeline::pixelsPerVoxel() const { return d->camera.pixelsPerVoxel(d->plane()); }

ViewState SliceViewPipeline::viewState() const {
    ViewState s;
    s.axis = d->axis;
    s.slice = slice();
    s.focal = d->camera.focal;
    s.parallelScale = d->camera.parallelScale;
    return s;
}

void SliceViewPipeline::setViewState(const ViewState& s) {
    if (s.axis != d->axis) {
        d->axis = s.axis;
    }
    const std::size_t n = sliceCount();
    d->sliceOf[static_cast<int>(d->axis)] = n == 0 ? 0 : std::min(s.slice, n - 1);
    d->updateSlices();
    d->camera.focal = s.focal;
    d->camera.parallelScale = s.parallelScale;
    d->applyCamera();
}

std::array<double, 2> SliceViewPipeline::displayToSlice(double x, double y) const {
    return d->camera.displayToSlice(d->plane(), x, y);
}

std::array<double, 2> SliceViewPipeline::sliceToDisplay(double u, double v) const {
    return d->camera.sliceToDisplay(d->plane(), u, v);
}

PickResult SliceViewPipeline::pick(double x, double y) const {
    PickResult r;
    r.slicePoint = displayToSlice(x, y);
    if (!d->img || d->img->empty()) return r;
    const auto f = d->frame();
    const long u = std::lround(r.slicePoint[0]), v = std::lround(r.slicePoint[1]);
    if (!f.contains(u, v)) return r;
    r.inside = true;
    const auto vox = f.voxel(static_cast<std::size_t>(u), static_cast<std::size_t>(v));
    r.voxel = {static_cast<long>(vox[0]), static_cast<long>(vox[1]), static_cast<long>(vox[2])};
    r.mm = voxelToPhysical(d->img->geometry(), {double(vox[0]), double(vox[1]), double(vox[2])});
    for (int c = 0; c < d->img->components(); ++c) r.value.push_back(d->img->at(vox[0], vox[1], vox[2], c));
    if (d->lab && d->lab->geometry().sameSize(d->img->geometry())) r.label = d->lab->at(vox[0], vox[1], vox[2]);
    if (d->pred && d->pred->geometry().sameSize(d->img->geometry())) r.prediction = d->pred->at(vox[0], vox[1], vox[2]);
    if (d->heatShown()) r.heat = d->heatMap->at(vox[0], vox[1], vox[2]);
    return r;
}

void SliceViewPipeline::setBrushCursor(double u, double v, double radius, bool round, bool visible) {
    d->cursorVisible = visible;
    if (!visible) {
        d->cursor.set({}, false);
        ++d->revision;
        return;
    }
    const auto sp = d->spacing();
    const double cx = u * sp[0], cy = v * sp[1];
    const double rx = std::max(radius, 0.5) * sp[0], ry = std::max(radius, 0.5) * sp[1];
    std::vector<std::array<double, 2>> pts;
    if (round) {
        const int n = 48;
        for (int i = 0; i < n; ++i) {
            const double a = 2.0 * M_PI * i / n;
            pts.push_back({cx + rx * std::cos(a), cy + ry * std::sin(a)});
        }
    } else {
        pts = {{cx - rx, cy - ry}, {cx + rx, cy - ry}, {cx + rx, cy + ry}, {cx - rx, cy + ry}};
    }
    d->cursor.set(pts, true);
    ++d->revision;
}

bool SliceViewPipeline::brushCursorVisible() const { return d->cursorVisible; }

void SliceViewPipeline::setToolOutline(const std::vector<std::array<double, 2>>& points, bool closed) {
    const auto sp = d->spacing();
    std::vector<std::array<double, 2>> mm;
    mm.reserve(points.size());
    for (const auto& p : points) mm.push_back({p[0] * sp[0], p[1] * sp[1]});
    d->toolOutline.set(mm, closed);
    ++d->revision;
}

void SliceViewPipeline::setCrosshair(const std::array<double, 3>& voxel, bool visible) {
    d->cross = voxel;
    d->crossVisible = visible;
    d->updateCrosshair();
}

bool SliceViewPipeline::crosshairVisible() const { return d->crossVisible; }
std::array<double, 3> SliceViewPipeline::crosshair() const { return d->cross; }
std::array<double, 2> SliceViewPipeline::crosshairInSlice() const { return d->crossInSlice(); }

std::uint64_t SliceViewPipeline::revision() const { return d->revision; }

}  // namespace dacw
