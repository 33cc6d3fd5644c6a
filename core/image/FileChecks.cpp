#include "image/FileChecks.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>
#include <zlib.h>

#include "util/Errors.h"
#include "util/Paths.h"

namespace fs = std::filesystem;

namespace dacw {
namespace {

void checkReadableFile(const fs::path& file) {
    std::error_code ec;
    if (!fs::exists(file, ec)) throw InputError("File not found: " + file.string());
    if (fs::is_directory(file, ec)) throw InputError(file.string() + " is a folder, not an image file");
    if (fs::file_size(file, ec) == 0) throw InputError(file.string() + " is empty (0 bytes)");
    if (::access(file.c_str(), R_OK) != 0)
        throw InputError("Permission denied: cannot read " + file.string());
    // A DICOMDIR is an index of DICOM media, not an image. GDCM aborts the process (an assertion)
    // on some malformed DICOMDIRs, so they are recognised here, before any decoder sees them:
    // "DICM" at byte 128 and the Media Storage Directory SOP class in the meta header.
    char head[1024] = {};
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) throw InputError("Cannot open " + file.string());
    const std::size_t n = std::fread(head, 1, sizeof head, f);
    std::fclose(f);
    if (n > 132 && std::memcmp(head + 128, "DICM", 4) == 0) {
        static const char kDicomDirUid[] = "1.2.840.10008.1.3.10";
        const std::size_t len = sizeof kDicomDirUid - 1;
        for (std::size_t i = 132; i + len < n; ++i)
            if (std::memcmp(head + i, kDicomDirUid, len) == 0 && head[i + len] != '.' &&
                !(head[i + len] >= '0' && head[i + len] <= '9'))
                throw InputError(file.string() + " is a DICOMDIR (an index of DICOM media), not an image; "
                                 "open the folder that holds the image files instead");
    }
}

std::uint32_t be32(const unsigned char* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}
std::uint32_t le32(const unsigned char* p) {
    return (std::uint32_t(p[3]) << 24) | (std::uint32_t(p[2]) << 16) | (std::uint32_t(p[1]) << 8) | p[0];
}
std::uint16_t le16(const unsigned char* p) { return std::uint16_t(p[0] | (p[1] << 8)); }

long long fileSize(const fs::path& file) {
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    return ec ? -1 : static_cast<long long>(size);
}

/// Inflates a zlib or gzip stream piece by piece only to count the bytes it holds and to see whether it
/// ends cleanly (its checksum verified); nothing is kept.
class InflateCounter {
public:
    explicit InflateCounter(int windowBits) { ok_ = inflateInit2(&z_, windowBits) == Z_OK; }
    ~InflateCounter() { inflateEnd(&z_); }
    InflateCounter(const InflateCounter&) = delete;
    InflateCounter& operator=(const InflateCounter&) = delete;

    /// Bytes after the end of the stream are ignored, as the decoders ignore them.
    void feed(const unsigned char* p, std::size_t n) {
        z_.next_in = const_cast<Bytef*>(p);
        z_.avail_in = static_cast<uInt>(n);
        while (ok_ && !ended_ && z_.avail_in > 0) {
            z_.next_out = out_;
            z_.avail_out = sizeof out_;
            const int r = inflate(&z_, Z_NO_FLUSH);
            total_ += sizeof out_ - z_.avail_out;
            if (r == Z_STREAM_END) ended_ = true;
            else if (r == Z_BUF_ERROR) break;
            else if (r != Z_OK) {
                ok_ = false;
                error_ = z_.msg ? z_.msg : "invalid compressed data";
            }
        }
    }
    bool damaged() const { return !ok_; }
    bool ended() const { return ended_; }
    std::uint64_t total() const { return total_; }
    const std::string& error() const { return error_; }

private:
    z_stream z_{};
    unsigned char out_[1 << 15];
    std::uint64_t total_ = 0;
    bool ok_ = false, ended_ = false;
    std::string error_;
};

/// Bytes of filtered image data (one filter byte per row) that a PNG's IDAT stream must inflate to.
std::uint64_t pngRawBytes(std::uint64_t w, std::uint64_t h, unsigned bitsPerPixel, bool interlaced) {
    const auto rows = [&](std::uint64_t pw, std::uint64_t ph) {
        return pw == 0 || ph == 0 ? 0 : ph * (1 + (pw * bitsPerPixel + 7) / 8);
    };
    if (!interlaced) return rows(w, h);
    static const unsigned x0[7] = {0, 4, 0, 2, 0, 1, 0}, y0[7] = {0, 0, 4, 0, 2, 0, 1};
    static const unsigned dx[7] = {8, 8, 4, 4, 2, 2, 1}, dy[7] = {8, 8, 8, 4, 4, 2, 2};
    std::uint64_t total = 0;
    for (int p = 0; p < 7; ++p)
        total += rows(w > x0[p] ? (w - x0[p] + dx[p] - 1) / dx[p] : 0, h > y0[p] ? (h - y0[p] + dy[p] - 1) / dy[p] : 0);
    return total;
}

/// What IHDR values libpng accepts (PNG spec 11.2.2); an empty string when they are valid.
std::string pngHeaderProblem(const unsigned char* h) {
    const std::uint32_t w = be32(h), ht = be32(h + 4);
    const unsigned depth = h[8], type = h[9];
    if (w == 0 || w > 0x7fffffffu) return "its header declares an invalid width (" + std::to_string(w) + ")";
    if (ht == 0 || ht > 0x7fffffffu) return "its header declares an invalid height (" + std::to_string(ht) + ")";
    const bool depthOk = type == 0 ? (depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16)
                         : type == 3 ? (depth == 1 || depth == 2 || depth == 4 || depth == 8)
                         : (type == 2 || type == 4 || type == 6) ? (depth == 8 || depth == 16)
                                                                 : true;
    if (type != 0 && type != 2 && type != 3 && type != 4 && type != 6)
        return "its header declares an invalid colour type (" + std::to_string(type) + ")";
    if (!depthOk)
        return "its header declares an invalid bit depth (" + std::to_string(depth) + ") for colour type " +
               std::to_string(type);
    if (h[10] != 0) return "its header declares an unknown compression method (" + std::to_string(h[10]) + ")";
    if (h[11] != 0) return "its header declares an unknown filter method (" + std::to_string(h[11]) + ")";
    if (h[12] > 1) return "its header declares an unknown interlace method (" + std::to_string(h[12]) + ")";
    return {};
}

/// libpng aborts the process (inside ITK's PNG reader, which installs no error handler) on a chunk whose
/// CRC is wrong, on invalid header values, on chunks out of place and on image data that runs short. So
/// the whole chunk sequence is checked here first: every CRC, IHDR first and valid, PLTE where a palette
/// needs one, contiguous IDAT, IEND present. With `payload`, the IDAT stream is also inflated (without
/// keeping it) to see that it ends cleanly and holds every row the header declares.
void checkPngStructure(const fs::path& file, std::size_t budget, bool payload) {
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) return;
    unsigned char sig[8] = {};
    static const unsigned char kSig[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    const bool png = std::fread(sig, 1, 8, f) == 8 && std::memcmp(sig, kSig, 8) == 0;
    if (!png) {
        std::fclose(f);
        return;  // not a PNG: other readers decide
    }
    const long long size = fileSize(file);
    long long pos = 8;
    bool sawHeader = false, sawPalette = false, sawEnd = false, inData = false, dataDone = false;
    unsigned char ihdr[13] = {};
    std::unique_ptr<InflateCounter> idat;
    std::uint64_t rawBytes = 0;
    std::vector<unsigned char> buf(1 << 16);
    std::string problem;
    while (!sawEnd && problem.empty()) {
        unsigned char head[8];
        if (pos + 12 > size || std::fseek(f, long(pos), SEEK_SET) != 0 || std::fread(head, 1, 8, f) != 8) {
            problem = "it ends before its IEND chunk (truncated file)";
            break;
        }
        const std::uint32_t len = be32(head);
        std::string type(reinterpret_cast<char*>(head + 4), 4);
        const auto letter = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
        if (!std::all_of(type.begin(), type.end(), letter)) {
            problem = "it holds a chunk with an invalid type (damaged file)";
            break;
        }
        if (len > 0x7fffffffu) {
            problem = "chunk " + type + " declares an invalid length (damaged file)";
            break;
        }
        if (pos + 12 + len > size) {
            problem = "chunk " + type + " runs past the end of the file (truncated file)";
            break;
        }
        const bool isData = type == "IDAT";
        if (!sawHeader && type != "IHDR") problem = "its first chunk is not a header (IHDR)";
        else if (type == "IHDR" && sawHeader) problem = "it holds a second header chunk (IHDR)";
        else if (type == "IHDR" && len != 13) problem = "its header chunk is malformed";
        else if (isData && dataDone) problem = "its image data (IDAT) is split by other chunks";
        else if (isData && ihdr[9] == 3 && !sawPalette) problem = "it is a palette image without a palette (PLTE)";
        else if (type == "PLTE" && (sawPalette || inData || dataDone))
            problem = "its palette chunk (PLTE) is out of place";
        else if (type == "PLTE" && (len == 0 || len > 768 || len % 3 != 0))
            problem = "its palette chunk (PLTE) is malformed";
        else if (type == "IEND" && !inData && !dataDone) problem = "it has no image data (IDAT)";
        else if (std::isupper(static_cast<unsigned char>(type[0])) && type != "IHDR" && type != "PLTE" && !isData &&
                 type != "IEND")
            problem = "it holds an unknown critical chunk " + type;
        if (!problem.empty()) break;
        if (inData && !isData) dataDone = true;
        inData = isData;
        // The CRC covers the type and the data; the data is read in blocks, and IDAT's fed to the inflater.
        uLong crc = crc32(0L, head + 4, 4);
        for (std::uint32_t done = 0; done < len;) {
            const std::size_t n = std::min<std::size_t>(buf.size(), len - done);
            if (std::fread(buf.data(), 1, n, f) != n) {
                problem = "chunk " + type + " cannot be read";
                break;
            }
            crc = crc32(crc, buf.data(), uInt(n));
            if (type == "IHDR") std::memcpy(ihdr, buf.data(), 13);
            if (isData && idat) idat->feed(buf.data(), n);
            done += std::uint32_t(n);
        }
        unsigned char stored[4];
        if (problem.empty() && (std::fread(stored, 1, 4, f) != 4 || be32(stored) != crc))
            problem = "chunk " + type + " fails its CRC check (damaged file)";
        if (!problem.empty()) break;
        if (type == "IHDR") {
            problem = pngHeaderProblem(ihdr);
            if (!problem.empty()) break;
            static const unsigned channels[7] = {1, 0, 3, 1, 2, 0, 4};
            rawBytes = pngRawBytes(be32(ihdr), be32(ihdr + 4), channels[ihdr[9]] * ihdr[8], ihdr[12] == 1);
            // Over the budget the image is refused from its header anyway: no need to inflate it.
            if (payload && rawBytes <= budget) idat = std::make_unique<InflateCounter>(15);
        }
        sawHeader = true;
        sawPalette = sawPalette || type == "PLTE";
        sawEnd = type == "IEND";
        pos += 12 + len;
    }
    std::fclose(f);
    if (problem.empty() && idat) {
        if (idat->damaged()) problem = "its image data is damaged (" + idat->error() + ")";
        else if (!idat->ended() || idat->total() < rawBytes)
            problem = "its image data is incomplete (" + std::to_string(idat->total()) + " of " +
                      std::to_string(rawBytes) + " bytes)";
    }
    if (!problem.empty()) throw InputError("Cannot read " + file.string() + ": a damaged PNG, " + problem);
}

/// ITK's JPEG reader crashes (in jpeg_destroy) on some truncated files, so a JPEG's marker
/// segments are walked here first: every segment up to the scan must lie inside the file, and
/// the end-of-image marker must follow the scan.
void checkJpegStructure(const fs::path& file) {
    const std::string ext = lowerExtension(file);
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) return;
    std::error_code ec;
    const auto size = static_cast<long long>(fs::file_size(file, ec));
    unsigned char b[4] = {};
    const std::size_t got = std::fread(b, 1, 2, f);
    const bool jpeg = got == 2 && b[0] == 0xFF && b[1] == 0xD8;
    if (!jpeg) {
        std::fclose(f);
        if (ext == ".jpg" || ext == ".jpeg")
            throw InputError("Cannot read " + file.string() + ": not a JPEG file (no start-of-image marker)");
        return;
    }
    std::string problem;
    long long pos = 2;
    while (true) {
        if (pos + 4 > size || std::fseek(f, long(pos), SEEK_SET) != 0 || std::fread(b, 1, 4, f) != 4) {
            problem = "it ends inside its header (truncated file)";
            break;
        }
        if (b[0] != 0xFF) {
            problem = "a header segment is damaged";
            break;
        }
        if (b[1] == 0xFF) {  // fill byte
            ++pos;
            continue;
        }
        const long long len = (b[2] << 8) | b[3];
        if (len < 2 || pos + 2 + len > size) {
            problem = "a header segment runs past the end of the file (truncated file)";
            break;
        }
        if (b[1] == 0xDA) {  // start of scan: the entropy-coded data follows up to EOI
            const long long tail = std::min<long long>(size - (pos + 2 + len), 1 << 16);
            std::vector<unsigned char> end(static_cast<std::size_t>(tail));
            std::fseek(f, long(size - tail), SEEK_SET);
            const std::size_t n = std::fread(end.data(), 1, end.size(), f);
            bool eoi = false;
            for (std::size_t i = 0; i + 1 < n && !eoi; ++i) eoi = end[i] == 0xFF && end[i + 1] == 0xD9;
            if (!eoi) problem = "its image data has no end marker (truncated file)";
            break;
        }
        pos += 2 + len;
    }
    std::fclose(f);
    if (!problem.empty()) throw InputError("Cannot read " + file.string() + ": a damaged JPEG, " + problem);
}

/// ITK's BMP reader fills what a short file lacks (headers included) and reports success, so the
/// headers and the pixel rows they declare must lie inside the file.
void checkBmpPayload(const fs::path& file) {
    unsigned char h[54] = {};
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) return;
    const std::size_t n = std::fread(h, 1, sizeof h, f);
    std::fclose(f);
    if (n < 2 || h[0] != 'B' || h[1] != 'M') return;
    const long long size = fileSize(file);
    const auto fail = [&](const std::string& problem) {
        throw InputError("Cannot read " + file.string() + ": a damaged BMP, " + problem);
    };
    if (n < 18) fail("it ends inside its header (truncated file)");
    const std::uint32_t dataOffset = le32(h + 10), infoSize = le32(h + 14);
    if (infoSize < 12 || 14 + static_cast<long long>(infoSize) > size || (infoSize > 12 && n < 34))
        fail("it ends inside its header (truncated file)");
    long long width, height;
    unsigned bits, compression = 0;
    if (infoSize == 12) {  // OS/2 BITMAPCOREHEADER
        width = le16(h + 18);
        height = le16(h + 20);
        bits = le16(h + 24);
    } else {
        width = static_cast<std::int32_t>(le32(h + 18));
        height = std::llabs(static_cast<std::int32_t>(le32(h + 22)));  // negative: rows stored top-down
        bits = le16(h + 28);
        compression = le32(h + 30);
    }
    if (compression != 0 && compression != 3) return;  // run-length coded rows: no fixed size to check
    const double declared = std::floor((double(width) * bits + 31) / 32) * 4 * double(height);
    const long long held = std::max(0LL, size - static_cast<long long>(dataOffset));
    if (width > 0 && bits > 0 && declared > double(held))
        throw InputError(file.string() + " is truncated: its header declares " +
                         std::to_string(static_cast<unsigned long long>(declared)) +
                         " bytes of pixel data, the file holds " + std::to_string(held));
}

/// GDCM fails an assertion (aborting the process) on a file that ends inside an element: right after
/// "DICM", inside the File Meta group or anywhere in the data set. So the element structure is walked
/// here first, reading only element headers and seeking over values: every element must lie inside the
/// file, a data set must follow the meta group, and every sequence of undefined length must be closed.
/// What the walk does not understand (a deflated data set, an unknown VR) is left to GDCM.
void walkDicom(const fs::path& file) {
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) return;
    unsigned char h[12] = {};
    const bool dicom =
        std::fseek(f, 128, SEEK_SET) == 0 && std::fread(h, 1, 4, f) == 4 && std::memcmp(h, "DICM", 4) == 0;
    if (!dicom) {
        std::fclose(f);
        return;
    }
    const long long size = fileSize(file);
    std::string problem, syntax;
    static const char* kLongVrs[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT", "SV", "UV"};
    bool meta = true, explicitVr = true, bigEndian = false, understood = true;
    int open = 0;  // sequences and items of undefined length not closed yet
    long long p = 132;
    while (p < size && problem.empty()) {
        const std::size_t want = std::size_t(std::min<long long>(12, size - p));
        if (want < 8 || std::fseek(f, long(p), SEEK_SET) != 0 || std::fread(h, 1, want, f) != want) {
            problem = "it ends inside a data element (truncated file)";
            break;
        }
        const auto u16 = [&](const unsigned char* q) {
            return bigEndian ? std::uint16_t((q[0] << 8) | q[1]) : le16(q);
        };
        const auto u32 = [&](const unsigned char* q) { return bigEndian ? be32(q) : le32(q); };
        if (meta && le16(h) != 0x0002) {
            // The meta group is explicit little endian; its transfer syntax says how the data set is coded.
            meta = false;
            while (!syntax.empty() && (syntax.back() == '\0' || syntax.back() == ' ')) syntax.pop_back();
            if (syntax == "1.2.840.10008.1.2.1.99") {  // deflated: only an inflater could walk it
                understood = false;
                break;
            }
            explicitVr = syntax != "1.2.840.10008.1.2";
            bigEndian = syntax == "1.2.840.10008.1.2.2";
        }
        const std::uint16_t group = u16(h), element = u16(h + 2);
        char tag[16];
        std::snprintf(tag, sizeof tag, "(%04X,%04X)", group, element);
        long long head = 8;
        std::uint32_t len;
        if (group == 0xfffe) {  // item, item delimiter, sequence delimiter: no VR
            len = u32(h + 4);
            if (element == 0xe00d || element == 0xe0dd) {
                open = std::max(0, open - 1);
                p += 8;
                continue;
            }
        } else if (explicitVr) {
            if (!std::isupper(h[4]) || !std::isupper(h[5])) {
                understood = false;
                break;
            }
            bool longVr = false;
            for (const char* vr : kLongVrs) longVr = longVr || std::memcmp(h + 4, vr, 2) == 0;
            if (!longVr) len = u16(h + 6);
            else if (want < 12) {
                problem = "it ends inside data element " + std::string(tag) + " (truncated file)";
                break;
            } else {
                len = u32(h + 8);
                head = 12;
                if (len == 0xffffffffu && std::memcmp(h + 4, "UN", 2) == 0) {  // implicit VR inside: not walked
                    understood = false;
                    break;
                }
            }
        } else {
            len = u32(h + 4);
        }
        if (len == 0xffffffffu) {  // its contents follow as elements or items, up to a delimiter
            if (meta) problem = "its file meta header is damaged (an element of undefined length)";
            ++open;
            p += head;
            continue;
        }
        if (p + head + len > size) {
            problem = std::string(meta ? "it ends inside its file meta header" : "it ends inside data element " +
                                  std::string(tag)) + " (truncated file)";
            break;
        }
        if (meta && element == 0x0010 && len < 128) {
            syntax.resize(len);
            if (std::fseek(f, long(p + head), SEEK_SET) != 0 || std::fread(&syntax[0], 1, len, f) != len)
                syntax.clear();
        }
        p += head + len;
    }
    std::fclose(f);
    if (problem.empty() && understood && meta)
        problem = "it holds no data set after its file meta header (truncated file)";
    if (problem.empty() && understood && open > 0) problem = "it ends inside a sequence (truncated file)";
    if (!problem.empty()) throw InputError("Cannot read " + file.string() + ": a damaged DICOM file, " + problem);
}

/// Reads up to `n` bytes, of a plain or a gzip-compressed file, from its start.
std::size_t readHead(const fs::path& file, unsigned char* out, std::size_t n) {
    gzFile g = gzopen(file.c_str(), "rb");
    if (!g) return 0;
    const int got = gzread(g, out, unsigned(n));
    gzclose(g);
    return got < 0 ? 0 : std::size_t(got);
}

/// Counts the bytes of a gzip file's uncompressed stream up to `cap`; `problem` is set when the stream
/// is damaged, or ends early (a cut file loses its CRC and length trailer: zlib says "unexpected end of file").
std::uint64_t gzipLength(const fs::path& file, std::uint64_t cap, std::string& problem) {
    gzFile g = gzopen(file.c_str(), "rb");
    if (!g) {
        problem = "it cannot be opened";
        return 0;
    }
    std::vector<unsigned char> buf(1 << 16);
    std::uint64_t total = 0;
    int got;
    while (total <= cap && (got = gzread(g, buf.data(), unsigned(buf.size()))) > 0) total += std::uint64_t(got);
    int err = Z_OK;
    const char* msg = gzerror(g, &err);
    if (err != Z_OK) problem = std::string(err == Z_BUF_ERROR ? "its compressed stream ends early" : "its compressed "
                                           "stream is damaged") + " (" + (msg ? msg : "zlib error") + ")";
    gzclose(g);
    return total;
}

/// ITK's NIfTI reader fills the voxels a short file lacks and reports success: a silently wrong volume.
/// So the voxel data the header declares (vox_offset + prod(dim) * bitpix / 8) is measured against the
/// file; a .nii.gz is decompressed as a stream (nothing kept) for that, and only with `payload`.
void checkNiftiPayload(const fs::path& file, std::size_t budget, bool payload) {
    const std::string ext = lowerExtension(file);
    if (ext != ".nii" && ext != ".nii.gz") return;
    unsigned char h[540] = {};
    const bool gz = ext == ".nii.gz";
    if (gz && !payload) return;
    const std::size_t n = readHead(file, h, sizeof h);
    if (n < 348) return;  // ITK refuses the header
    // The byte order is whichever makes sizeof_hdr 348 (NIfTI-1) or 540 (NIfTI-2).
    bool swap = false;
    int version = 0;
    for (bool s : {false, true}) {
        const std::uint32_t v = s ? be32(h) : le32(h);
        if (v == 348 || (v == 540 && n >= 540)) {
            swap = s;
            version = v == 348 ? 1 : 2;
            break;
        }
    }
    if (version == 0) return;
    const auto u16 = [&](std::size_t at) { return swap ? std::uint16_t((h[at] << 8) | h[at + 1]) : le16(h + at); };
    const auto u32 = [&](std::size_t at) { return swap ? be32(h + at) : le32(h + at); };
    const auto u64 = [&](std::size_t at) {
        return swap ? (std::uint64_t(be32(h + at)) << 32) | be32(h + at + 4)
                    : (std::uint64_t(le32(h + at + 4)) << 32) | le32(h + at);
    };
    double voxels = 1, offset;
    int bitpix, datatype;
    if (version == 1) {
        if (std::memcmp(h + 344, "n+1", 4) != 0) return;  // a header/image pair or Analyze: not one file
        const int dims = std::int16_t(u16(40));
        if (dims < 1 || dims > 7) return;
        for (int d = 1; d <= dims; ++d) voxels *= std::int16_t(u16(40 + 2 * d));
        datatype = std::int16_t(u16(70));
        bitpix = std::int16_t(u16(72));
        float vox;
        const std::uint32_t bits = u32(108);
        std::memcpy(&vox, &bits, 4);
        offset = std::max(double(vox), 352.0);  // the NIfTI-1 minimum for a single file
    } else {
        if (std::memcmp(h + 4, "n+2", 4) != 0) return;
        const auto dims = std::int64_t(u64(16));
        if (dims < 1 || dims > 7) return;
        for (int d = 1; d <= dims; ++d) voxels *= double(std::int64_t(u64(16 + 8 * d)));
        datatype = std::int16_t(u16(12));
        bitpix = std::int16_t(u16(14));
        offset = std::max(double(std::int64_t(u64(168))), 544.0);
    }
    // Like nifticlib, the voxel size comes from the datatype; bitpix only where the datatype is unknown.
    static const std::map<int, int> kBits = {{1, 1},     {2, 8},     {4, 16},    {8, 32},    {16, 32},   {32, 64},
                                             {64, 64},   {128, 24},  {256, 8},   {512, 16},  {768, 32},  {1024, 64},
                                             {1280, 64}, {1536, 128}, {1792, 128}, {2048, 256}, {2304, 32}};
    if (kBits.count(datatype)) bitpix = kBits.at(datatype);
    if (!(voxels >= 1) || bitpix <= 0) return;  // an empty or invalid header: ITK's and infoFrom's to refuse
    const double bytes = std::ceil(voxels * bitpix / 8);
    if (bytes > double(budget)) return;  // refused from its header anyway
    const auto declared = static_cast<std::uint64_t>(bytes);
    const auto needed = static_cast<std::uint64_t>(offset) + declared;
    std::string problem;
    // Past what is needed, a stream is read to its end only to check its trailer; a gzip bomb stops early.
    const std::uint64_t have = gz ? gzipLength(file, needed + (64u << 20), problem) : std::uint64_t(fileSize(file));
    const std::uint64_t held = have > offset ? have - std::uint64_t(offset) : 0;
    if (have < needed)
        throw InputError(file.string() + " is truncated: its header declares " + std::to_string(declared) +
                         " bytes of voxel data, the file holds " + std::to_string(held) +
                         (problem.empty() ? std::string() : "; " + problem));
    if (!problem.empty()) throw InputError(file.string() + " is truncated or damaged: " + problem);
}

/// MetaImage data (inline in a .mha, or in the data file a .mhd names) that is shorter than DimSize
/// declares reads "successfully" with the rest left zero, compressed data included. So the raw bytes
/// are measured against the header, and compressed data is inflated as a stream (only with `payload`).
void checkMetaImagePayload(const fs::path& file, std::size_t budget, bool payload) {
    const std::string ext = lowerExtension(file);
    if (ext != ".mha" && ext != ".mhd") return;
    std::string head(1 << 16, '\0');
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) return;
    head.resize(std::fread(head.data(), 1, head.size(), f));
    std::fclose(f);
    std::map<std::string, std::string> keys;
    std::size_t pos = 0, dataStart = std::string::npos;
    while (pos < head.size()) {
        std::size_t eol = head.find('\n', pos);
        // A whole file without a final newline was cut inside its header: MetaIO would read that last
        // line, even "ElementDataFile = LOCAL" with no data after it, and fill the volume with zeros.
        if (eol == std::string::npos && static_cast<long long>(head.size()) != fileSize(file)) return;
        if (eol == std::string::npos) eol = head.size();
        const std::string line = head.substr(pos, eol - pos);
        pos = eol + 1;
        const std::size_t eq = line.find('=');
        if (eq == std::string::npos) continue;
        const auto trim = [](std::string t) {
            while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
            while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.erase(0, 1);
            return t;
        };
        const std::string key = trim(line.substr(0, eq));
        keys[key] = trim(line.substr(eq + 1));
        if (key == "ElementDataFile") {  // always the last header line
            dataStart = pos;
            break;
        }
    }
    if (dataStart == std::string::npos) return;
    static const std::map<std::string, int> kSizes = {
        {"MET_CHAR", 1},  {"MET_UCHAR", 1}, {"MET_SHORT", 2},     {"MET_USHORT", 2},     {"MET_INT", 4},
        {"MET_UINT", 4},  {"MET_LONG", 4},  {"MET_ULONG", 4},     {"MET_LONG_LONG", 8},  {"MET_ULONG_LONG", 8},
        {"MET_FLOAT", 4}, {"MET_DOUBLE", 8}};
    const auto type = kSizes.find(keys["ElementType"]);
    const auto isTrue = [&](const char* key) {
        std::string v = keys[key];
        std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
        return v == "true" || v == "1";
    };
    if (type == kSizes.end() || (keys.count("BinaryData") && !isTrue("BinaryData")) || keys["DimSize"].empty()) return;
    double declaredD = type->second * std::max(1.0, std::atof(keys["ElementNumberOfChannels"].c_str()));
    std::istringstream dims(keys["DimSize"]);
    double d;
    int nd = 0;
    while (dims >> d) declaredD *= d, ++nd;
    if (nd == 0 || !(declaredD >= 1) || declaredD > double(budget)) return;  // infoFrom's to refuse
    const auto declared = static_cast<std::uint64_t>(declaredD);
    fs::path data = file;
    long long offset = static_cast<long long>(dataStart);
    const std::string& name = keys["ElementDataFile"];
    if (name.empty())  // MetaIO reads an empty name as a volume of zeros
        throw InputError(file.string() + " is truncated: its header ends before naming its voxel data "
                         "(ElementDataFile)");
    if (name != "LOCAL") {
        // One data file (not a LIST or a slice pattern), headers skipped by a known HeaderSize.
        if (name.find_first_of(" %") != std::string::npos || name == "LIST") return;
        data = fs::path(name).is_absolute() ? fs::path(name) : file.parent_path() / name;
        offset = keys.count("HeaderSize") ? std::atoll(keys["HeaderSize"].c_str()) : 0;
        std::error_code ec;
        if (offset < 0 || !fs::is_regular_file(data, ec)) return;
    }
    const long long size = fileSize(data);
    const long long held = std::max(0LL, size - offset);
    const auto refuse = [&](std::uint64_t have, const std::string& what) {
        throw InputError(file.string() + " is truncated: its header declares " + std::to_string(declared) +
                         " bytes of voxel data, " + what + " " + std::to_string(have));
    };
    if (!isTrue("CompressedData")) {
        if (static_cast<std::uint64_t>(held) < declared) refuse(std::uint64_t(held), "the file holds");
        return;
    }
    long long compressed = held;
    if (keys.count("CompressedDataSize")) {
        const long long cds = std::atoll(keys["CompressedDataSize"].c_str());
        if (cds > held)
            throw InputError(file.string() + " is truncated: its header declares " + std::to_string(cds) +
                             " bytes of compressed data, the file holds " + std::to_string(held));
        if (cds > 0) compressed = cds;
    }
    if (!payload) return;
    std::FILE* in = std::fopen(data.c_str(), "rb");
    if (!in || std::fseek(in, long(offset), SEEK_SET) != 0) {
        if (in) std::fclose(in);
        return;
    }
    InflateCounter z(15 + 32);  // zlib or gzip, as MetaIO accepts
    std::vector<unsigned char> buf(1 << 16);
    for (long long left = compressed; left > 0 && !z.ended() && !z.damaged();) {
        const std::size_t got = std::fread(buf.data(), 1, std::min<std::size_t>(buf.size(), std::size_t(left)), in);
        if (got == 0) break;
        z.feed(buf.data(), got);
        left -= static_cast<long long>(got);
    }
    std::fclose(in);
    if (z.damaged()) throw InputError(file.string() + " has damaged compressed voxel data (" + z.error() + ")");
    if (z.total() < declared || !z.ended()) refuse(z.total(), "its compressed data holds");
}

}  // namespace

void checkFileBeforeDecoding(const fs::path& file, std::size_t budget, bool payload) {
    checkReadableFile(file);
    checkPngStructure(file, budget, payload);
    checkJpegStructure(file);
    checkBmpPayload(file);
    walkDicom(file);
    checkNiftiPayload(file, budget, payload);
    checkMetaImagePayload(file, budget, payload);
}

void checkDicomStructure(const fs::path& file) { walkDicom(file); }

}  // namespace dacw
