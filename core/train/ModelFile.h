#pragma once
// Internal: the exported-model file format shared by CoTrainer (writer) and Predictor (reader).
#include <string>

#include "core/train/Networks.h"
#include "core/train/Predictor.h"

namespace dacw::train {

void writeModelFile(const std::string& path, DeepLabV3Plus& net, const ModelInfo& info);
/// Copies an exported model's network weights (and BatchNorm statistics) into `net`. Throws
/// FileFormatError when the file is not a model or its network differs from net's (backbone,
/// width, channels, classes), leaving `net` unchanged.
void loadModelWeights(DeepLabV3Plus& net, const std::string& path);

}  // namespace dacw::train
