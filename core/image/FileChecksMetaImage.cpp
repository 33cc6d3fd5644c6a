// The MetaImage (.mha, .mhd) checks (image/FileCheckParts.h).
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

}  // namespace

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

}  // namespace dacw::checks
