// The toolkit-free models behind starting from one's own files: the recent-projects order, what a
// dropped path is, and the recovery store for labels painted on loose images.
#include <QtTest>

#include <QTemporaryDir>
#include <fstream>

#include "core/image/ImageIO.h"
#include "ui/model/DroppedPath.h"
#include "ui/model/LabelRecovery.h"
#include "ui/model/RecentProjects.h"

using namespace dacw;
namespace fs = std::filesystem;

namespace {
void touch(const fs::path& p, const std::string& text = "x") {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}
LabelMap smallLabels(std::uint8_t v) {
    Geometry g;
    g.dimension = 2;
    g.size = {5, 4, 1};
    LabelMap m(g);
    m.at(2, 1, 0) = v;
    return m;
}
}  // namespace

class TestFileModels : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    fs::path dir() const { return fs::path(tmp_.path().toStdString()); }

private Q_SLOTS:
    void recentProjectsOrder() {
        for (int i = 0; i < 10; ++i) touch(dir() / ("p" + std::to_string(i)) / "x.dacproj");
        RecentProjects r;
        for (int i = 0; i < 10; ++i) r.add((dir() / ("p" + std::to_string(i)) / "x.dacproj").string());
        QCOMPARE(r.all().size(), RecentProjects::kMax);
        QCOMPARE(r.all().front(), (dir() / "p9" / "x.dacproj").string());
        // The same project under another spelling moves to the front instead of appearing twice.
        r.add((dir() / "p9" / ".." / "p5" / "x.dacproj").string());
        QCOMPARE(r.all().front(), (dir() / "p5" / "x.dacproj").string());
        QCOMPARE(r.all().size(), RecentProjects::kMax);
        QCOMPARE(std::count(r.all().begin(), r.all().end(), (dir() / "p5" / "x.dacproj").string()), 1L);
        // A project that has gone is not offered, but stays listed.
        fs::remove_all(dir() / "p5");
        QCOMPARE(r.existing().size(), RecentProjects::kMax - 1);
        QCOMPARE(r.all().size(), RecentProjects::kMax);
        // Reloaded from the stored list: same order.
        RecentProjects again(r.all());
        QCOMPARE(again.all(), r.all());
        again.remove(r.all().front());
        QCOMPARE(again.all().size(), RecentProjects::kMax - 1);
    }

    void droppedPaths() {
        touch(dir() / "drop" / "study.dacproj", "{}");
        touch(dir() / "drop" / "photo.PNG");
        touch(dir() / "drop" / "notes.txt");
        touch(dir() / "drop" / "centre" / "images" / "a.png");
        touch(dir() / "drop" / "flat" / "a.jpg");
        // DICOM recognised by name, and by the DICM mark without any extension.
        touch(dir() / "drop" / "series" / "IM0001.dcm");
        std::string header(128, '\0');
        header += "DICM";
        touch(dir() / "drop" / "bare" / "IM0001", header);
        QCOMPARE(classifyDropped(dir() / "drop" / "study.dacproj").kind, DroppedKind::Project);
        QCOMPARE(classifyDropped(dir() / "drop" / "photo.PNG").kind, DroppedKind::Image);
        QCOMPARE(classifyDropped(dir() / "drop" / "centre").kind, DroppedKind::DomainFolder);
        QCOMPARE(classifyDropped(dir() / "drop" / "flat").kind, DroppedKind::DomainFolder);
        QCOMPARE(classifyDropped(dir() / "drop" / "series").kind, DroppedKind::DicomFolder);
        QCOMPARE(classifyDropped(dir() / "drop" / "bare").kind, DroppedKind::DicomFolder);
        const DroppedPath txt = classifyDropped(dir() / "drop" / "notes.txt");
        QCOMPARE(txt.kind, DroppedKind::Unsupported);
        QVERIFY2(txt.reason.find("notes.txt is neither") != std::string::npos, txt.reason.c_str());
        QCOMPARE(classifyDropped(dir() / "drop" / "gone").kind, DroppedKind::Unsupported);
    }

    void recoveryStore() {
        LabelRecovery store(dir() / "recovery");
        QVERIFY(store.entries().empty());  // no folder yet: nothing to offer, no error
        const fs::path a = dir() / "images" / "a.png", b = dir() / "other" / "a.png";
        QVERIFY(store.folderFor(a) != store.folderFor(b));  // same name, other image
        QCOMPARE(store.saveJob(a, smallLabels(1))(), std::string());
        QCOMPARE(store.saveJob(b, smallLabels(2))(), std::string());
        QCOMPARE(store.saveJob(a, smallLabels(3))(), std::string());  // replaces a's entry
        const auto entries = store.entries();
        QCOMPARE(entries.size(), std::size_t(2));
        bool sawA = false;
        for (const auto& e : entries)
            if (e.image == fs::weakly_canonical(a)) {
                sawA = true;
                QCOMPARE(int(readLabelMap(e.labels).at(2, 1, 0)), 3);
            }
        QVERIFY(sawA);
        // A half-written entry (the labels without the source file) is not offered.
        fs::remove(store.folderFor(b) / "source.txt");
        QCOMPARE(store.entries().size(), std::size_t(1));
        // A second workbench running meanwhile does not see the first one's live entry (it holds
        // the claim); once the first gives the claim up (it exits or crashes), the entry is offered.
        QVERIFY(store.claimed(a));
        {
            LabelRecovery other(dir() / "recovery");
            QVERIFY(other.entries().empty());
            auto* held = new LabelRecovery(store);  // a copy shares the claims
            store = LabelRecovery(dir() / "recovery");
            QVERIFY(other.entries().empty());
            delete held;  // the last holder of the claims is gone, as when the process ends
            QCOMPARE(other.entries().size(), std::size_t(1));
            QCOMPARE(store.entries().size(), std::size_t(1));
        }
        store.discard(a);
        QVERIFY(store.entries().empty());
        // A recovery folder that cannot be created is reported by the job, not thrown.
        touch(dir() / "blocked");
        LabelRecovery blocked(dir() / "blocked" / "recovery");
        const std::string why = blocked.saveJob(a, smallLabels(1))();
        QVERIFY2(why.find("recovery folder") != std::string::npos, why.c_str());
    }
};

QTEST_GUILESS_MAIN(TestFileModels)
#include "tst_filemodels.moc"
