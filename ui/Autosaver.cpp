#include "ui/Autosaver.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QPointer>

namespace dacw {

Autosaver::Autosaver(Snapshot snapshot, int delayMs, QObject* parent) : QObject(parent), snapshot_(std::move(snapshot))
{
    timer_.setSingleShot(true);
    timer_.setInterval(delayMs);
    connect(&timer_, &QTimer::timeout, this, &Autosaver::saveNow);
    QPointer<Autosaver> self(this);
    writer_ = std::make_unique<BackgroundWriter>([self](const std::string& message) {
        // Report on the GUI thread; the object may be gone by then.
        QMetaObject::invokeMethod(
            qApp, [self, message] {
                if (!self)
                    return;
                if (message.empty())
                    Q_EMIT self->saved();
                else
                    Q_EMIT self->failed(QString::fromStdString(message));
            },
            Qt::QueuedConnection);
    });
}

Autosaver::~Autosaver()
{
    flush();
    writer_.reset();
}

void Autosaver::setEnabled(bool on)
{
    enabled_ = on;
    if (!on)
        timer_.stop();
}

void Autosaver::editFinished()
{
    if (enabled_)
        timer_.start();
}

void Autosaver::editStarting()
{
    if (timer_.isActive())
        flush();
}

void Autosaver::flush()
{
    if (timer_.isActive()) {
        timer_.stop();
        saveNow();
    }
    writer_->wait();
}

void Autosaver::saveNow()
{
    if (!enabled_)
        return;
    if (auto job = snapshot_())
        writer_->submit(std::move(job));
}

}  // namespace dacw
