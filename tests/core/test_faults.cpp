// Saves under faults, for every kind of file the workbench writes (text and JSON files, project
// files, label maps, datasets, checkpoints, exported models): a full disk (RLIMIT_FSIZE in a
// child process), a read-only folder, and SIGKILL in the middle of a write. Each must leave the
// previous file byte for byte, report an error naming the file, and never leave a truncated file
// at the final name. Also the run-folder lock (util/FileLock).
#include <QtTest/QtTest>

#include <csignal>
#include <fcntl.h>
#include <functional>
#include <random>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/torch.h>

#include "TestSupport.h"
#include "core/train/CoTrainer.h"
#include "core/train/Errors.h"
#include "core/train/TensorDataset.h"
#include "core/image/ImageIO.h"
#include "core/project/Project.h"
#include "core/util/Errors.h"
#include "core/util/FileLock.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;
using namespace dacw;

namespace {

std::string bytesOf(const fs::path& f) {
    std::error_code ec;
    return fs::exists(f, ec) ? readText(f) : std::string("<missing>");
}

/// What a save in a child process did, written into shared memory.
struct Outcome {
    int kind = -1;  // 0 no error, 1 InputError, 2 train::TrainError, 3 another exception
    char message[1024] = {};
};

struct ChildResult {
    int signal = 0;  // the child died of this signal
    int kind = -1;
    std::string message;
};

/// Runs `fn` in a child process whose files may grow to `fileLimit` bytes at most (SIGXFSZ
/// ignored, so a write past it fails with EFBIG as on a full disk), as 'nobody' when `asNobody`
/// and running as root (permission bits do not stop root).
ChildResult inChild(const std::function<void()>& fn, rlim_t fileLimit, bool asNobody) {
    void* mem = ::mmap(nullptr, sizeof(Outcome), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return {-1, -1, "mmap failed"};
    auto* out = new (mem) Outcome;
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, SIG_DFL);
        std::signal(SIGXFSZ, SIG_IGN);
        if (asNobody && ::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
        if (fileLimit != RLIM_INFINITY) {
            rlimit r{fileLimit, fileLimit};
            if (::setrlimit(RLIMIT_FSIZE, &r) != 0) ::_exit(4);
        }
        auto note = [&](int kind, const char* what) {
            out->kind = kind;
            std::snprintf(out->message, sizeof out->message, "%s", what);
        };
        try {
            fn();
            note(0, "no error");
        } catch (const InputError& e) {
            note(1, e.what());
        } catch (const train::TrainError& e) {
            note(2, e.what());
        } catch (const std::exception& e) {
            note(3, e.what());
        }
        ::_exit(0);
    }
    int status = 0;
    if (pid > 0) ::waitpid(pid, &status, 0);
    ChildResult r;
    if (pid < 0) r.message = "fork failed";
    else if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    else if (WEXITSTATUS(status) != 0) r.message = "child setup failed with code " + std::to_string(WEXITSTATUS(status));
    r.kind = out->kind;
    if (r.message.empty()) r.message = out->message;
    ::munmap(mem, sizeof(Outcome));
    return r;
}

/// Names in `dir` other than `keep`: temporary files a failed save left behind.
std::vector<std::string> strayFiles(const fs::path& dir, const fs::path& keep) {
    std::vector<std::string> v;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename() != keep.filename()) v.push_back(e.path().filename().string());
    return v;
}

/// A kind of save: writes version 0 or 1 of its file (distinct contents) to `file`.
struct SaveKind {
    std::string name;
    fs::path file;
    std::function<void(int)> save;
};

}  // namespace

class TestFaults : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    fs::path dir() const { return fs::path(tmp_.path().toStdString()); }
    std::vector<SaveKind> kinds_;
    std::unique_ptr<train::CoTrainer> trainers_[2];
    train::TensorDataset datasets_[2];
    LabelMap maps2d_[2], maps3d_[2];
    std::string texts_[2];
    Project projects_[2];

    /// Writes version 0, then checks that its bytes are reproducible and differ from version 1's.
    std::pair<std::string, std::string> prepare(const SaveKind& k) {
        k.save(1);
        const std::string b1 = bytesOf(k.file);
        k.save(0);
        const std::string b0 = bytesOf(k.file);
        k.save(1);
        k.save(0);
        if (bytesOf(k.file) != b0) QTest::qFail(("saving " + k.name + " twice gives different bytes").c_str(), __FILE__, __LINE__);
        if (b0 == b1) QTest::qFail((k.name + ": both versions have the same bytes").c_str(), __FILE__, __LINE__);
        return {b0, b1};
    }

    /// Saves version 1 under a fault: must fail with an error naming the file, keep version 0's
    /// bytes and leave no temporary file.
    void expectSafeFailure(const SaveKind& k, const std::string& before, const std::string& fault, rlim_t limit, bool nobody) {
        const ChildResult r = inChild([&] { k.save(1); }, limit, nobody);
        const QString where = QString::fromStdString(k.name + ", " + fault + ": ");
        QVERIFY2(r.signal == 0, qPrintable(where + QString("the save crashed (signal %1)").arg(r.signal)));
        QVERIFY2(r.kind == 1 || r.kind == 2, qPrintable(where + "expected an InputError or TrainError, got " +
                                                         QString::number(r.kind) + ": " + QString::fromStdString(r.message)));
        QVERIFY2(r.message.find(k.file.string()) != std::string::npos,
                 qPrintable(where + "the message does not name the file: " + QString::fromStdString(r.message)));
        QVERIFY2(bytesOf(k.file) == before, qPrintable(where + "the previous file was changed"));
        const auto stray = strayFiles(k.file.parent_path(), k.file);
        QVERIFY2(stray.empty(), qPrintable(where + "left " + QString::fromStdString(stray.empty() ? "" : stray.front())));
    }

private Q_SLOTS:
    void initTestCase() {
        // One intra-op thread: no OpenMP pool in the parent, so forked children can run torch code.
        torch::set_num_threads(1);
        for (int v = 0; v < 2; ++v) {
            std::string& t = texts_[v];
            for (int i = 0; i < 60000; ++i) t += std::to_string(i) + "," + std::to_string(i * (v + 3) % 977) + ",0.125\n";
            Project& p = projects_[v];
            p.name = v ? "second" : "first";
            p.task = Task::fundus();
            p.domains = {{"a", "data/a", DomainLayout::ImagesMasks, "labeled"}};
            for (int i = 0; i < 4000; ++i)
                p.annotations["a/case" + std::to_string(i)] = {"labels/a/case" + std::to_string(i) + ".png", v ? "bad" : "",
                                                              "note " + std::to_string(i * (v + 1))};
            Geometry g;
            g.size = {1024, 768, 1};
            maps2d_[v] = LabelMap(g);
            for (std::size_t i = 0; i < g.voxelCount(); ++i) maps2d_[v].data()[i] = LabelMap::Value((i * 7 + i / 1024 * (v + 1)) % 3);
            Geometry g3;
            g3.dimension = 3;
            g3.size = {128, 128, 48};
            g3.spacing = {0.5, 0.5, 2.0};
            maps3d_[v] = LabelMap(g3);
            for (std::size_t i = 0; i < g3.voxelCount(); ++i) maps3d_[v].data()[i] = LabelMap::Value((i / (97 + v)) % 2);
            train::SyntheticSpec spec;
            spec.count = 24;
            spec.size = 64;
            spec.seed = std::uint64_t(v + 1);
            datasets_[v] = train::makeSyntheticDataset(spec);
            // A co-training run of one iteration: both sub-models and optimisers in the checkpoint.
            train::SyntheticSpec small = spec;
            small.size = 32;
            small.count = 4;
            train::TensorDataset labeled = train::makeSyntheticDataset(small);
            small.withMasks = false;
            small.seed += 10;
            train::TensorDataset unlabeled = train::makeSyntheticDataset(small);
            train::TrainConfig c;
            c.method = train::Method::Dac;
            c.width = 0.25;
            c.iterations = 1;
            c.labeledBatch = c.unlabeledBatch = 2;
            c.threads = 1;
            c.seed = std::uint64_t(v + 1);
            c.checkpointInterval = 0;
            trainers_[v] = std::make_unique<train::CoTrainer>(c);
            trainers_[v]->run(labeled, unlabeled);
        }
        auto folder = [&](const std::string& name) {
            fs::create_directories(dir() / name);
            return dir() / name;
        };
        kinds_ = {
            {"text file (config, metrics)", folder("text") / "metrics.json",
             [this](int v) { writeTextAtomically(dir() / "text/metrics.json", texts_[v]); }},
            {"project file", folder("project") / "study.dacproj",
             [this](int v) { projects_[v].save(dir() / "project/study.dacproj"); }},
            {"label map (PNG)", folder("png") / "case.png", [this](int v) { writeLabelMap(maps2d_[v], dir() / "png/case.png"); }},
            {"label map (NIfTI)", folder("nii") / "case.nii.gz",
             [this](int v) { writeLabelMap(maps3d_[v], dir() / "nii/case.nii.gz"); }},
            {"dataset", folder("dataset") / "data.pt", [this](int v) { datasets_[v].save((dir() / "dataset/data.pt").string()); }},
            {"checkpoint", folder("checkpoint") / "checkpoint.pt",
             [this](int v) { trainers_[v]->saveCheckpoint((dir() / "checkpoint/checkpoint.pt").string()); }},
            {"exported model", folder("model") / "model.pt",
             [this](int v) { trainers_[v]->exportModel((dir() / "model/model.pt").string(), "chosen", "{}"); }},
        };
    }

    void fullDisk() {
        // A limit of 0 bytes: nothing can be written at all; half the file; all but its last byte.
        int faults = 0;
        for (const SaveKind& k : kinds_) {
            const auto [before, next] = prepare(k);
            if (QTest::currentTestFailed()) return;
            for (rlim_t limit : {rlim_t(0), rlim_t(next.size() / 2), rlim_t(next.size() - 1)}) {
                expectSafeFailure(k, before, "file size limit " + std::to_string(limit), limit, false);
                if (QTest::currentTestFailed()) return;
                ++faults;
            }
            // And with room, the same save succeeds (the limit, not the save, made it fail).
            QVERIFY2(inChild([&] { k.save(1); }, rlim_t(next.size() + 4096), false).kind == 0, k.name.c_str());
            QVERIFY(bytesOf(k.file) == next);
        }
        qInfo("full disk: %d failed saves, every previous file intact", faults);
    }

    void readOnlyFolder() {
        // As root the permission bits do not stop a write: the save runs in a child that drops to
        // 'nobody', so the folders must be reachable for it.
        fs::permissions(dir(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
        for (const SaveKind& k : kinds_) {
            const std::string before = prepare(k).first;
            if (QTest::currentTestFailed()) return;
            const fs::path folder = k.file.parent_path();
            const auto readOnly = fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                  fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec;
            fs::permissions(folder, readOnly);
            expectSafeFailure(k, before, "read-only folder", RLIM_INFINITY, true);
            fs::permissions(folder, fs::perms::owner_all);
            if (QTest::currentTestFailed()) return;
        }
    }

    void killDuringWrite() {
        // A child saves version 0 and 1 in turn, without end; it is killed at pseudo-random times
        // spread over about three saves. The file must then be one of the two versions, whole.
        std::mt19937 rng(20250611);
        const int killsPerKind = 20;
        int total = 0, stray = 0;
        for (const SaveKind& k : kinds_) {
            const auto [v0, v1] = prepare(k);
            if (QTest::currentTestFailed()) return;
            QElapsedTimer t;
            t.start();
            k.save(1);
            k.save(0);
            const qint64 perSaveUs = std::max<qint64>(200, t.nsecsElapsed() / 2000);
            std::uniform_int_distribution<qint64> delay(0, 3 * perSaveUs);
            int landedOn[2] = {0, 0};
            for (int i = 0; i < killsPerKind; ++i) {
                std::fflush(stdout);
                std::fflush(stderr);
                const pid_t pid = ::fork();
                if (pid == 0) {
                    for (int v = 1;; v ^= 1) k.save(v);
                }
                QVERIFY(pid > 0);
                ::usleep(useconds_t(delay(rng)));
                ::kill(pid, SIGKILL);
                int status = 0;
                ::waitpid(pid, &status, 0);
                QVERIFY2(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, (k.name + ": the writer ended by itself").c_str());
                const std::string now = bytesOf(k.file);
                QVERIFY2(now == v0 || now == v1,
                         qPrintable(QString("%1, kill %2: the file is neither version (%3 bytes; versions %4 and %5)")
                                        .arg(QString::fromStdString(k.name)).arg(i).arg(now.size()).arg(v0.size()).arg(v1.size())));
                ++landedOn[now == v1 ? 1 : 0];
                // A killed writer may leave its temporary file; the next save does not read it.
                for (const auto& s : strayFiles(k.file.parent_path(), k.file)) {
                    fs::remove(k.file.parent_path() / s);
                    ++stray;
                }
                ++total;
            }
            qInfo("%s: %d kills (one save ~%lld us): %d left version 0, %d version 1", k.name.c_str(), killsPerKind,
                  perSaveUs, landedOn[0], landedOn[1]);
        }
        qInfo("kill -9 during a save: %d kills, 0 damaged files, %d temporary files left behind", total, stray);
    }

    void checkpointFollowsItsProgressReport() {
        // The checkpoint of iteration K is written after K's progress report, so a caller that
        // logged K and was killed before the checkpoint repeats K on resume instead of losing K's
        // metrics row. The last checkpoint's message comes back in the result.
        train::SyntheticSpec spec;
        spec.size = 32;
        spec.count = 4;
        const train::TensorDataset labeled = train::makeSyntheticDataset(spec);
        train::TrainConfig c;
        c.method = train::Method::Supervised;
        c.width = 0.25;
        c.iterations = 4;
        c.labeledBatch = 2;
        c.threads = 1;
        c.checkpointInterval = 2;
        fs::create_directories(dir() / "order");
        c.checkpointPath = (dir() / "order" / "checkpoint.pt").string();
        std::vector<bool> existed;
        train::CoTrainer trainer(c);
        const train::RunResult r =
            trainer.run(labeled, {}, {}, [&](const train::Progress&) { existed.push_back(fs::exists(c.checkpointPath)); });
        QCOMPARE(existed, (std::vector<bool>{false, false, true, true}));
        QVERIFY(!r.messages.empty() && r.messages.back().find("iteration 4") != std::string::npos);
    }

    void runFolderLock() {
        const fs::path f = dir() / "lock-run" / ".lock";
        fs::create_directories(f.parent_path());
        FileLock a, b;
        QVERIFY(a.tryLock(f));
        std::string holder;
        QVERIFY(!b.tryLock(f, &holder));  // a second holder in the same process is refused too
        QVERIFY2(holder.find("pid " + std::to_string(::getpid())) != std::string::npos, holder.c_str());
        a.unlock();
        QVERIFY(b.tryLock(f));
        // Another process is refused while we hold it ...
        ChildResult r = inChild([&] {
            FileLock c;
            std::string h;
            if (!c.tryLock(f, &h)) throw InputError("refused: " + h);
        }, RLIM_INFINITY, false);
        QCOMPARE(r.kind, 1);
        QVERIFY2(r.message.find("pid " + std::to_string(::getpid())) != std::string::npos, r.message.c_str());
        b.unlock();
        // ... and a holder killed with SIGKILL does not keep it.
        int ready[2];
        QVERIFY(::pipe(ready) == 0);
        const pid_t pid = ::fork();
        if (pid == 0) {
            FileLock c;
            const char ok = c.tryLock(f) ? 'y' : 'n';
            (void)!::write(ready[1], &ok, 1);
            for (;;) ::pause();
        }
        char got = 0;
        QVERIFY(::read(ready[0], &got, 1) == 1);
        QCOMPARE(got, 'y');
        std::string h;
        QVERIFY(!a.tryLock(f, &h));
        QVERIFY2(h.find("pid " + std::to_string(pid)) != std::string::npos, h.c_str());
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        ::close(ready[0]);
        ::close(ready[1]);
        QVERIFY(a.tryLock(f));
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "test_faults.moc"
