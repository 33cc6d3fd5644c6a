#include "core/image/FileChecks.h"
#include "core/image/FileCheckParts.h"

#include <cstdio>
#include <cstring>
#include <unistd.h>

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

void checkDicomStructure(const fs::path& file) { checks::walkDicom(file); }

}  // namespace dacw
