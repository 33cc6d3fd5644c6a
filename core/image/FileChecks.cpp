#include "core/image/FileChecks.h"
#include "core/image/FileCheckParts.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "core/util/Errors.h"

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

}  // namespace

void checkFileBeforeDecoding(const fs::path& file, std::size_t budget, bool payload) {
    checkReadableFile(file);
    using namespace checks;
    checkPngStructure(file, budget, payload);
    checkJpegStructure(file, budget, payload);
    checkTiffTags(file);
    checkBmpPayload(file);
    walkDicom(file);
    checkNiftiPayload(file, budget, payload);
    checkMetaImagePayload(file, budget, payload);
}

long long checkDicomStructure(const fs::path& file) { return checks::walkDicom(file); }

UnpaddedDicom::~UnpaddedDicom() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
}

fs::path UnpaddedDicom::readable(const fs::path& file, bool alone) {
    if (alone) checkReadableFile(file);
    const long long from = checkDicomStructure(file);
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (from < 0 || ec || (long long)size - from < 65536) return file;
    if (dir_.empty()) {
        std::string pattern = (fs::temp_directory_path(ec) / "dacw-dicom-XXXXXX").string();
        if (ec || !::mkdtemp(pattern.data())) return file;
        dir_ = pattern;
    }
    // Numbered, so that files of the same name from different folders do not meet.
    const fs::path copy = dir_ / (std::to_string(copies_) + "-" + file.filename().string());
    std::ifstream in(file, std::ios::binary);
    std::ofstream out(copy, std::ios::binary);
    std::vector<char> buf(1 << 20);
    for (long long left = from; in && out && left > 0;) {
        const auto n = std::streamsize(std::min<long long>(left, (long long)buf.size()));
        if (!in.read(buf.data(), n)) break;
        out.write(buf.data(), n);
        left -= n;
    }
    out.close();
    if (!in || !out || fs::file_size(copy, ec) != std::uintmax_t(from)) {
        fs::remove(copy, ec);
        return file;
    }
    ++copies_;
    names_.emplace_back(copy.string(), file.string());
    return copy;
}

std::string UnpaddedDicom::originalNames(std::string message) const {
    for (const auto& [copy, original] : names_)
        for (std::size_t at = message.find(copy); at != std::string::npos; at = message.find(copy, at + original.size()))
            message.replace(at, copy.size(), original);
    return message;
}

}  // namespace dacw
