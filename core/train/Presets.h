#pragma once
// The presets of the command line and the wizard: image size, backbone, width, iterations, batch,
// validation and checkpoint interval, head width. Torch-free.
#include <string>
#include <vector>

#include "core/train/TrainConfig.h"

namespace dacw::train {

/// "quick" finishes in about ten minutes on two CPU cores.
std::vector<std::string> presetNames();
/// Sets c's preset fields; throws ConfigError naming the presets for an unknown one.
void applyPreset(TrainConfig& c, const std::string& preset);

/// The network a trained model was built with: what fine-tuning from it must keep.
struct TrainedNetwork {
    Backbone backbone = Backbone::ResNet18;
    double width = 1.0;
    int64_t headChannels = 0;
    std::vector<int64_t> asppRates{6, 12, 18};
    int64_t size = 0;
    Resize resize = Resize::Stretch;  // how the model saw its images: calibration sees them alike
};

/// The network of a trained model (its weights fit no other): backbone, width, head, ASPP rates
/// and how its images were made square. The input size is left to the caller.
void useTrainedNetwork(TrainConfig& c, const TrainedNetwork& n);

/// Few-shot calibration on a new centre (fine-tuning a trained model on K of its cases): the
/// network of the model, and the recipe measured for it (docs/results.md): 200 iterations at
/// lr 1e-4, the whole network trained (run it with the supervised method, and with the source
/// run's labeled cases replayed: RunRequest::replayDir, which `dacw train` sets).
void applyCalibrationPreset(TrainConfig& c, const TrainedNetwork& n);

}  // namespace dacw::train
