#include "ui/model/BackgroundWriter.h"

namespace dacw {

BackgroundWriter::BackgroundWriter(Done done) : done_(std::move(done)), thread_([this] { run(); }) {}

BackgroundWriter::~BackgroundWriter() {
    wait();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void BackgroundWriter::submit(Job job) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_ = std::move(job);
    }
    cv_.notify_all();
}

void BackgroundWriter::wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return !pending_ && !running_; });
}

bool BackgroundWriter::idle() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return !pending_ && !running_;
}

void BackgroundWriter::run() {
    for (;;) {
        Job job;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait(lock, [this] { return stop_ || pending_; });
            if (!pending_ && stop_) return;
            job = std::move(pending_);
            pending_ = nullptr;
            running_ = true;
        }
        std::string message;
        try {
            message = job();
        } catch (const std::exception& e) {
            message = e.what();
        }
        if (done_) done_(message);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            running_ = false;
        }
        cv_.notify_all();
    }
}

}  // namespace dacw
