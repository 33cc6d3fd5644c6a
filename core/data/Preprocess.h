#pragma once
// The data layer between images on disk and the training library: decode (ITK), convert
// channels, resample to the training size (OpenCV), normalise per image and channel, cut volumes
// into 2D slices, and keep the result in a disk cache so that a second run does not decode again.
// Predictions go the other way: probabilities at the training size back to each image's grid.
#include <filesystem>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/train/TensorDataset.h"
#include "core/train/TrainConfig.h"
#include "core/dataset/Domain.h"
#include "core/dataset/Task.h"
#include "core/image/Image.h"
#include "core/image/ImageIO.h"

namespace dacw {

struct PreprocessOptions {
    int size = 128;                  // square side the networks see
    train::Resize resize = train::Resize::Stretch;
    int channels = 3;                // 1 or 3
    std::size_t maxBytes = 0;        // decoding budget per image (ReadOptions)
    std::filesystem::path cacheDir;  // empty: no disk cache
};

/// One sample of a case: 2D images have one, volumes one per axial slice ("id@z").
std::string sampleId(const std::string& caseId, std::size_t slice, std::size_t depth);

/// Where a width x height image lies in the size x size network input. Letterbox: the longer
/// side fills the square, the shorter one is scaled by the same factor (rounded half up) and
/// centred (offsets rounded down); the rest is padding. Stretch, or a square image: the whole
/// square. Resampling into and out of this box is pixel-centred both ways.
struct FitBox {
    int x = 0, y = 0, width = 0, height = 0;
};
FitBox fitBox(int width, int height, int size, train::Resize mode);

/// [C,size,size] float values of slice z: channels converted, resampled into its fitBox,
/// z-scored per channel over that box; padding is 0 (the mean).
std::vector<float> networkInput(const Image& img, std::size_t z, int channels, int size, train::Resize mode);

struct LoadReport {
    std::size_t cases = 0;
    std::size_t samples = 0;
    bool fromCache = false;
    std::vector<std::string> skipped;  // "case: reason" for cases that could not be used
};

/// The cases of a domain as tensors. With `withMasks`, only cases that have a mask are taken and
/// masks become class indices (label value = class index); otherwise masks are ignored.
/// `onlyCases` (if not empty) selects cases by id, in that order. Unreadable cases are skipped
/// and listed in the report; an empty result throws InputError saying why.
train::TensorDataset loadDomainTensors(const Domain& d, const Task& task, const PreprocessOptions& opt, bool withMasks,
                                       const std::vector<std::string>& onlyCases = {}, LoadReport* report = nullptr);

/// A label plane resampled to outWidth x outHeight so that its pixel centres match the image's
/// (resampled with INTER_AREA / INTER_LINEAR): every output pixel takes the label with the largest
/// area-weighted share. Labels >= classes are ignored (they cannot win).
std::vector<std::uint8_t> resampleLabels(const std::uint8_t* labels, int width, int height, int classes, int outWidth,
                                         int outHeight);
/// A label plane as the network sees it: resampled (resampleLabels) into its fitBox of a
/// size x size square; padding is label 0 (background, as the outside of the picture is).
std::vector<std::uint8_t> networkLabels(const std::uint8_t* labels, int width, int height, int classes, int size,
                                        train::Resize mode);

/// Label map on `g` from per-slice class probabilities, each [K*size*size] floats (class-major),
/// resampled bilinearly from the slice's fitBox to the slice size before the arg-max (the
/// padding is dropped). Class index = label value.
LabelMap labelsFromProbabilities(const std::vector<std::vector<float>>& sliceProbs, int classes, int size, const Geometry& g,
                                 train::Resize mode);

/// A heat map on `g` from per-slice maps of values in 0..1, each [size*size] floats, resampled
/// bilinearly from the fitBox to the slice size and stored as 0..255 (value * 255, rounded; outside 0..1 clamped).
LabelMap heatFromSliceMaps(const std::vector<std::vector<float>>& sliceMaps, int size, const Geometry& g, train::Resize mode);

}  // namespace dacw
