#pragma once
// Choosing the few cases of a new centre to label for few-shot calibration. Ranking by the
// sub-models' disagreement alone picks atypical eyes (docs/results.md, 2026-12-06: worse than
// random cases in every seed). Here the cases are clustered by what the network sees in them
// (LabelNext's per-case embedding), one case is taken per cluster, largest cluster first, and the
// case taken is a typical one: the densest point of its cluster ("TypiClust", Hacohen et al.,
// ICML 2022), or, with Strategy::Mixed, the most disagreed case among the more typical half of
// the cluster. Torch-free: the workbench includes it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/pipeline/LabelNext.h"

namespace dacw {

enum class PickStrategy { Typical, Mixed };

/// "typical" or "mixed"; throws InputError for anything else, naming the choices.
PickStrategy pickStrategyFromString(const std::string& name);
std::string toString(PickStrategy s);

struct PickedCase {
    std::size_t index = 0;  // into the cases given to pickForCalibration
    int cluster = 0;        // 0 = the largest cluster
    int clusterSize = 0;
    double typicality = 0.0;  // 1 / mean distance to its nearest neighbours in the cluster (larger: more typical)
};

/// `k` cases of `cases` (each with an embedding of the same length) to label for calibration,
/// in the order to label them. Typicality is computed within each cluster, over min(20, half the
/// cluster's size) neighbours. Deterministic for a given `seed` (k-means++ with ten restarts).
/// Fewer than `k` cases: all of them, most typical first. Throws InputError when the embeddings
/// are missing or of different lengths.
std::vector<PickedCase> pickForCalibration(const std::vector<CaseDisagreement>& cases, int k,
                                           PickStrategy strategy = PickStrategy::Typical, std::uint32_t seed = 1);

/// The typicality of every point: 1 / (mean Euclidean distance to its min(neighbours, n - 1)
/// nearest other points); a point with all neighbours at distance 0 gets a large finite value.
std::vector<double> typicality(const std::vector<std::vector<float>>& points, int neighbours = 20);

/// k-means (k-means++ seeding, `restarts` runs, the lowest within-cluster sum of squares kept):
/// the cluster of every point, clusters numbered by first appearance. k >= points.size() puts
/// every point in its own cluster.
std::vector<int> kMeans(const std::vector<std::vector<float>>& points, int k, std::uint32_t seed, int restarts = 10);

}  // namespace dacw
