#pragma once
// Runs save jobs on one worker thread, in order, keeping only the newest job that has not
// started (an older unsaved snapshot is superseded by a newer one). Plain C++.
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace dacw {

class BackgroundWriter {
public:
    /// A job returns "" on success or a message for the user.
    using Job = std::function<std::string()>;
    /// Called on the worker thread after each job with its message ("" on success).
    using Done = std::function<void(const std::string&)>;

    explicit BackgroundWriter(Done done = {});
    ~BackgroundWriter();  // finishes the pending job
    BackgroundWriter(const BackgroundWriter&) = delete;
    BackgroundWriter& operator=(const BackgroundWriter&) = delete;

    void submit(Job job);
    /// Blocks until no job is pending or running.
    void wait();
    bool idle() const;

private:
    void run();

    Done done_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    Job pending_;
    bool running_ = false;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace dacw
