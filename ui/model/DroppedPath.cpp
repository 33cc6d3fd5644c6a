#include "ui/model/DroppedPath.h"

#include <algorithm>
#include <cctype>
#include <fstream>

#include "core/image/ImageIO.h"

namespace dacw {

namespace fs = std::filesystem;

namespace {
std::string lowerExtension(const fs::path& p) {
    std::string e = p.extension().string();
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return e;
}
}  // namespace

bool looksLikeDicomFile(const fs::path& file) {
    const std::string ext = lowerExtension(file);
    if (ext == ".dcm" || ext == ".ima" || ext == ".dicom") return true;
    std::ifstream in(file, std::ios::binary);
    char mark[4] = {};
    return in.seekg(128) && in.read(mark, 4) && std::string(mark, 4) == "DICM";
}

DroppedPath classifyDropped(const fs::path& path) {
    DroppedPath d;
    d.path = path;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        // A folder whose own files are DICOM is a series; any other folder is a domain (its
        // images may sit in images/, imagesTr/ or directly in it). A few files decide.
        int looked = 0;
        for (fs::directory_iterator it(path, ec), end; !ec && it != end && looked < 16; it.increment(ec)) {
            if (!it->is_regular_file(ec) || it->path().filename().string().front() == '.') continue;
            ++looked;
            if (looksLikeDicomFile(it->path())) {
                d.kind = DroppedKind::DicomFolder;
                return d;
            }
            if (looksLikeImageFile(it->path())) break;
        }
        if (ec) {
            d.reason = "the folder " + path.string() + " cannot be read (" + ec.message() + ")";
            return d;
        }
        d.kind = DroppedKind::DomainFolder;
        return d;
    }
    if (!fs::is_regular_file(path, ec)) {
        d.reason = path.string() + " does not exist or is not a file or folder";
        return d;
    }
    if (lowerExtension(path) == ".dacproj") d.kind = DroppedKind::Project;
    else if (looksLikeImageFile(path) || looksLikeDicomFile(path)) d.kind = DroppedKind::Image;
    else d.reason = path.filename().string() + " is neither a project (.dacproj), an image nor a folder";
    return d;
}

}  // namespace dacw
