// One image format family per binary: the input becomes a file with the extension DACW_FUZZ_EXT
// (".png", ".nii.gz", ".dcm", ...) and goes through the readers the workbench uses on a dataset:
// readImageInfo (the dataset scan), readImage (opening a case) and, for what decodes,
// readLabelMap's conversion rules. Damaged files must give InputError; a decoded image must
// agree with its header.
#include "FuzzSupport.h"
#include "core/image/ImageIO.h"

#ifndef DACW_FUZZ_EXT
#error "define DACW_FUZZ_EXT"
#endif

using namespace dacw;

namespace {
// Far below the default 2 GiB: libFuzzer's memory limit is 2 GiB, and the budget check itself is
// part of what is fuzzed.
constexpr std::size_t kBudget = std::size_t(64) << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const auto file = fuzz::writeInput(std::string("input") + DACW_FUZZ_EXT, data, size);
    ReadOptions opt;
    opt.maxBytes = kBudget;

    ImageInfo info;
    const bool headerOk = fuzz::refusedOrOk([&] { info = readImageInfo(file, opt); }, "readImageInfo");
    Image img;
    const bool decoded = fuzz::refusedOrOk([&] { img = readImage(file, opt); }, "readImage");
    if (!decoded) return 0;

    // What readImage returns must be a whole, consistent image.
    const Geometry& g = img.geometry();
    fuzz::require(g.dimension == 2 || g.dimension == 3, "dimension 2 or 3");
    fuzz::require(g.voxelCount() > 0, "a decoded image is not empty");
    fuzz::require(img.components() >= 1 && img.components() <= 4, "1..4 components");
    fuzz::require(img.data().size() == g.voxelCount() * std::size_t(img.components()), "buffer size = voxels x components");
    fuzz::require(img.data().size() * sizeof(float) <= kBudget, "decoded size within the budget");
    // The cheap header path must have accepted what the full path decoded, with the same size.
    fuzz::require(headerOk, "readImage decoded a file that readImageInfo refused");
    fuzz::require(info.geometry.size == g.size, "readImageInfo and readImage agree on the size");
    fuzz::require(info.components == img.components(), "readImageInfo and readImage agree on the components");

    // The label-map path (masks) on the same file, without decoding it a third time for big inputs.
    if (img.data().size() <= (1u << 20)) {
        LabelMap labels;
        if (fuzz::refusedOrOk([&] { labels = readLabelMap(file, opt); }, "readLabelMap"))
            fuzz::require(labels.geometry().size == g.size, "label map has the image's size");
    }
    return 0;
}
