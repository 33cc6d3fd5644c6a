// The PNG, JPEG, BMP and TIFF checks (image/FileCheckParts.h).
#include "core/image/FileCheckParts.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>
#include <csetjmp>

#include <jpeglib.h>

#include "core/util/Errors.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;

namespace dacw::checks {
namespace {

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

}  // namespace

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

}  // namespace dacw::checks
