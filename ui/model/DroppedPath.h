#pragma once
// What a file or folder dropped on the workbench window (or given on its command line) is, and so
// what opening it does. Cheap: names and at most a few file headers are read, so that deciding
// never stalls the window. Plain C++.
#include <filesystem>
#include <string>

namespace dacw {

enum class DroppedKind {
    Project,       // a .dacproj: open it
    Image,         // an image file: open it (outside a project unless it is one of its cases)
    DicomFolder,   // a folder of DICOM files: open its series as a volume
    DomainFolder,  // any other folder: add it to the open project as a domain
    Unsupported    // `reason` says why
};

struct DroppedPath {
    DroppedKind kind = DroppedKind::Unsupported;
    std::filesystem::path path;
    std::string reason;
};

DroppedPath classifyDropped(const std::filesystem::path& path);

/// True when the file is DICOM: a .dcm/.ima name, or the "DICM" mark at byte 128.
bool looksLikeDicomFile(const std::filesystem::path& file);

}  // namespace dacw
