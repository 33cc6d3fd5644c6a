#pragma once
// Prediction with an exported model (model.pt): one image, a DICOM series or a folder, written
// with each image's geometry; and the scoring of a folder of predictions against references.
// Torch-free header.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/dataset/Domain.h"
#include "core/metrics/Evaluation.h"

namespace dacw {

namespace train { class Predictor; }
class RunLog;
class RunFolder;

/// Predicts every case of `domainDir` (or one file / DICOM folder) with an exported model and
/// writes label maps with each image's geometry into `outDir` (PNG for 2D, NIfTI for volumes).
/// Returns the files written. With a `task`, cases with masks are also scored.
/// Throughput of one predictPath call.
struct PredictStats {
    std::size_t images = 0;       // predictions written
    double seconds = 0.0;         // wall time, reading and writing included
    double networkSeconds = 0.0;  // of which the network ran (reading, resampling and writing overlap it)
};
/// A folder is predicted in batches of `batch` images, read ahead and written behind on their own
/// threads while the network runs. `tta` ("none", "flip", "flip-scales"; train::Tta) overrides
/// the test-time augmentation the run chose (its model's metadata "tta"; none when absent).
std::vector<std::filesystem::path> predictPath(const std::filesystem::path& model, const std::filesystem::path& input,
                                               const std::filesystem::path& outDir, int threads = 0,
                                               EvaluationResult* scores = nullptr, const Task* task = nullptr, int batch = 4,
                                               PredictStats* stats = nullptr, const std::string& tta = {});
/// The test-time augmentation a model's metadata asks for ("none" when it says nothing).
std::string modelTta(const std::string& userMetadata);

/// Scores a folder of predicted label maps against reference masks (a domain folder, or a
/// folder of masks), matched by file stem.
EvaluationResult evaluateFolders(const std::filesystem::path& predDir, const std::filesystem::path& truthDir, const Task& task);

/// Scores every masked case of a domain with a loaded predictor (the test step of a run), written
/// to `out`'s predictions/ when given; cases in `exclude` are left out. Unreadable cases are
/// logged and skipped.
void evaluateDomain(const train::Predictor& p, const Domain& d, const Task& task, const RunFolder* out,
                    EvaluationResult& r, RunLog* log, const std::set<std::string>& exclude = {});

}  // namespace dacw
