// Three linked views of a volume: the cursor places the slices of the other views, a scroll in
// one view moves the cursor, labels and styles of the main view reach the two others, and a 2D
// image switches the layout off.
#include <QSignalSpy>
#include <QtTest>

#include "GuiTestUtil.h"
#include "ui/OrthoViews.h"

using namespace dacw;

class TestOrthoViews : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cursorLinksThreeViews() {
        auto* primary = new SliceView;
        OrthoViews ortho(primary);
        ortho.resize(700, 600);
        auto img = test::makeDiscImage(64, 48, 20);
        auto labels = std::make_shared<LabelMap>(img->geometry());
        primary->setImage(img);
        primary->setLabels(labels);
        ortho.show();
        QVERIFY(QTest::qWaitForWindowExposed(&ortho));
        QCOMPARE(ortho.views().size(), 1);
        QVERIFY(!ortho.viewOf(SliceAxis::Coronal));

        QSignalSpy activeSpy(&ortho, &OrthoViews::activeChanged);
        ortho.setActive(true);
        QCOMPARE(activeSpy.size(), 1);
        QCOMPARE(ortho.views().size(), 3);
        SliceView* coronal = ortho.viewOf(SliceAxis::Coronal);
        SliceView* sagittal = ortho.viewOf(SliceAxis::Sagittal);
        QVERIFY(coronal && sagittal && coronal != primary && sagittal != primary);
        QCOMPARE(ortho.viewOf(SliceAxis::Axial), primary);
        QTest::qWait(50);  // the layout sizes and fits the new views
        // The cursor starts at the centre, on the main view's slice; the others pass through it.
        QCOMPARE(ortho.cursorVoxel(), (std::array<double, 3>{32, 24, 10}));
        QCOMPARE(coronal->pipeline().slice(), std::size_t(24));
        QCOMPARE(sagittal->pipeline().slice(), std::size_t(32));
        for (SliceView* v : ortho.views()) QVERIFY(v->pipeline().crosshairVisible());
        QCOMPARE(coronal->pipeline().crosshairInSlice(), (std::array<double, 2>{32, 10}));   // u = x, v = z
        QCOMPARE(sagittal->pipeline().crosshairInSlice(), (std::array<double, 2>{24, 10}));  // u = y, v = z

        // A click in the axial view (no tool): the cursor goes there, the others follow.
        const QPointF at = primary->toWidget(10, 5);
        QTest::mouseClick(primary, Qt::LeftButton, {}, at.toPoint());
        QCOMPARE(ortho.cursorVoxel(), (std::array<double, 3>{10, 5, 10}));
        QCOMPARE(coronal->pipeline().slice(), std::size_t(5));
        QCOMPARE(sagittal->pipeline().slice(), std::size_t(10));
        QCOMPARE(primary->pipeline().slice(), std::size_t(10));
        // A click in the coronal view moves the axial slice (z) and the sagittal one (x).
        QTest::mouseClick(coronal, Qt::LeftButton, {}, coronal->toWidget(40, 15).toPoint());
        QCOMPARE(ortho.cursorVoxel(), (std::array<double, 3>{40, 5, 15}));
        QCOMPARE(primary->pipeline().slice(), std::size_t(15));
        QCOMPARE(sagittal->pipeline().slice(), std::size_t(40));

        // Scrolling one view's slices moves the cursor along its normal; the crosshair follows.
        sagittal->setSlice(20);
        QCOMPARE(ortho.cursorVoxel()[0], 20.0);
        QCOMPARE(primary->pipeline().crosshairInSlice()[0], 20.0);
        QCOMPARE(coronal->pipeline().slice(), std::size_t(5));

        // An edit of the label map seen from the main view reaches the others.
        QTest::qWait(50);
        const QImage before = coronal->grabFramebuffer();
        for (std::size_t z = 10; z < 20; ++z)
            for (std::size_t x = 10; x < 50; ++x) labels->at(x, 5, z) = 1;
        primary->labelsChanged();
        QTest::qWait(50);
        QVERIFY(test::countDifferent(before, coronal->grabFramebuffer()) > 100);
        // So do label colours and the window/level.
        LabelStyle style;
        style.color = {10, 200, 30};
        primary->pipeline().setLabelStyle(1, style);
        primary->requestRender();
        QCOMPARE(coronal->pipeline().labelStyle(1).color, style.color);
        primary->setWindowLevel(80, 120);
        QCOMPARE(sagittal->pipeline().window(), 80.0);
        QCOMPARE(sagittal->pipeline().level(), 120.0);
        test::saveIfRequested(ortho.grab().toImage(), "three-views");

        // A 2D image: nothing to link, the layout switches off by itself.
        primary->setImage(test::makeDiscImage(64, 64));
        QCOMPARE(activeSpy.size(), 2);
        QVERIFY(!ortho.isActive());
        QVERIFY(!coronal->isVisible());
        QVERIFY(!primary->pipeline().crosshairVisible());
        ortho.setActive(true);  // refused for a 2D image
        QVERIFY(!ortho.isActive());
    }

    void offKeepsTheMainView() {
        auto* primary = new SliceView;
        OrthoViews ortho(primary);
        ortho.resize(500, 400);
        primary->setImage(test::makeDiscImage(32, 32, 8));
        ortho.show();
        QVERIFY(QTest::qWaitForWindowExposed(&ortho));
        primary->setAxis(SliceAxis::Coronal);
        ortho.setActive(true);
        // The main view keeps its orientation; the others show the two remaining ones.
        QCOMPARE(primary->pipeline().axis(), SliceAxis::Coronal);
        QVERIFY(ortho.viewOf(SliceAxis::Axial) && ortho.viewOf(SliceAxis::Sagittal));
        QTest::qWait(50);
        QVERIFY(primary->width() < ortho.width() * 0.6);  // a quarter each
        ortho.setActive(false);
        QTest::qWait(50);
        QVERIFY(primary->width() > ortho.width() * 0.9);  // the whole widget again
        QCOMPARE(ortho.views().size(), 1);
        QCOMPARE(primary->pipeline().axis(), SliceAxis::Coronal);
        QVERIFY(!primary->pipeline().crosshairVisible());
        // Without three views a left click is the view's own (pan), not a cursor move.
        const auto cursor = ortho.cursorVoxel();
        QTest::mouseClick(primary, Qt::LeftButton, {}, primary->toWidget(3, 3).toPoint());
        QCOMPARE(ortho.cursorVoxel(), cursor);
    }
};

QTEST_MAIN(TestOrthoViews)
#include "tst_orthoviews.moc"
