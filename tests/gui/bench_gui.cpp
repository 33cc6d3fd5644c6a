// GUI benchmarks (issue 4): prints figures; fails only when the measured work did not happen.
//   1. re-render of a 512x512 image with a label overlay (frames/s; target >= 60)
//   2. brush stroke segment -> updated pixels on screen (ms; target <= 16)
//   3. open a 512x512x64 NIfTI volume and show its first slice (s; target <= 1)
//   4. undo memory for 200 strokes on a 512x512x64 volume (bounded)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include <QApplication>
#include <QOpenGLContext>
#include <QOpenGLFunctions>
#include <QTemporaryDir>
#include <QTest>

#include "GuiTestUtil.h"
#include "core/image/ImageIO.h"
#include "ui/ToolInteractor.h"
#include "ui/model/BrushTool.h"
#include "ui/model/LabelEditor.h"
#include "viewers/SliceView.h"

using namespace dacw;
using Clock = std::chrono::steady_clock;

namespace {
double msSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

std::shared_ptr<Image> noiseVolume(std::size_t n, std::size_t depth, PixelType type) {
    Geometry g;
    g.dimension = depth > 1 ? 3 : 2;
    g.size = {n, n, depth};
    g.spacing = {0.8, 0.8, 2.5};
    auto img = std::make_shared<Image>(g, 1, type);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> noise(0.f, 40.f);
    for (std::size_t z = 0; z < depth; ++z)
        for (std::size_t y = 0; y < n; ++y)
            for (std::size_t x = 0; x < n; ++x) {
                const double dx = x - n / 2.0, dy = y - n / 2.0;
                img->at(x, y, z) = (dx * dx + dy * dy < n * n / 9.0 ? 600.f : 100.f) + noise(rng) + z;
            }
    return img;
}

// QOpenGLWidget renders from the event loop (repaint() does not render it): schedule a frame
// and spin the loop until VTK has drawn it and Qt has composed it.
void renderNow(SliceView& view) {
    const auto before = view.frameCount();
    view.update();
    while (view.frameCount() == before) QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
}

/// The figures are only worth printing when the work really happened: these checks make the
/// benchmark fail (exit 1) when it did not. No check is on a time.
#define EXPECT_TRUE(cond, what)                                           \
    do {                                                                  \
        if (!(cond)) {                                                    \
            std::fprintf(stderr, "BENCH FAILED: %s (%s)\n", what, #cond); \
            return 1;                                                     \
        }                                                                 \
    } while (0)

void report(const char* what, double value, const char* unit, const char* target, bool met) {
    std::printf("BENCH %-52s %10.2f %-6s (target %s: %s)\n", what, value, unit, target, met ? "met" : "NOT met");
}
}  // namespace

int main(int argc, char** argv) {
    QSurfaceFormat::setDefaultFormat(QtVtkWidget::vtkFormat());
    QApplication app(argc, argv);
    const char* gl = nullptr;

    // 1. Re-render rate: each frame pans by a pixel so that VTK really renders.
    {
        SliceView view;
        view.resize(512, 512);
        auto img = noiseVolume(512, 1, PixelType::UInt8);
        auto labels = std::make_shared<LabelMap>(img->geometry());
        for (std::size_t y = 100; y < 300; ++y)
            for (std::size_t x = 150; x < 400; ++x) labels->at(x, y) = (x + y) % 3 ? 1 : 2;
        view.setImage(img);
        view.setLabels(labels);
        view.show();
        if (!QTest::qWaitForWindowExposed(&view)) return 1;
        view.oneToOne();
        renderNow(view);
        const int frames = 300;
        const auto f0 = view.frameCount();
        const auto t0 = Clock::now();
        double vtkMs = 0;
        for (int i = 0; i < frames; ++i) {
            view.panBy(QPointF(i % 2 ? 1 : -1, 0));
            renderNow(view);
            vtkMs += view.lastRenderMs();
        }
        std::printf("BENCH   (VTK render + blit %.2f ms per frame)\n", vtkMs / frames);
        QApplication::processEvents();
        const double ms = msSince(t0);
        std::printf("BENCH   (%llu frames rendered by VTK)\n", static_cast<unsigned long long>(view.frameCount() - f0));
        EXPECT_TRUE(static_cast<long long>(view.frameCount() - f0) >= frames, "every requested frame was rendered");
        report("re-render 512x512 + label overlay", frames * 1000.0 / ms, "fps", ">= 60", frames * 1000.0 / ms >= 60);
        view.makeCurrent();
        gl = reinterpret_cast<const char*>(view.context()->functions()->glGetString(GL_RENDERER));
        std::printf("BENCH OpenGL renderer: %s\n", gl ? gl : "?");
        view.doneCurrent();
    }

    // 2. Brush latency: mouse move event -> label map edited -> view repainted (synchronously).
    {
        SliceView view;
        view.resize(512, 512);
        auto img = noiseVolume(512, 1, PixelType::UInt8);
        auto labels = std::make_shared<LabelMap>(img->geometry());
        LabelEditor editor;
        editor.setData(img, labels);
        BrushTool brush(editor, false);
        brush.setDiameter(12);
        ToolInteractor interactor;
        interactor.setTool(&brush);
        view.setImage(img);
        view.setLabels(labels);
        view.setInteractor(&interactor);
        view.show();
        if (!QTest::qWaitForWindowExposed(&view)) return 1;
        view.oneToOne();
        renderNow(view);
        std::vector<double> lat;
        QTest::mousePress(&view, Qt::LeftButton, {}, QPoint(20, 20));
        renderNow(view);
        for (int i = 0; i < 200; ++i) {
            const QPoint p(20 + (i * 7) % 470, 20 + (i * 13) % 470);
            const auto t0 = Clock::now();
            QTest::mouseMove(&view, p);
            renderNow(view);
            lat.push_back(msSince(t0));
        }
        QTest::mouseRelease(&view, Qt::LeftButton, {}, QPoint(100, 100));
        EXPECT_TRUE(std::count(labels->data().begin(), labels->data().end(), 1) > 200 * 12, "the brush painted along the stroke");
        std::sort(lat.begin(), lat.end());
        double mean = 0;
        for (double x : lat) mean += x;
        mean /= lat.size();
        report("brush segment -> pixels on screen, mean", mean, "ms", "<= 16", mean <= 16);
        report("brush segment -> pixels on screen, 95th percentile", lat[lat.size() * 95 / 100], "ms", "<= 16",
               lat[lat.size() * 95 / 100] <= 16);
    }

    // 3. Open a 512x512x64 NIfTI and show its first slice.
    {
        QTemporaryDir dir;
        const std::filesystem::path file = std::filesystem::path(dir.path().toStdString()) / "volume.nii.gz";
        writeImage(*noiseVolume(512, 64, PixelType::Int16), file);
        SliceView view;
        view.resize(600, 600);
        view.show();
        if (!QTest::qWaitForWindowExposed(&view)) return 1;
        const auto t0 = Clock::now();
        auto img = std::make_shared<Image>(readImage(file));
        const double readMs = msSince(t0);
        view.setImage(img);
        view.setSlice(0);
        renderNow(view);
        const double s = msSince(t0) / 1000.0;
        EXPECT_TRUE(img->depth() == 64 && img->width() == 512, "the volume was read whole");
        std::printf("BENCH   (read %.0f ms, %.1f MB on disk)\n", readMs, std::filesystem::file_size(file) / 1e6);
        report("open 512x512x64 NIfTI (.nii.gz) + show first slice", s, "s", "<= 1", s <= 1.0);
    }

    // 4. Undo memory for 200 strokes on a 512x512x64 volume.
    {
        auto img = noiseVolume(512, 64, PixelType::Int16);
        auto labels = std::make_shared<LabelMap>(img->geometry());
        LabelEditor editor;
        editor.setData(img, labels);
        BrushTool brush(editor, false);
        brush.setDiameter(10);
        std::mt19937 rng(7);
        std::uniform_real_distribution<double> pos(20, 490);
        std::uniform_int_distribution<int> slice(0, 63);
        const auto t0 = Clock::now();
        for (int s = 0; s < 200; ++s) {
            ToolEvent e;
            e.frame = SliceFrame::of(img->geometry(), SliceAxis::Axial, static_cast<std::size_t>(slice(rng)));
            e.point = {pos(rng), pos(rng)};
            editor.setActiveLabel(static_cast<std::uint8_t>(1 + s % 3));
            brush.press(e);
            for (int k = 0; k < 40; ++k) {
                e.point = {std::clamp(e.point[0] + pos(rng) / 25 - 10, 0.0, 511.0),
                           std::clamp(e.point[1] + pos(rng) / 25 - 10, 0.0, 511.0)};
                brush.drag(e);
            }
            brush.release(e);
        }
        const double ms = msSince(t0);
        const double mb = editor.history().memoryBytes() / 1e6;
        std::printf("BENCH   (volume labels %.1f MB; one raw slice %.2f MB; %zu undo steps kept, %.2f ms per stroke)\n",
                    labels->data().size() / 1e6, 512.0 * 512 / 1e6, editor.history().undoCount(), ms / 200);
        EXPECT_TRUE(editor.history().undoCount() == 200, "all 200 strokes are undoable");
        report("undo memory, 200 strokes on 512x512x64", mb, "MB", "bounded (cap 256 MB)", mb < 256);
        const auto t1 = Clock::now();
        while (editor.undo()) {
        }
        EXPECT_TRUE(std::all_of(labels->data().begin(), labels->data().end(), [](auto v) { return v == 0; }),
                    "undoing every stroke restored the empty label map");
        report("undo all 200 strokes", msSince(t1), "ms", "-", true);
    }
    return 0;
}
