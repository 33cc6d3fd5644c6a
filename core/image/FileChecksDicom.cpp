// The DICOM element walk and the JPEG 2000 checks of encapsulated pixel data (image/FileCheckParts.h).
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

#include "core/util/Errors.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;

namespace dacw::checks {
namespace {

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

}  // namespace

long long walkDicom(const fs::path& file) {
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) return -1;
    unsigned char h[12] = {};
    const bool dicom =
        std::fseek(f, 128, SEEK_SET) == 0 && std::fread(h, 1, 4, f) == 4 && std::memcmp(h, "DICM", 4) == 0;
    if (!dicom) {
        std::fclose(f);
        return -1;
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
    long long padding = -1;  // where trailing zero padding starts
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
            padding = p;
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
    return padding;
}

}  // namespace dacw::checks
