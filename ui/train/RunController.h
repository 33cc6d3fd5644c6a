#pragma once
// Runs a training (core's executeRun) on a worker thread and reports to the GUI thread through
// queued calls: the GUI never waits on the trainer. Pause holds the worker between two
// iterations; cancel stops it before the next iteration and leaves a checkpoint to resume from.
// A request with localProcesses > 1 trains data-parallel in that many `dacw train --distributed`
// processes of this machine instead (ui/model/LocalRanks; RunControllerRanks.cpp): rank 0
// writes the run folder and its progress reaches the dashboard through the same signals.
#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include <QList>
#include <QMap>
#include <QObject>
#include <QString>
#include <QStringList>

#include "core/pipeline/Run.h"

namespace dacw {

class LocalRanks;

/// The part of train::Progress the dashboard shows, in Qt types (train headers stay out of moc).
struct ProgressSnapshot {
    qint64 iteration = 0, total = 0;
    QMap<QString, double> losses;
    double lr = 0, imagesPerSecond = 0, secondsPerIteration = 0, etaSeconds = 0;
    bool validated = false;
    QMap<QString, double> validationDice;  // "<sub-model> <domain>" -> mean Dice over classes
};

class RunController : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Running, Paused, Stopping };
    explicit RunController(QObject* parent = nullptr);
    ~RunController() override;  // cancels and joins a running worker

    /// Starts (or with req.resume, resumes) a run; false when one is already running. A run on
    /// several processes that cannot start (no `dacw` program, a batch the processes cannot
    /// share) reports "failed" through finished(), as a run in this process does.
    bool start(const RunRequest& req);
    /// Processes the run under way (or the last one) trains on; 1: in this process.
    int processes() const { return processes_; }
    /// Their process ids, by rank (empty for a run in this process).
    QList<qint64> rankPids() const;
    /// Only a run in this process can pause: a paused rank's peers give up after --dist-timeout.
    bool canPause() const { return processes_ == 1; }
    /// --dist-timeout of the ranks (seconds, default 300): how long a rank waits for a lost peer.
    void setDistTimeout(double seconds) { distTimeout_ = seconds; }
    State state() const { return state_; }
    bool busy() const { return state_ != State::Idle; }
    QString runFolder() const { return runFolder_; }
    /// Iteration at which the last cancel was asked for (-1: none).
    qint64 cancelRequestedAt() const { return cancelAt_; }
    qint64 lastIteration() const { return lastIteration_; }

public:
    void pause();
    void resume();  // continues a paused run (use start with req.resume for a stopped one)
    void cancel();

Q_SIGNALS:
    void started(const QString& runFolder, bool resumed);
    void progress(const dacw::ProgressSnapshot& p);
    void message(const QString& line);
    void stateChanged(dacw::RunController::State state);
    /// status: "finished", "cancelled" or "failed" (with the reason in `error`).
    void finished(const QString& runFolder, const QString& status, qint64 iterations, const QString& error);

private:
    void setState(State s);
    void startRanks(const RunRequest& req);                  // RunControllerRanks.cpp
    void postToGui(std::function<void(RunController*)> fn);  // onto the GUI thread, dropped once this is gone
    struct Worker;
    std::shared_ptr<Worker> worker_;
    std::unique_ptr<LocalRanks> ranks_;
    State state_ = State::Idle;
    QString runFolder_;
    qint64 cancelAt_ = -1, lastIteration_ = 0;
    int processes_ = 1;
    double distTimeout_ = 300;
};

/// The dashboard's figures of a trainer's report.
ProgressSnapshot snapshotOf(const train::Progress& p);
/// How many processes the run in `runFolder` was last started on (its request.json; 1 when it
/// cannot be read).
int startedProcesses(const QString& runFolder);
/// What a resume on `after` processes of a run started on `before` changes (docs/cluster.md).
QString worldSizeChangeNote(int before, int after);

/// Times a run before it is launched (core's estimateRunDuration: three iterations in a scratch
/// folder) on a worker thread and reports on the GUI thread. A new measure() cancels the one under
/// way; the destructor cancels and joins it.
class RunEstimator : public QObject {
    Q_OBJECT
public:
    explicit RunEstimator(QObject* parent = nullptr);
    ~RunEstimator() override;
    /// req.outDir is the scratch folder (the caller removes it).
    void measure(const RunRequest& req);
    /// Cancels a measurement under way and waits for it (it reports nothing).
    void stop();

Q_SIGNALS:
    /// seconds < 0: it could not be measured, and `error` says why.
    void ready(double seconds, double secondsPerIteration, const QString& error);

private:
    std::shared_ptr<std::atomic<bool>> cancel_;
    std::thread thread_;
};

}  // namespace dacw

Q_DECLARE_METATYPE(dacw::ProgressSnapshot)
