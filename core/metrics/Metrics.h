#pragma once
// Segmentation scores per evaluation region: Dice and the 95th-percentile Hausdorff distance
// (HD95, in millimetres through the voxel spacing).
#include <map>
#include <string>
#include <vector>

#include "core/dataset/Task.h"
#include "core/image/Image.h"

namespace dacw {

struct RegionScore {
    double dice = 0.0;
    /// HD95 in hd95Unit(geometry). When exactly one of prediction and reference is empty it is
    /// the image diagonal (the largest distance the image allows) and `hd95Penalised` is set, so
    /// a missed structure counts against the mean instead of leaving it; 0 when both are empty.
    double hd95 = 0.0;
    bool hd95Penalised = false;
    bool predictionEmpty = false;
    bool referenceEmpty = false;
};

/// The side of the reference grid that HD95 of photographs is expressed in (see hd95Unit).
constexpr double kHd95ReferenceSide = 512.0;
/// "mm" when the image has a physical spacing; "px@512" for 2D images with unit spacing
/// (photographs): pixels of the image scaled so that its longer side is 512, which makes centres
/// that store different resolutions comparable.
std::string hd95Unit(const Geometry& g);

/// Vertical extent (rows) of a 2D mask, in pixels; 0 when empty.
double verticalExtent(const std::vector<bool>& m, const Geometry& g);

/// Dice of two binary masks (1 when both are empty).
double dice(const std::vector<bool>& a, const std::vector<bool>& b);
/// Max of the two directed 95th-percentile surface distances, in mm.
double hd95(const std::vector<bool>& a, const std::vector<bool>& b, const Geometry& g);
/// Squared Euclidean distance (mm²) from every voxel to the nearest voxel where `feature` is true
/// (separable exact transform, anisotropic spacing). Infinity when there is no feature voxel.
std::vector<double> squaredDistanceTransform(const std::vector<bool>& feature, const Geometry& g);

/// Scores of every region of the task. Throws InputError when the grids differ in size.
std::map<std::string, RegionScore> evaluateCase(const LabelMap& prediction, const LabelMap& reference, const Task& task);

/// Dice of every region of the task (what evaluateCase reports, without the distances).
std::map<std::string, double> diceOfRegions(const LabelMap& prediction, const LabelMap& reference, const Task& task);

/// Vertical cup-to-disc ratio (the glaucoma biomarker read on fundus photographs): vertical extent
/// of the cup over that of the disc. NaN when the map has no disc or the task no disc/cup regions.
double verticalCupToDisc(const LabelMap& labels, const Task& task);

/// Fundus anatomy: the disc is one blob without holes and the cup lies inside it.
struct AnatomyCheck {
    bool applicable = false;  // the task has disc and cup regions and the map is 2D
    bool valid = true;        // one disc component, at most one cup component, cup inside the disc, no holes
};
AnatomyCheck checkAnatomy(const LabelMap& labels, const Task& task);
/// Makes a 2D fundus prediction anatomically valid: keeps the largest disc component with its
/// holes filled, and the largest cup component inside it, holes filled. Other tasks: unchanged.
void enforceAnatomy(LabelMap& labels, const Task& task);

}  // namespace dacw
