// Autosave survives kill -9: a real child process (this executable with --child) opens the demo
// project, paints strokes with mouse events and reports each one; the test kills it with SIGKILL
// at various moments, then checks that the label file on disk is readable, holds every stroke
// but possibly the last, and that reopening the case restores it.
#include <cstdio>
#include <random>

#include <QApplication>
#include <QProcess>
#include <QtTest>

#include "WorkbenchFixture.h"
#include "core/image/ImageIO.h"
#include "ui/model/BrushTool.h"
#include "ui/model/LabelEditor.h"
#include "ui/model/ToolManager.h"

using namespace dacw;
namespace fs = std::filesystem;

namespace {
constexpr int kStrokes = 12;
double strokeRow(int k) { return 6.0 + 3.0 * k; }  // stroke k paints row 6 + 3k (top of the image)

int runChild(const QStringList& args) {
    // args: project domain case seed
    MainWindow w;
    w.resize(900, 700);
    w.show();
    if (!QTest::qWaitForWindowExposed(&w)) return 3;
    if (!w.openProject(args[0]) || !w.openCase(args[1], args[2])) return 4;
    std::mt19937 rng(args[3].toUInt());
    w.setTool("toolBrush");
    w.tools().find<BrushTool>("toolBrush")->setDiameter(2);
    const double width = double(w.editor().labels()->width());
    for (int k = 1; k <= kStrokes; ++k) {
        test::mouseStroke(w.view(), {width * 0.1, strokeRow(k)}, {width * 0.9, strokeRow(k)}, 6);
        std::printf("STROKE %d\n", k);
        std::fflush(stdout);
        QTest::qWait(std::uniform_int_distribution<int>(10, 500)(rng));
    }
    std::printf("DONE\n");
    std::fflush(stdout);
    QTest::qWait(60000);
    return 0;
}
}  // namespace

class TestAutosaveKill : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void killDuringSession_data();
    void killDuringSession();
};

void TestAutosaveKill::killDuringSession_data() {
    QTest::addColumn<int>("killAfter");
    QTest::addColumn<int>("delayMs");
    QTest::addColumn<int>("seed");
    QTest::newRow("right after stroke 1") << 1 << 0 << 1;
    QTest::newRow("right after stroke 4") << 4 << 0 << 2;
    QTest::newRow("mid session 6") << 6 << 120 << 3;
    QTest::newRow("after autosave 8") << 8 << 700 << 4;
    QTest::newRow("random 10") << 10 << 37 << 5;
}

void TestAutosaveKill::killDuringSession() {
    QFETCH(int, killAfter);
    QFETCH(int, delayMs);
    QFETCH(int, seed);
    QTemporaryDir dir;
    const test::DemoProject demo = test::makeDemoProject(fs::path(dir.path().toStdString()) / "demo");
    const Project project = Project::load(demo.file);
    const fs::path labelFile = project.labelPathFor(demo.domain.toStdString(), demo.caseId.toStdString(), false);
    const LabelMap datasetMask =
        readCaseMask(*scanDomain(project.resolve(project.domains[0].root)).find(demo.caseId.toStdString()));

    QProcess child;
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child.start(QCoreApplication::applicationFilePath(),
                {"--child", QString::fromStdString(demo.file.string()), demo.domain, demo.caseId, QString::number(seed)});
    QVERIFY(child.waitForStarted(10000));
    int reported = 0;
    QByteArray buffer;
    while (reported < killAfter) {
        if (!child.waitForReadyRead(30000))
            QFAIL(qPrintable(QString("child stopped after %1 strokes (exit %2)").arg(reported).arg(child.exitCode())));
        buffer += child.readAllStandardOutput();
        while (buffer.contains('\n')) {
            const int nl = buffer.indexOf('\n');
            const QByteArray line = buffer.left(nl);
            buffer.remove(0, nl + 1);
            if (line.startsWith("STROKE ")) reported = line.mid(7).toInt();
        }
    }
    if (delayMs) QTest::qWait(delayMs);
    child.kill();  // SIGKILL
    QVERIFY(child.waitForFinished(10000));
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);

    // Every stroke before the last one reported is on disk; the file is whole. (A temporary
    // file of an interrupted write may remain beside it; it is never read.)
    if (reported >= 2 || fs::exists(labelFile)) {
        QVERIFY2(fs::exists(labelFile), labelFile.c_str());
        LabelMap saved;
        try {
            saved = readLabelMap(labelFile);
        } catch (const std::exception& e) {
            QFAIL(e.what());
        }
        const std::size_t mid = saved.width() / 2;
        for (int k = 1; k < reported; ++k)
            QVERIFY2(saved.at(mid, static_cast<std::size_t>(strokeRow(k))) == 1, qPrintable(QString("stroke %1 lost").arg(k)));
        // Nothing else changed from the dataset mask outside the stroke rows.
        for (std::size_t y = 0; y < saved.height(); ++y) {
            bool strokeRowY = false;
            for (int k = 1; k <= kStrokes; ++k) strokeRowY |= std::abs(double(y) - strokeRow(k)) <= 1.5;
            if (!strokeRowY)
                for (std::size_t x = 0; x < saved.width(); ++x) QCOMPARE(saved.at(x, y), datasetMask.at(x, y));
        }
        // Reopening the project restores what is on disk, for editing: the killed workbench's
        // project lock went with it.
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openProject(QString::fromStdString(demo.file.string())));
        QVERIFY(!w.readOnly());
        QVERIFY(w.openCase(demo.domain, demo.caseId));
        QVERIFY(*w.editor().labels() == saved);
    }
}

int main(int argc, char** argv) {
    QSurfaceFormat::setDefaultFormat(QtVtkWidget::vtkFormat());
    test::isolateUserFolders();
    QApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() >= 6 && args[1] == "--child") return runChild(args.mid(2));
    TestAutosaveKill t;
    return QTest::qExec(&t, argc, argv);
}

#include "tst_autosave_kill.moc"
