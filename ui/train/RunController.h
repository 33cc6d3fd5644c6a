#pragma once
// Runs a training (core's executeRun) on a worker thread and reports to the GUI thread through
// queued calls: the GUI never waits on the trainer. Pause holds the worker between two
// iterations; cancel stops it before the next iteration and leaves a checkpoint to resume from.
#include <atomic>
#include <memory>
#include <thread>

#include <QMap>
#include <QObject>
#include <QString>
#include <QStringList>

#include "core/pipeline/Run.h"

namespace dacw {

/// The part of train::Progress the dashboard shows, in Qt types (train headers stay out of moc).
struct ProgressSnapshot {
    qint64 iteration = 0, total = 0;
    QMap<QString, double> losses;
    double lr = 0, imagesPerSecond = 0, secondsPerIteration = 0, etaSeconds = 0;
    bool validated = false;
    QMap<QString, double> validationDice;   // "<sub-model> <domain>" -> mean Dice over classes
};

class RunController : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Running, Paused, Stopping };
    explicit RunController(QObject* parent = nullptr);
    ~RunController() override;   // cancels and joins a running worker

    /// Starts (or with req.resume, resumes) a run; false when one is already running.
    bool start(const RunRequest& req);
    State state() const { return state_; }
    bool busy() const { return state_ != State::Idle; }
    QString runFolder() const { return runFolder_; }
    /// Iteration at which the last cancel was asked for (-1: none).
    qint64 cancelRequestedAt() const { return cancelAt_; }
    qint64 lastIteration() const { return lastIteration_; }

public:
    void pause();
    void resume();   // continues a paused run (use start with req.resume for a stopped one)
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
    struct Worker;
    std::shared_ptr<Worker> worker_;
    State state_ = State::Idle;
    QString runFolder_;
    qint64 cancelAt_ = -1, lastIteration_ = 0;
};

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
