// `dacw train` under faults, on tiny synthetic data: a second training into a run folder in use
// (refused, also for experiment cells, and not blocked by a holder killed with SIGKILL), SIGKILL
// at pseudo-random points each followed by --resume (one curve, the same weights as a run never
// interrupted), and progress lines that reach a pipe while the run is going.
#include <QtTest/QtTest>

#include <csignal>
#include <fstream>
#include <functional>
#include <random>

#include <nlohmann/json.hpp>

#include "TestSupport.h"
#include "core/demo/DemoData.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;
using namespace dacw;

namespace {

/// Rows of a CSV file after its header.
std::vector<std::string> csvRows(const fs::path& f) {
    std::vector<std::string> rows;
    std::ifstream in(f);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line))
        if (!line.empty()) rows.push_back(line);
    return rows;
}

/// A row without the columns that measure time (images_per_s, s_per_iter, data_wait).
std::string withoutTimings(const std::string& row) {
    std::vector<std::string> cells;
    std::stringstream s(row);
    for (std::string c; std::getline(s, c, ',');) cells.push_back(c);
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i)
        if (i < 2 || i > 5) out += cells[i] + ",";  // images_per_s, s_per_iter, data_wait, elapsed_s differ
    return out;
}

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
                "--batch", "2", "--threads", "1", "--seed", "3", "--no-cache", "--iters", QString::number(iterations),
                // Pinned: a kill during the kernel measurement must not let the runs compute differently.
                "--set", "bf16=true", "--set", "channels-last=true"};
    }
    QStringList train(const fs::path& out, int iterations) const {
        return QStringList{"train", "--method", "dac"} + common(iterations) + QStringList{"--out", s(out)};
    }

    using Result = test::CliResult;
    Result dacw(const QStringList& args, int timeoutMs = 120000) { return test::runDacw(args, timeoutMs); }
    static void killNine(QProcess& p) {
        // processId() is 0 once the process has ended, and kill(0) would hit this test's group.
        const qint64 pid = p.processId();
        if (pid > 0 && p.state() != QProcess::NotRunning) ::kill(pid_t(pid), SIGKILL);
        p.waitForFinished(30000);
    }
    static bool isProgress(const QString& line) { return iterationOf(line) >= 0; }

private Q_SLOTS:
    void initTestCase() { test::makeSmallDemo(demo()); }

    void progressReachesAPipeAsItHappens() {
        // QProcess reads stderr through a pipe: a progress line must arrive while the run is still
        // going, not when it exits, and log.txt must already tell what is happening.
        const fs::path run = dir() / "pipe";
        QProcess p;
        p.start(DACW_CLI, train(run, 2000));
        QVERIFY(p.waitForStarted());
        QString seen;
        const bool got = waitForLine(p, isProgress, 90000, &seen);
        // Still running a second later: the line was not flushed by the exit (2000 iterations take
        // far longer than that).
        const bool running = got && !p.waitForFinished(1000);
        const std::string log = readText(run / "log.txt");
        killNine(p);
        QVERIFY2(got, qPrintable("no progress line through the pipe; read:\n" + seen));
        QVERIFY2(running, "the progress line came only when the process ended");
        QVERIFY2(log.find("starting dac") != std::string::npos, log.c_str());
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

    void killNineAtRandomPointsThenResume() {
        // 40 iterations, a checkpoint every 3, validation every 10. The run is killed with SIGKILL
        // at kKills pseudo-random points, each followed by --resume: 3 during start-up (a random
        // time after the start: data loading, config and CSV rewrites), 14 a random delay after a
        // progress line at or past a rising target iteration (inside steps, checkpoints,
        // validation), and the last 3 a random delay after training finished (the export, the test
        // predictions, metrics.json). Work after the last checkpoint is redone.
        const int kKills = 20, kIterations = 40;
        auto args = [&](const fs::path& out) {
            return train(out, kIterations) << "--checkpoint-every" << "3" << "--val-interval" << "10";
        };
        const fs::path ref = dir() / "straight", run = dir() / "killed";
        // The uninterrupted run, timed: start-up, one iteration, and what follows training; the
        // kill delays scale with them, so the points spread alike on a fast or a busy machine.
        QProcess straight;
        QElapsedTimer clock;
        clock.start();
        straight.start(DACW_CLI, args(ref));
        QVERIFY(straight.waitForStarted());
        qint64 firstMs = -1, lastMs = -1, finishedMs = -1;
        long long firstIt = -1, lastIt = -1;
        waitForLine(straight, [&](const QString& l) {
            const long long it = iterationOf(l);
            if (it > 0) {
                if (firstIt < 0) {
                    firstIt = it;
                    firstMs = clock.elapsed();
                }
                lastIt = it;
                lastMs = clock.elapsed();
            }
            if (l.startsWith("finished ")) finishedMs = clock.elapsed();
            return false;
        }, 120000);
        if (straight.state() != QProcess::NotRunning) straight.waitForFinished(120000);
        QVERIFY2(straight.exitStatus() == QProcess::NormalExit && straight.exitCode() == 0,
                 straight.readAllStandardError().constData());
        const qint64 straightMs = clock.elapsed();
        QVERIFY(firstIt > 0 && lastIt == kIterations && finishedMs > 0);
        const int startupMs = int(firstMs), iterationMs = int(std::max<qint64>(1, (lastMs - firstMs) / (lastIt - firstIt))),
                  afterMs = int(straightMs - finishedMs);

        std::mt19937 rng(7103);
        // Target iterations; 0: start-up; kIterations + 1: after training. Training targets stop
        // short of the end so that the run is still training when the last of them is killed.
        std::vector<int> plan(14);
        for (int& t : plan) t = std::uniform_int_distribution<int>(2, kIterations - 4)(rng);
        std::sort(plan.begin(), plan.end());
        for (int k = 0; k < 3; ++k) plan.insert(plan.begin() + long(rng() % (plan.size() + 1)), 0);
        for (int k = 0; k < 3; ++k) plan.push_back(kIterations + 1);
        QCOMPARE(int(plan.size()), kKills);
        int duringStartup = 0, duringTraining = 0, afterTraining = 0, endedFirst = 0;
        for (int i = 0; i < kKills; ++i) {
            QProcess p;
            QStringList a = args(run);
            if (i > 0) a << "--resume";
            p.start(DACW_CLI, a);
            QVERIFY(p.waitForStarted());
            long long last = -1;
            bool finished = false;
            QString seen;
            auto watch = [&](const QString& l) {
                last = std::max(last, iterationOf(l));
                finished = finished || l.startsWith("finished ");
            };
            const int target = plan[std::size_t(i)];
            if (target == 0) {
                const int ms = std::uniform_int_distribution<int>(0, startupMs)(rng);
                waitForLine(p, [&](const QString& l) {
                    watch(l);
                    return last > 0;
                }, ms, &seen);
            } else if (target <= kIterations) {
                waitForLine(p, [&](const QString& l) {
                    watch(l);
                    return last >= target;
                }, 90000, &seen);
                if (p.state() == QProcess::Running)
                    p.waitForFinished(std::uniform_int_distribution<int>(0, 2 * iterationMs)(rng));
            } else {
                waitForLine(p, [&](const QString& l) {
                    watch(l);
                    return finished;
                }, 90000, &seen);
                if (p.state() == QProcess::Running) p.waitForFinished(std::uniform_int_distribution<int>(0, afterMs * 3 / 4)(rng));
            }
            if (p.state() != QProcess::Running) {
                // It ended before the kill: then it must have succeeded.
                p.waitForFinished();
                QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0,
                         qPrintable(QString("start %1 failed by itself:\n").arg(i) + seen + p.readAllStandardError()));
                ++endedFirst;
            } else {
                killNine(p);
                if (p.exitStatus() == QProcess::NormalExit) {
                    // It ended by itself just before the signal landed (a zombie not yet reaped
                    // still counts as running): the same as ending first, so it must have succeeded.
                    QVERIFY2(p.exitCode() == 0, qPrintable(QString("start %1 failed by itself:\n").arg(i) + seen +
                                                           p.readAllStandardError()));
                    ++endedFirst;
                } else {
                    ++(finished ? afterTraining : last > 0 ? duringTraining : duringStartup);
                }
            }
            // At every point: each logged iteration at most once, in order.
            long long prev = 0;
            for (const auto& row : csvRows(run / "metrics.csv")) {
                const long long it = std::atoll(row.c_str());
                QVERIFY2(it > prev, qPrintable(QString("after kill %1: metrics.csv row %2 follows %3").arg(i).arg(it).arg(prev)));
                prev = it;
            }
        }
        const Result done = dacw(args(run) << "--resume");
        QVERIFY2(done.code == 0, qPrintable(done.err));
        qInfo("%d starts: %d killed during start-up, %d during training, %d after the last iteration, %d ended before "
              "the kill; the uninterrupted run: %lld ms (start-up %d ms, %d ms an iteration, %d ms after training)",
              kKills, duringStartup, duringTraining, afterTraining, endedFirst, straightMs, startupMs, iterationMs, afterMs);
        QVERIFY(duringTraining >= 10);

        // One curve: iterations 1..40 once each, with the uninterrupted run's values.
        const auto rows = csvRows(run / "metrics.csv"), refRows = csvRows(ref / "metrics.csv");
        QCOMPARE(int(refRows.size()), kIterations);
        QString iterations;
        for (const auto& row : rows) iterations += QString::number(std::atoll(row.c_str())) + " ";
        QVERIFY2(rows.size() == refRows.size(), qPrintable("metrics.csv holds iterations " + iterations));
        for (std::size_t k = 0; k < rows.size(); ++k) {
            QCOMPARE(std::atoll(rows[k].c_str()), (long long)(k + 1));
            QVERIFY2(withoutTimings(rows[k]) == withoutTimings(refRows[k]),
                     qPrintable(QString::fromStdString("resumed: " + rows[k] + "\nstraight: " + refRows[k])));
        }
        QCOMPARE(readText(run / "validation.csv"), readText(ref / "validation.csv"));
        // The same weights, and so the same predictions and scores.
        QVERIFY2(readText(run / "model.pt") == readText(ref / "model.pt"), "model.pt differs from the uninterrupted run's");
        auto m = nlohmann::json::parse(readText(run / "metrics.json")), r = nlohmann::json::parse(readText(ref / "metrics.json"));
        QCOMPARE(m["cases"].dump(), r["cases"].dump());
        QCOMPARE(m["cases"].size(), std::size_t(6));
    }
};

QTEST_GUILESS_MAIN(TestRunFaults)
#include "test_run_faults.moc"
