#include "image/FileChecks.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>
#include <zlib.h>

#include <jpeglib.h>

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
std::uint16_t be16(const unsigned char* p) { return std::uint16_t((p[0] << 8) | p[1]); }
std::uint64_t le64(const unsigned char* p) { return (std::uint64_t(le32(p + 4)) << 32) | le32(p); }
std::uint64_t be64(const unsigned char* p) { return (std::uint64_t(be32(p)) << 32) | be32(p + 4); }

/// A byte count computed in double (it may exceed every integer type), as digits.
std::string wholeNumber(double v) {
    std::ostringstream s;
    s.precision(0);
    s << std::fixed << v;
    return s.str();
}

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

/// libjpeg's error manager for jpegProblem: a fatal error jumps back with libjpeg's message.
struct JpegError {
    jpeg_error_mgr pub;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

extern "C" void jpegErrorExit(j_common_ptr cinfo) {
    auto* e = reinterpret_cast<JpegError*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, e->message);
    std::longjmp(e->jump, 1);
}

extern "C" void jpegQuiet(j_common_ptr, int) {}

/// libjpeg's fatal error for `file`, "" when there is none: its header is read (jpeg_read_header,
/// what ITK's CanReadFile and ReadImageInformation do), and with `whole` every scanline decoded (what
/// ITK's Read does). Plain C data only between setjmp and longjmp; libjpeg owns the row buffer.
std::string jpegProblem(const fs::path& file, bool whole) {
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) return {};
    jpeg_decompress_struct cinfo;
    JpegError err;
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = jpegErrorExit;
    err.pub.emit_message = jpegQuiet;
    err.message[0] = '\0';
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        std::fclose(f);
        return err.message[0] ? err.message : "libjpeg error";
    }
    jpeg_create_decompress(&cinfo);
    jpeg_stdio_src(&cinfo, f);
    jpeg_read_header(&cinfo, TRUE);
    jpeg_calc_output_dimensions(&cinfo);
    if (whole) {
        jpeg_start_decompress(&cinfo);
        JSAMPARRAY row = (*cinfo.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&cinfo), JPOOL_IMAGE,
                                                    cinfo.output_width * JDIMENSION(cinfo.output_components), 1);
        while (cinfo.output_scanline < cinfo.output_height) jpeg_read_scanlines(&cinfo, row, 1);
        jpeg_finish_decompress(&cinfo);
    }
    jpeg_destroy_decompress(&cinfo);
    std::fclose(f);
    return {};
}

/// ITK's JPEG reader crashes (in jpeg_destroy) on some truncated files, so a JPEG's marker
/// segments are walked here first: every segment up to the scan must lie inside the file, and
/// the end-of-image marker must follow the scan. Then libjpeg reads the header, and with `payload`
/// decodes the image once (within `budget`): ITK mishandles a fatal libjpeg error, in its
/// CanReadFile (a bad table: a call through a null pointer in jpeg_destroy) and in Read (a stray
/// SOF marker between progressive scans: a crash inside jpeg_read_scanlines), so a file that
/// libjpeg refuses must not reach it.
void checkJpegStructure(const fs::path& file, std::size_t budget, bool payload) {
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
    double samples = 0;  // width x height x components, from the frame header
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
        const bool frame = b[1] >= 0xC0 && b[1] <= 0xCF && b[1] != 0xC4 && b[1] != 0xC8 && b[1] != 0xCC;
        unsigned char sof[6];
        if (frame && len >= 8 && std::fread(sof, 1, 6, f) == 6)
            samples = double(be16(sof + 1)) * double(be16(sof + 3)) * double(sof[5]);
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
    // Over the budget the header is refused anyway: no need to decode it.
    const bool whole = payload && samples > 0 && samples * (1 + sizeof(float)) <= double(budget);
    const std::string libjpeg = jpegProblem(file, whole);
    if (!libjpeg.empty())
        throw InputError("Cannot read " + file.string() + ": a damaged JPEG, " +
                         (whole ? "its image data does not decode (" : "its header does not decode (") + libjpeg + ")");
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
                         wholeNumber(declared) +
                         " bytes of pixel data, the file holds " + std::to_string(held));
}

/// ITK's TIFF reader copies every extra tag of the first directory into its metadata dictionary,
/// trusting libtiff's field table over what the file holds: it copies 20 bytes of a DateTime tag
/// that libtiff stored with fewer (a heap-buffer overflow), and passes one pointer where libtiff
/// writes the two values of a DotRange tag (a wild write). So those tags are looked at in every
/// directory (classic TIFF and BigTIFF) first: a DateTime shorter than its 19 characters, or any
/// DotRange tag, is refused. libtiff itself checks the rest.
void checkTiffTags(const fs::path& file) {
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) return;
    unsigned char h[16] = {};
    const std::size_t got = std::fread(h, 1, sizeof h, f);
    const bool little = got >= 8 && h[0] == 'I' && h[1] == 'I', big = got >= 8 && h[0] == 'M' && h[1] == 'M';
    const auto u16 = [&](const unsigned char* p) { return little ? le16(p) : be16(p); };
    const auto u32 = [&](const unsigned char* p) { return little ? le32(p) : be32(p); };
    const auto u64 = [&](const unsigned char* p) { return little ? le64(p) : be64(p); };
    const unsigned version = (little || big) ? u16(h + 2) : 0;
    if (version != 42 && !(version == 43 && got >= 16)) {
        std::fclose(f);
        return;  // not a TIFF (or a header libtiff refuses)
    }
    const bool bigTiff = version == 43;
    const long long size = fileSize(file);
    std::uint64_t ifd = bigTiff ? u64(h + 8) : u32(h + 4);
    std::set<std::uint64_t> seen;
    std::string problem;
    const auto readAt = [&](std::uint64_t at, unsigned char* out, std::size_t n) {
        return at + n <= std::uint64_t(size) && std::fseek(f, long(at), SEEK_SET) == 0 && std::fread(out, 1, n, f) == n;
    };
    while (ifd != 0 && problem.empty() && seen.insert(ifd).second && seen.size() <= 65536) {
        unsigned char c[8];
        if (!readAt(ifd, c, bigTiff ? 8 : 2)) break;  // libtiff reports a directory it cannot read
        const std::uint64_t entries = bigTiff ? u64(c) : u16(c);
        const std::size_t entrySize = bigTiff ? 20 : 12, inlineSize = bigTiff ? 8 : 4;
        const std::uint64_t first = ifd + (bigTiff ? 8 : 2);
        if (entries > 65535) break;
        for (std::uint64_t i = 0; i < entries && problem.empty(); ++i) {
            unsigned char e[20];
            if (!readAt(first + i * entrySize, e, entrySize)) break;
            const unsigned tag = u16(e), type = u16(e + 2);
            const std::uint64_t count = bigTiff ? u64(e + 4) : u32(e + 4);
            if (tag == 336) problem = "it holds a DotRange tag, which the TIFF reader cannot handle";
            if (tag != 306) continue;
            // libtiff makes a string of any integer type (a SHORT 2 becomes "\x02"): only the byte
            // types can hold the 19 characters, and only ASCII is valid.
            if (!(type == 1 || type == 2 || type == 6 || type == 7)) {
                problem = "its DateTime tag is of type " + std::to_string(type) + " (TIFF requires ASCII)";
                continue;
            }
            const std::size_t n = std::size_t(std::min<std::uint64_t>(count, 64));
            std::vector<unsigned char> value(std::max<std::size_t>(n, 1));
            const std::uint64_t at = count <= inlineSize ? first + i * entrySize + (bigTiff ? 12 : 8)
                                                         : (bigTiff ? u64(e + 12) : u32(e + 8));
            if (count > 0 && !readAt(at, value.data(), n)) continue;  // libtiff skips a tag it cannot read
            std::size_t len = 0;
            while (len < n && value[len] != 0) ++len;
            if (len < 19)
                problem = "its DateTime tag holds " + std::to_string(len) + " characters (TIFF requires 19)";
        }
        unsigned char next[8];
        if (!readAt(first + entries * entrySize, next, bigTiff ? 8 : 4)) break;
        ifd = bigTiff ? u64(next) : u32(next);
    }
    std::fclose(f);
    if (!problem.empty()) throw InputError("Cannot read " + file.string() + ": a damaged TIFF, " + problem);
}

/// What GDCM's JPEG 2000 codec reads of a frame before openjpeg does, without its bounds checks:
/// its codestream marker walk (parsej2k: it skips each marker segment by the length it declares,
/// past the end of the buffer too, and reads the COD segment's 10th byte whatever its length) and
/// its JP2 box walk (parsejp2: box lengths under 8 wrap around; a 64-bit length must be there).
/// "" when GDCM can read it, else the problem.
/// What the DICOM header says the image is (0 where it does not say).
struct DicomPixels {
    unsigned rows = 0, columns = 0, samples = 0, bitsAllocated = 0;
    bool samplesSet = false, bitsSet = false;
};

std::string j2kHeaderProblem(const std::vector<unsigned char>& b, const DicomPixels& px) {
    const auto be16at = [&](std::size_t i) { return std::uint32_t(be16(b.data() + i)); };
    const auto walkCodestream = [&](std::size_t at, std::size_t end) -> std::string {
        while (at + 2 <= end) {
            const std::uint32_t marker = be16at(at);
            at += 2;
            const bool noLength = (marker >= 0xFF30 && marker <= 0xFF3F) || marker == 0xFF4F || marker == 0xFF93 ||
                                  marker == 0xFFD9 || marker == 0xFF92;
            if (noLength) {
                if (marker == 0xFF93) return {};  // start of data: the header is done
                continue;
            }
            if (at + 2 > end) return {};
            const std::uint32_t length = be16at(at);
            at += 2;
            if (length < 2) return {};  // GDCM stops there
            const std::size_t body = length - 2;
            if (body > end - at) return "its JPEG 2000 codestream has a marker segment that runs past its end";
            if (marker == 0xFF52 && body < 10) return "its JPEG 2000 coding style (COD) segment is too short";
            if (marker == 0xFF51) {
                // The image size (SIZ) must be the one the DICOM header gives: GDCM decodes the
                // codestream's image and copies it by the header's, reading past what openjpeg
                // decoded (a codestream 62984 rows high in an 8 x 8 image).
                if (body < 36) return "its JPEG 2000 image size (SIZ) segment is too short";
                const unsigned char* z = b.data() + at;
                const std::uint64_t width = std::uint64_t(be32(z + 2)) - be32(z + 10), height = std::uint64_t(be32(z + 6)) - be32(z + 14);
                const unsigned components = be16(z + 34);
                if (body < 36 + 3 * std::size_t(components)) return "its JPEG 2000 image size (SIZ) segment is too short";
                if ((px.columns && width != px.columns) || (px.rows && height != px.rows) ||
                    (px.samplesSet && components != px.samples))
                    return "its JPEG 2000 image (" + std::to_string(width) + " x " + std::to_string(height) + ", " +
                           std::to_string(components) + " components) is not the one its header declares (" +
                           std::to_string(px.columns) + " x " + std::to_string(px.rows) + ", " + std::to_string(px.samples) + ")";
                for (unsigned c = 0; c < components; ++c) {
                    const unsigned bits = (z[36 + 3 * c] & 0x7F) + 1u, dx = z[37 + 3 * c], dy = z[38 + 3 * c];
                    if (dx != 1 || dy != 1) return "its JPEG 2000 image has subsampled components";
                    if (px.bitsSet && px.bitsAllocated && bits > px.bitsAllocated)
                        return "its JPEG 2000 image has " + std::to_string(bits) + "-bit samples, more than its header allocates";
                }
            }
            at += body;
        }
        return {};
    };
    static const unsigned char kJp2[12] = {0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A};
    if (b.size() < 12 || std::memcmp(b.data(), kJp2, 12) != 0) return walkCodestream(0, b.size());
    std::size_t at = 0;
    while (at + 8 <= b.size()) {
        std::uint64_t length = be32(b.data() + at);
        const std::uint32_t type = be32(b.data() + at + 4);
        std::size_t head = 8;
        if (length == 1) {
            if (at + 16 > b.size()) return "its JP2 box header is cut";
            length = be64(b.data() + at + 8);
            head = 16;
        } else if (length == 0) {
            length = b.size() - at;  // to the end
        }
        if (length < head || length > b.size() - at) return "its JP2 box lengths are damaged";
        if (type == 0x6A703263) return walkCodestream(at + head, at + std::size_t(length));  // jp2c
        at += std::size_t(length);
    }
    return "its JP2 data holds no codestream";
}

/// The JPEG 2000 checks of encapsulated pixel data (transfer syntaxes 1.2.840.10008.1.2.4.90 to
/// .93): the fragments after the offset table. GDCM decodes one frame from all of them together,
/// or, with several frames, each fragment alone; it asserts that a frame holds an 0xD9 byte (the
/// last byte of the end-of-codestream marker) and walks the header of the first (see
/// j2kHeaderProblem).
std::string jpeg2000Problem(std::FILE* f, const std::vector<std::pair<long long, std::uint32_t>>& fragments, long frames,
                            const std::string& syntax, const DicomPixels& px) {
    static const char* kJ2k[] = {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.92",
                                 "1.2.840.10008.1.2.4.93"};
    if (std::none_of(std::begin(kJ2k), std::end(kJ2k), [&](const char* s) { return syntax == s; })) return {};
    if (fragments.size() < 2) return {};  // no frame: GDCM reports it
    const auto read = [&](const std::pair<long long, std::uint32_t>& frag) {
        std::vector<unsigned char> b(frag.second);
        if (!b.empty() && (std::fseek(f, long(frag.first), SEEK_SET) != 0 || std::fread(b.data(), 1, b.size(), f) != b.size()))
            b.clear();
        return b;
    };
    const auto hasEnd = [](const std::vector<unsigned char>& b) {
        return std::find(b.begin(), b.end(), 0xD9) != b.end();
    };
    if (frames > 1) {
        for (std::size_t i = 1; i < fragments.size(); ++i) {
            const auto b = read(fragments[i]);
            if (!hasEnd(b)) return "a JPEG 2000 frame has no end-of-codestream marker (damaged file)";
            const std::string problem = j2kHeaderProblem(b, px);
            if (!problem.empty()) return problem + " (damaged file)";
        }
        return {};
    }
    const std::string problem = j2kHeaderProblem(read(fragments[1]), px);
    if (!problem.empty()) return problem + " (damaged file)";
    for (std::size_t i = fragments.size() - 1; i >= 1; --i)  // the marker is normally at the very end
        if (hasEnd(read(fragments[i]))) return {};
    return "its JPEG 2000 image has no end-of-codestream marker (damaged file)";
}

/// GDCM fails an assertion (aborting the process) on a file that ends inside an element: right after
/// "DICM", inside the File Meta group or anywhere in the data set. So the element structure is walked
/// here first, reading only element headers and seeking over values: every element must lie inside the
/// file, a data set must follow the meta group, and every sequence of undefined length must be closed.
/// What the walk does not understand (a deflated data set, an unknown VR) is left to GDCM.
/// A MetaImage slice file pattern, "FORMAT MIN MAX STEP" (one file per slice: FORMAT with MIN,
/// MIN+STEP, ... MAX): MetaIO formats FORMAT with sprintf (any conversion but one integer one
/// reads what is not there), and loops from MIN to MAX by STEP, forever when STEP is 0 (which it
/// also computes, from a pattern without one, for most sizes). Each slice file must exist.
void checkSlicePattern(const fs::path& file, const std::string& pattern, const std::string& dimSize) {
    std::istringstream in(pattern);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    const auto refuse = [&](const std::string& why) {
        throw InputError("Cannot read " + file.string() + ": its slice file pattern (ElementDataFile = " + pattern +
                         ") " + why);
    };
    if (words.size() != 4) refuse("is not FORMAT MIN MAX STEP");
    // One conversion, %d with an optional 0 flag and width, and no other '%'.
    const std::string& format = words[0];
    int conversions = 0;
    for (std::size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%') continue;
        std::size_t j = i + 1;
        if (j < format.size() && format[j] == '0') ++j;
        while (j < format.size() && j - i <= 3 && std::isdigit(static_cast<unsigned char>(format[j]))) ++j;
        if (j >= format.size() || format[j] != 'd') refuse("has a conversion other than %d");
        ++conversions;
        i = j;
    }
    if (conversions != 1) refuse("must hold exactly one %d");
    long long v[3];
    for (int k = 0; k < 3; ++k) {
        const std::string& w = words[std::size_t(k) + 1];
        const auto r = std::from_chars(w.data(), w.data() + w.size(), v[k]);
        if (r.ec != std::errc() || r.ptr != w.data() + w.size() || v[k] < 0 || v[k] > 1000000)
            refuse("has MIN, MAX and STEP that are not whole numbers from 0 to 1000000");
    }
    if (v[2] < 1 || v[1] < v[0]) refuse("must count up from MIN to MAX by a STEP of at least 1");
    std::istringstream dims(dimSize);
    double last = 0;
    for (double d; dims >> d;) last = d;
    const long long files = (v[1] - v[0]) / v[2] + 1;
    if (double(files) != last)
        refuse("names " + std::to_string(files) + " slice files for " + wholeNumber(last) + " slices");
    for (long long i = v[0]; i <= v[1]; i += v[2]) {
        char name[128];
        std::snprintf(name, sizeof name, format.c_str(), int(i));
        const fs::path slice = fs::path(name).is_absolute() ? fs::path(name) : file.parent_path() / name;
        std::error_code ec;
        if (!fs::is_regular_file(slice, ec)) refuse("names " + slice.string() + ", which is missing or not a file");
    }
}

/// A MetaImage list of data files: "ElementDataFile = LIST [ND]", then one file name per line,
/// each holding an N-dimensional block (N defaults to NDims - 1: one file per slice). MetaIO takes
/// any value starting with "LIST" for one and reads the names and block sizes without checks
/// (fuzz_metaimage: a SEGV and heap corruption on damaged lists). Each listed file must exist.
void checkSliceList(const fs::path& file, const std::string& value, const std::string& rest, const std::string& dimSize) {
    const auto refuse = [&](const std::string& why) {
        throw InputError("Cannot read " + file.string() + ": its list of data files (ElementDataFile = " +
                         value.substr(0, 80) + ") " + why);
    };
    std::istringstream in(value);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    std::vector<long long> dims;
    {
        std::istringstream ds(dimSize);
        for (double d; ds >> d;) dims.push_back((long long)d);
    }
    if (dims.empty()) refuse("comes without DimSize");
    const int ndims = int(dims.size());
    int blockDims = ndims - 1;
    if (words.empty() || words[0] != "LIST" || words.size() > 2) refuse("is not LIST or LIST ND");
    if (words.size() == 2) {
        const std::string& w = words[1];
        if (w.size() != 2 || !std::isdigit(static_cast<unsigned char>(w[0])) || (w[1] != 'D' && w[1] != 'd'))
            refuse("is not LIST or LIST ND");
        blockDims = w[0] - '0';
    }
    if (blockDims < 1 || blockDims > ndims)
        refuse("names blocks of " + std::to_string(blockDims) + " dimensions in a " + std::to_string(ndims) + "-D image");
    long long files = 1;
    for (int i = blockDims; i < ndims; ++i) files *= dims[std::size_t(i)];
    if (files < 1 || files > 100000) refuse("would need " + std::to_string(files) + " files");
    std::istringstream lines(rest);
    std::string name;
    for (long long k = 0; k < files; ++k) {
        do {
            if (!std::getline(lines, name)) refuse("names fewer files than the " + std::to_string(files) + " it needs");
            while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.pop_back();
        } while (name.empty());
        if (name.size() >= 255 || std::any_of(name.begin(), name.end(), [](char c) { return (unsigned char)c < 0x20; }))
            refuse("holds a line that is not a file name");
        const fs::path block = fs::path(name).is_absolute() ? fs::path(name) : file.parent_path() / name;
        std::error_code ec;
        if (!fs::is_regular_file(block, ec)) refuse("names " + block.string() + ", which is missing or not a file");
    }
}

/// The dictionary VR of the top-level elements GDCM reads through its typed attributes (image
/// geometry, rescale, Image Pixel module), or nullptr for other elements.
const char* dictionaryVrOfTypedAttribute(std::uint16_t group, std::uint16_t element) {
    struct Entry {
        std::uint16_t group, element;
        const char* vr;
    };
    static const Entry kTyped[] = {
        {0x0018, 0x0050, "DS"}, {0x0018, 0x0088, "DS"}, {0x0018, 0x1164, "DS"}, {0x0018, 0x2010, "DS"},
        {0x0020, 0x0032, "DS"}, {0x0020, 0x0037, "DS"}, {0x0028, 0x0002, "US"}, {0x0028, 0x0008, "IS"},
        {0x0028, 0x0010, "US"}, {0x0028, 0x0011, "US"}, {0x0028, 0x0030, "DS"}, {0x0028, 0x0100, "US"},
        {0x0028, 0x0101, "US"}, {0x0028, 0x0102, "US"}, {0x0028, 0x0103, "US"}, {0x0028, 0x1052, "DS"},
        {0x0028, 0x1053, "DS"}, {0x3002, 0x0011, "DS"},
    };
    for (const Entry& e : kTyped)
        if (e.group == group && e.element == element) return e.vr;
    return nullptr;
}

/// Whether every byte of the open file from offset `from` to `size` is zero.
bool onlyZerosFrom(std::FILE* f, long long from, long long size) {
    if (std::fseek(f, long(from), SEEK_SET) != 0) return false;
    unsigned char buf[65536];
    for (long long left = size - from; left > 0;) {
        const std::size_t n = std::size_t(std::min<long long>(left, sizeof buf));
        if (std::fread(buf, 1, n, f) != n) return false;
        if (!std::all_of(buf, buf + n, [](unsigned char c) { return c == 0; })) return false;
        left -= (long long)n;
    }
    return true;
}

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
    // The sequences, items and encapsulated pixel data (fragments) the walk is inside, innermost
    // last, with where each ends (-1: at its delimiter). Items lie only directly in sequences and
    // fragments, elements only at the top or in items; GDCM reads whatever else it meets as a
    // guess (one item outside any sequence: a 4 GiB allocation).
    struct Container {
        char kind;  // 'S' sequence, 'I' item, 'F' fragments
        long long end;
    };
    std::vector<Container> open;
    long long p = 132;
    // Encapsulated pixel data of the data set (not of an icon inside a sequence): its fragments.
    bool topFragments = false;
    std::vector<std::pair<long long, std::uint32_t>> fragments;
    long frames = 1;  // (0028,0008) Number of Frames
    DicomPixels px;
    while (problem.empty()) {
        // Close the containers of defined length that end here.
        while (!open.empty() && open.back().end >= 0 && p >= open.back().end) {
            if (p > open.back().end) problem = "an element runs past the end of its sequence or item (damaged file)";
            open.pop_back();
        }
        if (!problem.empty() || p >= size) break;
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
            // Without one GDCM guesses the encoding of what follows, and allocates what a length
            // read under the wrong guess says (4 GiB from a 399-byte file).
            if (syntax.empty()) {
                problem = "its file meta header has no transfer syntax (damaged file)";
                break;
            }
            if (syntax == "1.2.840.10008.1.2.1.99") {  // deflated: only an inflater could walk it
                understood = false;
                break;
            }
            explicitVr = syntax != "1.2.840.10008.1.2";
            bigEndian = syntax == "1.2.840.10008.1.2.2";
        }
        // Zero padding to the end of the file after the top-level data set (scanners and
        // converters write it, e.g. to a block size): GDCM stops there and reads the file, when
        // the padding is of even length (of odd length it finds no image in the file).
        if (!meta && open.empty() && std::all_of(h, h + 8, [](unsigned char c) { return c == 0; }) &&
            onlyZerosFrom(f, p, size)) {
            if ((size - p) % 2 != 0)
                problem = "it ends with " + std::to_string(size - p) + " zero bytes, an odd number (damaged file)";
            break;
        }
        const std::uint16_t group = u16(h), element = u16(h + 2);
        char tag[16];
        std::snprintf(tag, sizeof tag, "(%04X,%04X)", group, element);
        long long head = 8;
        std::uint32_t len;
        const char inside = open.empty() ? 'T' : open.back().kind;  // T: the top data set
        if (group == 0xfffe) {  // item, item delimiter, sequence delimiter: no VR
            len = u32(h + 4);
            const bool undefinedHere = !open.empty() && open.back().end < 0;
            // A delimiter's length is 0 by the standard; GDCM allocates what it says (4 GiB).
            if ((element == 0xe00d || element == 0xe0dd) && len != 0) {
                problem = "a delimiter " + std::string(tag) + " with a length of " + std::to_string(len) + " (damaged file)";
                break;
            }
            if (element == 0xe00d) {  // item delimiter
                if (inside != 'I' || !undefinedHere) {
                    problem = "an item delimiter outside an item of undefined length (damaged file)";
                    break;
                }
                open.pop_back();
                p += 8;
                continue;
            }
            if (element == 0xe0dd) {  // sequence delimiter
                if ((inside != 'S' && inside != 'F') || !undefinedHere) {
                    problem = "a sequence delimiter outside a sequence of undefined length (damaged file)";
                    break;
                }
                open.pop_back();
                p += 8;
                if (inside == 'F' && topFragments && open.empty()) {
                    topFragments = false;
                    problem = jpeg2000Problem(f, fragments, frames, syntax, px);
                }
                continue;
            }
            if (element != 0xe000 || (inside != 'S' && inside != 'F')) {
                problem = "an item tag " + std::string(tag) + " outside a sequence (damaged file)";
                break;
            }
            if (inside == 'F') {  // a fragment: bytes, not a data set
                if (len == 0xffffffffu) {
                    problem = "a pixel data fragment of undefined length (damaged file)";
                    break;
                }
                if (topFragments && open.size() == 1) fragments.emplace_back(p + 8, len);
            } else if (len != 0xffffffffu) {  // an item of defined length: its data set is walked
                if (p + 8 + len > size) {
                    problem = "it ends inside a sequence item (truncated file)";
                    break;
                }
                open.push_back({'I', p + 8 + len});
                p += 8;
                continue;
            }
        } else if (inside == 'S' || inside == 'F') {
            problem = "data element " + std::string(tag) + " directly inside a sequence (damaged file)";
            break;
        } else if (explicitVr) {
            // Not a VR at all: GDCM would guess (implicit VR, another length field) and allocate
            // what the guessed length says, gigabytes from a few damaged bytes; an unknown one
            // ("EA") fails an assertion in its file meta reader.
            static const char kVrs[] = "AEASATCSDADSDTFDFLISLOLTOBODOFOLOVOWPNSHSLSQSSSTSVTMUCUIULUNURUSUTUV";
            bool known = false;
            for (std::size_t k = 0; k + 1 < sizeof kVrs && !known; k += 2) known = kVrs[k] == char(h[4]) && kVrs[k + 1] == char(h[5]);
            if (!known) {
                problem = "data element " + std::string(tag) + " has no valid value representation (damaged file)";
                break;
            }
            // GDCM reads the geometry and Image Pixel elements as typed attributes and asserts
            // that their VR is the dictionary's (or UN): (0018,2010) as "DA" aborted the process.
            if (!meta && open.empty() && std::memcmp(h + 4, "UN", 2) != 0) {
                const char* want = dictionaryVrOfTypedAttribute(group, element);
                if (want && std::memcmp(h + 4, want, 2) != 0) {
                    problem = "data element " + std::string(tag) + " has value representation " +
                              std::string(reinterpret_cast<const char*>(h + 4), 2) + " where DICOM defines " + want +
                              " (damaged file)";
                    break;
                }
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
                if (len == 0xffffffffu && std::memcmp(h + 4, "UN", 2) == 0) {
                    // No element of the meta group has an undefined length, and GDCM asserts that
                    // Pixel Data as UN has none; elsewhere: implicit VR inside, not walked.
                    if (meta) problem = "its file meta header is damaged (an element of undefined length)";
                    else if (group == 0x7fe0 && element == 0x0010)
                        problem = "data element " + std::string(tag) + " has an undefined length it cannot have (damaged file)";
                    else understood = false;
                    break;
                }
            }
        } else {
            len = u32(h + 4);
        }
        if (len == 0xffffffffu) {  // its contents follow as elements or items, up to a delimiter
            if (meta) problem = "its file meta header is damaged (an element of undefined length)";
            const bool pixelData = group == 0x7fe0 && element == 0x0010;
            // GDCM asserts that only sequences, UN and encapsulated Pixel Data (OB or OW) have an
            // undefined length, and that Pixel Data is not a sequence.
            if (explicitVr && group != 0xfffe) {
                const bool sq = std::memcmp(h + 4, "SQ", 2) == 0, un = std::memcmp(h + 4, "UN", 2) == 0;
                const bool obow = std::memcmp(h + 4, "OB", 2) == 0 || std::memcmp(h + 4, "OW", 2) == 0;
                if ((sq || un) ? pixelData : !(pixelData && obow))
                    problem = "data element " + std::string(tag) + " has an undefined length it cannot have (damaged file)";
            }
            if (group == 0xfffe) open.push_back({'I', -1});
            else if (pixelData && !(explicitVr && std::memcmp(h + 4, "SQ", 2) == 0)) {
                if (open.empty()) {
                    topFragments = true;
                    fragments.clear();
                }
                open.push_back({'F', -1});
            } else {
                open.push_back({'S', -1});
            }
            p += head;
            continue;
        }
        if (p + head + len > size) {
            problem = std::string(meta ? "it ends inside its file meta header" : "it ends inside data element " +
                                  std::string(tag)) + " (truncated file)";
            break;
        }
        // A sequence of defined length (explicit VR): its items are walked too, as GDCM parses them.
        if (explicitVr && group != 0xfffe && std::memcmp(h + 4, "SQ", 2) == 0 && len > 0) {
            open.push_back({'S', p + head + len});
            p += head;
            continue;
        }
        if (!meta && open.empty() && group == 0x0028 && len == 2 &&
            (element == 0x0002 || element == 0x0010 || element == 0x0011 || element == 0x0100)) {  // US values
            unsigned char us[2];
            if (std::fseek(f, long(p + head), SEEK_SET) == 0 && std::fread(us, 1, 2, f) == 2) {
                const unsigned v = u16(us);
                if (element == 0x0002) px.samples = v, px.samplesSet = true;
                if (element == 0x0010) px.rows = v;
                if (element == 0x0011) px.columns = v;
                if (element == 0x0100) px.bitsAllocated = v, px.bitsSet = true;
            }
            // GDCM asserts on these (its PixelFormat: samples 1, 3 or 4; bits allocated not 0, which
            // it takes for "unknown" while bits stored stays).
            if (element == 0x0002 && !(px.samples == 1 || px.samples == 3 || px.samples == 4))
                problem = "it declares " + std::to_string(px.samples) + " samples per pixel (DICOM allows 1, 3 or 4)";
            if (element == 0x0100 && !((px.bitsAllocated >= 1 && px.bitsAllocated <= 64) || px.bitsAllocated == 0xff ||
                                        px.bitsAllocated == 0xfff || px.bitsAllocated == 0xffff))
                problem = "it declares " + std::to_string(px.bitsAllocated) + " bits allocated per sample";
            if (!problem.empty()) break;
        }
        if (!meta && open.empty() && group == 0x0008 && element == 0x0010 && len > 0) {  // Recognition Code
            char code[8] = {};
            const std::size_t n = std::min<std::size_t>(len, 8);
            const bool got = std::fseek(f, long(p + head), SEEK_SET) == 0 && std::fread(code, 1, n, f) == n;
            if (!got || !((n == 8 && std::memcmp(code, "ACR-NEMA", 8) == 0) || (n >= 7 && std::memcmp(code, "ACRNEMA", 7) == 0))) {
                problem = "its recognition code (0008,0010) is not ACR-NEMA (GDCM asserts it is)";
                break;
            }
        }
        if (!meta && open.empty() && group == 0x0028 && element == 0x0008 && len < 16) {  // Number of Frames (IS)
            char number[16] = {};
            if (std::fseek(f, long(p + head), SEEK_SET) == 0 && std::fread(number, 1, len, f) == len)
                frames = std::max(1L, std::atol(number));
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
    if (problem.empty() && understood && !open.empty()) problem = "it ends inside a sequence (truncated file)";
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
/// The header's geometry must be finite: ITK takes the SVD of the orientation matrix it builds from
/// the voxel sizes and the quaternion (qform_code > 0) or the affine rows (sform_code > 0), and
/// VNL aborts the process on a matrix with a NaN or an infinity.
void checkNiftiPayload(const fs::path& file, std::size_t budget, bool payload) {
    const std::string ext = lowerExtension(file);
    if (ext != ".nii" && ext != ".nii.gz") return;
    unsigned char h[540] = {};
    const bool gz = ext == ".nii.gz";
    const std::size_t n = readHead(file, h, sizeof h);
    if (n < 348) return;  // ITK refuses the header
    // The byte order is whichever makes sizeof_hdr 348 (NIfTI-1) or 540 (NIfTI-2). nifticlib goes by
    // the magic as well: a NIfTI-1 magic with another sizeof_hdr is read too, in the byte order that
    // makes dim[0] 1..7.
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
    // nifticlib's NIFTI_VERSION: "n+D" or "niD" and a NUL, D any digit 1..9.
    const auto niftiMagic = [](const unsigned char* m) {
        return m[0] == 'n' && (m[1] == '+' || m[1] == 'i') && m[2] >= '1' && m[2] <= '9' && m[3] == '\0';
    };
    if (version == 0 && niftiMagic(h + 344)) {
        version = 1;
        const std::uint16_t dim0 = le16(h + 40);
        swap = !(dim0 >= 1 && dim0 <= 7);
    }
    if (version == 0) return;
    const auto u16 = [&](std::size_t at) { return swap ? std::uint16_t((h[at] << 8) | h[at + 1]) : le16(h + at); };
    const auto u32 = [&](std::size_t at) { return swap ? be32(h + at) : le32(h + at); };
    const auto u64 = [&](std::size_t at) {
        return swap ? (std::uint64_t(be32(h + at)) << 32) | be32(h + at + 4)
                    : (std::uint64_t(le32(h + at + 4)) << 32) | le32(h + at);
    };
    const auto f32 = [&](std::size_t at) {
        const std::uint32_t bits = u32(at);
        float v;
        std::memcpy(&v, &bits, 4);
        return double(v);
    };
    const auto f64 = [&](std::size_t at) {
        const std::uint64_t bits = u64(at);
        double v;
        std::memcpy(&v, &bits, 8);
        return v;
    };
    {
        // Voxel sizes x, y, z; quatern_b, c, d and qoffset_x, y, z; srow_x, srow_y, srow_z.
        // Analyze 7.5 (no NIfTI magic) has other fields there, which nifticlib ignores.
        const bool one = version == 1;
        const unsigned char* magic = one ? h + 344 : h + 4;
        const bool nifti = niftiMagic(magic);
        const int qform = !nifti ? 0 : one ? std::int16_t(u16(252)) : std::int32_t(u32(344));
        const int sform = !nifti ? 0 : one ? std::int16_t(u16(254)) : std::int32_t(u32(348));
        std::vector<double> values;
        for (int i = 1; i <= 3; ++i) values.push_back(one ? f32(76 + 4 * i) : f64(104 + 8 * i));
        if (qform > 0)
            for (int i = 0; i < 6; ++i) values.push_back(one ? f32(256 + 4 * i) : f64(352 + 8 * i));
        if (sform > 0)
            for (int i = 0; i < 12; ++i) values.push_back(one ? f32(280 + 4 * i) : f64(400 + 8 * i));
        // Finite, and far from float's limits (real values are millimetres): ITK multiplies and
        // normalises them in float, where 1e38 overflows into an infinity.
        if (!std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v) && std::abs(v) <= 1e12; }))
            throw InputError("Cannot read " + file.string() + ": a damaged NIfTI header, its voxel size or orientation "
                             "holds a value that is not a number (NaN or infinite) or is beyond 1e12");
    }
    if (gz && !payload) return;
    double voxels = 1, offset;
    int bitpix, datatype;
    if (version == 1) {
        if (!niftiMagic(h + 344) || h[345] != '+') return;  // a header/image pair or Analyze: not one file
        const int dims = std::int16_t(u16(40));
        if (dims < 1 || dims > 7) return;
        for (int d = 1; d <= dims; ++d) voxels *= std::int16_t(u16(40 + 2 * d));
        datatype = std::int16_t(u16(70));
        bitpix = std::int16_t(u16(72));
        offset = std::max(f32(108), 352.0);  // the NIfTI-1 minimum for a single file
    } else {
        if (!niftiMagic(h + 4) || h[5] != '+') return;
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
    if (!(offset < 1e15))  // vox_offset: NaN, or a position no file has
        throw InputError("Cannot read " + file.string() + ": a damaged NIfTI header, its voxel data would start at byte " +
                         wholeNumber(offset));
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
/// MetaIO also keeps header fields in fixed-size buffers without bounds checks, so the header itself
/// is checked first: a field name (the text before '=' or ':') of 255 characters or more overflows
/// its 255-byte name (glibc aborts: "buffer overflow detected"); NDims outside 1..4 makes it read
/// that many DimSize, ElementSpacing, ... values, and NDims squared TransformMatrix values, into
/// arrays of 4096 (a negative NDims, read as a huge count, too); a string value of 255 characters
/// or more overflows the 255-byte member it is copied to; and a data file list or pattern is split
/// into words of at most 79 characters.
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
    const auto damaged = [&](const std::string& problem) {
        throw InputError("Cannot read " + file.string() + ": a damaged MetaImage header, " + problem);
    };
    const auto trim = [](std::string t) {
        while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
        while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.erase(0, 1);
        return t;
    };
    // The first `count` numbers of a field (MetaIO reads them with operator>>, leaving the rest of
    // an array uninitialised when fewer are there); each finite and within +-`limit`.
    const auto numbers = [&](const std::string& key, const std::string& value, int count, double limit) {
        std::istringstream in(value);
        std::vector<double> out;
        for (std::string token; int(out.size()) < count && in >> token;) {
            char* end = nullptr;
            const double v = std::strtod(token.c_str(), &end);
            if (end != token.c_str() + token.size() || !std::isfinite(v) || std::abs(v) > limit)
                damaged(key + " = " + value.substr(0, 60) + " (not " + std::to_string(count) + " numbers within " +
                        wholeNumber(limit) + ")");
            out.push_back(v);
        }
        if (int(out.size()) < count) damaged(key + " has fewer than " + std::to_string(count) + " values");
        return out;
    };
    const auto integerIn = [&](const std::string& key, const std::string& value, double lo, double hi) {
        const double v = numbers(key, value, 1, 1e18)[0];
        if (v != std::floor(v) || v < lo || v > hi)
            damaged(key + " = " + value.substr(0, 60) + " (not an integer in " + wholeNumber(lo) + ".." + wholeNumber(hi) + ")");
        return v;
    };
    const auto boolean = [&](const std::string& key, const std::string& value) {
        std::string v = value;
        std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
        if (v != "true" && v != "false" && v != "1" && v != "0") damaged(key + " = " + value.substr(0, 60) + " (not True or False)");
    };
    int ndims = 0;
    const auto needDims = [&](const std::string& key) {
        if (ndims == 0) damaged(key + " comes before NDims");
    };
    static const std::set<std::string> kTypes = {
        "MET_CHAR", "MET_UCHAR", "MET_SHORT", "MET_USHORT", "MET_INT", "MET_UINT", "MET_LONG", "MET_ULONG",
        "MET_LONG_LONG", "MET_ULONG_LONG", "MET_FLOAT", "MET_DOUBLE", "MET_CHAR_ARRAY", "MET_UCHAR_ARRAY",
        "MET_SHORT_ARRAY", "MET_USHORT_ARRAY", "MET_INT_ARRAY", "MET_UINT_ARRAY", "MET_LONG_ARRAY", "MET_ULONG_ARRAY",
        "MET_LONG_LONG_ARRAY", "MET_ULONG_LONG_ARRAY", "MET_FLOAT_ARRAY", "MET_DOUBLE_ARRAY"};
    while (pos < head.size()) {
        std::size_t eol = head.find('\n', pos);
        // A whole file without a final newline was cut inside its header: MetaIO would read that last
        // line, even "ElementDataFile = LOCAL" with no data after it, and fill the volume with zeros.
        if (eol == std::string::npos && static_cast<long long>(head.size()) != fileSize(file))
            damaged("it does not end (ElementDataFile) within its first " + std::to_string(head.size() >> 10) + " KiB");
        if (eol == std::string::npos) eol = head.size();
        std::string line = head.substr(pos, eol - pos);
        pos = eol + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (trim(line).empty()) continue;  // MetaIO skips white space between fields
        // Every header line is "Name = value" (MetaIO also takes ':' as the separator), in printable
        // characters: MetaIO's string handling runs past values with a NUL in them (strlen
        // overflows) and reads a name without a separator together with the lines after it.
        if (std::any_of(line.begin(), line.end(), [](char c) { return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f; }))
            damaged("a header line holds a control character");
        const std::size_t sep = line.find_first_of("=:");
        if (sep == std::string::npos) damaged("the line \"" + line.substr(0, 60) + "\" is not a field");
        // MetaIO's name: up to the separator, leading white space skipped; it stops reading the
        // header at 500 characters.
        const std::string key = trim(line.substr(0, std::min(sep, std::size_t(500))));
        if (key.empty()) damaged("a field has no name");
        if (key.size() >= 255) damaged("a field name of " + std::to_string(key.size()) + " characters");
        std::size_t v = sep;
        while (v < line.size() && (line[v] == '=' || line[v] == ':' || line[v] == ' ' || line[v] == '\t')) ++v;
        const std::string value = trim(line.substr(v));
        if (keys.count(key)) damaged(key + " appears twice");
        keys[key] = value;
        // MetaIO reads up to 499 characters and copies string fields (Name, Comment, ObjectType,
        // AcquisitionDate, ...) into 255-byte members of its image object, overwriting the members
        // after them (an overflow inside the object, which AddressSanitizer does not see: the heap
        // was found corrupted later). Only the data file name is kept in a std::string.
        if (key != "ElementDataFile" && value.size() >= 255)
            damaged("the value of " + key.substr(0, 40) + " has " + std::to_string(value.size()) + " characters");
        // The fields whose values MetaIO reads into fixed arrays or turns into sizes, checked as
        // MetaIO will use them: NDims first and 1..4 (arrays of NDims, or NDims squared, values);
        // sizes, channels and byte counts integers in range; geometry finite.
        if (key == "NDims") ndims = int(integerIn(key, value, 1, 4));
        else if (key == "DimSize") {
            needDims(key);
            for (double d : numbers(key, value, ndims, 2147483647.0))
                if (d < 1 || d != std::floor(d)) damaged("DimSize = " + value.substr(0, 60) + " (not " + std::to_string(ndims) + " sizes)");
        }
        else if (key == "ElementSpacing" || key == "ElementSize" || key == "Offset" || key == "Position" || key == "Origin" ||
                 key == "CenterOfRotation") {
            needDims(key);
            numbers(key, value, ndims, 1e12);
        } else if (key == "TransformMatrix" || key == "Rotation" || key == "Orientation") {
            needDims(key);
            numbers(key, value, ndims * ndims, 1e12);
        }
        else if (key == "ElementNumberOfChannels") integerIn(key, value, 1, 4);
        else if (key == "CompressedDataSize") integerIn(key, value, 0, 1e15);
        else if (key == "HeaderSize") integerIn(key, value, -1, 1e15);
        else if (key == "BinaryData" || key == "BinaryDataByteOrderMSB" || key == "ElementByteOrderMSB" || key == "CompressedData")
            boolean(key, value);
        else if (key == "ElementType" && !kTypes.count(value)) damaged("ElementType = " + value.substr(0, 60) + " (not a MetaIO type)");
        else if (key == "AnatomicalOrientation") {
            needDims(key);
            if (int(value.size()) != ndims || value.find_first_not_of("RLAPSI?") != std::string::npos)
                damaged("AnatomicalOrientation = " + value.substr(0, 60) + " (not " + std::to_string(ndims) + " of RLAPSI?)");
        }
        if (key == "ElementDataFile") {  // always the last header line
            dataStart = pos;
            break;
        }
    }
    if (dataStart == std::string::npos) return;
    if (keys["ElementDataFile"].find('%') != std::string::npos || keys["ElementDataFile"].rfind("LIST", 0) == 0) {
        std::istringstream words(keys["ElementDataFile"]);
        for (std::string w; words >> w;)
            if (w.size() >= 80) damaged("a data file pattern word of " + std::to_string(w.size()) + " characters");
    }
    if (keys["ElementDataFile"].rfind("LIST", 0) == 0)
        checkSliceList(file, keys["ElementDataFile"], dataStart < head.size() ? head.substr(dataStart) : std::string(), keys["DimSize"]);
    else if (keys["ElementDataFile"].find('%') != std::string::npos)
        checkSlicePattern(file, keys["ElementDataFile"], keys["DimSize"]);
    static const std::map<std::string, int> kSizes = {
        {"MET_CHAR", 1},  {"MET_UCHAR", 1}, {"MET_SHORT", 2},     {"MET_USHORT", 2},     {"MET_INT", 4},
        {"MET_UINT", 4},  {"MET_LONG", 4},  {"MET_ULONG", 4},     {"MET_LONG_LONG", 8},  {"MET_ULONG_LONG", 8},
        {"MET_FLOAT", 4}, {"MET_DOUBLE", 8}};
    const auto type = kSizes.find(keys["ElementType"]);
    // MetaIO's reading of a boolean field: its first character is T, t or 1 (so "Tx" is true).
    const auto isTrue = [&](const char* key) {
        const std::string& v = keys[key];
        return !v.empty() && (v[0] == 'T' || v[0] == 't' || v[0] == '1');
    };
    if (type == kSizes.end() || keys["DimSize"].empty()) return;
    double declaredD = type->second * std::max(1.0, std::atof(keys["ElementNumberOfChannels"].c_str()));
    std::istringstream dims(keys["DimSize"]);
    double d;
    int nd = 0;
    while (dims >> d) declaredD *= d, ++nd;
    if (nd == 0 || !(declaredD >= 1) || declaredD > double(budget)) return;  // infoFrom's to refuse
    // Voxels as text: ITK 5.2's MetaIO writes past its voxel buffer reading them (a valid 4 x 4
    // MET_SHORT or MET_FLOAT image is enough; found by valgrind after fuzz_metaimage had left the
    // heap corrupted).
    if (keys.count("BinaryData") && !isTrue("BinaryData"))
        throw InputError("Cannot read " + file.string() + ": its voxels are stored as text (BinaryData = " +
                         keys["BinaryData"] +
                         "), which the MetaImage reader cannot read safely; save it with binary data");
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
        // A missing data file (an .mhd copied without its .raw): MetaIO reports it once per
        // region it reads, without end, for a compressed one (fuzz_metaimage: a timeout).
        if (!fs::is_regular_file(data, ec))
            throw InputError("Cannot read " + file.string() + ": its voxel data file " + data.string() +
                             " (ElementDataFile) is missing or not a file");
        if (offset < 0) return;
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
    checkJpegStructure(file, budget, payload);
    checkTiffTags(file);
    checkBmpPayload(file);
    walkDicom(file);
    checkNiftiPayload(file, budget, payload);
    checkMetaImagePayload(file, budget, payload);
}

void checkDicomStructure(const fs::path& file) { walkDicom(file); }

}  // namespace dacw
