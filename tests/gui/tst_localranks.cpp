// The launcher of a run on several local processes (ui/model/LocalRanks) with /bin/sh standing in
// for `dacw train`: each rank's variables, a rank that dies, a stop that leaves no process, and the
// `dacw train --json` lines read back into progress reports (ui/model/TrainEvents).
#include <QtTest>

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include "common/Expect.h"
#include "core/util/Errors.h"
#include "ui/model/LocalRanks.h"
#include "ui/model/TrainEvents.h"

using namespace dacw;

namespace {

/// What the handlers saw (they run on the launcher's thread).
struct Seen {
    std::mutex mutex;
    std::map<int, std::vector<std::string>> out, err;
    std::vector<LocalRanksEnd> ends;
    LocalRanks::Handlers handlers() {
        LocalRanks::Handlers h;
        h.line = [this](int rank, bool isErr, const std::string& line) {
            std::lock_guard<std::mutex> lock(mutex);
            (isErr ? err : out)[rank].push_back(line);
        };
        h.ended = [this](const LocalRanksEnd& e) {
            std::lock_guard<std::mutex> lock(mutex);
            ends.push_back(e);
        };
        return h;
    }
};

LocalRanks::Options shell(const std::string& script, int n, double giveUp = 20) {
    LocalRanks::Options o;
    o.program = "/bin/sh";
    o.args = {"-c", script};
    o.processes = n;
    o.giveUpSeconds = giveUp;
    return o;
}

bool alive(int pid) { return ::kill(pid, 0) == 0; }

}  // namespace

class TestLocalRanks : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void eachRankGetsItsVariables() {
        ::setenv("GLOO_SOCKET_IFNAME", "eth-nowhere", 1);  // would send the ranks off loopback
        Seen seen;
        LocalRanks ranks(seen.handlers());
        ranks.start(
            shell("echo \"$RANK $WORLD_SIZE $LOCAL_RANK $LOCAL_WORLD_SIZE $MASTER_ADDR $MASTER_PORT "
                  "${GLOO_SOCKET_IFNAME:-none}\"; echo \"to stderr $RANK\" >&2",
                  3));
        QVERIFY(ranks.wait(20));
        ::unsetenv("GLOO_SOCKET_IFNAME");
        QVERIFY(ranks.port() > 0 && ranks.port() < 65536);
        const std::string port = std::to_string(ranks.port());
        for (int r = 0; r < 3; ++r) {
            QCOMPARE(seen.out[r].size(), std::size_t(1));
            QCOMPARE(QString::fromStdString(seen.out[r][0]),
                     QString::fromStdString(std::to_string(r) + " 3 " + std::to_string(r) + " 3 127.0.0.1 " + port + " none"));
            QCOMPARE(QString::fromStdString(seen.err[r].at(0)), QString("to stderr %1").arg(r));
        }
        QCOMPARE(seen.ends.size(), std::size_t(1));
        const LocalRanksEnd& end = seen.ends[0];
        QCOMPARE(end.exits.size(), std::size_t(3));
        for (const RankExit& e : end.exits) QCOMPARE(e.status, 0);
        QVERIFY(end.error.empty());
        QVERIFY(!end.cancelled());
        QCOMPARE(end.culprit, -1);
    }

    void aRankThatDiesIsNamed() {
        // Rank 1 is killed; the others wait (as a Gloo peer would until its timeout) and are given
        // up on after giveUpSeconds.
        Seen seen;
        LocalRanks ranks(seen.handlers());
        const auto t0 = std::chrono::steady_clock::now();
        ranks.start(shell("if [ \"$RANK\" = 1 ]; then sleep 0.3; kill -9 $$; fi; exec sleep 60", 3, 1.0));
        const std::vector<int> pids = ranks.pids();
        QCOMPARE(pids.size(), std::size_t(3));
        QVERIFY(ranks.wait(15));
        QVERIFY(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
        const LocalRanksEnd& end = seen.ends.at(0);
        QCOMPARE(end.culprit, 1);
        QVERIFY2(end.error.find("rank 1 of 3") != std::string::npos, end.error.c_str());
        QVERIFY2(end.error.find("killed by signal 9") != std::string::npos, end.error.c_str());
        QVERIFY(end.killed);
        QVERIFY2(end.error.find("then rank 0 was killed after 1 s") != std::string::npos, end.error.c_str());
        QCOMPARE(end.culpritError.substr(0, 30), end.error.substr(0, 30));
        QVERIFY(end.culpritError.find("then") == std::string::npos);
        for (int pid : pids) QVERIFY(!alive(pid));
    }

    void aRankThatFailsSaysWhy() {
        Seen seen;
        LocalRanks ranks(seen.handlers());
        ranks.start(shell("if [ \"$RANK\" = 0 ]; then echo 'dacw: error: rank 0: no such folder' >&2; exit 1; fi; exit 0", 2));
        QVERIFY(ranks.wait(20));
        const LocalRanksEnd& end = seen.ends.at(0);
        QCOMPARE(end.culprit, 0);
        QVERIFY2(end.error.find("exited with status 1: dacw: error: rank 0: no such folder") != std::string::npos,
                 end.error.c_str());
    }

    void stopLeavesNoProcess() {
        Seen seen;
        LocalRanks ranks(seen.handlers());
        ranks.start(shell("trap 'echo stopping; exit 130' INT; echo up; while :; do sleep 0.1; done", 2));
        const std::vector<int> pids = ranks.pids();
        for (int i = 0; i < 100 && (seen.out[0].empty() || seen.out[1].empty()); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        QVERIFY(ranks.running());
        ranks.stop();
        QVERIFY(ranks.wait(10));
        QVERIFY(!ranks.running());
        const LocalRanksEnd& end = seen.ends.at(0);
        QVERIFY(end.cancelled());
        QVERIFY(!end.killed);
        for (const RankExit& e : end.exits) QCOMPARE(e.status, 130);
        for (int pid : pids) QVERIFY(!alive(pid));
    }

    void aRankIgnoringTheStopIsKilled() {
        Seen seen;
        LocalRanks ranks(seen.handlers());
        ranks.start(shell("trap '' INT; echo up; exec sleep 60", 2, 0.5));
        const std::vector<int> pids = ranks.pids();
        for (int i = 0; i < 100 && (seen.out[0].empty() || seen.out[1].empty()); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ranks.stop();
        QVERIFY(ranks.wait(10));
        QVERIFY(seen.ends.at(0).killed);
        QVERIFY(seen.ends.at(0).error.empty());  // stopped by us: not a failure of a rank
        for (int pid : pids) QVERIFY(!alive(pid));
    }

    void aStopRightAfterTheStartIsACancel() {
        // The SIGINT may arrive before a rank installed its handler: it dies of it, as asked.
        Seen seen;
        LocalRanks ranks(seen.handlers());
        ranks.start(shell("sleep 0.5; trap 'exit 130' INT; while :; do sleep 0.1; done", 2));
        ranks.stop();
        QVERIFY(ranks.wait(10));
        QVERIFY2(seen.ends.at(0).cancelled(), seen.ends.at(0).error.c_str());
        QCOMPARE(seen.ends.at(0).exits.at(0).signal, SIGINT);
    }

    void destructorStopsTheRanks() {
        std::vector<int> pids;
        {
            Seen seen;
            LocalRanks ranks(seen.handlers());
            ranks.start(shell("trap 'exit 130' INT; while :; do sleep 0.1; done", 2));
            pids = ranks.pids();
        }
        for (int pid : pids) QVERIFY(!alive(pid));
    }

    void badStartsAreRefused() {
        Seen seen;
        LocalRanks one(seen.handlers());
        test::expectThrow<InputError>([&] { one.start(shell("true", 1)); }, "2 to 1024");
        LocalRanks missing(seen.handlers());
        LocalRanks::Options o = shell("true", 2);
        o.program = "/nonexistent/dacw";
        test::expectThrow<InputError>([&] { missing.start(o); }, "Cannot run the training program '/nonexistent/dacw'");
        LocalRanks twice(seen.handlers());
        twice.start(shell("true", 2));
        test::expectThrow<InputError>([&] { twice.start(shell("true", 2)); }, "started already");
        QVERIFY(twice.wait(10));
    }

    void findsDacw() {
        QTemporaryDir dir;
        const std::string bin = dir.filePath("bin").toStdString();
        std::filesystem::create_directories(bin);
        QCOMPARE(QString::fromStdString(LocalRanks::findDacw(bin)), QString());
        const std::string dacw = bin + "/dacw";
        QFile f(QString::fromStdString(dacw));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("#!/bin/sh\n");
        f.close();
        QCOMPARE(QString::fromStdString(LocalRanks::findDacw(bin)), QString());  // not executable
        f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        QCOMPARE(QString::fromStdString(LocalRanks::findDacw(bin)), QString::fromStdString(dacw));
        ::setenv("DACW_CLI", "/bin/sh", 1);
        QCOMPARE(QString::fromStdString(LocalRanks::findDacw(bin)),
                 QString::fromStdString(std::filesystem::weakly_canonical("/bin/sh").string()));
        ::unsetenv("DACW_CLI");
    }

    void jsonLinesBecomeReports() {
        QCOMPARE(parseTrainEvent("iteration 3/10 loss 0.5").kind, TrainEvent::Kind::None);
        QCOMPARE(parseTrainEvent("{\"event\": \"progr").kind, TrainEvent::Kind::None);
        const TrainEvent m = parseTrainEvent(R"({"event":"message","text":"checkpoint written"})");
        QCOMPARE(m.kind, TrainEvent::Kind::Message);
        QCOMPARE(QString::fromStdString(m.text), QString("checkpoint written"));

        TrainEventJoiner join;
        const TrainEvent p1 = parseTrainEvent(
            R"({"event":"progress","iteration":1,"validated":false,"total":4,"lr":0.01,"images_per_s":8.5,"s_per_iter":0.5,)"
            R"("eta_s":1.5,"skipped":false,"losses":{"total":1.25,"cps_a":null}})");
        QCOMPARE(p1.kind, TrainEvent::Kind::Progress);
        auto ready = join.add(p1);
        QCOMPARE(ready.size(), std::size_t(1));
        QCOMPARE(ready[0].iteration, int64_t(1));
        QCOMPARE(ready[0].total, int64_t(4));
        QCOMPARE(ready[0].losses.at("total"), 1.25);
        QVERIFY(std::isnan(ready[0].losses.at("cps_a")));
        QCOMPARE(ready[0].imagesPerSecond, 8.5);
        // A validated iteration waits for its validation events.
        QVERIFY(
            join.add(parseTrainEvent(R"({"event":"progress","iteration":2,"validated":true,"total":4,"losses":{}})")).empty());
        QVERIFY(join.add(parseTrainEvent(R"({"event":"validation","iteration":2,"submodel":"A","domain":"c","dice":[0.5,0.7]})"))
                    .empty());
        QVERIFY(join.add(parseTrainEvent(R"({"event":"validation","iteration":2,"submodel":"B","domain":"c","dice":[0.1]})"))
                    .empty());
        ready = join.add(parseTrainEvent(R"({"event":"progress","iteration":3,"validated":false,"total":4,"losses":{}})"));
        QCOMPARE(ready.size(), std::size_t(2));
        QCOMPARE(ready[0].iteration, int64_t(2));
        QVERIFY(ready[0].validated);
        QCOMPARE(ready[0].validation.at("A").at("c").size(), std::size_t(2));
        QCOMPARE(ready[0].validation.at("B").at("c").at(0), 0.1);
        QCOMPARE(ready[1].iteration, int64_t(3));
        QVERIFY(
            join.add(parseTrainEvent(R"({"event":"progress","iteration":4,"validated":true,"total":4,"losses":{}})")).empty());
        QCOMPARE(join.flush().size(), std::size_t(1));
        QVERIFY(join.flush().empty());
        QCOMPARE(parseTrainEvent(R"({"event":"cancelled","iteration":4,"run":"x"})").kind, TrainEvent::Kind::Cancelled);
    }
};

QTEST_GUILESS_MAIN(TestLocalRanks)
#include "tst_localranks.moc"
