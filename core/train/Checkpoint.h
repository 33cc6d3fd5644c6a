#pragma once
// Internal: the co-trainer's checkpoint file (both sub-models, their optimiser states and the
// counters a resumed run continues from), and the run identity a checkpoint must match.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/train/ModelWorker.h"
#include "core/train/Networks.h"
#include "core/train/Optimizers.h"
#include "core/train/TrainConfig.h"

namespace dacw::train::detail {

// What a checkpoint holds besides the weights and optimiser states.
struct CheckpointCounters {
    int64_t iteration = 0;  // completed iterations
    int nanStreak = 0;
    int64_t skipped = 0;
    std::string chosen = "A";
};

// The running means of weight averaging (TrainConfig::averageFrom): per sub-model, its network's
// parameters then floating-point buffers, in named_parameters / named_buffers order; `count`
// steps went into them (0: none yet, and nothing is stored).
struct WeightAverages {
    int64_t count = 0;
    std::vector<std::vector<at::Tensor>> tensors;
};

// What must match between a checkpoint and the run that resumes it.
std::string runIdentity(const TrainConfig& cfg, const NetworkSpec& spec, int64_t size);

// Writes the checkpoint atomically; `cfg` is stored as text, for people reading the file.
void writeCheckpoint(const std::string& path, const TrainConfig& cfg, const std::string& identity,
                     const CheckpointCounters& counters, const std::vector<SubModel>& models,
                     const std::vector<std::unique_ptr<ParamOptimizer>>& optimizers, const WeightAverages& averages = {});

// Loads the weights and optimiser states into `models` and `optimizers` (as they come from the
// file: the caller restores device and memory layout) and returns the counters. Throws
// FileFormatError when the file is not a checkpoint, is newer, belongs to a run of another
// `identity`, or is incomplete or corrupt. `averages`, when given, receives the file's weight
// averages (count 0 when it holds none); its tensors must have the shapes the run keeps.
CheckpointCounters readCheckpoint(const std::string& path, const std::string& identity, std::vector<SubModel>& models,
                                  std::vector<std::unique_ptr<ParamOptimizer>>& optimizers, WeightAverages* averages = nullptr);

}  // namespace dacw::train::detail
