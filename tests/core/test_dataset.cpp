// Domains: the layouts DAC Workbench recognises, and validation that lists every bad case
// without stopping the import.
#include <QtTest/QtTest>

#include <fstream>

#include <nlohmann/json.hpp>

#include "TestSupport.h"
#include "core/dataset/Domain.h"
#include "core/demo/DemoData.h"
#include "core/image/ImageIO.h"
#include "core/project/Project.h"
#include "core/util/Errors.h"

namespace fs = std::filesystem;
using namespace dacw;

namespace {
LabelMap disk(std::size_t w, std::size_t h, LabelMap::Value inner, LabelMap::Value outer) {
    Geometry g;
    g.size = {w, h, 1};
    LabelMap m(g);
    for (std::size_t y = 0; y < h; ++y)
        for (std::size_t x = 0; x < w; ++x) {
            double r = std::hypot(double(x) - w / 2.0, double(y) - h / 2.0);
            m.at(x, y) = r < w / 8.0 ? inner : r < w / 4.0 ? outer : 0;
        }
    return m;
}
void writeCase(const fs::path& images, const fs::path& masks, const std::string& stem, std::size_t w, std::size_t h) {
    writeImage(test::pattern2d(w, h, 3, PixelType::UInt8, 255), images / (stem + ".png"));
    if (!masks.empty()) writeLabelMap(disk(w, h, 2, 1), masks / (stem + ".png"));
}
bool hasIssue(const ValidationReport& r, CaseIssue::Kind k, const std::string& caseId) {
    for (const auto& i : r.issues)
        if (i.kind == k && i.caseId == caseId) return true;
    return false;
}
}  // namespace

class TestDataset : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    fs::path dir() const { return fs::path(tmp_.path().toStdString()); }

private Q_SLOTS:
    void imagesMasksLayout() {
        const fs::path d = dir() / "centre";
        writeCase(d / "images", d / "masks", "c1", 32, 32);
        writeCase(d / "images", d / "masks", "c2", 32, 32);
        writeCase(d / "images", {}, "c3", 32, 32);  // no mask
        { std::ofstream(d / "images" / "notes.txt") << "not an image"; }
        Domain dom = scanDomain(d);
        QCOMPARE(toString(dom.layout), toString(DomainLayout::ImagesMasks));
        QCOMPARE(dom.name, std::string("centre"));
        QCOMPARE(dom.cases.size(), std::size_t(3));
        QCOMPARE(dom.labeledCount(), std::size_t(2));
        QCOMPARE(dom.ignoredFiles.size(), std::size_t(1));
        ValidationReport r = validateDomain(dom, Task::fundus());
        QCOMPARE(r.valid, std::size_t(2));
        QVERIFY(hasIssue(r, CaseIssue::Kind::MissingMask, "c3"));
        QCOMPARE(r.issues.size(), std::size_t(1));
    }

    void badCasesAreListedNotThrown() {
        const fs::path d = dir() / "bad";
        writeCase(d / "images", d / "masks", "good", 32, 32);
        writeCase(d / "images", {}, "mismatch", 32, 32);
        writeLabelMap(disk(16, 16, 1, 1), d / "masks" / "mismatch.png");
        writeCase(d / "images", {}, "seven", 32, 32);
        writeLabelMap(disk(32, 32, 7, 1), d / "masks" / "seven.png");
        { std::ofstream(d / "images" / "broken.png") << "garbage bytes"; }
        writeLabelMap(disk(32, 32, 1, 1), d / "masks" / "orphan.png");
        Domain dom = scanDomain(d);
        ValidationReport r = validateDomain(dom, Task::fundus());
        QCOMPARE(r.cases, std::size_t(4));
        QCOMPARE(r.valid, std::size_t(1));
        QVERIFY(hasIssue(r, CaseIssue::Kind::SizeMismatch, "mismatch"));
        QVERIFY(hasIssue(r, CaseIssue::Kind::UnknownLabel, "seven"));
        QVERIFY(hasIssue(r, CaseIssue::Kind::Unreadable, "broken"));
        QVERIFY(hasIssue(r, CaseIssue::Kind::OrphanMask, "orphan"));
        for (const auto& i : r.issuesFor("seven")) QVERIFY(i.message.find("7") != std::string::npos);
        for (const auto& i : r.issuesFor("mismatch")) QVERIFY(i.message.find("16 x 16") != std::string::npos);
        // With the polyp task, label 2 is also unknown.
        ValidationReport rp = validateDomain(dom, Task::polyp());
        QVERIFY(hasIssue(rp, CaseIssue::Kind::UnknownLabel, "good"));
    }

    void emptyAndJunkFolders() {
        fs::create_directories(dir() / "empty");
        ValidationReport r = validateDomain(scanDomain(dir() / "empty"), Task::fundus());
        QCOMPARE(r.issues.size(), std::size_t(1));
        QCOMPARE(toString(r.issues[0].kind), toString(CaseIssue::Kind::EmptyFolder));
        fs::create_directories(dir() / "junk");
        { std::ofstream(dir() / "junk" / "a.txt") << "x"; std::ofstream(dir() / "junk" / "b.csv") << "y"; }
        ValidationReport j = validateDomain(scanDomain(dir() / "junk"), Task::fundus());
        QCOMPARE(j.issues.size(), std::size_t(1));
        QCOMPARE(toString(j.issues[0].kind), toString(CaseIssue::Kind::NotAnImage));
        QVERIFY_THROWS_EXCEPTION(InputError, scanDomain(dir() / "does-not-exist"));
    }

    void flatFolderIsUnlabeled() {
        const fs::path d = dir() / "flat";
        writeCase(d, {}, "u1", 20, 20);
        writeCase(d, {}, "u2", 20, 20);
        Domain dom = scanDomain(d);
        QCOMPARE(toString(dom.layout), toString(DomainLayout::Flat));
        QCOMPARE(dom.cases.size(), std::size_t(2));
        QCOMPARE(dom.labeledCount(), std::size_t(0));
        QVERIFY(validateDomain(dom, Task::fundus()).ok());  // unlabeled is not an error
    }

    void nnUNetLayout() {
        const fs::path d = dir() / "Dataset001_Polyp";
        fs::create_directories(d / "imagesTr");
        fs::create_directories(d / "labelsTr");
        for (const char* id : {"case_001", "case_002"}) {
            writeImage(test::pattern2d(24, 24, 3, PixelType::UInt8, 255), d / "imagesTr" / (std::string(id) + "_0000.png"));
            writeLabelMap(disk(24, 24, 1, 1), d / "labelsTr" / (std::string(id) + ".png"));
        }
        // A second channel file is part of case_001, not a case of its own.
        writeImage(test::pattern2d(24, 24, 1, PixelType::UInt8, 255), d / "imagesTr" / "case_001_0001.png");
        writeImage(test::pattern2d(24, 24, 3, PixelType::UInt8, 255), d / "imagesTr" / "case_003_0000.png");
        nlohmann::json j = {{"channel_names", {{"0", "RGB"}}}, {"labels", {{"background", 0}, {"polyp", 1}}},
                            {"numTraining", 2}, {"file_ending", ".png"}};
        std::ofstream(d / "dataset.json") << j.dump(2);
        Domain dom = scanDomain(d);
        QCOMPARE(toString(dom.layout), toString(DomainLayout::NnUNet));
        QCOMPARE(dom.cases.size(), std::size_t(3));
        QCOMPARE(dom.cases[0].id, std::string("case_001"));
        QCOMPARE(dom.labeledCount(), std::size_t(2));
        ValidationReport r = validateDomain(dom, Task::polyp());
        QVERIFY(hasIssue(r, CaseIssue::Kind::MissingMask, "case_003"));
        QCOMPARE(r.valid, std::size_t(2));
        { std::ofstream(d / "dataset.json") << "{ not json"; }
        QVERIFY_THROWS_EXCEPTION(InputError, scanDomain(d));
    }

    void fundusMultiDomainLayout() {
        const fs::path root = dir() / "Fundus";
        for (const char* dom : {"Domain1", "Domain2"})
            for (const char* split : {"train", "test"}) {
                const fs::path rois = root / dom / split / "ROIs";
                writeImage(test::pattern2d(32, 32, 3, PixelType::UInt8, 255), rois / "image" / "x1.png");
                // 255 background, 128 rim, 0 cup.
                Geometry g;
                g.size = {32, 32, 1};
                LabelMap enc(g, 255);
                for (std::size_t i = 0; i < enc.data().size(); ++i) {
                    double r = std::hypot(double(i % 32) - 16, double(i / 32) - 16);
                    enc.data()[i] = r < 4 ? 0 : r < 8 ? 128 : 255;
                }
                writeLabelMap(enc, rois / "mask" / "x1.png");
            }
        std::vector<Domain> doms = scanFundusMultiDomain(root);
        QCOMPARE(doms.size(), std::size_t(2));
        QCOMPARE(doms[0].name, std::string("Domain1"));
        QCOMPARE(toString(doms[0].layout), toString(DomainLayout::FundusMultiDomain));
        QCOMPARE(doms[0].cases.size(), std::size_t(2));
        QCOMPARE(doms[0].cases[0].id, std::string("train/x1"));
        QVERIFY(doms[0].cases[0].fundusMaskEncoding);
        LabelMap decoded = readCaseMask(doms[0].cases[0]);
        QCOMPARE(decoded.at(16, 16), LabelMap::Value(2));  // cup
        QCOMPARE(decoded.at(16, 22), LabelMap::Value(1));  // rim
        QCOMPARE(decoded.at(0, 0), LabelMap::Value(0));    // background
        QVERIFY(validateDomain(doms[1], Task::fundus()).ok());
        // A value outside 0/128/255 is reported, not silently mapped.
        LabelMap odd(decoded.geometry(), 255);
        odd.at(1, 1) = 77;
        writeLabelMap(odd, root / "Domain2" / "test" / "ROIs" / "mask" / "x1.png");
        ValidationReport r = validateDomain(scanDomain(root / "Domain2"), Task::fundus());
        QVERIFY(hasIssue(r, CaseIssue::Kind::Unreadable, "test/x1"));
    }

    void demoIsDeterministicAndValid() {
        DemoOptions opt;
        opt.fundusPerCentre = 3;
        opt.polypPerCentre = 2;
        opt.mriSubjectsPerCentre = 1;
        generateDemo(dir() / "demo1", opt);
        generateDemo(dir() / "demo2", opt);
        auto read = [](const fs::path& p) {
            std::ifstream in(p, std::ios::binary);
            return std::string((std::istreambuf_iterator<char>(in)), {});
        };
        int compared = 0;
        for (auto& e : fs::recursive_directory_iterator(dir() / "demo1")) {
            if (e.path().extension() != ".png") continue;
            QVERIFY(read(e.path()) == read(dir() / "demo2" / fs::relative(e.path(), dir() / "demo1")));
            ++compared;
        }
        QCOMPARE(compared, 3 * (3 + 3 + 2 + 2));
        Image v1 = readImage(dir() / "demo1" / "mri" / "centre-b" / "images" / "sub-b01.nii.gz");
        Image v2 = readImage(dir() / "demo2" / "mri" / "centre-b" / "images" / "sub-b01.nii.gz");
        QVERIFY(v1.data() == v2.data());
        QCOMPARE(v1.geometry().dimension, 3);
        // A different seed gives different images.
        opt.seed = 99;
        generateDemo(dir() / "demo3", opt);
        QVERIFY(read(dir() / "demo1/fundus/centre-a/images/fundus_a001.png") != read(dir() / "demo3/fundus/centre-a/images/fundus_a001.png"));

        Project p = Project::load(dir() / "demo1" / "demo.dacproj");
        QCOMPARE(p.domains.size(), std::size_t(3));
        for (const Domain& d : p.scanDomains()) {
            ValidationReport r = validateDomain(d, p.task);
            QVERIFY2(r.ok(), d.name.c_str());
            QCOMPARE(r.labeled, std::size_t(3));
        }
        // Both labels appear, and the centres differ visibly (mean colour).
        LabelMap m = readLabelMap(dir() / "demo1/fundus/centre-a/masks/fundus_a001.png");
        QCOMPARE(m.values(), (std::vector<LabelMap::Value>{0, 1, 2}));
        auto meanGreen = [&](const char* c, const char* f) {
            Image img = readImage(dir() / "demo1" / "fundus" / c / "images" / f);
            double s = 0;
            for (std::size_t i = 0; i < img.geometry().voxelCount(); ++i) s += img.data()[i * 3 + 1];
            return s / double(img.geometry().voxelCount());
        };
        QVERIFY(std::abs(meanGreen("centre-a", "fundus_a001.png") - meanGreen("centre-b", "fundus_b001.png")) > 5);
        for (const char* proj : {"polyp.dacproj", "mri.dacproj"})
            for (const Domain& d : Project::load(dir() / "demo1" / proj).scanDomains())
                QVERIFY(validateDomain(d, Project::load(dir() / "demo1" / proj).task).ok());
    }
};

QTEST_GUILESS_MAIN(TestDataset)
#include "test_dataset.moc"
