// The annotation workbench end to end on the demo project: the main window shows a VTK render
// of a case (the smoke test of the foundation issue), a mouse stroke changes the label map and
// the pixels, undo/redo are exact, labels survive save/close/reopen, and corrupt files or bad
// cases give a non-blocking message without changing anything else.
#include <fstream>
#include <unistd.h>

#include <QApplication>
#include <QCryptographicHash>
#include <QFile>
#include <QLineEdit>
#include <QComboBox>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStackedWidget>
#include <QtTest>

#include "GuiTestUtil.h"
#include "WorkbenchFixture.h"
#include "core/image/ImageIO.h"
#include "core/project/Project.h"
#include "core/project/ProjectLock.h"
#include "ui/Autosaver.h"
#include "ui/LabelTable.h"
#include "ui/MessageBar.h"
#include "ui/ProjectBrowser.h"
#include "ui/model/BrushTool.h"
#include "ui/model/FloodFillTool.h"
#include "ui/model/MorphologyBrushTool.h"
#include "ui/model/LabelEditor.h"
#include "ui/model/ToolManager.h"
#include "core/util/Paths.h"

using namespace dacw;
namespace fs = std::filesystem;

namespace {
QByteArray fileHash(const fs::path& f) {
    QFile file(QString::fromStdString(f.string()));
    if (!file.open(QIODevice::ReadOnly)) return {};
    return QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256);
}

bool openAndShow(MainWindow& w, const test::DemoProject& demo) {
    w.resize(1200, 760);
    w.show();
    if (!QTest::qWaitForWindowExposed(&w)) return false;
    return w.openProject(QString::fromStdString(demo.file.string())) && w.openCase(demo.domain, demo.caseId);
}
}  // namespace

class TestWorkbench : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void mainWindowShowsImage();
    void paintStrokeUndoRedo();
    void polygonAndFloodWithMouse();
    void smoothingToolFromTheToolbar();
    void saveCloseReopen();
    void projectOpenElsewhereIsReadOnly();
    void unsavedLabelsStayOpenWhenSavingFails();
    void corruptFileMessage();
    void badCaseMarkedInBrowser();
    void labelTableEditsProject();
    void browserFilterAndSearch();
    void commandLineStyleOpen();
    void screenshots();

private:
    std::unique_ptr<QTemporaryDir> dir_;
    test::DemoProject demo_;
};

void TestWorkbench::init() {
    dir_ = std::make_unique<QTemporaryDir>();
    QVERIFY(dir_->isValid());
    demo_ = test::makeDemoProject(fs::path(dir_->path().toStdString()) / "demo");
}

void TestWorkbench::mainWindowShowsImage() {
    MainWindow w;
    QVERIFY(openAndShow(w, demo_));
    QVERIFY(w.browser()->caseCount() > 10);
    const QImage frame = test::grabView(w.view());
    test::saveIfRequested(w.grab().toImage(), "main-window-smoke");
    QVERIFY(frame.width() > 200 && frame.height() > 200);
    const double brightness = test::meanBrightness(frame);
    QVERIFY2(brightness > 20.0, qPrintable(QString("mean brightness %1").arg(brightness)));
    // The readout follows the mouse.
    QTest::mouseMove(w.view(), w.view()->toWidget(20, 30).toPoint());
    QVERIFY2(w.view()->statusText().startsWith("x 20  y 30"), qPrintable(w.view()->statusText()));
}

void TestWorkbench::paintStrokeUndoRedo() {
    MainWindow w;
    QVERIFY(openAndShow(w, demo_));
    w.setTool("toolBrush");
    w.tools().find<BrushTool>("toolBrush")->setDiameter(5);
    w.labelTable()->setActiveLabel(1);
    auto labels = w.editor().labels();
    QVERIFY(labels);
    const LabelMap before = *labels;
    const QImage pixelsBefore = test::grabView(w.view());
    const double width = static_cast<double>(labels->width()), height = static_cast<double>(labels->height());

    // Across the top of the image, where the demo's masks are background.
    test::mouseStroke(w.view(), {width * 0.2, height * 0.08}, {width * 0.8, height * 0.08});
    QCOMPARE(labels->at(static_cast<std::size_t>(width / 2), static_cast<std::size_t>(height * 0.08)), std::uint8_t(1));
    const LabelMap painted = *labels;
    QVERIFY(!(painted == before));
    const QImage pixelsAfter = test::grabView(w.view());
    const long changed = test::countDifferent(pixelsBefore, pixelsAfter);
    QVERIFY2(changed > 200, qPrintable(QString("%1 pixels changed").arg(changed)));

    // Ctrl+Z restores the label map exactly, Ctrl+Shift+Z re-applies the stroke.
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    w.view()->setFocus();
    QTest::keyClick(w.view(), Qt::Key_Z, Qt::ControlModifier);
    QVERIFY(*labels == before);
    QCOMPARE(test::countDifferent(pixelsBefore, test::grabView(w.view())), 0L);
    QTest::keyClick(w.view(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QVERIFY(*labels == painted);

    // Eraser with the keyboard shortcut.
    QTest::keyClick(w.view(), Qt::Key_E);
    QCOMPARE(w.tool(), QString("toolEraser"));
    test::mouseStroke(w.view(), {width * 0.2, height * 0.08}, {width * 0.8, height * 0.08});
    QVERIFY(*labels == before);
}

/// A tool registered in one line (ui/tools/WorkbenchTools.cpp) appears with its action, shortcut
/// and options; its stroke is one undo step.
void TestWorkbench::smoothingToolFromTheToolbar() {
    MainWindow w;
    QVERIFY(openAndShow(w, demo_));
    auto labels = w.editor().labels();
    const double width = static_cast<double>(labels->width()), height = static_cast<double>(labels->height());
    const auto cx = static_cast<std::size_t>(width / 2), cy = static_cast<std::size_t>(height * 0.08);
    // A one-pixel speck of label 1 where the demo's masks are background.
    w.labelTable()->setActiveLabel(1);
    w.setTool("toolBrush");
    w.tools().find<BrushTool>("toolBrush")->setDiameter(1);
    QTest::mouseClick(w.view(), Qt::LeftButton, {}, w.view()->toWidget(double(cx), double(cy)).toPoint());
    QCOMPARE(labels->at(cx, cy), std::uint8_t(1));

    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    w.view()->setFocus();
    QTest::keyClick(w.view(), Qt::Key_M);
    QCOMPARE(w.tool(), QString("toolSmooth"));
    auto* options = w.findChild<QStackedWidget*>("toolOptions");
    QVERIFY(options && options->currentWidget()->findChild<QSpinBox*>("smoothRadius"));
    auto* size = options->currentWidget()->findChild<QSpinBox*>("smoothSize");
    const int before = size->value();
    QTest::keyClick(w.view(), Qt::Key_BracketRight);
    QCOMPARE(size->value(), before + 1);
    QCOMPARE(w.tools().find<MorphologyBrushTool>("toolSmooth")->diameter(), before + 1);
    QTest::mouseClick(w.view(), Qt::LeftButton, {}, w.view()->toWidget(double(cx), double(cy)).toPoint());
    QCOMPARE(labels->at(cx, cy), std::uint8_t(0));  // opened away
    QTest::keyClick(w.view(), Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(labels->at(cx, cy), std::uint8_t(1));
    // The brush's options come back with the brush.
    QTest::keyClick(w.view(), Qt::Key_B);
    QVERIFY(options->currentWidget()->findChild<QSpinBox*>("brushSize"));
    QCOMPARE(options->currentWidget()->findChild<QSpinBox*>("brushSize")->value(), 1);
}

void TestWorkbench::polygonAndFloodWithMouse() {
    MainWindow w;
    QVERIFY(openAndShow(w, demo_));
    auto labels = w.editor().labels();
    std::fill(labels->data().begin(), labels->data().end(), 0);
    w.view()->labelsChanged();
    w.labelTable()->setActiveLabel(2);
    w.setTool("toolPolygon");
    const std::array<std::array<double, 2>, 4> pts{{{10, 10}, {30, 10}, {30, 25}, {10, 25}}};
    for (const auto& p : pts) QTest::mouseClick(w.view(), Qt::LeftButton, {}, w.view()->toWidget(p[0], p[1]).toPoint());
    QTest::keyClick(w.view(), Qt::Key_Return);
    std::size_t count = 0;
    for (std::size_t y = 0; y < labels->height(); ++y)
        for (std::size_t x = 0; x < labels->width(); ++x) {
            const bool inside = x >= 10 && x <= 30 && y >= 10 && y <= 25;
            if (labels->at(x, y) == 2) ++count;
            if (inside != (labels->at(x, y) == 2)) QFAIL(qPrintable(QString("pixel %1,%2").arg(x).arg(y)));
        }
    QCOMPARE(count, std::size_t(21 * 16));

    // Flood fill with an infinite tolerance fills the whole slice, in one undo step.
    w.setTool("toolFlood");
    w.tools().find<FloodFillTool>("toolFlood")->setTolerance(1e9);
    w.labelTable()->setActiveLabel(1);
    QTest::mouseClick(w.view(), Qt::LeftButton, {}, w.view()->toWidget(50, 50).toPoint());
    QCOMPARE(std::count(labels->data().begin(), labels->data().end(), 1), long(labels->data().size()));
    w.action("undo")->trigger();
    QCOMPARE(std::size_t(std::count(labels->data().begin(), labels->data().end(), 2)), count);
}

void TestWorkbench::saveCloseReopen() {
    const QByteArray imageHash = fileHash(demo_.image), maskHash = fileHash(demo_.mask);
    LabelMap painted;
    fs::path labelFile;
    {
        MainWindow w;
        QVERIFY(openAndShow(w, demo_));
        w.setTool("toolBrush");
        w.tools().find<BrushTool>("toolBrush")->setDiameter(7);
        const double width = double(w.editor().labels()->width()), height = double(w.editor().labels()->height());
        test::mouseStroke(w.view(), {width * 0.1, height * 0.9}, {width * 0.9, height * 0.9});
        test::mouseStroke(w.view(), {width * 0.1, height * 0.1}, {width * 0.1, height * 0.9});
        painted = *w.editor().labels();
        labelFile = w.currentCase()->labelFile;
        // Autosave happens on its own after a short delay.
        QTRY_VERIFY_WITH_TIMEOUT(fs::exists(labelFile), 5000);
        w.close();  // flushes
    }
    // Under the project folder, as PNG for a photo, with label descriptions.
    const fs::path projectFolder = demo_.file.parent_path();
    QVERIFY(labelFile.string().rfind((projectFolder / "labels").string(), 0) == 0);
    QCOMPARE(QString::fromStdString(lowerExtension(labelFile)), QString(".png"));
    QVERIFY(fs::exists(projectFolder / "labels" / "labels.txt"));
    QVERIFY(fs::exists(projectFolder / "labels" / "labels.ctbl"));
    QVERIFY(readLabelMap(labelFile) == painted);
    // Source data untouched.
    QCOMPARE(fileHash(demo_.image), imageHash);
    QCOMPARE(fileHash(demo_.mask), maskHash);
    // The project records the annotation.
    const Project p = Project::load(demo_.file);
    QVERIFY(p.annotations.count(Project::caseKey(demo_.domain.toStdString(), demo_.caseId.toStdString())));

    MainWindow again;
    QVERIFY(openAndShow(again, demo_));
    QVERIFY(*again.editor().labels() == painted);
    QVERIFY(again.browser()->caseState(demo_.domain, demo_.caseId).annotated);
}

void TestWorkbench::projectOpenElsewhereIsReadOnly() {
    // Another workbench has the project open: here a second holder of its lock in this process
    // (refused like another process; test_project checks two processes).
    ProjectLock other;
    QCOMPARE(other.tryLock(demo_.file), ProjectLock::Outcome::Acquired);
    const QByteArray projectHash = fileHash(demo_.file);
    fs::path labelFile;
    {
        MainWindow w;
        QVERIFY(openAndShow(w, demo_));
        QVERIFY(w.readOnly());
        const QString warning = w.messageBar()->history().filter("already open in another DAC Workbench").value(0);
        QVERIFY2(warning.contains(QString("pid %1 on host").arg(::getpid())), qPrintable(w.messageBar()->history().join("\n")));
        QVERIFY(warning.contains("read-only"));
        QVERIFY(w.windowTitle().contains("[read-only]"));
        QVERIFY(!w.action("newRun")->isEnabled());
        QVERIFY(!w.action("predictAll")->isEnabled());
        QVERIFY(QApplication::activeModalWidget() == nullptr);
        // Painting works but nothing is written: no label file, the project file unchanged.
        w.setTool("toolBrush");
        w.tools().find<BrushTool>("toolBrush")->setDiameter(7);
        const double width = double(w.editor().labels()->width()), height = double(w.editor().labels()->height());
        test::mouseStroke(w.view(), {width * 0.1, height * 0.9}, {width * 0.9, height * 0.9});
        labelFile = w.currentCase()->labelFile;
        QTest::qWait(1000);  // well past the autosave delay
        w.flushSaves();
        QVERIFY(!fs::exists(labelFile));
        w.close();
    }
    QCOMPARE(fileHash(demo_.file), projectHash);

    // Once the other one has closed it, it opens for editing and this window holds it.
    other.unlock();
    MainWindow w;
    QVERIFY(openAndShow(w, demo_));
    QVERIFY(!w.readOnly());
    QVERIFY(w.action("newRun")->isEnabled());
    std::string who;
    ProjectLock third;
    QCOMPARE(third.tryLock(demo_.file, &who), ProjectLock::Outcome::HeldByOther);
    // Reopening the project this window holds keeps it editable.
    QVERIFY(w.openProject(QString::fromStdString(demo_.file.string())));
    QVERIFY(!w.readOnly());
    QVERIFY(w.openCase(demo_.domain, demo_.caseId));
    w.setTool("toolBrush");
    const double width = double(w.editor().labels()->width()), height = double(w.editor().labels()->height());
    test::mouseStroke(w.view(), {width * 0.1, height * 0.9}, {width * 0.9, height * 0.9});
    QTRY_VERIFY_WITH_TIMEOUT(fs::exists(labelFile), 5000);
}

void TestWorkbench::unsavedLabelsStayOpenWhenSavingFails() {
    // Another case of the same domain, to switch to.
    QString other;
    for (const Domain& dom : Project::load(demo_.file).scanDomains())
        if (QString::fromStdString(dom.name) == demo_.domain)
            for (const Case& c : dom.cases)
                if (QString::fromStdString(c.id) != demo_.caseId && other.isEmpty()) other = QString::fromStdString(c.id);
    QVERIFY(!other.isEmpty());

    MainWindow w;
    QVERIFY(openAndShow(w, demo_));
    w.autosaver()->setRetryDelay(300);
    const fs::path labelFile = w.currentCase()->labelFile;
    // The save cannot happen: a plain file where the label folder goes (as root, permission bits
    // stop nothing; the core's fault tests cover full disks and read-only folders).
    const fs::path folder = labelFile.parent_path(), aside = folder.string() + ".aside";
    if (fs::exists(folder)) fs::rename(folder, aside);
    fs::create_directories(folder.parent_path());
    std::ofstream(folder) << "in the way";

    w.setTool("toolBrush");
    w.tools().find<BrushTool>("toolBrush")->setDiameter(7);
    const double width = double(w.editor().labels()->width()), height = double(w.editor().labels()->height());
    test::mouseStroke(w.view(), {width * 0.2, height * 0.5}, {width * 0.8, height * 0.5});
    const LabelMap painted = *w.editor().labels();
    QTRY_VERIFY_WITH_TIMEOUT(w.autosaver()->failing(), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(w.messageBar()->text().contains("Autosave failed"), 5000);
    QVERIFY2(w.messageBar()->text().contains(QString::fromStdString(labelFile.filename().string())),
             qPrintable(w.messageBar()->text()));

    // Switching case, opening another project or quitting would drop the strokes: refused, saying why.
    QVERIFY(!w.openCase(demo_.domain, other));
    QCOMPARE(QString::fromStdString(w.currentCase()->caseId), demo_.caseId);
    QVERIFY(*w.editor().labels() == painted);
    QVERIFY2(w.messageBar()->text().contains("stay open here"), qPrintable(w.messageBar()->text()));
    test::saveIfRequested(w.grab().toImage(), "save-failed");
    QVERIFY(!w.openProject(QString::fromStdString(demo_.file.string())));
    QVERIFY(!w.close());
    QVERIFY(w.messageBar()->text().contains("Close the window again"));

    // Once the folder can be written, a retry saves them without another stroke.
    fs::remove(folder);
    if (fs::exists(aside)) fs::rename(aside, folder);
    QTRY_VERIFY_WITH_TIMEOUT(!w.autosaver()->failing() && fs::exists(labelFile), 5000);
    QVERIFY(readLabelMap(labelFile) == painted);
    QTRY_VERIFY_WITH_TIMEOUT(w.messageBar()->text().contains("saved now"), 5000);  // reported after the write
    QVERIFY(w.openCase(demo_.domain, other));
}

void TestWorkbench::corruptFileMessage() {
    MainWindow w;
    QVERIFY(openAndShow(w, demo_));
    const auto labelsBefore = w.editor().labels();
    const LabelMap content = *labelsBefore;
    const fs::path folder = fs::path(dir_->path().toStdString());
    { std::ofstream(folder / "empty.png"); }
    { std::ofstream(folder / "notes.nii.gz") << "this is text, not a NIfTI volume\n"; }
    for (const char* name : {"empty.png", "notes.nii.gz", "missing.mha"}) {
        QVERIFY(!w.openImageFile(QString::fromStdString((folder / name).string())));
        QVERIFY(w.messageBar()->isVisible());
        QVERIFY2(w.messageBar()->text().contains(name), qPrintable(w.messageBar()->text()));
        QVERIFY(QApplication::activeModalWidget() == nullptr);  // no dialog blocks the user
        QCOMPARE(QString::fromStdString(w.currentCase()->caseId), demo_.caseId);
        QVERIFY(w.editor().labels() == labelsBefore);
        QVERIFY(*w.editor().labels() == content);
    }
    // A corrupt project file.
    { std::ofstream(folder / "broken.dacproj") << "{ not json"; }
    QVERIFY(!w.openProject(QString::fromStdString((folder / "broken.dacproj").string())));
    QVERIFY(w.messageBar()->text().contains("project"));
    QCOMPARE(w.project()->file(), demo_.file);
}

void TestWorkbench::badCaseMarkedInBrowser() {
    // A project whose domain holds a good image, a truncated PNG and a mask with label 7.
    const fs::path root = fs::path(dir_->path().toStdString()) / "bad";
    fs::create_directories(root / "site" / "images");
    fs::create_directories(root / "site" / "masks");
    Geometry g;
    g.size = {128, 128, 1};
    Image good(g, 1, PixelType::UInt8);
    for (std::size_t i = 0; i < good.data().size(); ++i)
        good.data()[i] = static_cast<float>((i * 7919) % 251);  // noise: the cut falls in the pixel data
    writeImage(good, root / "site" / "images" / "good.png");
    writeImage(good, root / "site" / "images" / "weird.png");
    LabelMap seven(g, 7);
    writeLabelMap(seven, root / "site" / "masks" / "weird.png");
    {
        const std::string png = readText(root / "site" / "images" / "good.png");
        std::ofstream(root / "site" / "images" / "truncated.png", std::ios::binary) << png.substr(0, png.size() / 2);
    }
    Project p;
    p.name = "bad cases";
    p.task = Task::polyp();
    p.domains.push_back({"site", root / "site", DomainLayout::ImagesMasks, "labeled"});
    p.domains.push_back({"gone", root / "does-not-exist", DomainLayout::ImagesMasks, "unlabeled"});
    p.setFile(root / "bad.dacproj");
    p.save();

    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QSignalSpy done(&w, &MainWindow::validationFinished);
    QVERIFY(w.openProject(QString::fromStdString(p.file().string())));
    QVERIFY(w.messageBar()->text().contains("gone"));  // the missing domain folder
    if (!w.validationDone()) QVERIFY(done.wait(10000));
    QVERIFY(w.browser()->caseState("site", "good").problem.isEmpty());
    QVERIFY2(w.browser()->caseState("site", "weird").problem.contains("7"),
             qPrintable(w.browser()->caseState("site", "weird").problem));

    QVERIFY(w.openCase("site", "good"));
    // The header of the truncated file is intact; decoding fails when the case is opened.
    QVERIFY(!w.openCase("site", "truncated"));
    QVERIFY(w.messageBar()->text().contains("truncated"));
    QVERIFY2(w.browser()->caseState("site", "truncated").problem.contains("truncated.png"),
             qPrintable(w.browser()->caseState("site", "truncated").problem));
    QCOMPARE(QString::fromStdString(w.currentCase()->caseId), QString("good"));
    QVERIFY(QApplication::activeModalWidget() == nullptr);
}

void TestWorkbench::labelTableEditsProject() {
    MainWindow w;
    QVERIFY(openAndShow(w, demo_));
    const std::size_t n = w.project()->task.labels.size();
    const int value = w.labelTable()->addLabel("vessel", QColor(10, 20, 200));
    QVERIFY(value > 0);
    w.labelTable()->renameLabel(1, "rim");
    w.labelTable()->recolourLabel(1, QColor(250, 120, 0));
    const Project p = Project::load(demo_.file);
    QCOMPARE(p.task.labels.size(), n + 1);
    QCOMPARE(QString::fromStdString(p.task.label(1)->name), QString("rim"));
    QCOMPARE(int(p.task.label(1)->color[1]), 120);
    QCOMPARE(QString::fromStdString(p.task.label(static_cast<std::uint8_t>(value))->name), QString("vessel"));
    // Hiding a label changes the rendered pixels back to the image alone.
    auto labels = w.editor().labels();
    std::fill(labels->data().begin(), labels->data().end(), 1);
    w.view()->labelsChanged();
    const QImage shown = test::grabView(w.view());
    w.labelTable()->setLabelVisible(1, false);
    const QImage hidden = test::grabView(w.view());
    QVERIFY(test::countDifferent(shown, hidden) > 1000);
    w.labelTable()->setLabelVisible(1, true);
    w.labelTable()->setLabelOpacity(1, 0.1);
    QVERIFY(test::countDifferent(shown, test::grabView(w.view())) > 1000);
}

void TestWorkbench::browserFilterAndSearch() {
    MainWindow w;
    QVERIFY(openAndShow(w, demo_));
    ProjectBrowser* b = w.browser();
    const int all = b->visibleCases().size();
    QCOMPARE(all, b->caseCount());
    b->searchField()->setText(demo_.caseId);
    QVERIFY(b->visibleCases().size() >= 1);
    QVERIFY(b->visibleCases().size() < all);
    b->searchField()->clear();
    // Annotate one case (autosave), then filter by status.
    w.setTool("toolBrush");
    test::mouseStroke(w.view(), {5, 5}, {20, 5});
    w.flushSaves();
    QTRY_VERIFY(b->caseState(demo_.domain, demo_.caseId).annotated);
    b->statusFilter()->setCurrentIndex(b->statusFilter()->findData("annotated"));
    QCOMPARE(b->visibleCases(), QStringList{demo_.domain + "/" + demo_.caseId});
    b->statusFilter()->setCurrentIndex(b->statusFilter()->findData("unlabeled"));
    const int unlabeled = b->visibleCases().size();
    b->statusFilter()->setCurrentIndex(b->statusFilter()->findData("labeled"));
    const int labeled = b->visibleCases().size();
    QVERIFY(labeled > 0);
    QCOMPARE(unlabeled + labeled, all);
}

void TestWorkbench::commandLineStyleOpen() {
    // What `dac-workbench demo.dacproj` does, then a case chosen in the browser.
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(w.openProject(QString::fromStdString(demo_.file.string())));
    QSignalSpy opened(&w, &MainWindow::caseOpened);
    Q_EMIT w.browser()->caseActivated(demo_.domain, demo_.caseId);
    QCOMPARE(opened.count(), 1);
    QVERIFY(w.windowTitle().contains(demo_.caseId));
}

// Screenshots for docs/user-guide.md: saved when DACW_GUI_TEST_OUT is set.
void TestWorkbench::screenshots() {
    MainWindow w;
    QVERIFY(openAndShow(w, demo_));
    w.resize(1280, 800);
    w.view()->fit();
    // A few strokes of a new label on top of the dataset's disc and cup.
    const int vessel = w.labelTable()->addLabel("vessel", QColor(250, 200, 0));
    w.labelTable()->setActiveLabel(vessel);
    w.setTool("toolBrush");
    w.tools().find<BrushTool>("toolBrush")->setDiameter(3);
    const double n = double(w.editor().labels()->width());
    test::mouseStroke(w.view(), {n * 0.15, n * 0.30}, {n * 0.45, n * 0.42}, 20);
    test::mouseStroke(w.view(), {n * 0.55, n * 0.58}, {n * 0.85, n * 0.80}, 20);
    QTest::mouseMove(w.view(), w.view()->toWidget(n * 0.6, n * 0.3).toPoint());
    QTest::qWait(50);
    const QImage shot = w.grab().toImage();
    QVERIFY(test::meanBrightness(shot) > 20);
    test::saveIfRequested(shot, "main-window");
    w.action("outline")->setChecked(true);
    test::saveIfRequested(w.grab().toImage(), "main-window-outline");

    // The MRI demo: a volume, shown coronally.
    const fs::path mri = demo_.file.parent_path() / "mri.dacproj";
    if (fs::exists(mri)) {
        const Project p = Project::load(mri);
        const Domain dom = scanDomain(p.resolve(p.domains.at(0).root));
        MainWindow v;
        v.resize(1280, 800);
        v.show();
        QVERIFY(QTest::qWaitForWindowExposed(&v));
        QVERIFY(v.openProject(QString::fromStdString(mri.string())));
        QVERIFY(v.openCase(QString::fromStdString(dom.name), QString::fromStdString(dom.cases.at(0).id)));
        v.action("coronal")->trigger();
        QTest::mouseMove(v.view(), QPoint(v.view()->width() / 2, v.view()->height() / 2));
        test::saveIfRequested(v.grab().toImage(), "mri-coronal");
    }
}

int main(int argc, char** argv) {
    QSurfaceFormat::setDefaultFormat(QtVtkWidget::vtkFormat());
    test::isolateUserFolders();
    QApplication app(argc, argv);
    TestWorkbench t;
    return QTest::qExec(&t, argc, argv);
}

#include "tst_workbench.moc"
