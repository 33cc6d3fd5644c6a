#include "ui/model/LocalRanks.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "core/util/Errors.h"

extern char** environ;

namespace dacw {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string RankExit::describe() const {
    if (signal != 0) {
        const char* name = ::strsignal(signal);
        return "was killed by signal " + std::to_string(signal) + (name ? std::string(" (") + name + ")" : std::string());
    }
    return "exited with status " + std::to_string(status);
}

namespace {

struct Child {
    int rank = 0;
    pid_t pid = -1;
    int fd[2] = {-1, -1};    // its stdout, stderr (read ends)
    std::string pending[2];  // a line not yet ended
    bool reaped = false;
    bool killedByUs = false;
    RankExit exit;
};

/// Everything a child needs, built before fork (after fork only async-signal-safe calls).
struct ExecImage {
    std::vector<std::string> argStore, envStore;
    std::vector<char*> argv, envp;
    void seal() {
        for (auto& a : argStore) argv.push_back(a.data());
        argv.push_back(nullptr);
        for (auto& e : envStore) envp.push_back(e.data());
        envp.push_back(nullptr);
    }
};

bool launcherVariable(const char* entry) {
    // Ours win; GLOO_SOCKET_IFNAME and Slurm's task variables would send the ranks elsewhere.
    for (const char* k : {"RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "LOCAL_WORLD_SIZE=", "MASTER_ADDR=", "MASTER_PORT=",
                          "GLOO_SOCKET_IFNAME=", "SLURM_PROCID=", "SLURM_NTASKS=", "SLURM_LOCALID="})
        if (std::strncmp(entry, k, std::strlen(k)) == 0) return true;
    return false;
}

ExecImage imageFor(const LocalRanks::Options& o, int rank, int port) {
    ExecImage im;
    im.argStore.push_back(o.program);
    im.argStore.insert(im.argStore.end(), o.args.begin(), o.args.end());
    for (char** e = environ; e && *e; ++e)
        if (!launcherVariable(*e)) im.envStore.emplace_back(*e);
    const std::string n = std::to_string(o.processes), r = std::to_string(rank);
    for (const std::string& v : {"RANK=" + r, "WORLD_SIZE=" + n, "LOCAL_RANK=" + r, "LOCAL_WORLD_SIZE=" + n,
                                 std::string("MASTER_ADDR=127.0.0.1"), "MASTER_PORT=" + std::to_string(port)})
        im.envStore.push_back(v);
    im.seal();
    return im;
}

}  // namespace

struct LocalRanks::State {
    Handlers handlers;
    Options options;
    mutable std::mutex mutex;
    std::condition_variable endedCv;
    std::vector<Child> children;
    std::vector<RankExit> order;
    int port = 0;
    bool started = false, ended = false, stopRequested = false, killed = false;
    bool startFailed = false;  // start() threw: the ranks it had started are only reaped
    Clock::time_point giveUpAt = Clock::time_point::max();
    std::thread thread;

    void spawn(std::promise<std::string>& ready);
    void monitor();
    void readFrom(Child& c, int stream);
    void reap();
    void signalAll(int sig, bool byUs);
    LocalRanksEnd summary() const;
};

void LocalRanks::State::spawn(std::promise<std::string>& ready) {
    // Forked from this thread, which outlives every child: PR_SET_PDEATHSIG fires when the thread
    // that forked ends, and it makes a rank die with the workbench instead of staying behind.
    const pid_t parent = ::getpid();
    for (int rank = 0; rank < options.processes; ++rank) {
        ExecImage im = imageFor(options, rank, port);
        int out[2], err[2];
        if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
            const std::string why = std::strerror(errno);
            signalAll(SIGKILL, true);
            startFailed = true;
            ready.set_value("Cannot create a pipe for rank " + std::to_string(rank) + ": " + why);
            return;
        }
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(127);
            struct sigaction dfl {};
            dfl.sa_handler = SIG_DFL;
            ::sigaction(SIGINT, &dfl, nullptr);
            ::sigaction(SIGTERM, &dfl, nullptr);
            sigset_t none;
            ::sigemptyset(&none);
            ::sigprocmask(SIG_SETMASK, &none, nullptr);
            const int null = ::open("/dev/null", O_RDONLY);
            if (null >= 0) ::dup2(null, 0);
            ::dup2(out[1], 1);
            ::dup2(err[1], 2);
            ::execve(im.argv[0], im.argv.data(), im.envp.data());
            const char msg[] = "dacw: error: the workbench could not start the training program\n";
            (void)!::write(2, msg, sizeof msg - 1);
            ::_exit(127);
        }
        ::close(out[1]);
        ::close(err[1]);
        if (pid < 0) {
            ::close(out[0]);
            ::close(err[0]);
            const std::string why = std::strerror(errno);
            signalAll(SIGKILL, true);
            startFailed = true;
            ready.set_value("Cannot start rank " + std::to_string(rank) + ": " + why);
            return;
        }
        Child c;
        c.rank = rank;
        c.pid = pid;
        c.fd[0] = out[0];
        c.fd[1] = err[0];
        c.exit.rank = rank;
        c.exit.pid = pid;
        std::lock_guard<std::mutex> lock(mutex);
        children.push_back(std::move(c));
    }
    ready.set_value("");
}

void LocalRanks::State::readFrom(Child& c, int stream) {
    char buf[65536];
    const ssize_t n = ::read(c.fd[stream], buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    std::string& p = c.pending[stream];
    auto deliver = [&](const std::string& line) {
        if (stream == 1 && line.find("error") != std::string::npos) c.exit.lastError = line;
        if (handlers.line) handlers.line(c.rank, stream == 1, line);
    };
    if (n <= 0) {  // end of file (the rank has ended) or a broken pipe
        if (!p.empty()) deliver(p);
        p.clear();
        ::close(c.fd[stream]);
        c.fd[stream] = -1;
        return;
    }
    p.append(buf, std::size_t(n));
    for (std::size_t nl; (nl = p.find('\n')) != std::string::npos;) {
        const std::string line = p.substr(0, nl);
        p.erase(0, nl + 1);
        deliver(line);
    }
}

void LocalRanks::State::reap() {
    for (Child& c : children) {
        if (c.reaped) continue;
        int st = 0;
        if (::waitpid(c.pid, &st, WNOHANG) != c.pid) continue;
        std::lock_guard<std::mutex> lock(mutex);
        c.reaped = true;
        if (WIFSIGNALED(st)) c.exit.signal = WTERMSIG(st);
        else c.exit.status = WEXITSTATUS(st);
        // lastError is filled in at the end, when its output has been read to the end.
        order.push_back(c.exit);
        if ((c.exit.failed() || stopRequested) && giveUpAt == Clock::time_point::max())
            giveUpAt = Clock::now() + std::chrono::milliseconds(static_cast<long long>(options.giveUpSeconds * 1000));
    }
}

void LocalRanks::State::signalAll(int sig, bool byUs) {
    for (Child& c : children)
        if (!c.reaped) {  // not reaped: the pid is still this child's (at worst a zombie)
            ::kill(c.pid, sig);
            if (sig == SIGKILL && byUs) c.killedByUs = true;
        }
}

void LocalRanks::State::monitor() {
    Clock::time_point allReapedAt = Clock::time_point::max();
    for (;;) {
        std::vector<pollfd> fds;
        std::vector<std::pair<Child*, int>> who;
        for (Child& c : children)
            for (int s = 0; s < 2; ++s)
                if (c.fd[s] >= 0) {
                    fds.push_back({c.fd[s], POLLIN, 0});
                    who.emplace_back(&c, s);
                }
        bool allReaped = true;
        for (const Child& c : children) allReaped = allReaped && c.reaped;
        if (allReaped && allReapedAt == Clock::time_point::max()) allReapedAt = Clock::now();
        // Every rank ended: their pipes close at once, unless something they started holds them.
        if (allReaped && (fds.empty() || Clock::now() - allReapedAt > std::chrono::seconds(2))) break;
        if (!fds.empty()) {
            if (::poll(fds.data(), fds.size(), 50) > 0)
                for (std::size_t i = 0; i < fds.size(); ++i)
                    if (fds[i].revents != 0) readFrom(*who[i].first, who[i].second);
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        reap();
        std::lock_guard<std::mutex> lock(mutex);
        if (Clock::now() >= giveUpAt) {
            for (const Child& c : children) killed = killed || !c.reaped;
            signalAll(SIGKILL, true);
        }
    }
    for (Child& c : children)
        for (int s = 0; s < 2; ++s)
            if (c.fd[s] >= 0) {
                ::close(c.fd[s]);
                c.fd[s] = -1;
            }
    LocalRanksEnd end;
    {
        std::lock_guard<std::mutex> lock(mutex);
        for (RankExit& e : order)
            for (const Child& c : children)
                if (c.rank == e.rank) e.lastError = c.exit.lastError;
        end = summary();
    }
    if (handlers.ended && !startFailed) handlers.ended(end);
    std::lock_guard<std::mutex> lock(mutex);
    ended = true;
    endedCv.notify_all();
}

LocalRanksEnd LocalRanks::State::summary() const {
    LocalRanksEnd end;
    end.exits = order;
    end.stopRequested = stopRequested;
    end.killed = killed;
    // The rank that ended the run: one that a signal ended (not ours) before the others, else the
    // first that failed; its peers fail after it ("Lost peer"), and their messages say so.
    // Ended by us: killed after the give-up time, or by the stop's SIGINT before the rank had
    // installed its handler (a stop right after the start).
    auto killedByUs = [&](const RankExit& e) {
        if (stopRequested && e.signal == SIGINT) return true;
        for (const Child& c : children)
            if (c.rank == e.rank) return c.killedByUs;
        return false;
    };
    const RankExit* culprit = nullptr;
    for (const RankExit& e : order)
        if (e.signal != 0 && !killedByUs(e)) {
            culprit = &e;
            break;
        }
    for (const RankExit& e : order)
        if (!culprit && e.failed() && !killedByUs(e)) culprit = &e;
    if (!culprit) return end;
    end.culprit = culprit->rank;
    const std::string n = std::to_string(options.processes);
    end.error = "rank " + std::to_string(culprit->rank) + " of " + n + " (process " + std::to_string(culprit->pid) + ") " +
                culprit->describe() + (culprit->lastError.empty() ? "" : ": " + culprit->lastError);
    end.culpritError = end.error;
    for (const RankExit& e : order)
        if (&e != culprit && e.failed())
            end.error +=
                "; then rank " + std::to_string(e.rank) + " " +
                (killedByUs(e) ? "was killed after " + std::to_string(int(options.giveUpSeconds)) + " s" : e.describe()) +
                (e.lastError.empty() ? "" : " (" + e.lastError + ")");
    return end;
}

LocalRanks::LocalRanks(Handlers handlers) : s_(std::make_shared<State>()) { s_->handlers = std::move(handlers); }

LocalRanks::~LocalRanks() {
    if (!s_->started) return;
    if (running()) {
        stop();
        if (!wait(s_->options.giveUpSeconds + 5)) {
            kill();
            wait();
        }
    }
    if (s_->thread.joinable()) s_->thread.join();
}

void LocalRanks::start(const Options& options) {
    if (s_->started) throw InputError("These processes were started already; a new run needs a new launcher");
    if (options.processes < 2 || options.processes > 1024)
        throw InputError("A run on several processes needs 2 to 1024 of them, not " + std::to_string(options.processes));
    if (options.program.empty() || ::access(options.program.c_str(), X_OK) != 0)
        throw InputError("Cannot run the training program '" + options.program + "'" +
                         (options.program.empty() ? std::string() : std::string(": ") + std::strerror(errno)));
    s_->options = options;
    s_->port = freeLoopbackPort();
    s_->started = true;
    std::promise<std::string> ready;
    std::future<std::string> spawned = ready.get_future();
    std::shared_ptr<State> s = s_;
    s_->thread = std::thread([s, ready = std::move(ready)]() mutable {
        s->spawn(ready);
        s->monitor();
    });
    const std::string problem = spawned.get();
    if (!problem.empty()) throw InputError(problem);
}

void LocalRanks::stop() {
    std::lock_guard<std::mutex> lock(s_->mutex);
    if (!s_->started || s_->ended) return;
    s_->stopRequested = true;
    if (s_->giveUpAt == Clock::time_point::max())
        s_->giveUpAt = Clock::now() + std::chrono::milliseconds(static_cast<long long>(s_->options.giveUpSeconds * 1000));
    s_->signalAll(SIGINT, true);
}

void LocalRanks::kill() {
    std::lock_guard<std::mutex> lock(s_->mutex);
    if (!s_->started || s_->ended) return;
    s_->stopRequested = true;
    for (const Child& c : s_->children) s_->killed = s_->killed || !c.reaped;
    s_->signalAll(SIGKILL, true);
}

bool LocalRanks::wait(double seconds) {
    std::unique_lock<std::mutex> lock(s_->mutex);
    if (!s_->started) return true;
    auto done = [&] { return s_->ended; };
    if (seconds < 0) s_->endedCv.wait(lock, done);
    else s_->endedCv.wait_for(lock, std::chrono::milliseconds(static_cast<long long>(seconds * 1000)), done);
    return s_->ended;
}

bool LocalRanks::running() const {
    std::lock_guard<std::mutex> lock(s_->mutex);
    return s_->started && !s_->ended;
}

std::vector<int> LocalRanks::pids() const {
    std::lock_guard<std::mutex> lock(s_->mutex);
    std::vector<int> out(std::size_t(std::max(0, s_->options.processes)), 0);
    for (const Child& c : s_->children) out[std::size_t(c.rank)] = c.pid;
    return out;
}

int LocalRanks::port() const { return s_->port; }

int LocalRanks::freeLoopbackPort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw InputError(std::string("Cannot open a socket to find a free port: ") + std::strerror(errno));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok) throw InputError(std::string("No free TCP port on 127.0.0.1: ") + std::strerror(err));
    return ntohs(a.sin_port);
}

std::string LocalRanks::findDacw(const std::string& selfDir) {
    std::vector<fs::path> candidates;
    if (const char* env = std::getenv("DACW_CLI"); env && *env) candidates.emplace_back(env);
    const fs::path self(selfDir);
    candidates.push_back(self / "dacw");
    candidates.push_back(self / ".." / "cli" / "dacw");
    candidates.push_back(self / ".." / ".." / "app" / "cli" / "dacw");
    for (const fs::path& p : candidates) {
        std::error_code ec;
        if (fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0) return fs::weakly_canonical(p, ec).string();
    }
    return "";
}

}  // namespace dacw
