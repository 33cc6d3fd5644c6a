#pragma once
// The smallest DAC run whose checkpoint fuzz_checkpoint loads: fuzz_seeds writes a real
// checkpoint of it (the seed), the harness resumes the same run from mutated ones, so that most
// inputs get past the "belongs to another run" check into the weights and optimiser state.
#include <string>

#include "core/train/TensorDataset.h"
#include "core/train/TrainConfig.h"

namespace dacw::fuzz {

inline train::TrainConfig tinyCheckpointConfig(const std::string& checkpoint) {
    train::TrainConfig c;
    c.method = train::Method::Dac;
    c.iterations = 2;
    c.labeledBatch = 2;
    c.unlabeledBatch = 2;
    c.width = 0.125;
    c.threads = 1;
    c.seed = 7;
    c.prefetch = 1;
    c.checkpointPath = checkpoint;
    c.checkpointInterval = 1;
    return c;
}

inline train::TensorDataset tinyLabeled() { return train::makeSyntheticDataset({2, 32, 3, 3, 0.0, 11, "a", true}); }
inline train::TensorDataset tinyUnlabeled() { return train::makeSyntheticDataset({2, 32, 3, 3, 0.5, 12, "b", false}); }

}  // namespace dacw::fuzz
