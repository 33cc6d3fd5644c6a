// The exported-model loader that `dacw predict`, the workbench's prediction and label-next use
// (train::Predictor on model.pt, after readModelInfo). A damaged file must be refused with
// train::TrainError (FileFormatError); a model that loads must predict on a small image.
#include <torch/torch.h>

#include "FuzzSupport.h"
#include "core/train/Errors.h"
#include "core/train/Predictor.h"

using namespace dacw;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    torch::set_num_threads(1);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const auto file = fuzz::writeInput("model.pt", data, size).string();
    train::ModelInfo info;
    const bool infoOk = fuzz::refusedOrOk<train::TrainError>([&] { info = train::readModelInfo(file); }, "readModelInfo");
    std::unique_ptr<train::Predictor> p;
    if (!fuzz::refusedOrOk<train::TrainError>([&] { p = std::make_unique<train::Predictor>(file, "cpu", 1); }, "Predictor"))
        return 0;
    fuzz::require(infoOk, "Predictor loaded a model whose description readModelInfo refused");
    const auto& in = p->info();
    fuzz::require(in.inChannels >= 1 && in.numClasses >= 2, "a loaded model has input channels and classes");
    p->setBf16(false);
    at::Tensor probs;
    fuzz::refusedOrOk<train::TrainError>(
        [&] { probs = p->predict(torch::rand({1, in.inChannels, 16, 16})); }, "Predictor::predict of a loaded model");
    fuzz::require(probs.defined() && probs.size(1) == in.numClasses, "a loaded model predicts its classes");
    return 0;
}
