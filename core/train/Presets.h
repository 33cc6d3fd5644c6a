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

}  // namespace dacw::train
