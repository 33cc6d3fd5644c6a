// The toolkit-free tool models, driven without any window: masks of polygon, flood fill and
// threshold tools on synthetic images, brush footprints, preserve mode, exact undo/redo, the
// undo memory cap and the label description files.
#include <QtTest>

#include <QTemporaryDir>

#include "core/image/ImageIO.h"
#include "ui/model/BrushTool.h"
#include "ui/model/CaseDocument.h"
#include "ui/model/FloodFillTool.h"
#include "ui/model/LabelDescription.h"
#include "ui/model/MorphologyBrushTool.h"
#include "ui/model/ToolManager.h"
#include "ui/model/PickLabelTool.h"
#include "ui/model/PolygonTool.h"
#include "ui/model/ThresholdBoxTool.h"
#include "core/util/Paths.h"

using namespace dacw;
namespace fs = std::filesystem;

namespace {
std::shared_ptr<Image> blankImage(std::size_t w, std::size_t h, std::size_t d = 1, float value = 0.0f) {
    Geometry g;
    g.dimension = d > 1 ? 3 : 2;
    g.size = {w, h, d};
    auto img = std::make_shared<Image>(g, 1, PixelType::UInt8);
    std::fill(img->data().begin(), img->data().end(), value);
    return img;
}

ToolEvent at(const SliceFrame& f, double u, double v, bool shift = false) {
    ToolEvent e;
    e.frame = f;
    e.point = {u, v};
    e.shift = shift;
    return e;
}

std::size_t countValue(const LabelMap& m, std::uint8_t v) {
    return static_cast<std::size_t>(std::count(m.data().begin(), m.data().end(), v));
}
}  // namespace

class TestToolModels : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sliceFrameAddressing();
    void brushFootprints();
    void polygonMaskRectangleAndTriangle();
    void polygonToolClosesOnDoubleClick();
    void lassoTool();
    void floodFillMaskStaysInRegion();
    void floodFillRgb();
    void thresholdInBox();
    void brushStrokeUndoRedoExact();
    void preserveOtherLabels();
    void pickLabel();
    void undoOnVolumeSlices();
    void undoMemoryCap();
    void labelDescriptions();
    void smoothingBrushOpensAndCloses();
    void toolManager();
    void caseDocumentPrediction();
};

void TestToolModels::sliceFrameAddressing() {
    Geometry g;
    g.dimension = 3;
    g.size = {4, 5, 6};
    const SliceFrame ax = SliceFrame::of(g, SliceAxis::Axial, 2);
    QCOMPARE(ax.width(), std::size_t(4));
    QCOMPARE(ax.height(), std::size_t(5));
    QCOMPARE(ax.index(1, 3), std::size_t((2 * 5 + 3) * 4 + 1));
    const SliceFrame co = SliceFrame::of(g, SliceAxis::Coronal, 1);
    QCOMPARE(co.width(), std::size_t(4));
    QCOMPARE(co.height(), std::size_t(6));
    QCOMPARE(co.index(2, 5), std::size_t((5 * 5 + 1) * 4 + 2));
    const SliceFrame sa = SliceFrame::of(g, SliceAxis::Sagittal, 3);
    QCOMPARE(sa.width(), std::size_t(5));
    QCOMPARE(sa.height(), std::size_t(6));
    QCOMPARE(sa.index(4, 2), std::size_t((2 * 5 + 4) * 4 + 3));
    QCOMPARE(sa.sliceCount(), std::size_t(4));
}

void TestToolModels::brushFootprints() {
    QCOMPARE(brushFootprint(5.2, 5.4, 1, true).size(), std::size_t(1));
    QCOMPARE(brushFootprint(5.2, 5.4, 2, true).size(), std::size_t(4));
    QCOMPARE(brushFootprint(5.2, 5.4, 3, false).size(), std::size_t(9));
    // Round brush of diameter 9: close to the disc's area, symmetric.
    const auto fp = brushFootprint(10, 10, 9, true);
    QVERIFY(fp.size() > 50 && fp.size() < 80);
    for (const auto& p : fp) QVERIFY(std::hypot(p[0] - 10.0, p[1] - 10.0) <= 4.5 + 1e-9);
}

void TestToolModels::polygonMaskRectangleAndTriangle() {
    // Vertices on pixel centres: the outline pixels are included.
    const SliceMask rect = polygonMask(10, 10, {{2, 2}, {5, 2}, {5, 6}, {2, 6}});
    QCOMPARE(rect.count(), std::size_t(4 * 5));
    for (std::size_t v = 0; v < 10; ++v)
        for (std::size_t u = 0; u < 10; ++u) QCOMPARE(rect.at(u, v) != 0, u >= 2 && u <= 5 && v >= 2 && v <= 6);
    // Right triangle with legs of 8: inside is u + v <= 8 shifted.
    const SliceMask tri = polygonMask(20, 20, {{1, 1}, {9, 1}, {1, 9}});
    for (std::size_t v = 0; v < 20; ++v)
        for (std::size_t u = 0; u < 20; ++u) {
            const bool inside = u >= 1 && v >= 1 && u + v <= 10;
            QCOMPARE(tri.at(u, v) != 0, inside);
        }
    // A polygon partly outside the slice is clipped.
    const SliceMask clipped = polygonMask(5, 5, {{-3, -3}, {2, -3}, {2, 2}, {-3, 2}});
    QCOMPARE(clipped.count(), std::size_t(9));
}

void TestToolModels::polygonToolClosesOnDoubleClick() {
    LabelEditor ed;
    auto img = blankImage(16, 16);
    auto labels = std::make_shared<LabelMap>(img->geometry());
    ed.setData(img, labels);
    ed.setActiveLabel(3);
    PolygonTool tool(ed, PolygonTool::Mode::Polygon);
    const SliceFrame f = SliceFrame::of(img->geometry(), SliceAxis::Axial, 0);
    tool.press(at(f, 2, 2));
    tool.release(at(f, 2, 2));
    tool.press(at(f, 10, 2));
    tool.press(at(f, 10, 8));
    QCOMPARE(tool.feedback().outline.size(), std::size_t(4));  // 3 vertices + the rubber band
    tool.press(at(f, 2, 8));
    const ToolResult r = tool.doubleClick(at(f, 2, 8));
    QVERIFY(r.editFinished);
    QCOMPARE(countValue(*labels, 3), std::size_t(9 * 7));
    QVERIFY(tool.feedback().outline.empty());
    // Clicking the first vertex also closes.
    ed.undo();
    tool.press(at(f, 2, 2));
    tool.press(at(f, 10, 2));
    tool.press(at(f, 10, 8));
    QVERIFY(tool.press(at(f, 2.4, 2.3)).editFinished);
    QVERIFY(countValue(*labels, 3) > 0);
}

void TestToolModels::lassoTool() {
    LabelEditor ed;
    auto img = blankImage(32, 32);
    auto labels = std::make_shared<LabelMap>(img->geometry());
    ed.setData(img, labels);
    PolygonTool lasso(ed, PolygonTool::Mode::Lasso);
    const SliceFrame f = SliceFrame::of(img->geometry(), SliceAxis::Axial, 0);
    lasso.press(at(f, 4, 4));
    for (double u = 4; u <= 20; u += 1) lasso.drag(at(f, u, 4));
    for (double v = 4; v <= 20; v += 1) lasso.drag(at(f, 20, v));
    for (double u = 20; u >= 4; u -= 1) lasso.drag(at(f, u, 20));
    const ToolResult r = lasso.release(at(f, 4, 20));
    QVERIFY(r.editFinished);
    QCOMPARE(countValue(*labels, 1), std::size_t(17 * 17));
}

void TestToolModels::floodFillMaskStaysInRegion() {
    // Two flat regions (50 and 150) with a gradient ramp inside the left one.
    auto img = blankImage(40, 20);
    for (std::size_t y = 0; y < 20; ++y)
        for (std::size_t x = 0; x < 40; ++x) img->at(x, y) = x < 20 ? 50.0f + (x < 5 ? float(x) : 0.0f) : 150.0f;
    const SliceFrame f = SliceFrame::of(img->geometry(), SliceAxis::Axial, 0);
    const auto slice = extractSlice(*img, f);
    const SliceMask m = floodFillMask(slice, 40, 20, 1, {10, 10}, 2.0);
    // Columns 3, 4 (53, 54) differ by more than 2 and cut off columns 0..2 (50..52).
    for (std::size_t y = 0; y < 20; ++y)
        for (std::size_t x = 0; x < 40; ++x) QCOMPARE(m.at(x, y) != 0, x >= 5 && x < 20);
    QCOMPARE(floodFillMask(slice, 40, 20, 1, {10, 10}, 4.0).count(), std::size_t(20 * 20));
    const SliceMask right = floodFillMask(slice, 40, 20, 1, {30, 3}, 0.0);
    QCOMPARE(right.count(), std::size_t(20 * 20));

    LabelEditor ed;
    auto labels = std::make_shared<LabelMap>(img->geometry());
    ed.setData(img, labels);
    ed.setActiveLabel(2);
    FloodFillTool tool(ed);
    tool.setTolerance(0.0);
    QVERIFY(tool.press(at(f, 30, 3)).editFinished);
    QCOMPARE(countValue(*labels, 2), std::size_t(400));
}

void TestToolModels::floodFillRgb() {
    Geometry g;
    g.size = {10, 10, 1};
    Image img(g, 3, PixelType::UInt8);
    for (std::size_t y = 0; y < 10; ++y)
        for (std::size_t x = 0; x < 10; ++x) {
            img.at(x, y, 0, 0) = x < 5 ? 200.0f : 10.0f;
            img.at(x, y, 0, 1) = 30.0f;
            img.at(x, y, 0, 2) = 30.0f;
        }
    const auto slice = extractSlice(img, SliceFrame::of(g, SliceAxis::Axial, 0));
    QCOMPARE(floodFillMask(slice, 10, 10, 3, {1, 1}, 5.0).count(), std::size_t(50));
}

void TestToolModels::thresholdInBox() {
    auto img = blankImage(20, 20);
    for (std::size_t y = 0; y < 20; ++y)
        for (std::size_t x = 0; x < 20; ++x) img->at(x, y) = static_cast<float>(x * 10);  // 0..190
    const auto slice = extractSlice(*img, SliceFrame::of(img->geometry(), SliceAxis::Axial, 0));
    const SliceMask m = thresholdBoxMask(slice, 20, 20, 1, {15, 12}, {2, 4}, 100, 130);
    // Box u 2..15, v 4..12 (corners in any order); intensity 100..130 -> u 10..13.
    for (std::size_t y = 0; y < 20; ++y)
        for (std::size_t x = 0; x < 20; ++x) QCOMPARE(m.at(x, y) != 0, x >= 10 && x <= 13 && y >= 4 && y <= 12);

    LabelEditor ed;
    auto labels = std::make_shared<LabelMap>(img->geometry());
    ed.setData(img, labels);
    ThresholdBoxTool tool(ed);
    tool.setRange(100, 130);
    const SliceFrame f = SliceFrame::of(img->geometry(), SliceAxis::Axial, 0);
    tool.press(at(f, 2, 4));
    tool.drag(at(f, 9, 9));
    QCOMPARE(tool.feedback().outline.size(), std::size_t(4));
    QVERIFY(tool.release(at(f, 15, 12)).editFinished);
    QCOMPARE(countValue(*labels, 1), std::size_t(4 * 9));
}

void TestToolModels::brushStrokeUndoRedoExact() {
    LabelEditor ed;
    auto img = blankImage(64, 64);
    auto labels = std::make_shared<LabelMap>(img->geometry());
    for (std::size_t i = 0; i < labels->data().size(); i += 7)
        labels->data()[i] = static_cast<std::uint8_t>(i % 3);  // some existing labels
    ed.setData(img, labels);
    const LabelMap original = *labels;
    BrushTool brush(ed, false);
    brush.setDiameter(5);
    const SliceFrame f = SliceFrame::of(img->geometry(), SliceAxis::Axial, 0);
    brush.press(at(f, 10, 10));
    brush.drag(at(f, 30, 12));
    brush.drag(at(f, 40, 40));
    QVERIFY(brush.release(at(f, 40, 40)).editFinished);
    const LabelMap painted = *labels;
    QVERIFY(!(painted == original));
    QCOMPARE(labels->at(20, 11), std::uint8_t(1));  // on the first segment
    QCOMPARE(labels->at(35, 26), std::uint8_t(1));  // on the second

    BrushTool eraser(ed, true);
    eraser.setDiameter(3);
    eraser.press(at(f, 20, 11));
    eraser.release(at(f, 20, 11));
    QCOMPARE(labels->at(20, 11), std::uint8_t(0));

    QVERIFY(ed.undo());
    QVERIFY(*labels == painted);
    QVERIFY(ed.undo());
    QVERIFY(*labels == original);
    QVERIFY(!ed.undo());
    QVERIFY(ed.redo());
    QVERIFY(*labels == painted);
    QVERIFY(ed.redo());
    QCOMPARE(labels->at(20, 11), std::uint8_t(0));
    // A new edit drops the redo branch.
    ed.undo();
    brush.press(at(f, 50, 50));
    brush.release(at(f, 50, 50));
    QVERIFY(!ed.history().canRedo());
}

void TestToolModels::preserveOtherLabels() {
    LabelEditor ed;
    auto img = blankImage(20, 20);
    auto labels = std::make_shared<LabelMap>(img->geometry());
    for (std::size_t x = 0; x < 20; ++x) labels->at(x, 10) = 2;  // a line of label 2
    ed.setData(img, labels);
    ed.setActiveLabel(1);
    ed.setPreserveOtherLabels(true);
    const SliceFrame f = SliceFrame::of(img->geometry(), SliceAxis::Axial, 0);
    BrushTool brush(ed, false);
    brush.setDiameter(7);
    brush.press(at(f, 10, 10));
    brush.release(at(f, 10, 10));
    QCOMPARE(labels->at(10, 10), std::uint8_t(2));
    QCOMPARE(labels->at(10, 9), std::uint8_t(1));
    BrushTool eraser(ed, true);
    eraser.setDiameter(7);
    eraser.press(at(f, 10, 10));
    eraser.release(at(f, 10, 10));
    QCOMPARE(labels->at(10, 10), std::uint8_t(2));  // not the active label: kept
    QCOMPARE(labels->at(10, 9), std::uint8_t(0));
    ed.setPreserveOtherLabels(false);
    brush.press(at(f, 10, 10));
    brush.release(at(f, 10, 10));
    QCOMPARE(labels->at(10, 10), std::uint8_t(1));
}

void TestToolModels::smoothingBrushOpensAndCloses() {
    LabelEditor ed;
    auto img = blankImage(40, 40);
    auto labels = std::make_shared<LabelMap>(img->geometry());
    // A 12 x 12 square of label 1 with a one-pixel hole, a one-pixel speck beside it under the
    // brush, and another speck far away (outside the brush: never touched).
    for (std::size_t y = 10; y < 22; ++y)
        for (std::size_t x = 10; x < 22; ++x) labels->at(x, y) = 1;
    labels->at(15, 15) = 0;
    labels->at(25, 15) = 1;
    labels->at(35, 35) = 1;
    ed.setData(img, labels);
    ed.setActiveLabel(1);
    const SliceFrame f = SliceFrame::of(img->geometry(), SliceAxis::Axial, 0);
    MorphologyBrushTool tool(ed);
    tool.setDiameter(21);
    tool.setRadius(1);
    tool.setMode(MorphologyBrushTool::Mode::Close);
    ToolResult r = tool.press(at(f, 16, 16));
    r |= tool.release(at(f, 16, 16));
    QVERIFY(r.labelsChanged && r.editFinished);
    QCOMPARE(labels->at(15, 15), std::uint8_t(1));  // the hole is filled
    QCOMPARE(labels->at(35, 35), std::uint8_t(1));
    QCOMPARE(countValue(*labels, 1), std::size_t(12 * 12 + 2));
    tool.setMode(MorphologyBrushTool::Mode::Open);
    tool.press(at(f, 20, 16));
    tool.release(at(f, 20, 16));
    QCOMPARE(labels->at(25, 15), std::uint8_t(0));  // the speck is removed
    QCOMPARE(labels->at(35, 35), std::uint8_t(1));  // outside the brush: kept
    // A radius-1 disc (a plus) does not fit a square's corner: opening removes the two corners
    // under the brush; the two outside it stay.
    QCOMPARE(labels->at(21, 10), std::uint8_t(0));
    QCOMPARE(labels->at(21, 21), std::uint8_t(0));
    QCOMPARE(labels->at(10, 10), std::uint8_t(1));
    QCOMPARE(countValue(*labels, 1), std::size_t(12 * 12 - 1));
    // One undo step per stroke.
    QVERIFY(ed.undo());
    QCOMPARE(labels->at(25, 15), std::uint8_t(1));
    QVERIFY(ed.undo());
    QCOMPARE(labels->at(15, 15), std::uint8_t(0));
    // Closing does not paint over another label when other labels are preserved.
    labels->at(15, 15) = 2;
    ed.setPreserveOtherLabels(true);
    tool.setMode(MorphologyBrushTool::Mode::Close);
    tool.press(at(f, 16, 16));
    tool.release(at(f, 16, 16));
    QCOMPARE(labels->at(15, 15), std::uint8_t(2));
    QCOMPARE(tool.resize(+4), true);
    QCOMPARE(tool.diameter(), 25);
}

void TestToolModels::toolManager() {
    LabelEditor ed;
    ToolManager m(ed);
    m.addNavigation("nav", "Navigate", 'N');
    auto shape = std::make_shared<BrushShape>();
    BrushTool& brush = m.add<BrushTool>("brush", "Brush", 'B', false, shape);
    m.add<BrushTool>("eraser", "Eraser", 'E', true, shape);
    m.add<ThresholdBoxTool>("threshold", "Threshold", 'T');
    QVERIFY_THROWS_EXCEPTION(std::logic_error, m.add<PickLabelTool>("brush", "Again", 'X'));
    QCOMPARE(m.active(), std::string("nav"));
    QVERIFY(m.activeModel() == nullptr);
    QVERIFY(!m.setActive("nothing"));
    std::vector<std::string> seen;
    m.onActiveChanged([&](const std::string& id) { seen.push_back(id); });
    QVERIFY(m.setActive("brush"));
    QCOMPARE(m.activeModel(), static_cast<ToolModel*>(&brush));
    QCOMPARE(seen, std::vector<std::string>{"brush"});
    QVERIFY(m.find<BrushTool>("eraser") != nullptr);
    QVERIFY(m.find<ThresholdBoxTool>("eraser") == nullptr);
    QCOMPARE(m.all<BrushTool>().size(), std::size_t(2));
    brush.setDiameter(13);  // the brush and the eraser share their shape
    QCOMPARE(m.find<BrushTool>("eraser")->diameter(), 13);
    auto img = blankImage(10, 10);
    img->data()[3] = 40;
    m.imageChanged(*img);
    QCOMPARE(m.find<ThresholdBoxTool>("threshold")->low(), 20.0);
    QCOMPARE(m.find<ThresholdBoxTool>("threshold")->high(), 40.0);
}

void TestToolModels::caseDocumentPrediction() {
    QTemporaryDir tmp;
    const fs::path root = tmp.path().toStdString();
    fs::create_directories(root / "centre" / "images");
    Geometry g;
    g.dimension = 2;
    g.size = {20, 16, 1};
    writeLabelMap(LabelMap(g), root / "centre" / "images" / "c1.png");
    Project p;
    p.setFile(root / "p.dacproj");
    p.domains.push_back({"centre", root / "centre", DomainLayout::ImagesMasks, "unlabeled"});
    const Domain dom = scanDomain(root / "centre");
    QCOMPARE(dom.cases.size(), std::size_t(1));
    CaseDocument doc = CaseDocument::open(p, dom, dom.cases[0]);
    QVERIFY(!doc.prediction);
    QCOMPARE(doc.loadPrediction(p), std::string());
    // A prediction of another size is not shown, and says why; one of the image's size is.
    fs::create_directories(p.predictionFolder() / "centre");
    Geometry other = g;
    other.size = {10, 10, 1};
    writeLabelMap(LabelMap(other), p.predictionFolder() / "centre" / "c1.png");
    QVERIFY(doc.loadPrediction(p).find("does not match the image size") != std::string::npos);
    QVERIFY(!doc.prediction);
    QVERIFY(!CaseDocument::open(p, dom, dom.cases[0]).prediction);
    LabelMap fits(g);
    fits.at(3, 4) = 2;
    writeLabelMap(fits, p.predictionFolder() / "centre" / "c1.png");
    QCOMPARE(doc.loadPrediction(p), std::string());
    QVERIFY(doc.prediction && doc.prediction->at(3, 4) == 2);
}

void TestToolModels::pickLabel() {
    LabelEditor ed;
    auto img = blankImage(8, 8);
    auto labels = std::make_shared<LabelMap>(img->geometry());
    labels->at(3, 4) = 5;
    ed.setData(img, labels);
    PickLabelTool pick(ed);
    const SliceFrame f = SliceFrame::of(img->geometry(), SliceAxis::Axial, 0);
    QVERIFY(!pick.press(at(f, 0, 0)).activeLabelChanged);
    QVERIFY(pick.press(at(f, 3.2, 3.8)).activeLabelChanged);
    QCOMPARE(ed.activeLabel(), std::uint8_t(5));
}

void TestToolModels::undoOnVolumeSlices() {
    LabelEditor ed;
    auto img = blankImage(16, 12, 10);
    auto labels = std::make_shared<LabelMap>(img->geometry());
    ed.setData(img, labels);
    BrushTool brush(ed, false);
    brush.setDiameter(3);
    const LabelMap empty = *labels;
    for (SliceAxis a : {SliceAxis::Axial, SliceAxis::Coronal, SliceAxis::Sagittal}) {
        const SliceFrame f = SliceFrame::of(img->geometry(), a, 4);
        brush.press(at(f, 2, 2));
        brush.drag(at(f, 8, 8));
        brush.release(at(f, 8, 8));
    }
    // Each stroke stays on its slice.
    QCOMPARE(labels->at(2, 2, 4), std::uint8_t(1));  // axial z=4, (u,v)=(x,y)
    QCOMPARE(labels->at(2, 4, 2), std::uint8_t(1));  // coronal y=4, (u,v)=(x,z)
    QCOMPARE(labels->at(4, 2, 2), std::uint8_t(1));  // sagittal x=4, (u,v)=(y,z)
    SliceFrame touched;
    QVERIFY(ed.undo(&touched));
    QCOMPARE(touched.axis, SliceAxis::Sagittal);
    QVERIFY(ed.undo());
    QVERIFY(ed.undo(&touched));
    QCOMPARE(touched.axis, SliceAxis::Axial);
    QVERIFY(*labels == empty);
}

void TestToolModels::undoMemoryCap() {
    LabelEditor ed(64 * 1024);  // 64 KiB
    auto img = blankImage(256, 256);
    auto labels = std::make_shared<LabelMap>(img->geometry());
    ed.setData(img, labels);
    BrushTool brush(ed, false);
    brush.setDiameter(3);
    const SliceFrame f = SliceFrame::of(img->geometry(), SliceAxis::Axial, 0);
    // Noisy strokes (many runs) so that each entry costs a few KiB.
    for (int k = 0; k < 100; ++k) {
        ed.setActiveLabel(static_cast<std::uint8_t>(1 + k % 3));
        brush.press(at(f, 5, 2 + 2.5 * k));
        for (int u = 5; u < 250; u += 3) brush.drag(at(f, u, 2 + 2.5 * k + (u % 2)));
        brush.release(at(f, 250, 2 + 2.5 * k));
    }
    QVERIFY(ed.history().memoryBytes() <= 64 * 1024);
    QVERIFY(ed.history().droppedCount() > 0);
    QVERIFY(ed.history().undoCount() > 5);
    // What is kept still undoes exactly, newest first.
    const std::size_t kept = ed.history().undoCount();
    for (std::size_t i = 0; i < kept; ++i) QVERIFY(ed.undo());
    QVERIFY(!ed.undo());
}

void TestToolModels::labelDescriptions() {
    std::vector<LabelDisplay> labels{{{"disc rim", 1, {255, 0, 0}}, 1.0, true}, {{"cup", 2, {0, 255, 0}}, 0.5, false}};
    const std::string snap = itkSnapLabelDescription(labels);
    QVERIFY(snap.find("\"Clear Label\"") != std::string::npos);
    QVERIFY(snap.find("\"disc rim\"") != std::string::npos);
    const auto parsed = parseItkSnapLabelDescription(snap);
    QCOMPARE(parsed.size(), std::size_t(2));
    QCOMPARE(parsed[1].info.name, std::string("cup"));
    QCOMPARE(int(parsed[1].info.color[1]), 255);
    QCOMPARE(parsed[1].opacity, 0.5);
    QCOMPARE(parsed[1].visible, false);
    // Out-of-range fields (found by fuzz_label_description: an opacity of 5, colour 2550 read
    // as 2550 mod 256) are clamped; the index must still be 1..255.
    const auto odd = parseItkSnapLabelDescription(
        "    1  2550   -3  128  5.00  1  1    \"a\"\n"
        "    2     0    0    0  -1  0  1    \"b\"\n"
        "    3     0    0    0  nan  1  1    \"c\"\n"  // does not parse
        "  256     1    2    3  0.5  1  1    \"d\"\n");
    QCOMPARE(odd.size(), std::size_t(2));
    QCOMPARE(int(odd[0].info.color[0]), 255);
    QCOMPARE(int(odd[0].info.color[1]), 0);
    QCOMPARE(int(odd[0].info.color[2]), 128);
    QCOMPARE(odd[0].opacity, 1.0);
    QCOMPARE(odd[1].opacity, 0.0);
    const std::string ctbl = slicerColorTable(labels);
    QVERIFY(ctbl.find("1 disc_rim 255 0 0 255") != std::string::npos);
    QTemporaryDir dir;
    writeLabelDescriptions(dir.path().toStdString(), labels);
    QCOMPARE(readText(std::filesystem::path(dir.path().toStdString()) / "labels.txt"), snap);
}

QTEST_GUILESS_MAIN(TestToolModels)
#include "tst_toolmodels.moc"
