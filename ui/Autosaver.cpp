#include "ui/Autosaver.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QPointer>

namespace dacw {

Autosaver::Autosaver(Snapshot snapshot, int delayMs, QObject* parent) : QObject(parent), snapshot_(std::move(snapshot)) {
    timer_.setSingleShot(true);
    timer_.setInterval(delayMs);
    connect(&timer_, &QTimer::timeout, this, &Autosaver::saveNow);
    retry_.setSingleShot(true);
    retry_.setInterval(5000);
    connect(&retry_, &QTimer::timeout, this, &Autosaver::saveNow);
    connect(this, &Autosaver::failed, this, [this] {
        if (enabled_) retry_.start();
    });
    connect(this, &Autosaver::saved, &retry_, &QTimer::stop);
    QPointer<Autosaver> self(this);
    std::shared_ptr<Outcome> outcome = outcome_;
    writer_ = std::make_unique<BackgroundWriter>([self, outcome](const std::string& message) {
        {
            // On the writer's thread: exact as soon as the job ends (flush() waits for it).
            std::lock_guard<std::mutex> lock(outcome->mutex);
            outcome->failing = !message.empty();
            outcome->message = message;
        }
        // Report on the GUI thread; the object may be gone by then.
        QMetaObject::invokeMethod(
            qApp,
            [self, message] {
                if (!self) return;
                if (message.empty()) Q_EMIT self->saved();
                else Q_EMIT self->failed(QString::fromStdString(message));
            },
            Qt::QueuedConnection);
    });
}

Autosaver::~Autosaver() {
    flush();
    writer_.reset();
}

void Autosaver::setEnabled(bool on) {
    enabled_ = on;
    if (!on) {
        timer_.stop();
        retry_.stop();
    }
}

bool Autosaver::failing() const {
    std::lock_guard<std::mutex> lock(outcome_->mutex);
    return outcome_->failing;
}

QString Autosaver::lastError() const {
    std::lock_guard<std::mutex> lock(outcome_->mutex);
    return QString::fromStdString(outcome_->message);
}

void Autosaver::editFinished() {
    if (enabled_) timer_.start();
}

void Autosaver::editStarting() {
    if (timer_.isActive()) flush();
}

void Autosaver::flush() {
    if (timer_.isActive()) {
        timer_.stop();
        saveNow();
    }
    writer_->wait();
}

void Autosaver::saveNow() {
    if (!enabled_) return;
    if (auto job = snapshot_()) writer_->submit(std::move(job));
}

}  // namespace dacw
