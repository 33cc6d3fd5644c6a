// Project files: round trip, atomic saves, clear errors for corrupt or newer files, and the lock
// that tells a second workbench (another process) that the project is already open.
#include <QtTest/QtTest>

#include <csignal>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "TestSupport.h"
#include "core/project/CaseStatus.h"
#include "core/image/ImageIO.h"
#include "core/project/NewProject.h"
#include "core/project/Project.h"
#include "core/project/ProjectLock.h"
#include "core/util/Errors.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;
using namespace dacw;

namespace {
/// A child process that takes the lock of `file`, reports "L" (locked) or "R" (refused) on a
/// pipe, then holds it until the parent closes its end of a second pipe (or kills it).
struct LockHolder {
    pid_t pid = -1;
    int fromChild = -1, toChild = -1;
    char state = 0;

    explicit LockHolder(const fs::path& file) {
        int up[2], down[2];
        if (::pipe(up) != 0 || ::pipe(down) != 0) qFatal("pipe");
        pid = ::fork();
        if (pid == 0) {
            ::close(up[0]);
            ::close(down[1]);
            ProjectLock lock;
            const char c = lock.tryLock(file) == ProjectLock::Outcome::Acquired ? 'L' : 'R';
            (void)!::write(up[1], &c, 1);
            char x;
            while (::read(down[0], &x, 1) > 0) {}
            ::_exit(0);
        }
        ::close(up[1]);
        ::close(down[0]);
        fromChild = up[0];
        toChild = down[1];
        if (::read(fromChild, &state, 1) != 1) state = '?';
    }
    /// Lets the child exit normally (it releases the lock) and reaps it.
    void release() {
        if (toChild >= 0) ::close(toChild);
        toChild = -1;
        reap();
    }
    void kill9() {
        ::kill(pid, SIGKILL);
        reap();
    }
    void reap() {
        if (pid > 0) ::waitpid(pid, nullptr, 0);
        pid = -1;
    }
    ~LockHolder() {
        if (pid > 0) kill9();
        if (toChild >= 0) ::close(toChild);
        ::close(fromChild);
    }
};
}  // namespace

class TestProject : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    fs::path dir() const { return fs::path(tmp_.path().toStdString()); }


private Q_SLOTS:
    void roundTrip() {
        Project p;
        p.name = "study";
        p.task = Task::polyp();
        p.domains = {{"kvasir", "/data/kvasir", DomainLayout::ImagesMasks, "labeled"},
                     {"etis", "data/etis", DomainLayout::Flat, "unlabeled"}};
        p.runs = {{"dac-1", "runs/dac-1", "dac", "finished"}};
        p.annotations["kvasir/c1"] = {"labels/kvasir/c1.png", "bad", "motion blur"};
        p.setFile(dir() / "study.dacproj");
        p.save();
        Project q = Project::load(dir() / "study.dacproj");
        QCOMPARE(q.name, p.name);
        QCOMPARE(q.task.name, std::string("polyp"));
        QCOMPARE(q.task.labels.size(), std::size_t(1));
        QCOMPARE(q.domains.size(), std::size_t(2));
        QCOMPARE(toString(q.domains[1].layout), toString(DomainLayout::Flat));
        QCOMPARE(q.domains[1].role, std::string("unlabeled"));
        QCOMPARE(q.resolve(q.domains[1].root), (dir() / "data/etis").lexically_normal());
        QCOMPARE(q.resolve(q.domains[0].root), fs::path("/data/kvasir"));
        QCOMPARE(q.runs[0].method, std::string("dac"));
        QCOMPARE(q.annotations.at("kvasir/c1").note, std::string("motion blur"));
        QCOMPARE(q.labelPathFor("etis", "x", false), dir() / "labels" / "etis" / "x.png");
        QCOMPARE(q.labelPathFor("mri", "s", true), dir() / "labels" / "mri" / "s.nii.gz");
    }

    /// A case's status (core/project/CaseStatus.h): the project's own predictions first, then
    /// the runs' newest first; the workbench label and the dataset mask as the project knows them.
    void caseStatusOneAnswer() {
        Project p;
        p.setFile(dir() / "cs.dacproj");
        p.runs = {{"old", "runs/old", "dac", "finished"}, {"new", "runs/new", "dac", "finished"}};
        auto touch = [](const fs::path& f) {
            fs::create_directories(f.parent_path());
            std::ofstream(f) << "x";
        };
        Case c;
        c.id = "c1";
        c.image = dir() / "c1.png";
        QVERIFY(findPrediction(p, "d", "c1").empty());
        touch(dir() / "runs/old/predictions/d/c1.png");
        QCOMPARE(findPrediction(p, "d", "c1"), (dir() / "runs/old/predictions/d/c1.png").lexically_normal());
        touch(dir() / "runs/new/predictions/d/c1.nii.gz");
        QCOMPARE(findPrediction(p, "d", "c1"), (dir() / "runs/new/predictions/d/c1.nii.gz").lexically_normal());
        touch(dir() / "predictions/d/c1.png");
        QCOMPARE(findPrediction(p, "d", "c1"), dir() / "predictions/d/c1.png");
        CaseStatus st = caseStatus(p, "d", c);
        QVERIFY(st.predicted() && !st.annotated() && !st.datasetMask);
        p.annotations["d/c1"] = {"labels/d/c1.png", "", ""};
        touch(dir() / "labels/d/c1.png");
        c.mask = dir() / "c1_mask.png";
        st = caseStatus(p, "d", c);
        QVERIFY(st.annotated() && st.datasetMask);
    }

    /// "Has this case a workbench label": a recorded file that exists. A flag or note alone, or a
    /// label file that was deleted, is not one.
    void workbenchLabelIsOneAnswer() {
        Project p;
        p.setFile(dir() / "wl.dacproj");
        p.annotations["d/painted"] = {"labels/d/painted.png", "", ""};
        p.annotations["d/flagged"] = {"", "bad", "look again"};
        p.annotations["d/deleted"] = {"labels/d/deleted.png", "", ""};
        fs::create_directories(dir() / "labels" / "d");
        std::ofstream(dir() / "labels" / "d" / "painted.png") << "x";
        QCOMPARE(p.workbenchLabel("d", "painted"), (dir() / "labels" / "d" / "painted.png").lexically_normal());
        QVERIFY(p.workbenchLabel("d", "flagged").empty());
        QVERIFY(p.workbenchLabel("d", "deleted").empty());
        QVERIFY(p.workbenchLabel("d", "never").empty());
    }

    void savesAreAtomic() {
        Project p;
        p.name = "a";
        p.setFile(dir() / "atomic.dacproj");
        p.save();
        const std::string before = readText(p.file());
        // A save into a folder that cannot be written fails with a message and leaves the old file.
        p.name = "b";
        test::expectInputError([&] { p.save(dir() / "atomic.dacproj" / "inside-a-file.dacproj"); }, "Cannot write");
        QCOMPARE(readText(p.file()), before);
        p.save();
        QVERIFY(readText(p.file()) != before);
        for (auto& e : fs::directory_iterator(dir()))
            QVERIFY2(e.path().filename().string().find(".tmp") == std::string::npos, e.path().c_str());
    }

    void corruptAndNewerFiles() {
        std::ofstream(dir() / "corrupt.dacproj") << "{ \"format\": \"dac-workbench-project\", ";
        test::expectInputError([&] { Project::load(dir() / "corrupt.dacproj"); }, "corrupt JSON");
        std::ofstream(dir() / "other.dacproj") << "{\"hello\": 1}";
        test::expectInputError([&] { Project::load(dir() / "other.dacproj"); }, "not a DAC Workbench project");
        nlohmann::json j = {{"format", "dac-workbench-project"}, {"schema_version", 7}, {"task", {}}};
        std::ofstream(dir() / "newer.dacproj") << j.dump();
        test::expectInputError([&] { Project::load(dir() / "newer.dacproj"); }, "newer DAC Workbench");
        test::expectInputError([&] { Project::load(dir() / "absent.dacproj"); }, "not found");
        nlohmann::json bad = {{"format", "dac-workbench-project"}, {"schema_version", 1}, {"task", {{"name", "x"}}}};
        std::ofstream(dir() / "incomplete.dacproj") << bad.dump();
        test::expectInputError([&] { Project::load(dir() / "incomplete.dacproj"); }, "not a valid project file");
    }

    void damagedNumbers() {
        // Regressions of fuzz_project: a schema version or channel count that does not fit an int
        // was converted from double (undefined behaviour); a label value or colour of 300 wrapped.
        const auto project = [&](const std::string& extra, const std::string& labels) {
            std::ofstream(dir() / "numbers.dacproj")
                << R"({"format": "dac-workbench-project", "schema_version": 1, "task": {"name": "t", "regions": [], "labels": )"
                << labels << "}" << extra << "}";
        };
        project("", R"([{"name": "a", "value": 300, "color": [1, 2, 3]}])");
        test::expectInputError([&] { Project::load(dir() / "numbers.dacproj"); }, "label value");
        project("", R"([{"name": "a", "value": 1, "color": [1, 2, -1]}])");
        test::expectInputError([&] { Project::load(dir() / "numbers.dacproj"); }, "colour");
        project("", R"([{"name": "a", "value": 1.0, "color": [1, 2, 3.0]}])");  // integral doubles are fine
        QCOMPARE(int(Project::load(dir() / "numbers.dacproj").task.labels.at(0).color[2]), 3);
        std::ofstream(dir() / "numbers.dacproj") << R"({"format": "dac-workbench-project", "schema_version": 1e10, "task": {}})";
        test::expectInputError([&] { Project::load(dir() / "numbers.dacproj"); }, "schema_version");
        std::ofstream(dir() / "numbers.dacproj")
            << R"({"format": "dac-workbench-project", "schema_version": 1, "task": {"name": "t", "channels": 1e300, "labels": [], "regions": []}})";
        test::expectInputError([&] { Project::load(dir() / "numbers.dacproj"); }, "channels");
    }

    void lockedByAnotherProcess() {
        Project p;
        p.name = "shared";
        p.setFile(dir() / "shared.dacproj");
        p.save();
        const std::string bytes = readText(p.file());
        QCOMPARE(ProjectLock::lockFileFor(p.file()), dir() / ".shared.dacproj.lock");

        LockHolder other(p.file());
        QCOMPARE(other.state, 'L');
        ProjectLock mine;
        std::string who;
        QCOMPARE(mine.tryLock(p.file(), &who), ProjectLock::Outcome::HeldByOther);
        QVERIFY(!mine.locked());
        // The holder is named: its pid and host, as the warning shows them.
        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        QVERIFY2(who.find("pid " + std::to_string(other.pid) + " on host " + host) == 0, who.c_str());
        // The same project by another spelling of its path is the same lock.
        QCOMPARE(mine.tryLock(dir() / "." / "shared.dacproj"), ProjectLock::Outcome::HeldByOther);

        // When the holder closes the project (exits), the lock is free.
        other.release();
        QCOMPARE(mine.tryLock(p.file(), &who), ProjectLock::Outcome::Acquired);
        QVERIFY(mine.locked());
        QCOMPARE(mine.projectFile(), fs::absolute(p.file()).lexically_normal());
        // Now a second process is refused, and the project file itself was never touched.
        LockHolder late(p.file());
        QCOMPARE(late.state, 'R');
        late.release();
        QCOMPARE(readText(p.file()), bytes);
        mine.unlock();
        QVERIFY(!mine.locked());
    }

    void deadHolderDoesNotCount() {
        Project p;
        p.setFile(dir() / "crashed.dacproj");
        p.save();
        LockHolder other(p.file());
        QCOMPARE(other.state, 'L');
        const pid_t dead = other.pid;
        other.kill9();  // a workbench killed (or crashed) with the project open
        // Its lock file still names it, but the kernel dropped its lock.
        QVERIFY(readText(ProjectLock::lockFileFor(p.file())).find("pid " + std::to_string(dead)) != std::string::npos);
        ProjectLock mine;
        QCOMPARE(mine.tryLock(p.file()), ProjectLock::Outcome::Acquired);
        QVERIFY(readText(ProjectLock::lockFileFor(p.file())).find("pid " + std::to_string(::getpid())) != std::string::npos);
    }

    void secondLockInTheSameProcess() {
        // Two windows of one workbench are two holders too (flock, not fcntl).
        Project p;
        p.setFile(dir() / "twice.dacproj");
        p.save();
        ProjectLock a, b;
        QCOMPARE(a.tryLock(p.file()), ProjectLock::Outcome::Acquired);
        std::string who;
        QCOMPARE(b.tryLock(p.file(), &who), ProjectLock::Outcome::HeldByOther);
        QVERIFY2(who.find("pid " + std::to_string(::getpid())) == 0, who.c_str());
        ProjectLock moved = std::move(a);  // moving keeps the lock
        QCOMPARE(b.tryLock(p.file()), ProjectLock::Outcome::HeldByOther);
        moved.unlock();
        QCOMPARE(b.tryLock(p.file()), ProjectLock::Outcome::Acquired);
    }

    void unlockableFolder() {
        // A lock file that cannot be created is reported, not taken for a holder.
        std::ofstream(dir() / "plain-file") << "x";
        ProjectLock l;
        std::string why;
        QCOMPARE(l.tryLock(dir() / "plain-file" / "p.dacproj", &why), ProjectLock::Outcome::NotLockable);
        QVERIFY2(why.find("Cannot create the lock file") != std::string::npos, why.c_str());
        QVERIFY(!l.locked());
    }
    void newProjectFromNothing() {
        // File > New project: the folder and an empty, loadable project for the task.
        const Project p = createProject(dir(), "My study", Task::polyp());
        QCOMPARE(p.file(), dir() / "My study" / "My study.dacproj");
        const Project q = Project::load(p.file());
        QCOMPARE(q.name, std::string("My study"));
        QCOMPARE(q.task.name, std::string("polyp"));
        QVERIFY(q.domains.empty());
        // The same name twice is refused and the first project is untouched.
        test::expectInputError([&] { createProject(dir(), "My study", Task::fundus()); }, "exists already");
        QCOMPARE(Project::load(p.file()).task.name, std::string("polyp"));
        // Bad names and locations, each with its reason; nothing is created for them.
        for (const char* bad : {"", "  ", "a/b", "..", "x:y", "end."})
            QVERIFY2(!projectNameProblem(bad).empty(), bad);
        QVERIFY(projectNameProblem("Fundus 2026 (Drishti)").empty());
        test::expectInputError([&] { createProject(dir(), "a/b", Task::fundus()); }, "cannot hold the character '/'");
        test::expectInputError([&] { createProject(dir() / "missing", "p", Task::fundus()); }, "does not exist");
        std::ofstream(dir() / "a-file") << "x";
        test::expectInputError([&] { createProject(dir(), "a-file", Task::fundus()); }, "is not a folder");
        QVERIFY(!fs::exists(dir() / "missing"));
    }

    void addOwnFoldersAsDomains() {
        Project p = createProject(dir(), "centres", Task::fundus());
        // A labeled folder (images/ + masks/) inside the project folder, a flat unlabeled one
        // outside it, an empty one, and the same folder twice.
        const fs::path inside = p.folder() / "data" / "centre";
        fs::create_directories(inside / "images");
        fs::create_directories(inside / "masks");
        const Image img = test::pattern2d(16, 12, 3, PixelType::UInt8, 255);
        LabelMap mask(img.geometry());
        writeImage(img, inside / "images" / "a.png");
        writeImage(img, inside / "images" / "b.png");
        writeLabelMap(mask, inside / "masks" / "a.png");
        const fs::path outside = dir() / "other" / "centre";
        fs::create_directories(outside);
        writeImage(img, outside / "c.png");
        fs::create_directories(dir() / "empty");

        const AddedDomain a = addDomainFolder(p, inside);
        QCOMPARE(a.domain.name, std::string("centre"));
        QCOMPARE(a.domain.role, std::string("labeled"));
        QCOMPARE(a.cases, std::size_t(2));
        QCOMPARE(a.labeled, std::size_t(1));
        QCOMPARE(a.domain.root, fs::path("data/centre"));  // relative: the project can move with its data
        const AddedDomain b = addDomainFolder(p, outside);
        QCOMPARE(b.domain.name, std::string("centre-2"));  // unique among the project's domains
        QCOMPARE(b.domain.role, std::string("unlabeled"));
        QVERIFY(b.domain.root.is_absolute());
        test::expectInputError([&] { addDomainFolder(p, inside / "."); }, "in the project already, as domain centre");
        test::expectInputError([&] { addDomainFolder(p, dir() / "empty"); }, "holds no image");
        test::expectInputError([&] { addDomainFolder(p, dir() / "nowhere"); }, "does not exist");
        QCOMPARE(p.domains.size(), std::size_t(2));
        p.save();
        const Project q = Project::load(p.file());
        QCOMPARE(q.scanDomains().at(0).cases.size(), std::size_t(2));
        QCOMPARE(q.scanDomains().at(1).cases.size(), std::size_t(1));
    }
};

QTEST_GUILESS_MAIN(TestProject)
#include "test_project.moc"
