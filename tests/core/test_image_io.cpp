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

#include "TestSupport.h"
#include "core/image/ImageIO.h"
#include "core/util/Errors.h"

namespace fs = std::filesystem;
using namespace dacw;

namespace {

std::string slurp(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

void spit(const fs::path& file, const std::string& bytes) {
    std::ofstream(file, std::ios::binary | std::ios::trunc).write(bytes.data(), long(bytes.size()));
}

/// PNG's CRC-32, so that the test can forge chunks whose CRC is right but whose contents are not.
std::uint32_t crc32(const std::string& bytes) {
    std::uint32_t c = 0xffffffffu;
    for (unsigned char b : bytes) {
        c ^= b;
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

void putBe32(std::string& s, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) s[at + i] = char((v >> (24 - 8 * i)) & 0xff);
}

/// Rewrites the CRC of the PNG chunk whose length field is at `at`.
void fixPngCrc(std::string& png, std::size_t at) {
    const auto b = [&](std::size_t i) { return std::uint32_t(static_cast<unsigned char>(png[i])); };
    const std::size_t len = (b(at) << 24) | (b(at + 1) << 16) | (b(at + 2) << 8) | b(at + 3);
    putBe32(png, at + 8 + len, crc32(png.substr(at + 4, 4 + len)));
}

/// Byte offset of the first chunk of `type` in a PNG.
std::size_t pngChunk(const std::string& png, const char* type) {
    std::size_t pos = 8;
    while (pos + 8 <= png.size()) {
        const auto b = [&](std::size_t i) { return std::size_t(static_cast<unsigned char>(png[i])); };
        if (png.compare(pos + 4, 4, type) == 0) return pos;
        pos += 12 + ((b(pos) << 24) | (b(pos + 1) << 16) | (b(pos + 2) << 8) | b(pos + 3));
    }
    return std::string::npos;
}

/// What a child process left for its parent: where it was, and the first problem it saw.
struct ChildState {
    long where = -1;
    char problem[1024] = {};
    void fail(const QString& text) { std::snprintf(problem, sizeof problem, "%s", qPrintable(text)); }
};

/// Runs `fn(state)` in a child process, so that a decoder that aborts fails this test instead of ending the
/// whole run. Returns "" when the child exited cleanly without a problem, else what went wrong.
template <class Fn>
QString runInChild(Fn fn) {
    void* mem = ::mmap(nullptr, sizeof(ChildState), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return "mmap failed";
    auto* state = new (mem) ChildState;
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        // Die quietly: Qt Test's crash handler would print a stack trace for every expected crash.
        for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, SIG_DFL);
        // An exception must end the child here: escaping into Qt Test, the child would go on
        // running the remaining tests while the parent waits for it.
        try {
            fn(*state);
        } catch (const std::exception& e) {
            std::snprintf(state->problem, sizeof state->problem, "unexpected exception: %s", e.what());
        } catch (...) {
            std::snprintf(state->problem, sizeof state->problem, "unexpected exception");
        }
        std::fflush(stdout);
        ::_exit(QTest::currentTestFailed() || state->problem[0] ? 1 : 0);
    }
    int status = 0;
    if (pid > 0) ::waitpid(pid, &status, 0);
    QString result;
    if (pid < 0) result = "fork failed";
    else if (WIFSIGNALED(status))
        result = QString("the process died (signal %1) at step %2").arg(WTERMSIG(status)).arg(state->where);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        result = state->problem[0] ? state->problem : "failed (see above)";
    ::munmap(mem, sizeof(ChildState));
    return result;
}

/// runInChild for checks that use QVERIFY/QFAIL. Once the test has failed a child cannot tell its own
/// failure from an earlier one, so later checks are skipped.
template <class Fn>
void inChild(const QString& what, Fn fn) {
    if (QTest::currentTestFailed()) return;
    const QString problem = runInChild([&](ChildState&) { fn(); });
    if (!problem.isEmpty()) QFAIL(qPrintable(what + ": " + problem));
}

}  // namespace

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

    /// What the fuzz harnesses (tests/fuzz, scripts/fuzz.sh) found in the image readers: each input
    /// crashed a decoding library, overflowed a buffer or made it allocate gigabytes before the fix
    /// (docs/reliability.md). Each must now give an InputError naming the file, in a child process
    /// whose address space is capped 1 GiB above what it uses (no cap under AddressSanitizer).
    void fuzzFindings() {
        const fs::path d = dir() / "fuzz";
        fs::create_directories(d);
        const auto capAddressSpace = [] {
#if !defined(__SANITIZE_ADDRESS__) && !(defined(__has_feature) && __has_feature(address_sanitizer))
            long pages = 0;
            if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
                if (std::fscanf(f, "%ld", &pages) != 1) pages = 0;
                std::fclose(f);
            }
            const rlim_t cap = rlim_t(pages) * rlim_t(::sysconf(_SC_PAGESIZE)) + (rlim_t(1) << 30);
            const rlimit r{cap, cap};
            if (pages > 0) ::setrlimit(RLIMIT_AS, &r);
#endif
        };
        const auto refused = [&](const fs::path& file, const std::string& part) {
            inChild(QString::fromStdString(file.filename().string()), [&] {
                capAddressSpace();
                test::expectInputError([&] { fs::is_directory(file) ? (void)readImageOrSeries(file) : (void)readImage(file); },
                                       part.empty() ? file.filename().string() : part);
            });
        };
        const auto u16le = [](const std::string& s, std::size_t at) {
            return std::size_t(static_cast<unsigned char>(s[at]) | (static_cast<unsigned char>(s[at + 1]) << 8));
        };

        // JPEG: a stray frame marker (SOF11) in a progressive scan. libjpeg stops with "Unsupported
        // JPEG process"; ITK's reader then crashed inside jpeg_read_scanlines (SIGSEGV).
        writeImage(test::pattern2d(16, 16, 3, PixelType::UInt8, 255), d / "progressive.jpg");
        {
            std::string j = slurp(d / "progressive.jpg");
            const std::size_t sos = j.find("\xff\xda");
            QVERIFY(sos != std::string::npos);
            const std::size_t data = sos + 2 + ((std::size_t(static_cast<unsigned char>(j[sos + 2])) << 8) |
                                                static_cast<unsigned char>(j[sos + 3]));
            j.replace(data + 4, 4, std::string("\xff\xcb\x00\x11", 4));
            spit(d / "stray-marker.jpg", j);
            refused(d / "stray-marker.jpg", "does not decode");
            QVERIFY(readImageInfo(d / "stray-marker.jpg").geometry.size[0] == 16);  // the header is fine
        }

        // TIFF: a DateTime tag shorter than its 19 characters (ITK copied 20 bytes: a heap-buffer
        // overflow), and a DotRange tag (ITK passed one pointer for libtiff's two values: SIGSEGV).
        // Both made from the Software tag (305) of a written TIFF.
        writeImage(test::pattern2d(16, 16, 3, PixelType::UInt8, 255), d / "good.tif");
        {
            const std::string t = slurp(d / "good.tif");
            QCOMPARE(t.substr(0, 2), std::string("II"));
            const std::size_t ifd = u16le(t, 4) | (u16le(t, 6) << 16), n = u16le(t, ifd);
            std::size_t software = 0;
            for (std::size_t i = 0; i < n; ++i)
                if (u16le(t, ifd + 2 + 12 * i) == 305) software = ifd + 2 + 12 * i;
            QVERIFY(software > 0);
            std::string dateTime = t;
            dateTime[software] = char(306 & 0xff);  // 305 -> 306: the software name becomes the DateTime
            spit(d / "short-datetime.tif", dateTime);
            refused(d / "short-datetime.tif", "DateTime");
            std::string dateShort = t;
            const char asShort[12] = {char(306 & 0xff), char(306 >> 8), 3, 0, 1, 0, 0, 0, 2, 0, 0, 0};
            dateShort.replace(software, 12, asShort, 12);  // SHORT 2: libtiff stores the string "\x02"
            spit(d / "short-typed-datetime.tif", dateShort);
            refused(d / "short-typed-datetime.tif", "DateTime tag is of type 3");
            std::string dotRange = t;
            const char entry[12] = {char(336 & 0xff), char(336 >> 8), 3, 0, 2, 0, 0, 0, 0, 0, char(255), 0};
            dotRange.replace(software, 12, entry, 12);  // SHORT x 2, inline
            spit(d / "dotrange.tif", dotRange);
            refused(d / "dotrange.tif", "DotRange");
        }

        // BMP: a header whose pixel rows add up to more than 2^64 bytes. The check's own message
        // converted that double to an integer: undefined behaviour (UBSan in scripts/sanitize.sh).
        writeImage(test::pattern2d(8, 8, 3, PixelType::UInt8, 255), d / "good.bmp");
        {
            std::string bmp = slurp(d / "good.bmp");
            const char huge[] = {char(0xff), char(0xff), char(0xff), 0x7f};
            bmp.replace(18, 4, huge, 4);  // width 2^31 - 1
            bmp.replace(22, 4, huge, 4);  // height 2^31 - 1
            bmp[28] = char(0xff);         // 65535 bits per pixel
            bmp[29] = char(0xff);
            spit(d / "huge-rows.bmp", bmp);
            refused(d / "huge-rows.bmp", "is truncated");
        }

        // NIfTI: a voxel size that is not a number; ITK's orientation SVD (VNL) aborted the process.
        {
            Geometry g;
            g.dimension = 3;
            g.size = {4, 4, 2};
            writeImage(Image(g, 1, PixelType::Int16), d / "nan.nii");
            std::fstream f(d / "nan.nii", std::ios::in | std::ios::out | std::ios::binary);
            const float nan = std::numeric_limits<float>::quiet_NaN();
            f.seekp(80);  // pixdim[1]
            f.write(reinterpret_cast<const char*>(&nan), sizeof nan);
        }
        refused(d / "nan.nii", "not a number");

        // MetaImage headers that overflow MetaIO's fixed buffers: a 300-character field name (glibc:
        // "buffer overflow detected"), NDims of 5000 (DimSize read into an array of 4096 values);
        // and an element type without a size (ITK threw a non-InputError from GetComponentSize).
        {
            const std::string tail = "ElementType = MET_UCHAR\nElementDataFile = LOCAL\n" + std::string(16, 'x');
            spit(d / "long-name.mha", "ObjectType = Image\nNDims = 2\nDimSize = 4 4\n" + std::string(300, 'K') + " = 1\n" + tail);
            refused(d / "long-name.mha", "field name of 300");
            spit(d / "ndims.mha", "ObjectType = Image\nNDims = 5000\nDimSize = 4 4\n" + tail);
            refused(d / "ndims.mha", "NDims = 5000");
            spit(d / "none.mha", "ObjectType = Image\nNDims = 2\nDimSize = 4 4\nElementType = MET_NONE\n"
                                 "ElementDataFile = LOCAL\n" + std::string(16, 'x'));
            refused(d / "none.mha", "none.mha");
            // A 300-character Name, copied into MetaIO's 255-byte member (corrupted the heap).
            spit(d / "long-value.mha", "ObjectType = Image\nName = " + std::string(300, 'n') + "\nNDims = 2\nDimSize = 4 4\n" + tail);
            refused(d / "long-value.mha", "the value of Name has 300");
            // Voxels as text: MetaIO writes past its buffer reading a valid 2D MET_SHORT image so.
            std::string text;
            for (int i = 0; i < 16; ++i) text += std::to_string(i) + " ";
            spit(d / "text.mha", "ObjectType = Image\nNDims = 2\nBinaryData = False\nDimSize = 4 4\nElementType = MET_SHORT\n"
                                 "ElementDataFile = LOCAL\n" + text + "\n");
            refused(d / "text.mha", "stored as text");
            // MetaIO's fixed arrays and string handling: checked field by field now (found as
            // a division by zero, a new[] of -1 bytes and a strlen past a value with a NUL in it).
            spit(d / "nul.mha", "ObjectType = Image\nNDims = 2\nName = a" + std::string(1, '\0') + "b\nDimSize = 4 4\n" + tail);
            refused(d / "nul.mha", "control character");
            spit(d / "twice.mha", "ObjectType = Image\nNDims = 2\nDimSize = 4 4\nDimSize = 4 4\n" + tail);
            refused(d / "twice.mha", "DimSize appears twice");
            spit(d / "few.mha", "ObjectType = Image\nNDims = 3\nDimSize = 4 4\n" + tail);
            refused(d / "few.mha", "DimSize has fewer than 3 values");
            spit(d / "matrix.mha", "ObjectType = Image\nNDims = 2\nTransformMatrix = 1 0 0 1e999\nDimSize = 4 4\n" + tail);
            refused(d / "matrix.mha", "TransformMatrix");
            spit(d / "size.mha", "ObjectType = Image\nNDims = 2\nDimSize = 4 4\nCompressedDataSize = -1\n" + tail);
            refused(d / "size.mha", "CompressedDataSize");
            spit(d / "no-field.mha", "ObjectType = Image\nNDims = 2\nBinaryD6 16\nDimSize = 4 4\n" + tail);
            refused(d / "no-field.mha", "is not a field");
        }

        // Two damaged gzip streams named .nii.gz, with "DICM" at byte 128 (the fuzzer learned it
        // from the checks): the NIfTI reader refused them, so ITK's factory offered them to GDCM,
        // which failed an assertion on one and allocated 4 GiB for the other. Stored as found
        // (tests/data/fuzz, 362 and 286 bytes, mutated from the generated seeds); the DICOM walk now
        // refuses both (an element without a valid value representation).
        const fs::path stored = fs::path(DACW_SOURCE_DIR) / "tests" / "data" / "fuzz";
        for (const char* name : {"gdcm-assert.nii.gz", "gdcm-4gib.nii.gz"}) {
            fs::copy_file(stored / name, d / name);
            refused(d / name, "a damaged DICOM file");
        }

        // DICOM files as found by fuzz_dicom and fuzz_dicom_folder (608 to 1258 bytes, mutated from
        // generated seeds): an OB element of undefined length that is not Pixel Data (GDCM asserted
        // that only Pixel Data may be); a JPEG 2000 transfer syntax over a codestream whose marker
        // segment runs past its fragment (GDCM's header walk read on past the buffer); a codestream
        // 62984 rows high in an 8 x 8 image (GDCM read past the decoded image); no meta group
        // (GDCM guessed the encoding: 3.7 GiB allocated).
        for (const char* name : {"gdcm-undefined-length.dcm", "gdcm-j2k-header.dcm", "gdcm-j2k-size.dcm",
                                 "gdcm-no-transfer-syntax.dcm"}) {
            fs::copy_file(stored / name, d / name);
            refused(d / name, "a damaged DICOM file");
        }
        // GDCM assertions found later: (0018,2010) with the VR "DA" (its spacing reader asserts
        // on the VR), (0002,0001) as UN of undefined length in the meta group, and Pixel Data as
        // UN of undefined length, and a sequence delimiter with a length (GDCM allocated 4 GiB).
        for (const auto& [name, message] : std::vector<std::pair<const char*, const char*>>{
                 {"gdcm-spacing-vr.dcm", "value representation DA where DICOM defines DS"},
                 {"gdcm-meta-undefined-length.dcm", "file meta header is damaged"},
                 {"gdcm-pixel-data-un.dcm", "(7FE0,0010) has an undefined length"},
                 {"gdcm-delimiter-length.dcm", "a delimiter (FFFE,E0DD) with a length"}}) {
            fs::copy_file(stored / name, d / name);
            refused(d / name, message);
        }
        // More of the same, as found: a TIFF reader that throws from CanReadFile ("No directories
        // found"), which escaped as a non-InputError; NIfTI headers with a NIfTI magic but another
        // sizeof_hdr, or the magic "n+2" in a NIfTI-1 header (our check did not take them for NIfTI;
        // nifticlib does), and a NaN affine (VNL abort); and with a vox_offset of 2e26 (our own
        // double to integer conversion, UBSan).
        for (const char* name : {"tiff-no-directory.tif", "nifti-magic-only.nii", "nifti-other-magic.nii", "nifti-vox-offset.nii"}) {
            fs::copy_file(stored / name, d / name);
            refused(d / name, name);
        }
        // A float NIfTI holding NaN, read as a label map: the NaN reached an int conversion (UBSan).
        fs::copy_file(stored / "nifti-nan-voxels.nii", d / "nifti-nan-voxels.nii");
        inChild("NaN voxels as labels", [&] {
            test::expectInputError([&] { readLabelMap(d / "nifti-nan-voxels.nii"); }, "which is not a label");
        });

        // DICOM: an element whose value representation is not one (00 00). The walk used to stop
        // there and leave the rest to GDCM, which guessed a length and allocated and zeroed up to
        // gigabytes for it (seconds per file; 4 GiB in a folder of two such slices).
        writeImage(test::pattern2d(8, 8, 1, PixelType::Int16, 1000), d / "good.dcm");
        {
            std::string dcm = slurp(d / "good.dcm");
            const std::size_t rows = dcm.find(std::string("\x28\x00\x10\x00US", 6), 132);  // (0028,0010) Rows
            QVERIFY(rows != std::string::npos);
            dcm[rows + 4] = dcm[rows + 5] = '\0';
            spit(d / "no-vr.dcm", dcm);
            refused(d / "no-vr.dcm", "no valid value representation");
            fs::create_directories(d / "series");
            fs::copy_file(d / "good.dcm", d / "series" / "a.dcm");
            spit(d / "series" / "b.dcm", dcm);
            refused(d / "series", "b.dcm");
            // A value representation that does not exist ("EA") in the file meta group: GDCM's meta
            // reader failed an assertion (fuzz_dicom_folder).
            std::string ea = slurp(d / "good.dcm");
            const std::size_t aet = ea.find(std::string("\x02\x00\x16\x00" "AE", 6));  // (0002,0016) AE
            QVERIFY(aet != std::string::npos);
            ea[aet + 4] = 'E';
            ea[aet + 5] = 'A';
            spit(d / "unknown-vr.dcm", ea);
            refused(d / "unknown-vr.dcm", "no valid value representation");
            // Values GDCM asserts on: 5 samples per pixel, 0 bits allocated, a recognition code
            // (0008,0010) that is not ACR-NEMA (here the SOP class UID under that tag).
            const std::string good = slurp(d / "good.dcm");
            const auto withUs = [&](std::uint16_t element, std::uint16_t value) {
                std::string t = good;
                const char tagUs[6] = {0x28, 0x00, char(element & 0xff), char(element >> 8), 'U', 'S'};
                const std::size_t at = t.find(std::string(tagUs, 6), 132);
                if (at == std::string::npos) return std::string();
                t[at + 8] = char(value & 0xff);
                t[at + 9] = char(value >> 8);
                return t;
            };
            spit(d / "samples.dcm", withUs(0x0002, 5));
            refused(d / "samples.dcm", "5 samples per pixel");
            spit(d / "bits.dcm", withUs(0x0100, 0));
            refused(d / "bits.dcm", "0 bits allocated");
            std::string recognition = good;
            const std::size_t sop = recognition.find(std::string("\x08\x00\x16\x00UI", 6), 300);  // (0008,0016)
            QVERIFY(sop != std::string::npos);
            recognition[sop + 2] = 0x10;
            spit(d / "recognition.dcm", recognition);
            refused(d / "recognition.dcm", "recognition code");
            // An item outside any sequence (GDCM read on as a guess: 4 GiB, fuzz_dicom_folder).
            std::string item = good;
            item.insert(sop, std::string("\xfe\xff\x00\xe0\x00\x00\x00\x00", 8));
            spit(d / "loose-item.dcm", item);
            refused(d / "loose-item.dcm", "outside a sequence");
        }
        // A folder holding, besides a good slice, a file without the DICOM preamble: GDCM's series
        // scan parsed it anyway and allocated 2 GiB for this 678-byte file (fuzz_dicom_folder). Only
        // files with the preamble are offered to GDCM now; the folder reads its one series.
        fs::create_directories(d / "with-junk");
        fs::copy_file(d / "good.dcm", d / "with-junk" / "slice.dcm");
        fs::copy_file(stored / "gdcm-scan-2gib.dcm", d / "with-junk" / "junk.dcm");
        inChild("DICOM folder with a file that is not DICOM", [&] {
            capAddressSpace();
            QCOMPARE(listDicomSeries(d / "with-junk").size(), std::size_t(1));
            QCOMPARE(readImageOrSeries(d / "with-junk").width(), std::size_t(8));
        });
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
