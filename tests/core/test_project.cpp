// Project files: round trip, atomic saves, clear errors for corrupt or newer files.
#include <QtTest/QtTest>

#include <fstream>

#include <nlohmann/json.hpp>

#include "TestSupport.h"
#include "project/Project.h"
#include "util/Errors.h"
#include "util/Paths.h"

namespace fs = std::filesystem;
using namespace dacw;

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
};

QTEST_GUILESS_MAIN(TestProject)
#include "test_project.moc"
