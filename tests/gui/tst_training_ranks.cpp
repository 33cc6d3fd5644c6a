// A run on two processes of this machine from the training wizard ("processes on this machine"),
// followed by the dashboard like any other run: rank 0's curves and run folder, both processes
// gone at the end; a stop from the dashboard that leaves no process and resumes on two processes
// and on one; a rank killed mid-run that ends the run with a message naming it.
#include <signal.h>

#include <filesystem>
#include <fstream>

#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include "WorkbenchFixture.h"
#include "core/pipeline/RunFolder.h"
#include "ui/train/Dashboard.h"
#include "ui/train/RunController.h"
#include "ui/train/TrainWizard.h"

using namespace dacw;
namespace fs = std::filesystem;

namespace {

bool alive(qint64 pid) { return ::kill(pid_t(pid), 0) == 0; }

int metricsRows(const fs::path& run) {
    std::ifstream in(RunFolder(run).metricsCsv());
    std::string line;
    int rows = -1;  // the header
    while (std::getline(in, line)) rows += !line.empty();
    return rows;
}

QString readAll(const fs::path& file) {
    QFile f(QString::fromStdString(file.string()));
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

}  // namespace

class TestTrainingRanks : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    test::DemoProject demo_;
    Project project_;

    /// The wizard's pages with the tiny configuration of tst_training and two processes; the
    /// batches that two processes cannot share are refused on the preset page first.
    RunRequest wizardRequest(int iterations) {
        TrainWizard w(project_);
        w.show();
        if (!QTest::qWaitForWindowExposed(&w)) return {};
        auto* task = w.findChild<QComboBox*>("taskCombo");
        task->setCurrentIndex(task->findData("fundus"));
        w.next();
        // Six labeled cases (the others validate, as in tst_training).
        auto* cases = w.findChild<QListWidget*>("labeledCases");
        for (int i = 0; i < cases->count(); ++i) cases->item(i)->setCheckState(i < 6 ? Qt::Checked : Qt::Unchecked);
        w.next();
        while (w.findChild<QListWidget*>("unlabeledFolders")->count() > 0) w.removeUnlabeledFolder(0);
        w.addUnlabeledFolder(QString::fromStdString(project_.resolve(project_.domains[1].root).string()));
        w.next();  // test: the other domains
        w.next();  // method: dac
        w.next();
        if (w.currentId() != TrainWizard::PresetPage) return {};
        for (const auto& [k, v] : std::vector<std::pair<QString, QString>>{{"size", "64"},
                                                                           {"width", "0.25"},
                                                                           {"iterations", QString::number(iterations)},
                                                                           {"labeled-batch", "2"},
                                                                           {"unlabeled-batch", "2"},
                                                                           {"validation-interval", "6"},
                                                                           {"checkpoint-interval", "4"},
                                                                           {"threads", "2"}})
            w.setTrainOption(k, v);
        auto* processes = w.findChild<QSpinBox*>("processes");
        processes->setMaximum(std::max(2, processes->maximum()));  // a one-core machine still runs the test
        processes->setValue(2);
        // Two unlabeled images per process at least (CutMix pairs them within a process).
        const QString refused = w.pageError(TrainWizard::PresetPage);
        if (!refused.contains("unlabeled batch (2") || !refused.contains("2 ranks") ||
            w.button(QWizard::NextButton)->isEnabled()) {
            qWarning("the preset page did not refuse a batch of 2 for 2 processes: '%s'", qPrintable(refused));
            return {};
        }
        w.setTrainOption("unlabeled-batch", "4");
        if (!w.pageError(TrainWizard::PresetPage).isEmpty()) {
            qWarning("%s", qPrintable(w.pageError(TrainWizard::PresetPage)));
            return {};
        }
        if (!w.findChild<QLabel*>("processesNote")->text().contains("with 1 thread (the threads / 2)")) {
            qWarning("processes note: %s", qPrintable(w.findChild<QLabel*>("processesNote")->text()));
            return {};
        }
        RunRequest r = w.buildRequest();
        w.accept();
        return r;
    }

private Q_SLOTS:
    void initTestCase() {
        test::isolateUserFolders();
        QVERIFY(tmp_.isValid());
        demo_ = test::makeDemoProject(tmp_.path().toStdString());
        project_ = Project::load(demo_.file);
    }

    void twoProcessesFromTheWizard() {
        const RunRequest req = wizardRequest(12);
        QCOMPARE(req.localProcesses, 2);
        QCOMPARE(req.config.unlabeledBatch, int64_t(4));
        RunController controller;
        Dashboard dash(&controller);
        dash.setProject(&project_, [&] { project_.save(); });
        dash.resize(1100, 760);
        dash.show();
        QSignalSpy finished(&controller, &RunController::finished);
        QSignalSpy progress(&controller, &RunController::progress);
        QVERIFY(controller.start(req));
        QCOMPARE(controller.processes(), 2);
        QVERIFY(!controller.canPause());
        QVERIFY(!dash.pauseButton()->isEnabled());
        const QList<qint64> pids = controller.rankPids();
        QCOMPARE(pids.size(), 2);
        QVERIFY(finished.wait(600000));
        QVERIFY2(finished.at(0).at(1).toString() == "finished", qPrintable(finished.at(0).at(3).toString()));
        QCOMPARE(finished.at(0).at(2).toLongLong(), qint64(12));
        QVERIFY(progress.count() >= 12);
        QCOMPARE(progress.last().at(0).value<ProgressSnapshot>().iteration, qint64(12));
        bool validated = false;
        for (const auto& args : progress) validated = validated || !args.at(0).value<ProgressSnapshot>().validationDice.isEmpty();
        QVERIFY(validated);
        // Rank 0's run folder, as a one-process run writes it, plus the columns of a distributed run.
        QCOMPARE(metricsRows(req.outDir), 12);
        // Its log says how the global batch (2 + 4) was shared.
        const QString runLog = readAll(RunFolder(req.outDir).log());
        QVERIFY2(runLog.contains("per rank 1 labeled + 2 unlabeled images of the global batch 2 + 4"), qPrintable(runLog));
        QVERIFY(fs::exists(req.outDir / "model.pt"));
        QVERIFY(fs::exists(req.outDir / "metrics.json"));
        QCOMPARE(startedProcesses(QString::fromStdString(req.outDir.string())), 2);
        const QString log = dash.findChild<QPlainTextEdit*>()->toPlainText();
        QVERIFY2(log.contains("rank 1:"), qPrintable(log));
        QVERIFY2(log.contains("training on 2 processes"), qPrintable(log));
        for (qint64 pid : pids) QVERIFY(!alive(pid));
        QCOMPARE(QString::fromStdString(Project::load(demo_.file).runs.back().status), QString("finished"));
    }

    void stopLeavesNoProcessAndResumes() {
        const RunRequest req = wizardRequest(400);
        QCOMPARE(req.localProcesses, 2);
        RunController controller;
        Dashboard dash(&controller);
        dash.setProject(&project_, [&] { project_.save(); });
        dash.show();
        QSignalSpy finished(&controller, &RunController::finished);
        QSignalSpy progress(&controller, &RunController::progress);
        QVERIFY(controller.start(req));
        const QList<qint64> pids = controller.rankPids();
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 5, 300000);
        QVERIFY(dash.cancelButton()->isEnabled());
        dash.cancelButton()->click();
        QVERIFY(finished.wait(120000));
        QVERIFY2(finished.at(0).at(1).toString() == "cancelled", qPrintable(finished.at(0).at(3).toString()));
        const qint64 stoppedAt = finished.at(0).at(2).toLongLong();
        QVERIFY(stoppedAt >= 5 && stoppedAt < 400);
        for (qint64 pid : pids) QVERIFY(!alive(pid));
        QVERIFY(fs::exists(req.outDir / "checkpoint.pt"));

        // Resume from the history: on as many processes as the run was started on.
        dash.refreshHistory();
        int row = -1;
        const QString name = QString::fromStdString(req.outDir.filename().string());
        for (int r = 0; r < dash.history()->rowCount(); ++r)
            if (dash.history()->item(r, dash.history()->columnCount() - 1)->text().endsWith(name)) row = r;
        QVERIFY(row >= 0);
        dash.history()->selectRow(row);
        QVERIFY(dash.resumeButton()->isEnabled());
        QCOMPARE(dash.resumeProcesses()->value(), 2);
        progress.clear();
        finished.clear();
        dash.resumeButton()->click();
        QVERIFY(controller.busy());
        QCOMPARE(controller.processes(), 2);
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 2, 300000);
        const qint64 resumedAt = progress.first().at(0).value<ProgressSnapshot>().iteration;
        // Rank 0 resumes from its last checkpoint (every 4 iterations; the stop wrote one).
        qInfo("STOP stopped at %lld, resumed on 2 processes at %lld", stoppedAt, resumedAt);
        QCOMPARE(resumedAt, stoppedAt + 1);
        const QList<qint64> again = controller.rankPids();
        controller.cancel();
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.at(0).at(1).toString(), QString("cancelled"));
        for (qint64 pid : again) QVERIFY(!alive(pid));
        const qint64 secondStop = finished.at(0).at(2).toLongLong();

        // And on one process (in the workbench): the log says what changes.
        progress.clear();
        finished.clear();
        QVERIFY(dash.resumeRun(QString::fromStdString(req.outDir.string()), 1));
        QCOMPARE(controller.processes(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 2, 300000);
        QCOMPARE(progress.first().at(0).value<ProgressSnapshot>().iteration, secondStop + 1);
        controller.cancel();
        QVERIFY(finished.wait(120000));
        const QString log = dash.findChild<QPlainTextEdit*>()->toPlainText();
        QVERIFY2(log.contains("Resuming on 1 process(es) a run started on 2"), qPrintable(log));
        QCOMPARE(startedProcesses(QString::fromStdString(req.outDir.string())), 1);
    }

    void aKilledRankEndsTheRun() {
        const RunRequest req = wizardRequest(400);
        RunController controller;
        controller.setDistTimeout(60);
        Dashboard dash(&controller);
        dash.setProject(&project_, [&] { project_.save(); });
        dash.show();
        QSignalSpy finished(&controller, &RunController::finished);
        QSignalSpy progress(&controller, &RunController::progress);
        QVERIFY(controller.start(req));
        const QList<qint64> pids = controller.rankPids();
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 3, 300000);
        QElapsedTimer clock;
        clock.start();
        ::kill(pid_t(pids[1]), SIGKILL);
        QVERIFY(finished.wait(120000));
        qInfo("KILL the run ended %.1f s after rank 1 was killed", clock.elapsed() / 1000.0);
        QVERIFY(clock.elapsed() < 60000);  // within --dist-timeout
        QCOMPARE(finished.at(0).at(1).toString(), QString("failed"));
        const QString error = finished.at(0).at(3).toString();
        qInfo("KILL message: %s", qPrintable(error));
        QVERIFY2(error.contains("rank 1 of 2") && error.contains("killed by signal 9"), qPrintable(error));
        QVERIFY2(dash.statusLabel()->text().contains("rank 1 of 2"), qPrintable(dash.statusLabel()->text()));
        // What the other rank said after it is in the log, not on the status line.
        QVERIFY(!error.contains("then rank 0"));
        const QString log = dash.findChild<QPlainTextEdit*>()->toPlainText();
        QVERIFY2(log.contains("then rank 0 exited with status 1"), qPrintable(log));
        for (qint64 pid : pids) QVERIFY(!alive(pid));
    }
};

QTEST_MAIN(TestTrainingRanks)
#include "tst_training_ranks.moc"
