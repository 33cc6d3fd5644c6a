#pragma once
// Autosave after every stroke, debounced: an edit schedules a save a moment later; a new edit
// that starts while a save is still scheduled writes the previous state first and waits for it,
// so that a crash or kill -9 loses at most the last stroke. Writes run on a worker thread and
// are atomic (the core writers write a temporary file and rename it).
#include <functional>
#include <memory>

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
    void setEnabled(bool on);
    bool pending() const { return timer_.isActive(); }

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

    Snapshot snapshot_;
    QTimer timer_;
    std::unique_ptr<BackgroundWriter> writer_;
    bool enabled_ = true;
};

}  // namespace dacw
