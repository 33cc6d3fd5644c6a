#pragma once
// Autosave after every stroke, debounced: an edit schedules a save a moment later; a new edit
// that starts while a save is still scheduled writes the previous state first and waits for it,
// so that a crash or kill -9 loses at most the last stroke. Writes run on a worker thread and
// are atomic (the core writers write a temporary file and rename it). A save that fails (full
// disk, read-only folder) is retried on its own every few seconds until one succeeds; until then
// failing() says so, and the window keeps the unsaved labels open (MainWindow::keepUnsaved).
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <QObject>
#include <QTimer>

#include "ui/model/BackgroundWriter.h"

namespace dacw {

class Autosaver : public QObject {
    Q_OBJECT
public:
    /// `snapshot` runs on the GUI thread and returns the job that writes what it captured.
    using Snapshot = std::function<BackgroundWriter::Job()>;
    explicit Autosaver(Snapshot snapshot, int delayMs = 400, QObject* parent = nullptr);
    ~Autosaver() override;

    void setDelay(int ms) { timer_.setInterval(ms); }
    /// How long after a failed save the next try starts (default 5 s).
    void setRetryDelay(int ms) { retry_.setInterval(ms); }
    int retryDelay() const { return retry_.interval(); }
    void setEnabled(bool on);
    bool pending() const { return timer_.isActive(); }
    /// Whether the last save that ended failed (exact after flush()), and its message.
    bool failing() const;
    QString lastError() const;

public Q_SLOTS:
    /// An edit happened: save soon.
    void editFinished();
    /// An edit is starting: write any scheduled save now and wait for it.
    void editStarting();
    /// Write now (when something is scheduled) and wait: before switching case or quitting.
    void flush();

Q_SIGNALS:
    void saved();
    void failed(const QString& message);

private:
    void saveNow();

    struct Outcome {
        std::mutex mutex;
        bool failing = false;
        std::string message;
    };

    Snapshot snapshot_;
    QTimer timer_;
    QTimer retry_;
    std::shared_ptr<Outcome> outcome_ = std::make_shared<Outcome>();
    std::unique_ptr<BackgroundWriter> writer_;
    bool enabled_ = true;
};

}  // namespace dacw
