#include "core/pipeline/Calibration.h"

#include "core/pipeline/RunFolder.h"
#include "core/train/Errors.h"
#include "core/train/Predictor.h"
#include "core/train/Presets.h"
#include "core/util/Errors.h"

namespace fs = std::filesystem;

namespace dacw {

fs::path calibrationModel(const fs::path& source) {
    const fs::path model = RunFolder::modelIn(source);
    std::error_code ec;
    if (!fs::exists(model, ec)) throw InputError("No exported model at " + model.string() + " to start from");
    return fs::absolute(model, ec);
}

train::TrainedNetwork readTrainedNetwork(const fs::path& model) {
    train::TrainedNetwork n;
    try {
        const train::ModelInfo info = train::readModelInfo(model.string());
        n.backbone = info.backbone;
        n.width = info.width;
        n.headChannels = info.headChannels;
        n.asppRates = info.asppRates;
        n.size = info.size;
        n.resize = info.resize;
    } catch (const train::FileFormatError& e) {
        throw InputError(model.string() + " cannot be used to start from: " + e.what());
    }
    return n;
}

void startFromModel(train::TrainConfig& c, const fs::path& model, bool recipe) {
    startFromModel(c, readTrainedNetwork(model), model, recipe);
}

void startFromModel(train::TrainConfig& c, const train::TrainedNetwork& n, const fs::path& model, bool recipe) {
    if (recipe) {
        train::applyCalibrationPreset(c, n);
    } else {
        train::useTrainedNetwork(c, n);  // the optimisation is the caller's
    }
    c.initModel = model.string();
}

bool replaySourceCases(RunRequest& r, const fs::path& sourceRun) {
    std::error_code ec;
    if (!fs::is_directory(sourceRun, ec) || !fs::exists(RunFolder(sourceRun).config(), ec)) return false;
    const RunConfigFile source = readRunConfig(RunFolder(sourceRun));
    if (source.labeledCases.empty() || !fs::is_directory(source.labeledDir, ec) ||
        fs::equivalent(source.labeledDir, r.labeledDir, ec))
        return false;
    r.replayDir = source.labeledDir;
    r.replayCases = source.labeledCases;
    return true;
}

}  // namespace dacw
