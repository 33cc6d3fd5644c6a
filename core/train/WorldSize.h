#pragma once
// How many processes a run's global batch can be split over (docs/cluster.md): every rank keeps
// an equal slice of each stream, and CutMix pairs unlabeled images within a rank. Torch-free, so
// the workbench's wizard can check a choice before it starts any process.
#include <string>

#include "core/train/TrainConfig.h"

namespace dacw::train {

/// "" when `cfg` trains on `world` ranks; else what is wrong, e.g. "distributed: the unlabeled
/// batch (6, the global batch) must be a multiple of the 4 ranks with at least 2 per rank (...)".
std::string worldSizeProblem(const TrainConfig& cfg, int world);

}  // namespace dacw::train
