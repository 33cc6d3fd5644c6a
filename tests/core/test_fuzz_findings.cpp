// What the fuzz harnesses (tests/fuzz, scripts/fuzz.sh) found in the image readers, each kept as a
// regression input: generated here, or stored as found under tests/data/fuzz (docs/reliability.md).
#include <QtTest/QtTest>

#include <cstdio>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

#include "DamagedFiles.h"
#include "TestSupport.h"
#include "core/image/ImageIO.h"
#include "core/util/Errors.h"

namespace fs = std::filesystem;
using namespace dacw;
using namespace dacw::test;

class TestFuzzFindings : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    fs::path dir() const { return fs::path(tmp_.path().toStdString()); }

private Q_SLOTS:
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
};

QTEST_GUILESS_MAIN(TestFuzzFindings)
#include "test_fuzz_findings.moc"
