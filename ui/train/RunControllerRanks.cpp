// RunController for a run on several processes of this machine: `dacw train --request RUNDIR
// --distributed --json` once per rank (ui/model/LocalRanks), rank 0's JSON lines read back into
// the reports a run in this process makes (ui/model/TrainEvents).
#include "ui/train/RunController.h"

#include <algorithm>
#include <memory>
#include <thread>

#include <QCoreApplication>

#include "core/pipeline/RunFolder.h"
#include "core/train/WorldSize.h"
#include "ui/model/LocalRanks.h"
#include "ui/model/TrainEvents.h"

namespace dacw {

namespace {

/// What rank 0's output has said so far (used on the launcher's thread only).
struct RankOutput {
    TrainEventJoiner joiner;
    qint64 lastIteration = 0;
};

/// Rank 0's standard error repeats its log lines (they come as JSON messages on its standard
/// output); what only standard error says is its start and its errors.
bool worthShowing(int rank, const std::string& line) {
    if (rank != 0) return !line.empty();
    return line.rfind("rank ", 0) == 0 || line.find("error") != std::string::npos;
}

}  // namespace

int startedProcesses(const QString& runFolder) {
    try {
        return std::max(1, readRunRequest(runFolder.toStdString()).localProcesses);
    } catch (const std::exception&) {
        return 1;
    }
}

QString worldSizeChangeNote(int before, int after) {
    return RunController::tr(
               "Resuming on %1 process(es) a run started on %2: the global batch and the images of every "
               "iteration stay the same (both batches must divide by %1); what changes is the BatchNorm "
               "batch of each process and the CutMix pairing at the borders of the process shares, as "
               "between any two numbers of processes.")
        .arg(after)
        .arg(before);
}

QList<qint64> RunController::rankPids() const {
    QList<qint64> out;
    if (ranks_)
        for (int pid : ranks_->pids()) out << pid;
    return out;
}

void RunController::startRanks(const RunRequest& req) {
    const QString folder = runFolder_;
    auto fail = [this, folder](const QString& why) {
        postToGui([folder, why](RunController* c) {
            c->setState(State::Idle);
            Q_EMIT c->finished(folder, "failed", 0, why);
        });
    };
    const int n = processes_;
    const std::string problem = train::worldSizeProblem(req.config, n);
    if (!problem.empty()) {
        fail(tr("%1 processes cannot share this run's batches: %2. Choose a number of processes that divides the "
                "batches (or change the batches under \"advanced\").")
                 .arg(n)
                 .arg(QString::fromStdString(problem)));
        return;
    }
    const std::string program = LocalRanks::findDacw(QCoreApplication::applicationDirPath().toStdString());
    if (program.empty()) {
        fail(tr("A run on %1 processes needs the dacw program beside the workbench (%2), and it is not there; "
                "set DACW_CLI to its path")
                 .arg(n)
                 .arg(QCoreApplication::applicationDirPath()));
        return;
    }
    LocalRanks::Options o;
    o.program = program;
    o.processes = n;
    o.giveUpSeconds = distTimeout_ + 30;  // the ranks give up on a lost peer by then themselves
    o.args = {"train",         "--request",      req.outDir.string(),
              "--distributed", "--dist-timeout", QString::number(distTimeout_).toStdString(),
              "--json"};
    if (req.resume) o.args.push_back("--resume");
    // Each process gets its share of the cores: of the threads asked for, else (0) dacw's own
    // default, the machine's cores over its processes (LOCAL_WORLD_SIZE).
    if (req.config.threads > 0) o.args.insert(o.args.end(), {"--threads", std::to_string(std::max(1, req.config.threads / n))});

    auto out = std::make_shared<RankOutput>();
    LocalRanks::Handlers h;
    h.line = [this, out](int rank, bool stderrLine, const std::string& line) {
        if (stderrLine || rank != 0) {
            if (worthShowing(rank, line)) {
                const QString text = QString::fromStdString(rank == 0 && line.rfind("rank ", 0) != 0 ? "rank 0: " + line : line);
                postToGui([text](RunController* c) { Q_EMIT c->message(text); });
            }
            return;
        }
        const TrainEvent e = parseTrainEvent(line);
        if (e.kind == TrainEvent::Kind::Finished || e.kind == TrainEvent::Kind::Cancelled) out->lastIteration = e.iteration;
        if (e.kind == TrainEvent::Kind::Message) {
            const QString text = QString::fromStdString(e.text);
            postToGui([text](RunController* c) { Q_EMIT c->message(text); });
        }
        for (const train::Progress& p : out->joiner.add(e)) {
            out->lastIteration = p.iteration;
            const ProgressSnapshot s = snapshotOf(p);
            postToGui([s](RunController* c) {
                c->lastIteration_ = s.iteration;
                Q_EMIT c->progress(s);
            });
        }
    };
    h.ended = [this, out, folder](const LocalRanksEnd& end) {
        for (const train::Progress& p : out->joiner.flush()) {
            out->lastIteration = p.iteration;
            const ProgressSnapshot s = snapshotOf(p);
            postToGui([s](RunController* c) {
                c->lastIteration_ = s.iteration;
                Q_EMIT c->progress(s);
            });
        }
        const QString status = !end.error.empty() ? "failed" : end.stopRequested ? "cancelled" : "finished";
        QString error;
        if (!end.error.empty()) {
            // The whole story in the log; the status line names the rank that ended the run.
            const QString all = QString::fromStdString(end.error);
            postToGui([all](RunController* c) { Q_EMIT c->message(all); });
            error = tr("The run stopped because %1. Nothing is lost beyond the last checkpoint: resume it from the history.")
                        .arg(QString::fromStdString(end.culpritError));
        } else if (end.killed)
            error = tr("Some processes did not stop in time and were killed; the run resumes from its last checkpoint.");
        const qint64 iterations = out->lastIteration;
        postToGui([folder, status, iterations, error](RunController* c) {
            c->setState(State::Idle);
            Q_EMIT c->finished(folder, status, iterations, error);
        });
    };

    try {
        writeRunRequest(req);
        ranks_ = std::make_unique<LocalRanks>(std::move(h));
        ranks_->start(o);
    } catch (const std::exception& e) {
        ranks_.reset();
        fail(QString::fromUtf8(e.what()));
        return;
    }
    Q_EMIT message(tr("training on %1 processes of this machine (ranks 0..%2 on 127.0.0.1:%3), %4")
                       .arg(n)
                       .arg(n - 1)
                       .arg(ranks_->port())
                       .arg([&] {
                           const int each = req.config.threads > 0 ? std::max(1, req.config.threads / n)
                                                                   : std::max(1, int(std::thread::hardware_concurrency()) / n);
                           const QString count = each == 1 ? tr("1 thread each") : tr("%1 threads each").arg(each);
                           return req.config.threads > 0 ? count : count + tr(" (the cores over the processes)");
                       }()));
}

}  // namespace dacw
