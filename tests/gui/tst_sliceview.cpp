// Slice viewer: the Qt 6 host shows a VTK render, overlays change the pixels, picking maps
// display to voxel, linked views zoom and scroll together.
#include <QApplication>
#include <QtTest>

#include "GuiTestUtil.h"
#include "viewers/SliceView.h"
#include "viewers/ViewLink.h"

using namespace dacw;

class TestSliceView : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void rendersImage();
    void overlayChangesPixels();
    void pickingMapsToVoxels();
    void volumeSlicing();
    void linkedViews();
};

static QImage grab(SliceView& v) {
    QImage img = v.grabFramebuffer();
    return img.convertToFormat(QImage::Format_RGB32);
}

void TestSliceView::rendersImage() {
    SliceView view;
    view.resize(300, 300);
    view.setImage(test::makeDiscImage(128, 128));
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const QImage frame = grab(view);
    QCOMPARE(frame.size(), QSize(300, 300));
    // The disc (200 of 255) is bright in the centre, the ramp is dark at the left edge.
    const double centre = test::meanBrightness(frame, QRect(140, 140, 20, 20));
    const double left = test::meanBrightness(frame, QRect(10, 140, 5, 20));
    QVERIFY2(centre > 400.0, qPrintable(QString("centre brightness %1").arg(centre)));
    QVERIFY(left < centre);

    // Changing window/level changes what is shown.
    view.setWindowLevel(50, 200);
    const QImage after = grab(view);
    QVERIFY(test::countDifferent(frame, after) > 1000);
}

void TestSliceView::overlayChangesPixels() {
    SliceView view;
    view.resize(256, 256);
    auto img = test::makeDiscImage(64, 64);
    view.setImage(img);
    auto labels = std::make_shared<LabelMap>(img->geometry());
    view.setLabels(labels);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const QImage before = grab(view);

    for (std::size_t y = 0; y < 16; ++y)
        for (std::size_t x = 0; x < 16; ++x) labels->at(x, y) = 1;  // top-left quarter-of-a-quarter, red by default
    view.labelsChanged();
    const QImage after = grab(view);
    test::saveIfRequested(after, "overlay-fill");
    QVERIFY(test::countDifferent(before, after) > 500);
    // Top-left of the image is now reddish.
    const QPointF p = view.toWidget(4, 4);
    const QRgb c = after.pixel(p.toPoint());
    QVERIFY2(qRed(c) > qGreen(c) + 40, qPrintable(QString("rgb %1 %2 %3").arg(qRed(c)).arg(qGreen(c)).arg(qBlue(c))));

    // Hiding the label restores the original pixels.
    LabelStyle s = view.pipeline().labelStyle(1);
    s.visible = false;
    view.pipeline().setLabelStyle(1, s);
    view.requestRender();
    QCOMPARE(test::countDifferent(before, grab(view)), 0L);

    // Outline style keeps only the border.
    s.visible = true;
    view.pipeline().setLabelStyle(1, s);
    view.pipeline().setLabelOverlayStyle(OverlayStyle::Outline);
    view.requestRender();
    const QImage outline = grab(view);
    test::saveIfRequested(outline, "overlay-outline");
    const long changedOutline = test::countDifferent(before, outline);
    QVERIFY(changedOutline > 0);
    QVERIFY(changedOutline < test::countDifferent(before, after));

    // A prediction overlay has its own layer.
    auto pred = std::make_shared<LabelMap>(img->geometry());
    for (std::size_t y = 40; y < 60; ++y)
        for (std::size_t x = 40; x < 60; ++x) pred->at(x, y) = 2;
    view.pipeline().setPredictionOverlayStyle(OverlayStyle::Fill);
    view.setPrediction(pred);
    const QImage withPrediction = grab(view);
    test::saveIfRequested(withPrediction, "overlay-prediction");
    QVERIFY(test::countDifferent(outline, withPrediction) > 300);
}

void TestSliceView::pickingMapsToVoxels() {
    SliceView view;
    view.resize(200, 200);
    auto img = test::makeDiscImage(100, 100);
    img->geometry().spacing = {0.5, 0.5, 1.0};
    img->geometry().origin = {10.0, 20.0, 0.0};
    view.setImage(img);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    for (auto uv : {std::array<double, 2>{10, 20}, std::array<double, 2>{50, 50}, std::array<double, 2>{99, 0}}) {
        const QPointF w = view.toWidget(uv[0], uv[1]);
        const auto back = view.toSlice(w);
        QVERIFY(std::abs(back[0] - uv[0]) < 1e-6 && std::abs(back[1] - uv[1]) < 1e-6);
        const PickResult p = view.pipeline().pick(w.x(), w.y());
        QVERIFY(p.inside);
        QCOMPARE(p.voxel[0], long(uv[0]));
        QCOMPARE(p.voxel[1], long(uv[1]));
        QCOMPARE(p.mm[0], 10.0 + 0.5 * uv[0]);
        QCOMPARE(p.mm[1], 20.0 + 0.5 * uv[1]);
    }
    // Row 0 is at the top of an axial view.
    QVERIFY(view.toWidget(50, 0).y() < view.toWidget(50, 99).y());
    // Zoom keeps the point under the cursor.
    const auto before = view.toSlice(QPointF(60, 70));
    view.zoomAt(2.0, QPointF(60, 70));
    const auto after = view.toSlice(QPointF(60, 70));
    QVERIFY(std::abs(before[0] - after[0]) < 1e-9 && std::abs(before[1] - after[1]) < 1e-9);
    QTest::mouseMove(&view, QPoint(100, 100));
    QVERIFY(view.statusText().contains("mm"));
}

void TestSliceView::volumeSlicing() {
    SliceView view;
    view.resize(200, 200);
    auto img = test::makeDiscImage(64, 48, 20);
    view.setImage(img);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QCOMPARE(view.pipeline().sliceCount(), std::size_t(20));
    QCOMPARE(view.pipeline().slice(), std::size_t(10));
    view.setFocus();
    QTest::keyClick(&view, Qt::Key_Up);
    QCOMPARE(view.pipeline().slice(), std::size_t(11));
    QWheelEvent wheel(QPointF(100, 100), view.mapToGlobal(QPointF(100, 100)), QPoint(), QPoint(0, -120), Qt::NoButton,
                      Qt::ControlModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(&view, &wheel);
    QCOMPARE(view.pipeline().slice(), std::size_t(10));
    const QImage axial = grab(view);
    view.setAxis(SliceAxis::Coronal);
    test::saveIfRequested(grab(view), "coronal");
    QCOMPARE(view.pipeline().sliceCount(), std::size_t(48));
    QCOMPARE(view.pipeline().frame().width(), std::size_t(64));
    QCOMPARE(view.pipeline().frame().height(), std::size_t(20));
    QVERIFY(test::countDifferent(axial, grab(view)) > 1000);
    view.setAxis(SliceAxis::Sagittal);
    QCOMPARE(view.pipeline().sliceCount(), std::size_t(64));
    QVERIFY(test::meanBrightness(grab(view)) > 10.0);
}

void TestSliceView::linkedViews() {
    QWidget window;
    auto* a = new SliceView(&window);
    auto* b = new SliceView(&window);
    auto* c = new SliceView(&window);
    int x = 0;
    for (auto* v : {a, b, c}) {
        v->setGeometry(x, 0, 200, 200);
        x += 200;
        v->setImage(test::makeDiscImage(64, 64, 10));
    }
    window.resize(600, 200);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    ViewLink link;
    link.add(a);
    link.add(b);
    link.add(c);
    a->zoomAt(2.0, QPointF(50, 50));
    a->stepSlice(3);
    b->panBy(QPointF(10, -5));
    for (auto* v : {b, c}) {
        QCOMPARE(v->pipeline().slice(), a->pipeline().slice());
        QCOMPARE(v->pipeline().viewState().parallelScale, a->pipeline().viewState().parallelScale);
        QCOMPARE(v->pipeline().viewState().focal, a->pipeline().viewState().focal);
    }
    // Mouse wheel on c zooms a and b too.
    const double scale = a->pipeline().viewState().parallelScale;
    QWheelEvent wheel(QPointF(100, 100), c->mapToGlobal(QPointF(100, 100)), QPoint(), QPoint(0, 120), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(c, &wheel);
    QVERIFY(a->pipeline().viewState().parallelScale < scale);
    QCOMPARE(b->pipeline().viewState().parallelScale, a->pipeline().viewState().parallelScale);
    // The three linked views render the same picture.
    const QImage ia = grab(*a), ib = grab(*b);
    QCOMPARE(test::countDifferent(ia, ib), 0L);
}

int main(int argc, char** argv) {
    QSurfaceFormat::setDefaultFormat(QtVtkWidget::vtkFormat());
    QApplication app(argc, argv);
    TestSliceView t;
    return QTest::qExec(&t, argc, argv);
}

#include "tst_sliceview.moc"
