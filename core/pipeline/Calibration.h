#pragma once
// Few-shot calibration on a new centre: fine-tune a trained model on a few labeled cases of the
// centre it is to work on (docs/results.md, "Few-shot calibration, recipes measured"). One owner
// for what `dacw train --init-model` and the wizard's "Calibrate a trained model" both do: the
// model's network, the measured recipe, and the replay of the source run's own labeled cases.
// Torch-free, so the GUI includes it.
#include <filesystem>

#include "core/pipeline/Run.h"
#include "core/train/Presets.h"
#include "core/train/TrainConfig.h"

namespace dacw {

/// The exported model of `source` (a run folder or a model.pt file), absolute. Throws
/// InputError naming the path when there is none.
std::filesystem::path calibrationModel(const std::filesystem::path& source);

/// The network `model` was trained with (read from the file, not from a run folder). Throws
/// InputError when the file is not a readable model.
train::TrainedNetwork readTrainedNetwork(const std::filesystem::path& model);

/// Makes `c` start from `model`, whose network is `n`: that network (backbone, width, head, ASPP
/// rates, resize, and with `recipe` also its input size) and, with `recipe`, the measured
/// calibration recipe (200 iterations, lr 1e-4, the whole network trained). Sets c.initModel.
void startFromModel(train::TrainConfig& c, const train::TrainedNetwork& n, const std::filesystem::path& model, bool recipe);
/// The same, reading `n` from the file (readTrainedNetwork).
void startFromModel(train::TrainConfig& c, const std::filesystem::path& model, bool recipe);

/// The source run's own labeled cases, replayed beside the new centre's so that the model does
/// not forget them: sets r.replayDir and r.replayCases when `sourceRun` is a run folder that
/// records them and its labeled folder still exists and is not r.labeledDir. Returns whether it
/// did.
bool replaySourceCases(RunRequest& r, const std::filesystem::path& sourceRun);

}  // namespace dacw
