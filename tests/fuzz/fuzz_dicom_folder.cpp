// A DICOM folder (a series, as `dacw` and the workbench open it): the input is split into up to
// four files at a separator line, written as 0.dcm, 1.dcm, ... into an empty folder, then
// listDicomSeries and readImageOrSeries (the folder path) read it. Seeds are slices of one
// generated series. InputError is the only accepted refusal.
#include "FuzzSupport.h"
#include "core/image/ImageIO.h"

using namespace dacw;

namespace {
constexpr std::string_view kSeparator = "\n--dacw-fuzz-next-file--\n";
constexpr std::size_t kBudget = std::size_t(64) << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const auto dir = fuzz::freshFolder("series");
    const auto parts = fuzz::splitParts(data, size, kSeparator, 4);
    for (std::size_t i = 0; i < parts.size(); ++i)
        fuzz::writeBytes(dir / (std::to_string(i) + ".dcm"), parts[i].data(), parts[i].size());
    ReadOptions opt;
    opt.maxBytes = kBudget;

    std::vector<DicomSeries> series;
    fuzz::refusedOrOk([&] { series = listDicomSeries(dir); }, "listDicomSeries");
    for (const auto& s : series) {
        fuzz::require(!s.files.empty(), "a listed series has files");
        for (const auto& f : s.files) fuzz::require(f.parent_path() == dir, "series files are in the folder");
    }
    Image vol;
    if (fuzz::refusedOrOk([&] { vol = readImageOrSeries(dir, opt); }, "readImageOrSeries")) {
        fuzz::require(vol.geometry().voxelCount() > 0, "a decoded series is not empty");
        fuzz::require(vol.data().size() == vol.geometry().voxelCount() * std::size_t(vol.components()),
                      "buffer size = voxels x components");
    }
    return 0;
}
