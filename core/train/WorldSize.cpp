#include "core/train/WorldSize.h"

namespace dacw::train {

std::string worldSizeProblem(const TrainConfig& cfg, int world) {
    if (world < 2) return "";
    auto perRank = [&](const char* what, long long global, long long least) -> std::string {
        if (global % world == 0 && global / world >= least) return "";
        return std::string("distributed: the ") + what + " batch (" + std::to_string(global) +
               ", the global batch) must be a multiple of the " + std::to_string(world) + " ranks with at least " +
               std::to_string(least) + " per rank" + (least > 1 ? " (CutMix pairs images within a rank)" : "");
    };
    std::string problem = perRank("labeled", cfg.labeledBatch, 1);
    if (problem.empty() && partsOf(cfg.method).coTraining) problem = perRank("unlabeled", cfg.unlabeledBatch, 2);
    return problem;
}

}  // namespace dacw::train
