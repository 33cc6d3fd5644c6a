#include "ui/train/RunController.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <QCoreApplication>
#include <QMetaObject>
#include <QPointer>

#include "core/train/Errors.h"
#include "core/train/Progress.h"
#include "core/pipeline/RunFolder.h"
#include "ui/model/LocalRanks.h"

namespace dacw {

/// Shared between the controller and its thread; outlives either (the thread may still be
/// posting when the controller goes).
struct RunController::Worker {
    std::atomic<bool> cancel{false};
    std::mutex mutex;
    std::condition_variable wake;
    bool paused = false;
    std::atomic<qint64> latest{0};  // last iteration completed (the GUI may not have seen it yet)
    std::thread thread;
};

RunController::RunController(QObject* parent) : QObject(parent) { qRegisterMetaType<dacw::ProgressSnapshot>(); }

RunController::~RunController() {
    ranks_.reset();  // stops the ranks of a run on several processes and waits for them
    if (worker_ && worker_->thread.joinable()) {
        {
            std::lock_guard<std::mutex> lock(worker_->mutex);
            worker_->paused = false;
            worker_->cancel = true;
        }
        worker_->wake.notify_all();
        worker_->thread.join();
    }
}

void RunController::setState(State s) {
    if (s == state_) return;
    state_ = s;
    Q_EMIT stateChanged(s);
}

ProgressSnapshot snapshotOf(const train::Progress& p) {
    ProgressSnapshot s;
    s.iteration = p.iteration;
    s.total = p.total;
    for (const auto& [k, v] : p.losses) s.losses.insert(QString::fromStdString(k), v);
    s.lr = p.lr;
    s.imagesPerSecond = p.imagesPerSecond;
    s.secondsPerIteration = p.secondsPerIteration;
    s.etaSeconds = p.etaSeconds;
    s.validated = p.validated;
    for (const auto& [sub, doms] : p.validation)
        for (const auto& [dom, values] : doms) {
            double sum = 0;
            for (double v : values) sum += v;
            s.validationDice.insert(QString::fromStdString(sub + " " + dom), values.empty() ? 0.0 : sum / double(values.size()));
        }
    return s;
}

bool RunController::start(const RunRequest& req) {
    if (busy()) return false;
    if (worker_ && worker_->thread.joinable()) worker_->thread.join();  // finished already: its last queued call has arrived
    ranks_.reset();  // the last run's ranks, all ended (their thread is joined here)
    runFolder_ = QString::fromStdString(req.outDir.string());
    cancelAt_ = -1;
    lastIteration_ = 0;
    processes_ = std::max(1, req.localProcesses);
    setState(State::Running);
    Q_EMIT started(runFolder_, req.resume);
    if (processes_ > 1) {
        startRanks(req);
        return true;
    }
    worker_ = std::make_shared<Worker>();
    std::shared_ptr<Worker> w = worker_;
    QPointer<RunController> self(this);
    // Queued onto the GUI thread; dropped when the controller is gone.
    auto post = [self](auto fn) {
        QMetaObject::invokeMethod(
            qApp,
            [self, fn] {
                if (self) fn(self.data());
            },
            Qt::QueuedConnection);
    };
    w->thread = std::thread([w, req, post] {
        RunObserver obs;
        obs.progress = [w, post](const train::Progress& p) {
            w->latest = p.iteration;
            ProgressSnapshot s = snapshotOf(p);
            post([s](RunController* c) {
                c->lastIteration_ = s.iteration;
                Q_EMIT c->progress(s);
            });
            // Pause: hold here, between two iterations, until resumed or cancelled.
            std::unique_lock<std::mutex> lock(w->mutex);
            w->wake.wait(lock, [&] { return !w->paused || w->cancel.load(); });
        };
        obs.message = [post](const std::string& m) {
            const QString line = QString::fromStdString(m);
            post([line](RunController* c) { Q_EMIT c->message(line); });
        };
        QString status = "finished", error;
        qint64 iterations = 0;
        try {
            writeRunRequest(req);
            RunOutcome o = executeRun(req, obs, &w->cancel);
            iterations = o.iterations;
            if (o.cancelled) status = "cancelled";
        } catch (const std::exception& e) {
            status = "failed";
            error = QString::fromUtf8(e.what());
        }
        const QString folder = QString::fromStdString(req.outDir.string());
        post([folder, status, iterations, error](RunController* c) {
            c->setState(State::Idle);
            Q_EMIT c->finished(folder, status, iterations, error);
        });
    });
    return true;
}

void RunController::postToGui(std::function<void(RunController*)> fn) {
    QPointer<RunController> self(this);
    QMetaObject::invokeMethod(
        qApp,
        [self, fn] {
            if (self) fn(self.data());
        },
        Qt::QueuedConnection);
}

void RunController::pause() {
    if (state_ != State::Running || !worker_ || !canPause()) return;
    {
        std::lock_guard<std::mutex> lock(worker_->mutex);
        worker_->paused = true;
    }
    setState(State::Paused);
}

void RunController::resume() {
    if (state_ != State::Paused || !worker_) return;
    {
        std::lock_guard<std::mutex> lock(worker_->mutex);
        worker_->paused = false;
    }
    worker_->wake.notify_all();
    setState(State::Running);
}

void RunController::cancel() {
    if (busy() && ranks_) {
        cancelAt_ = lastIteration_;
        ranks_->stop();
        setState(State::Stopping);
        return;
    }
    if (!busy() || !worker_) return;
    cancelAt_ = std::max<qint64>(lastIteration_, worker_->latest.load());
    {
        std::lock_guard<std::mutex> lock(worker_->mutex);
        worker_->cancel = true;
        worker_->paused = false;
    }
    worker_->wake.notify_all();
    setState(State::Stopping);
}

RunEstimator::RunEstimator(QObject* parent) : QObject(parent) {}

RunEstimator::~RunEstimator() { stop(); }

void RunEstimator::stop() {
    if (cancel_) cancel_->store(true);
    if (thread_.joinable()) thread_.join();
}

void RunEstimator::measure(const RunRequest& req) {
    stop();
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    cancel_ = cancel;
    QPointer<RunEstimator> self(this);
    thread_ = std::thread([req, cancel, self] {
        const RunEstimate e = estimateRunDuration(req, cancel.get());
        if (e.cancelled) return;
        QMetaObject::invokeMethod(
            qApp,
            [self, e] {
                if (self) Q_EMIT self->ready(e.seconds, e.secondsPerIteration, QString::fromStdString(e.error));
            },
            Qt::QueuedConnection);
    });
}

}  // namespace dacw
