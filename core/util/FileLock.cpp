#include "core/util/FileLock.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/util/Errors.h"

namespace dacw {

FileLock::~FileLock() { unlock(); }

FileLock::FileLock(FileLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }

FileLock& FileLock::operator=(FileLock&& o) noexcept {
    if (this != &o) {
        unlock();
        fd_ = o.fd_;
        o.fd_ = -1;
    }
    return *this;
}

bool FileLock::tryLock(const std::filesystem::path& file, std::string* holder) {
    unlock();
    // O_CLOEXEC: a child process started while the lock is held must not inherit it.
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw InputError("Cannot create the lock file " + file.string() + ": " + std::strerror(errno));
    // flock, not fcntl: fcntl locks belong to the process, so a second run started by the same
    // program (the GUI) would not be refused.
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        if (err != EWOULDBLOCK) {
            ::close(fd);
            throw InputError("Cannot lock " + file.string() + ": " + std::strerror(err));
        }
        if (holder) {
            char buf[256] = {};
            const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
            std::string who = n > 0 ? std::string(buf, std::size_t(n)) : std::string();
            while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
            *holder = who.empty() ? "a process that has not written its pid yet" : who;
        }
        ::close(fd);
        return false;
    }
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "unknown host");
    const std::time_t now = std::time(nullptr);
    char stamp[32] = {};
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", std::localtime(&now));
    const std::string who = "pid " + std::to_string(::getpid()) + " on host " + host + " since " + stamp + "\n";
    // Who holds the lock is a courtesy for the message; failing to record it does not matter.
    if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, who.data(), who.size(), 0);
    fd_ = fd;
    return true;
}

void FileLock::unlock() {
    if (fd_ < 0) return;
    // The file is left in place: removing it would let a waiting opener lock a file that is gone
    // while a third process locks a new one under the same name.
    (void)!::ftruncate(fd_, 0);
    ::close(fd_);
    fd_ = -1;
}

}  // namespace dacw
