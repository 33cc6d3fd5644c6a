#pragma once
// The processes of one data-parallel run on this machine (docs/cluster.md, "One node"): N copies
// of one command, each with torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
// MASTER_ADDR=127.0.0.1 and MASTER_PORT, a free loopback port). A thread of its own starts them,
// reads their output line by line and reaps them; stop() stops them together, and when one ends
// the run on its own (killed, crashed, failed) the end says which rank it was.
// POSIX (fork, exec, poll, waitpid) and no Qt: a test drives it without a window.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dacw {

/// How one rank ended.
struct RankExit {
    int rank = 0;
    int pid = 0;
    int status = -1;        // exit status; -1 when a signal ended it
    int signal = 0;         // the signal that ended it; 0 when it exited
    std::string lastError;  // its last standard-error line with "error" in it
    /// Neither a clean end (0) nor a cancel (130, what `dacw train` returns after SIGINT).
    bool failed() const { return signal != 0 || (status != 0 && status != 130); }
    /// "exited with status 1", "was killed by signal 9 (Killed)".
    std::string describe() const;
};

/// How the whole run ended, once every rank has.
struct LocalRanksEnd {
    std::vector<RankExit> exits;  // in the order they ended
    bool stopRequested = false;   // stop() or kill() was called
    bool killed = false;          // some ranks had to be killed (they did not stop in time)
    int culprit = -1;             // the rank that ended the run on its own (-1: none did)
    /// "" when every rank finished or was stopped; else names the culprit rank, how it ended and
    /// the error it printed.
    std::string error;
    /// The same, of the culprit alone (without what its peers printed after it).
    std::string culpritError;
    bool cancelled() const { return error.empty() && stopRequested; }
};

class LocalRanks {
public:
    struct Options {
        std::string program;            // an executable file
        std::vector<std::string> args;  // the same for every rank
        int processes = 2;
        /// After a stop or after a rank failed, ranks still running this long later are killed
        /// (a Gloo peer gives up on a lost rank within the run's --dist-timeout).
        double giveUpSeconds = 300;
    };
    struct Handlers {
        /// A line of a rank's standard output (stderr false) or error, without its newline.
        std::function<void(int rank, bool stderrLine, const std::string& line)> line;
        /// Once, after the last rank ended and its output was read (not when start() threw).
        std::function<void(const LocalRanksEnd&)> ended;
    };

    /// Both handlers run on the launcher's own thread.
    explicit LocalRanks(Handlers handlers);
    /// Stops running ranks (as stop(), then kills those left after giveUpSeconds) and waits.
    ~LocalRanks();
    LocalRanks(const LocalRanks&) = delete;
    LocalRanks& operator=(const LocalRanks&) = delete;

    /// Starts the ranks; throws InputError when the program cannot be run, N is below 2 or
    /// above 1024, a run is already under way, or no process or port could be had.
    void start(const Options& options);
    /// SIGINT to every running rank (what Ctrl-C does: `dacw train` ranks agree on one last
    /// iteration, rank 0 saves a checkpoint, all exit with 130).
    void stop();
    /// SIGKILL to every running rank.
    void kill();
    /// Waits until every rank has ended (at most `seconds`; < 0: no limit); true when they have.
    bool wait(double seconds = -1);
    bool running() const;
    /// The process ids of the ranks, by rank (0 before start).
    std::vector<int> pids() const;
    int port() const;

    /// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice); throws
    /// InputError when there is none.
    static int freeLoopbackPort();
    /// The `dacw` program beside `selfDir` (an installed workbench: both in bin/) or in the build
    /// tree (app/gui -> app/cli, tests/gui -> app/cli); $DACW_CLI first. "" when none is found.
    static std::string findDacw(const std::string& selfDir);

private:
    struct State;
    std::shared_ptr<State> s_;
};

}  // namespace dacw
