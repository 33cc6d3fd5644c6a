#pragma once
// Internal: the exported-model file format shared by CoTrainer (writer) and Predictor (reader).
#include <string>

#include "core/train/Networks.h"
#include "core/train/Predictor.h"

namespace dacw::train {

void writeModelFile(const std::string& path, DeepLabV3Plus& net, const ModelInfo& info);

}  // namespace dacw::train
