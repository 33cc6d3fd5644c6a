#pragma once
// An exclusive lock on a file (flock), for folders that one process at a time may write: a run
// folder during training. The kernel drops the lock when its holder dies, so a process killed
// with SIGKILL never blocks the next one; the file itself stays and is reused.
#include <filesystem>
#include <string>

namespace dacw {

class FileLock {
public:
    FileLock() = default;
    ~FileLock();
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    FileLock(FileLock&& o) noexcept;
    FileLock& operator=(FileLock&& o) noexcept;

    /// Takes the lock on `file` (created when missing) without waiting and writes who holds it
    /// into the file. Returns false when another holder has it (another process, or another
    /// FileLock in this one); `holder` then receives what that holder wrote ("pid 123 on host x
    /// since ..."). Throws InputError when the file cannot be created or locked at all.
    bool tryLock(const std::filesystem::path& file, std::string* holder = nullptr);
    void unlock();
    bool locked() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

}  // namespace dacw
