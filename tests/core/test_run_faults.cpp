// `dacw train` under faults, on tiny synthetic data: a second training into a run folder in use
// (refused, also for experiment cells, and not blocked by a holder killed with SIGKILL).
#include <QtTest/QtTest>

#include <csignal>
#include <functional>

#include "demo/DemoData.h"
#include "util/Paths.h"

namespace fs = std::filesystem;
using namespace dacw;

namespace {

/// The iteration of a "iteration N/T ..." progress line, or -1.
long long iterationOf(const QString& line) {
    static const QRegularExpression re("^iteration (\\d+)/\\d+");
    const auto m = re.match(line);
    return m.hasMatch() ? m.captured(1).toLongLong() : -1;
}

/// Reads a running process's stderr line by line until `done(line)` holds (true) or the process
/// ends or `timeoutMs` passes (false). Every line read is appended to `seen`.
bool waitForLine(QProcess& p, const std::function<bool(const QString&)>& done, int timeoutMs, QString* seen = nullptr) {
    p.setReadChannel(QProcess::StandardError);
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        while (p.canReadLine()) {
            const QString line = QString::fromUtf8(p.readLine()).trimmed();
            if (seen) *seen += line + "\n";
            if (done(line)) return true;
        }
        if (p.state() == QProcess::NotRunning) return false;
        p.waitForReadyRead(50);
    }
    return false;
}

}  // namespace

class TestRunFaults : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    fs::path dir() const { return fs::path(tmp_.path().toStdString()); }
    fs::path demo() const { return dir() / "demo"; }
    QString s(const fs::path& p) const { return QString::fromStdString(p.string()); }

    /// One intra-op thread: the curve is reproducible and a busy machine does not stall it.
    QStringList common(int iterations) const {
        return {"--task", "fundus", "--labeled", s(demo() / "fundus/centre-a"), "--labeled-count", "4", "--unlabeled",
                s(demo() / "fundus/centre-b"), "--test", s(demo() / "fundus/centre-c"), "--size", "32", "--width", "0.25",
                "--batch", "2", "--threads", "1", "--seed", "3", "--no-cache", "--iters", QString::number(iterations)};
    }
    QStringList train(const fs::path& out, int iterations) const {
        return QStringList{"train", "--method", "dac"} + common(iterations) + QStringList{"--out", s(out)};
    }

    struct Result {
        int code;
        QString err;
    };
    Result dacw(const QStringList& args, int timeoutMs = 120000) {
        QProcess p;
        p.start(DACW_CLI, args);
        if (!p.waitForFinished(timeoutMs)) {
            p.kill();
            p.waitForFinished();
            return {-1, "timeout"};
        }
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2, QString::fromUtf8(p.readAllStandardError())};
    }
    static void killNine(QProcess& p) {
        // processId() is 0 once the process has ended, and kill(0) would hit this test's group.
        const qint64 pid = p.processId();
        if (pid > 0 && p.state() != QProcess::NotRunning) ::kill(pid_t(pid), SIGKILL);
        p.waitForFinished(30000);
    }
    static bool isProgress(const QString& line) { return iterationOf(line) >= 0; }

private Q_SLOTS:
    void initTestCase() {
        DemoOptions opt;
        opt.fundusPerCentre = 6;
        opt.polypPerCentre = 1;
        opt.mriSubjectsPerCentre = 1;
        generateDemo(demo(), opt);
    }

    void secondTrainingIntoTheSameFolderIsRefused() {
        const fs::path run = dir() / "busy";
        QProcess first;
        first.start(DACW_CLI, train(run, 2000));
        QVERIFY(first.waitForStarted());
        QVERIFY2(waitForLine(first, isProgress, 90000), "the first training did not start");
        const Result second = dacw(train(run, 2000));
        const bool firstStillRunning = first.state() == QProcess::Running;
        const QString firstPid = QString::number(first.processId());
        killNine(first);
        QCOMPARE(second.code, 1);
        QVERIFY2(second.err.contains("in use by another training") && second.err.contains(s(run)) &&
                     second.err.contains("pid " + firstPid),
                 qPrintable(second.err));
        QVERIFY(firstStillRunning);
        // The kernel dropped the killed holder's lock: a resume is accepted and trains.
        QProcess third;
        third.start(DACW_CLI, train(run, 2000) << "--resume");
        QVERIFY(third.waitForStarted());
        QString seen;
        const bool trains = waitForLine(third, isProgress, 90000, &seen);
        killNine(third);
        QVERIFY2(trains, qPrintable("the resume after SIGKILL did not train:\n" + seen));

        // An experiment's cells hold the same lock.
        const fs::path exp = dir() / "busy-exp";
        QProcess cell;
        cell.start(DACW_CLI, QStringList{"experiment", "--methods", "dac"} + common(2000) + QStringList{"--out", s(exp)});
        QVERIFY(cell.waitForStarted());
        QVERIFY2(waitForLine(cell, isProgress, 90000), "the experiment did not start");
        const Result intoCell = dacw(train(exp / "dac", 2000));
        killNine(cell);
        QCOMPARE(intoCell.code, 1);
        QVERIFY2(intoCell.err.contains("in use by another training") && intoCell.err.contains(s(exp / "dac")),
                 qPrintable(intoCell.err));
    }

};

QTEST_GUILESS_MAIN(TestRunFaults)
#include "test_run_faults.moc"
