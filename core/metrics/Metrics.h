#pragma once
// Segmentation scores per evaluation region: Dice and the 95th-percentile Hausdorff distance
// (HD95, in millimetres through the voxel spacing).
#include <map>
#include <string>
#include <vector>

#include "dataset/Task.h"
#include "image/Image.h"

namespace dacw {

struct RegionScore {
    double dice = 0.0;
    /// HD95 in mm. Undefined (NaN) when exactly one of prediction and reference is empty;
    /// 0 when both are empty.
    double hd95 = 0.0;
    bool predictionEmpty = false;
    bool referenceEmpty = false;
};

/// Dice of two binary masks (1 when both are empty).
double dice(const std::vector<bool>& a, const std::vector<bool>& b);
/// Max of the two directed 95th-percentile surface distances, in mm.
double hd95(const std::vector<bool>& a, const std::vector<bool>& b, const Geometry& g);
/// Squared Euclidean distance (mm²) from every voxel to the nearest voxel where `feature` is true
/// (separable exact transform, anisotropic spacing). Infinity when there is no feature voxel.
std::vector<double> squaredDistanceTransform(const std::vector<bool>& feature, const Geometry& g);

/// Scores of every region of the task. Throws InputError when the grids differ in size.
std::map<std::string, RegionScore> evaluateCase(const LabelMap& prediction, const LabelMap& reference, const Task& task);

}  // namespace dacw
