// Image and label-map I/O through ITK: every writable format round-trips, label maps keep their
// geometry, and bad files give a clear InputError (never a crash, never a huge allocation).
#include <QtTest/QtTest>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>
#include <new>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <tuple>
#include <vector>

#include "DamagedFiles.h"
#include "TestSupport.h"
#include "core/image/FileChecks.h"
#include "core/image/ImageIO.h"
#include "core/util/Errors.h"

namespace fs = std::filesystem;
using namespace dacw;
using namespace dacw::test;

class TestImageIO : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    fs::path dir() const { return fs::path(tmp_.path().toStdString()); }


private Q_SLOTS:
    void roundTrip_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("components");
        QTest::addColumn<int>("type");
        QTest::addColumn<bool>("lossy");
        const int u8 = int(PixelType::UInt8), u16 = int(PixelType::UInt16), i16 = int(PixelType::Int16),
                  f32 = int(PixelType::Float32);
        QTest::newRow("png gray8") << "a.png" << 1 << u8 << false;
        QTest::newRow("png gray16") << "b.png" << 1 << u16 << false;
        QTest::newRow("png rgb") << "c.png" << 3 << u8 << false;
        QTest::newRow("png rgba") << "d.png" << 4 << u8 << false;
        QTest::newRow("tiff gray8") << "e.tif" << 1 << u8 << false;
        QTest::newRow("tiff gray16") << "f.tiff" << 1 << u16 << false;
        QTest::newRow("tiff rgb8") << "g.tif" << 3 << u8 << false;
        QTest::newRow("tiff rgb16") << "h.tif" << 3 << u16 << false;
        QTest::newRow("tiff rgba") << "i.tif" << 4 << u8 << false;
        QTest::newRow("bmp gray") << "j.bmp" << 1 << u8 << false;
        QTest::newRow("bmp rgb") << "k.bmp" << 3 << u8 << false;
        QTest::newRow("jpeg rgb") << "l.jpg" << 3 << u8 << true;
        QTest::newRow("nifti int16") << "m.nii" << 1 << i16 << false;
        QTest::newRow("nifti.gz float") << "n.nii.gz" << 1 << f32 << false;
        QTest::newRow("metaimage") << "o.mha" << 1 << i16 << false;
        QTest::newRow("metaimage mhd") << "p.mhd" << 1 << u16 << false;
        QTest::newRow("nrrd") << "q.nrrd" << 1 << i16 << false;
    }
    void roundTrip() {
        QFETCH(QString, name);
        QFETCH(int, components);
        QFETCH(int, type);
        QFETCH(bool, lossy);
        const auto t = PixelType(type);
        const float maxValue = t == PixelType::UInt8 ? 255.f : 4000.f;
        Image img = test::pattern2d(37, 23, components, t, maxValue);
        const fs::path file = dir() / name.toStdString();
        writeImage(img, file);
        ImageInfo info = readImageInfo(file);
        QCOMPARE(info.geometry.size[0], std::size_t(37));
        QCOMPARE(info.geometry.size[1], std::size_t(23));
        // ITK writes gray BMPs with a palette and reads them back as RGB.
        const bool paletteBmp = name.endsWith(".bmp") && components == 1;
        QCOMPARE(info.components, paletteBmp ? 3 : components);
        if (!lossy) QCOMPARE(int(info.pixelType), type);
        Image back = readImage(file);
        QCOMPARE(back.components(), paletteBmp ? 3 : components);
        const int stride = back.components();
        double maxErr = 0, sumErr = 0;
        for (std::size_t i = 0; i < img.geometry().voxelCount(); ++i)
            for (int c = 0; c < components; ++c) {
                double e = std::abs(back.data()[i * stride + c] - img.data()[i * components + c]);
                maxErr = std::max(maxErr, e);
                sumErr += e;
            }
        if (lossy) QVERIFY2(sumErr / double(img.data().size()) < 12, qPrintable(QString::number(sumErr / double(img.data().size()))));
        else QCOMPARE(maxErr, 0.0);
    }

    void volumeGeometryRoundTrip() {
        Geometry g;
        g.dimension = 3;
        g.size = {9, 7, 5};
        g.spacing = {0.5, 0.75, 3.0};
        g.origin = {-10.5, 4.25, 7.0};
        const double c = std::cos(0.3), s = std::sin(0.3);
        g.direction = {1, 0, 0, 0, c, -s, 0, s, c};
        Image img(g, 1, PixelType::Int16);
        for (std::size_t i = 0; i < img.data().size(); ++i) img.data()[i] = float(int(i % 300) - 100);
        for (const char* name : {"v.nii.gz", "v.mha", "v.nrrd"}) {
            writeImage(img, dir() / name);
            Image back = readImage(dir() / name);
            QVERIFY2(back.geometry().sameGrid(g), name);
            QCOMPARE(back.geometry().dimension, 3);
            QVERIFY(back.data() == img.data());
        }
    }

    void labelMapRoundTrip() {
        Geometry g;
        g.dimension = 3;
        g.size = {16, 12, 4};
        g.spacing = {0.5, 0.5, 7.5};
        g.origin = {1, 2, 3};
        LabelMap lab(g);
        for (std::size_t z = 0; z < 4; ++z)
            for (std::size_t y = 0; y < 12; ++y)
                for (std::size_t x = 0; x < 16; ++x) lab.at(x, y, z) = LabelMap::Value((x + y + z) % 3);
        writeLabelMap(lab, dir() / "lab.nii.gz");
        LabelMap back = readLabelMap(dir() / "lab.nii.gz");
        QVERIFY(back == lab);
        // No temporary file is left beside it.
        int files = 0;
        for (auto& e : fs::directory_iterator(dir())) files += e.path().filename().string().find(".tmp") != std::string::npos;
        QCOMPARE(files, 0);

        Geometry g2;
        g2.size = {20, 10, 1};
        LabelMap flat(g2);
        flat.at(3, 4) = 2;
        flat.at(19, 9) = 1;
        writeLabelMap(flat, dir() / "lab.png");
        LabelMap back2 = readLabelMap(dir() / "lab.png");
        QVERIFY(back2 == flat);
        QCOMPARE(back2.values(), (std::vector<LabelMap::Value>{0, 1, 2}));
        test::expectInputError([&] { writeLabelMap(lab, dir() / "vol.png"); }, "cannot be written as .png");
    }

    void badInputCorpus() {
        const fs::path d = dir() / "bad";
        fs::create_directories(d);
        test::expectInputError([&] { readImage(d / "missing.png"); }, "not found");
        { std::ofstream(d / "zero.png"); }
        test::expectInputError([&] { readImage(d / "zero.png"); }, "empty (0 bytes)");
        // Truncated PNG: a valid file cut in half.
        writeImage(test::pattern2d(64, 64, 3, PixelType::UInt8, 255), d / "full.png");
        {
            std::ifstream in(d / "full.png", std::ios::binary);
            std::string bytes((std::istreambuf_iterator<char>(in)), {});
            std::ofstream(d / "truncated.png", std::ios::binary).write(bytes.data(), long(bytes.size() / 2));
        }
        test::expectInputError([&] { readImage(d / "truncated.png"); }, "truncated.png");
        // Cut inside the header chunks: libpng would abort the process if it saw this.
        writeImage(test::pattern2d(32, 32, 1, PixelType::UInt8, 255), d / "small.png");
        for (long cut : {10L, 20L, 33L, 40L}) {
            std::ifstream in(d / "small.png", std::ios::binary);
            std::string bytes((std::istreambuf_iterator<char>(in)), {});
            std::ofstream(d / "cut.png", std::ios::binary | std::ios::trunc).write(bytes.data(), std::min<long>(cut, long(bytes.size() / 2)));
            test::expectInputError([&] { readImageInfo(d / "cut.png"); }, "cut.png");
        }
        // A truncated JPEG.
        writeImage(test::pattern2d(64, 64, 3, PixelType::UInt8, 255), d / "full.jpg");
        {
            std::ifstream in(d / "full.jpg", std::ios::binary);
            std::string bytes((std::istreambuf_iterator<char>(in)), {});
            for (long cut : {4L, 100L, long(bytes.size() / 2)}) {
                std::ofstream(d / "cut.jpg", std::ios::binary | std::ios::trunc).write(bytes.data(), cut);
                test::expectInputError([&] { readImage(d / "cut.jpg"); }, "cut.jpg");
            }
        }
        { std::ofstream(d / "text.nii.gz") << "this is a text file, not a NIfTI volume\n"; }
        test::expectInputError([&] { readImage(d / "text.nii.gz"); }, "not an image in a format");
        test::expectInputError([&] { readImage(d); }, "is a folder");
    }

    void damagedPngChunks() {
        // Each of these made libpng abort the process inside ITK's reader.
        const fs::path d = dir() / "png";
        fs::create_directories(d);
        writeImage(test::pattern2d(16, 16, 1, PixelType::UInt8, 255), d / "good.png");
        const std::string good = slurp(d / "good.png");
        const std::size_t ihdr = pngChunk(good, "IHDR"), idat = pngChunk(good, "IDAT");
        QCOMPARE(ihdr, std::size_t(8));
        QVERIFY(idat != std::string::npos);
        struct Case {
            const char* name;
            std::function<void(std::string&)> damage;
            const char* message;
        };
        const std::vector<Case> cases = {
            {"idat byte flipped", [&](std::string& s) { s[idat + 10] ^= 0x40; }, "CRC"},
            {"ihdr crc flipped", [&](std::string& s) { s[ihdr + 8 + 13] ^= 0x01; }, "CRC"},
            {"width 0", [&](std::string& s) { putBe32(s, ihdr + 8, 0); fixPngCrc(s, ihdr); }, "width"},
            {"height 2^31", [&](std::string& s) { putBe32(s, ihdr + 12, 0x80000000u); fixPngCrc(s, ihdr); }, "height"},
            {"bit depth 3", [&](std::string& s) { s[ihdr + 16] = 3; fixPngCrc(s, ihdr); }, "bit depth"},
            {"rgb at 4 bits",
             [&](std::string& s) {
                 s[ihdr + 16] = 4;
                 s[ihdr + 17] = 2;
                 fixPngCrc(s, ihdr);
             },
             "bit depth"},
            {"colour type 5", [&](std::string& s) { s[ihdr + 17] = 5; fixPngCrc(s, ihdr); }, "colour type"},
            {"compression 1", [&](std::string& s) { s[ihdr + 18] = 1; fixPngCrc(s, ihdr); }, "compression"},
            {"filter 1", [&](std::string& s) { s[ihdr + 19] = 1; fixPngCrc(s, ihdr); }, "filter"},
            {"interlace 2", [&](std::string& s) { s[ihdr + 20] = 2; fixPngCrc(s, ihdr); }, "interlace"},
            {"palette without PLTE", [&](std::string& s) { s[ihdr + 17] = 3; fixPngCrc(s, ihdr); }, "PLTE"},
            {"no IEND", [&](std::string& s) { s.resize(pngChunk(s, "IEND")); }, "IEND"},
            {"no IDAT", [&](std::string& s) { s.erase(idat, pngChunk(s, "IEND") - idat); }, "image data"},
            {"image data cut, CRC forged",
             [&](std::string& s) {
                 // A valid chunk around a deflate stream cut short: libpng runs out of image data.
                 const std::size_t len = s.find("IEND") - 4 - idat - 12;
                 s.erase(idat + 8 + len / 2, len - len / 2);
                 putBe32(s, idat, std::uint32_t(len / 2));
                 fixPngCrc(s, idat);
             },
             "image data"},
            {"unknown critical chunk",
             [&](std::string& s) {
                 std::string chunk("\0\0\0\0QQQQ\0\0\0\0", 12);
                 s.insert(idat, chunk);
                 fixPngCrc(s, idat);
             },
             "QQQQ"},
        };
        for (const Case& c : cases) {
            std::string bytes = good;
            c.damage(bytes);
            spit(d / "bad.png", bytes);
            inChild(c.name, [&] { test::expectInputError([&] { readImage(d / "bad.png"); }, c.message); });
        }
        // Forging the CRCs back, the checks have nothing to object to.
        std::string same = good;
        fixPngCrc(same, ihdr);
        spit(d / "same.png", same);
        QVERIFY(readImage(d / "same.png").data() == readImage(d / "good.png").data());
    }

    void truncatedDicom() {
        // GDCM hit an assertion (aborting the process) on a file that ends at or just after "DICM".
        const fs::path d = dir() / "dicom";
        fs::create_directories(d);
        writeImage(test::pattern2d(16, 16, 1, PixelType::Int16, 1000), d / "good.dcm");
        const std::string good = slurp(d / "good.dcm");
        QVERIFY(good.size() > 200 && good.compare(128, 4, "DICM") == 0);
        QCOMPARE(readImage(d / "good.dcm").width(), std::size_t(16));
        for (std::size_t cut : {132, 133, 136, 140, 143, 144, 150, 160, 200}) {
            spit(d / "cut.dcm", good.substr(0, cut));
            inChild(QString("DICOM cut at %1").arg(cut),
                    [&] { test::expectInputError([&] { readImage(d / "cut.dcm"); }, "cut.dcm"); });
        }
        // Opening a folder as a series parses every file in it: a cut one must not take the process down.
        fs::create_directories(d / "series");
        fs::copy_file(d / "good.dcm", d / "series" / "a.dcm");
        spit(d / "series" / "b.dcm", good.substr(0, good.size() - 100));
        inChild("DICOM series with a cut file",
                [&] { test::expectInputError([&] { readImageOrSeries(d / "series"); }, "b.dcm"); });
        fs::remove(d / "series" / "b.dcm");
        QCOMPARE(readImageOrSeries(d / "series").width(), std::size_t(16));
        // Zero padding after the data set (some scanners and converters pad files to a block
        // size; one of the shared real series does) is not damage: the file reads as without it.
        // Of odd length GDCM finds no image in it: refused, saying why.
        spit(d / "padded.dcm", good + std::string(4096, '\0'));
        inChild("DICOM with trailing zero padding", [&] {
            QVERIFY(readImage(d / "padded.dcm").data() == readImage(d / "good.dcm").data());
        });
        spit(d / "odd-padding.dcm", good + std::string(4101, '\0'));
        inChild("DICOM with odd zero padding", [&] {
            test::expectInputError([&] { readImage(d / "odd-padding.dcm"); }, "4101 zero bytes");
        });
        // Long padding (1 MiB) is read through a copy without it (GDCM parses every 8 zero bytes
        // as an element, seconds per megabyte): the same voxels, alone and as a series, the
        // series lists the file itself, and the copies go when the reading is done.
        spit(d / "long-padding.dcm", good + std::string(1 << 20, '\0'));
        const auto temporaryFolders = [] {
            int n = 0;
            for (const auto& e : fs::directory_iterator(fs::temp_directory_path()))
                n += e.path().filename().string().rfind("dacw-dicom-", 0) == 0;
            return n;
        };
        const int before = temporaryFolders();
        {
            UnpaddedDicom unpadded;
            QCOMPARE(unpadded.readable(d / "good.dcm"), d / "good.dcm");
            QCOMPARE(unpadded.readable(d / "padded.dcm"), d / "padded.dcm");  // 4 KiB: read as it is
            const fs::path copy = unpadded.readable(d / "long-padding.dcm");
            QVERIFY(copy != d / "long-padding.dcm");
            QCOMPARE(unpadded.copies(), 1);
            QCOMPARE(slurp(copy), good);
            QCOMPARE(temporaryFolders(), before + 1);
            // A decoder's message about the copy names the user's file instead.
            const std::string said = unpadded.originalNames("GDCM: " + copy.string() + " and again " + copy.string() + ".");
            QCOMPARE(said,
                     "GDCM: " + (d / "long-padding.dcm").string() + " and again " + (d / "long-padding.dcm").string() + ".");
            QCOMPARE(unpadded.originalNames("no path here"), std::string("no path here"));
        }
        QCOMPARE(temporaryFolders(), before);
        QVERIFY(readImage(d / "long-padding.dcm").data() == readImage(d / "good.dcm").data());
        QCOMPARE(readImageInfo(d / "long-padding.dcm").geometry.size[0], std::size_t(16));
        fs::create_directories(d / "padded-series");
        fs::copy_file(d / "long-padding.dcm", d / "padded-series" / "p.dcm");
        const auto series = listDicomSeries(d / "padded-series");
        QCOMPARE(series.size(), std::size_t(1));
        QCOMPARE(series[0].files, std::vector<fs::path>{d / "padded-series" / "p.dcm"});
        QVERIFY(readDicomSeries(d / "padded-series").data() == readImage(d / "good.dcm").data());
        QCOMPARE(temporaryFolders(), before);
    }

    void shortVoxelPayload() {
        // These opened "successfully" with the missing voxels filled in: a silently wrong volume.
        const fs::path d = dir() / "short";
        fs::create_directories(d);
        Geometry g;
        g.dimension = 3;
        g.size = {8, 8, 4};
        Image img(g, 1, PixelType::Int16);
        for (std::size_t i = 0; i < img.data().size(); ++i) img.data()[i] = float(int(i % 97) + 1);
        writeImage(img, d / "v.nii");
        const std::string nii = slurp(d / "v.nii");
        QCOMPARE(nii.size(), std::size_t(352 + 8 * 8 * 4 * 2));
        for (std::size_t cut : {nii.size() - 1, nii.size() - 2, nii.size() / 2, std::size_t(353)}) {
            spit(d / "cut.nii", nii.substr(0, cut));
            test::expectInputError([&] { readImage(d / "cut.nii"); }, "is truncated: its header declares 512 bytes");
        }
        writeImage(img, d / "v.nii.gz");
        const std::string gz = slurp(d / "v.nii.gz");
        // Cut in half, and cut inside the 8-byte gzip trailer (every voxel there, the CRC lost).
        for (std::size_t cut : {gz.size() / 2, gz.size() - 1, gz.size() - 4, gz.size() - 8}) {
            spit(d / "cut.nii.gz", gz.substr(0, cut));
            test::expectInputError([&] { readImage(d / "cut.nii.gz"); }, "cut.nii.gz is truncated");
        }
        // A damaged gzip stream is not a volume either.
        std::string flipped = gz;
        flipped[gz.size() - 6] ^= 0x10;
        spit(d / "bad.nii.gz", flipped);
        test::expectInputError([&] { readImage(d / "bad.nii.gz"); }, "bad.nii.gz");
        // MetaImage and NRRD with raw inline data, written by hand: short by one voxel.
        std::string raw(8 * 8 * 4 * 2 - 2, '\x01');
        spit(d / "short.mha", "ObjectType = Image\nNDims = 3\nDimSize = 8 8 4\nElementType = MET_SHORT\n"
                              "ElementDataFile = LOCAL\n" + raw);
        test::expectInputError([&] { readImage(d / "short.mha"); }, "short.mha");
        spit(d / "short.nrrd",
             "NRRD0004\ntype: short\ndimension: 3\nsizes: 8 8 4\nencoding: raw\nendian: little\n\n" + raw);
        test::expectInputError([&] { readImage(d / "short.nrrd"); }, "short.nrrd");
        // The complete hand-written files read.
        spit(d / "full.mha", "ObjectType = Image\nNDims = 3\nDimSize = 8 8 4\nElementType = MET_SHORT\n"
                             "ElementDataFile = LOCAL\n" + raw + "\x01\x01");
        QCOMPARE(readImage(d / "full.mha").data()[255], float(0x0101));
        // A header whose data file is missing (an .mhd copied without its .raw): MetaIO reported
        // it without end for compressed data (a fuzzing timeout); both are refused, naming it.
        for (const char* compressed : {"False", "True"}) {
            spit(d / "alone.mhd", std::string("ObjectType = Image\nNDims = 2\nDimSize = 4 4\nElementType = MET_UCHAR\n"
                                              "CompressedData = ") + compressed + "\nElementDataFile = alone.raw\n");
            test::expectInputError([&] { readImageInfo(d / "alone.mhd"); }, "alone.raw (ElementDataFile) is missing");
            test::expectInputError([&] { readImage(d / "alone.mhd"); }, "alone.raw (ElementDataFile) is missing");
        }
        // One file per slice by a pattern, "FORMAT MIN MAX STEP": MetaIO looped forever on a STEP
        // of 0 (found as a fuzzing timeout) and formats FORMAT with sprintf. A good one reads.
        spit(d / "s0.raw", std::string(16, '\x03'));
        spit(d / "s2.raw", std::string(16, '\x05'));
        const auto pattern = [&](const std::string& p) {
            spit(d / "slices.mhd", "ObjectType = Image\nNDims = 3\nDimSize = 4 4 2\nElementType = MET_UCHAR\n"
                                   "ElementDataFile = " + p + "\n");
        };
        pattern("s%d.raw 0 2 2");
        const Image slices = readImage(d / "slices.mhd");
        QCOMPARE(slices.data().front(), 3.0f);
        QCOMPARE(slices.data().back(), 5.0f);
        for (const auto& [p, message] : std::vector<std::pair<const char*, const char*>>{
                 {"s%d.raw 0 2 0", "STEP of at least 1"},
                 {"s%d.raw 0 2", "is not FORMAT MIN MAX STEP"},
                 {"s%s.raw 0 2 2", "other than %d"},
                 {"s%d%d.raw 0 2 2", "exactly one %d"},
                 {"s%d.raw 0 4 2", "3 slice files for 2 slices"},
                 {"s%d.raw 0 1 1", "s1.raw, which is missing"}}) {
            pattern(p);
            test::expectInputError([&] { readImage(d / "slices.mhd"); }, message);
        }
        fs::copy_file(fs::path(DACW_SOURCE_DIR) / "tests" / "data" / "fuzz" / "metaimage-pattern-step.mha", d / "found.mha");
        test::expectInputError([&] { readImage(d / "found.mha"); }, "is not FORMAT MIN MAX STEP");
        // A list of data files, "LIST [ND]" and one name per line: MetaIO takes any value starting
        // with LIST for one and crashed on damaged lists (fuzz_metaimage). Good lists read.
        const auto list = [&](const std::string& value, const std::string& names) {
            spit(d / "list.mhd", "ObjectType = Image\nNDims = 3\nDimSize = 4 4 2\nElementType = MET_UCHAR\n"
                                 "ElementDataFile = " + value + "\n" + names);
        };
        for (const char* value : {"LIST", "LIST 2D"}) {
            list(value, "s0.raw\ns2.raw\n");
            const Image listed = readImage(d / "list.mhd");
            QCOMPARE(listed.data().front(), 3.0f);
            QCOMPARE(listed.data().back(), 5.0f);
        }
        for (const auto& [value, names, message] : std::vector<std::tuple<const char*, const char*, const char*>>{
                 {"LISTLOCAL", "s0.raw\ns2.raw\n", "is not LIST or LIST ND"},
                 {"LIST 5D", "s0.raw\ns2.raw\n", "blocks of 5 dimensions"},
                 {"LIST", "s0.raw\n", "names fewer files than the 2"},
                 {"LIST", "s0.raw\nnope.raw\n", "nope.raw, which is missing"}}) {
            list(value, names);
            test::expectInputError([&] { readImage(d / "list.mhd"); }, message);
        }
        for (const char* name : {"metaimage-list-1.mha", "metaimage-list-2.mha"}) {
            fs::copy_file(fs::path(DACW_SOURCE_DIR) / "tests" / "data" / "fuzz" / name, d / name);
            test::expectInputError([&] { readImage(d / name); }, "its list of data files");
        }
    }

    void streamsCutAnywhere() {
        // Every format, cut at every header byte and at a stride through the payload: each cut is
        // refused with an InputError, or, when the whole payload is still there, reads back equal.
        const fs::path d = dir() / "cuts";
        fs::create_directories(d);
        Geometry g;
        g.dimension = 3;
        g.size = {8, 8, 4};
        Image vol(g, 1, PixelType::Int16);
        for (std::size_t i = 0; i < vol.data().size(); ++i) vol.data()[i] = float(int(i * 37 % 1000) - 300);
        Image volF = vol;
        volF.setOriginalPixelType(PixelType::Float32);
        struct Family {
            const char* name;
            Image image;
        };
        const std::vector<Family> families = {
            {"png", test::pattern2d(16, 16, 3, PixelType::UInt8, 255)},
            {"jpg", test::pattern2d(16, 16, 3, PixelType::UInt8, 255)},
            {"bmp", test::pattern2d(16, 16, 3, PixelType::UInt8, 255)},
            {"tif", test::pattern2d(16, 16, 1, PixelType::UInt16, 4000)},
            {"nii", vol},
            {"nii.gz", volF},
            {"mha", vol},
            {"nrrd", vol},
            {"dcm", test::pattern2d(16, 16, 1, PixelType::Int16, 1000)},
        };
        QStringList problems;
        for (const Family& f : families) {
            const fs::path full = d / (std::string("full.") + f.name);
            const fs::path cut = d / (std::string("cut.") + f.name);
            writeImage(f.image, full);
            const Image reference = readImage(full);  // lossy JPEG and palette BMP: compare with the decoded file
            const std::string bytes = slurp(full);
            std::vector<std::size_t> cuts;
            const std::size_t header = std::min<std::size_t>(bytes.size(), 400);
            for (std::size_t n = 1; n < header; ++n) cuts.push_back(n);
            for (std::size_t n = header; n < bytes.size(); n += 7) cuts.push_back(n);
            for (std::size_t n = bytes.size() > 16 ? bytes.size() - 16 : 1; n < bytes.size(); ++n)
                if (cuts.back() < n) cuts.push_back(n);
            const QString problem = runInChild([&](ChildState& state) {
                int refused = 0, equal = 0;
                for (std::size_t n : cuts) {
                    state.where = long(n);
                    spit(cut, bytes.substr(0, n));
                    const QString at = QString("cut at %1 of %2 bytes").arg(n).arg(bytes.size());
                    try {
                        const Image back = readImage(cut);
                        if (!back.geometry().sameSize(reference.geometry()) ||
                            back.components() != reference.components() || back.data() != reference.data())
                            return state.fail(at + ": read without error as a different image");
                        ++equal;
                    } catch (const InputError&) {
                        ++refused;
                    } catch (const std::exception& e) {
                        return state.fail(at + ": not an InputError: " + e.what());
                    } catch (...) {
                        return state.fail(at + ": an exception of unknown type");
                    }
                }
                qInfo("%s: %zu bytes, %zu cut points, %d refused, %d read back equal", f.name, bytes.size(),
                      cuts.size(), refused, equal);
            });
            if (!problem.isEmpty()) problems << QString(f.name) + ": " + problem;
        }
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join("\n")));
    }

    void hugeHeaderRefusedBeforeAllocation() {
        const fs::path d = dir() / "huge";
        fs::create_directories(d);
        {
            std::ofstream h(d / "huge.mhd");
            h << "ObjectType = Image\nNDims = 3\nDimSize = 100000 100000 1000\nElementType = MET_UCHAR\n"
                 "ElementDataFile = huge.raw\n";
            std::ofstream(d / "huge.raw") << "x";
        }
        test::expectInputError([&] { readImageInfo(d / "huge.mhd"); }, "100000 x 100000 x 1000");
        test::expectInputError([&] { readImage(d / "huge.mhd"); }, "over the limit");
        // A NIfTI header patched to claim 30000 x 30000 x 1000 voxels.
        Geometry g;
        g.dimension = 3;
        g.size = {4, 4, 2};
        writeImage(Image(g, 1, PixelType::UInt8), d / "small.nii");
        {
            std::fstream f(d / "small.nii", std::ios::in | std::ios::out | std::ios::binary);
            short dims[4] = {3, 30000, 30000, 1000};
            f.seekp(40);
            f.write(reinterpret_cast<const char*>(dims), sizeof dims);
        }
        test::expectInputError([&] { readImage(d / "small.nii"); }, "over the limit");
        // The budget is configurable: a 64x64 RGB PNG needs 64*64*3*(1+4) bytes.
        ReadOptions tight;
        tight.maxBytes = 1000;
        test::expectInputError([&] { readImage(dir() / "bad" / "full.png", tight); }, "over the limit");
        ReadOptions roomy;
        roomy.maxBytes = 64 * 64 * 3 * 5;
        QCOMPARE(readImage(dir() / "bad" / "full.png", roomy).width(), std::size_t(64));
    }

    void unreadablePermissions() {
        // As root every file is readable, so the check runs in a child that drops to 'nobody'.
        const fs::path d = dir() / "perm";
        fs::create_directories(d);
        writeImage(test::pattern2d(8, 8, 1, PixelType::UInt8, 255), d / "secret.png");
        fs::permissions(d / "secret.png", fs::perms::owner_write, fs::perm_options::replace);
        fs::permissions(dir(), fs::perms::all, fs::perm_options::add);
        fs::permissions(d, fs::perms::all, fs::perm_options::add);
        int pipefd[2];
        QVERIFY(::pipe(pipefd) == 0);
        pid_t pid = ::fork();
        if (pid == 0) {
            ::close(pipefd[0]);
            if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
            std::string msg = "no error";
            int code = 0;
            try {
                readImage(d / "secret.png");
            } catch (const InputError& e) {
                msg = e.what();
                code = 1;
            } catch (...) {
                code = 2;
            }
            (void)!::write(pipefd[1], msg.data(), msg.size());
            ::_exit(code);
        }
        ::close(pipefd[1]);
        char buf[512] = {};
        (void)!::read(pipefd[0], buf, sizeof buf - 1);
        ::close(pipefd[0]);
        int status = 0;
        ::waitpid(pid, &status, 0);
        QVERIFY(WIFEXITED(status));
        QCOMPARE(WEXITSTATUS(status), 1);
        QVERIFY2(std::string(buf).find("Permission denied") != std::string::npos, buf);
    }
};

QTEST_GUILESS_MAIN(TestImageIO)
#include "test_image_io.moc"
