#pragma once
// A training run from folders to a run folder: the code path shared by `dacw train`, `dacw
// experiment` and the GUI's worker thread. Torch-free header: callers see plain types only.
//
// The run folder it writes holds everything needed to understand and repeat the run; its files
// are listed, named, written and read in pipeline/RunFolder.h.
#include <atomic>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/train/TrainConfig.h"
#include "dataset/Task.h"
#include "metrics/Metrics.h"

namespace dacw {
namespace train { struct Progress; }

/// The presets of the command line and the wizard: sizes, backbone, width and iterations.
/// "quick" finishes in about ten minutes on two CPU cores.
void applyPreset(train::TrainConfig& c, const std::string& preset);
std::vector<std::string> presetNames();

struct RunRequest {
    Task task = Task::fundus();
    std::filesystem::path labeledDir;
    int labeledCount = 0;          // 0: every case with a mask
    double labeledRatio = 0.0;     // used when labeledCount == 0 and ratio > 0
    std::vector<std::filesystem::path> unlabeledDirs;
    std::vector<std::filesystem::path> testDirs;
    std::vector<std::filesystem::path> validationDirs;  // empty: held-out labeled-domain cases
    /// Few-shot calibration on a new centre: the labeled folder's masked cases not chosen for
    /// training are the test set (and no held-out validation is taken from them). For a
    /// labelled-target experiment, kept apart from CD-SSDG tables.
    bool testUnusedLabeled = false;
    int maxValidationCases = 16;
    train::TrainConfig config;
    std::filesystem::path outDir;
    std::filesystem::path cacheDir;   // dataset cache; empty = none
    bool resume = false;
    bool savePredictions = true;
    std::string preset;              // recorded only
};

struct CaseResult {
    std::string domain, caseId;
    std::map<std::string, RegionScore> scores;      // of the prediction as written (post-processed)
    std::map<std::string, double> rawDice;          // before anatomy post-processing
    double vcdr = std::numeric_limits<double>::quiet_NaN();        // vertical cup-to-disc ratio, predicted
    double vcdrTruth = std::numeric_limits<double>::quiet_NaN();   // ... and of the reference
    bool anatomyChecked = false, anatomyValid = true;              // of the raw prediction
};

struct DomainResult {
    std::string name;
    std::size_t cases = 0;
    std::map<std::string, double> dice, hd95;   // means over cases (HD95 penalised when a side is empty)
    std::map<std::string, double> rawDice;      // before post-processing
    std::map<std::string, std::size_t> hd95Penalised;  // cases whose HD95 is the empty-side penalty
    double vcdrMae = std::numeric_limits<double>::quiet_NaN();     // mean |vCDR - reference vCDR|
    std::size_t anatomyChecked = 0, anatomyValid = 0;
};

struct EvaluationResult {
    std::vector<DomainResult> domains;
    std::vector<CaseResult> cases;
    std::map<std::string, double> meanDice, meanHd95;  // mean of the domain means
    double meanVcdrMae = std::numeric_limits<double>::quiet_NaN();
    std::string hd95Unit;                              // "mm" or "px@512" (see metrics/Metrics.h)
};

/// The one scoring path of every route (training runs, `dacw predict --task`, `dacw evaluate`):
/// checks the raw prediction's anatomy, post-processes it (fundus: enforceAnatomy; `pred` is
/// changed in place), then Dice, HD95 and the vertical cup-to-disc ratio against `truth`.
CaseResult scoreCase(const std::string& domain, const std::string& caseId, LabelMap& pred, const LabelMap& truth,
                     const Task& task);
/// Fills the per-domain and overall summaries of r from r.cases.
void summarise(EvaluationResult& r);

struct RunObserver {
    std::function<void(const train::Progress&)> progress;   // every iteration
    std::function<void(const std::string&)> message;         // log lines (also written to log.txt)
};

struct RunOutcome {
    bool cancelled = false;
    long long iterations = 0;
    std::string chosenSubModel;
    double seconds = 0;
    double dataWaitFraction = 0;
    EvaluationResult evaluation;   // empty when cancelled or without test domains
    std::filesystem::path modelFile;
};

/// Runs (or resumes) training and evaluates on the test domains. Throws InputError for bad
/// folders or options (nothing is written then, except a log) and when another training holds the
/// run folder, train::TrainError on a failure during training. Cancelling saves a checkpoint so
/// that `resume` continues the same curve; so does a kill, from the last checkpoint.
RunOutcome executeRun(const RunRequest& req, const RunObserver& obs = {}, const std::atomic<bool>* cancel = nullptr);

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
/// threads while the network runs.
std::vector<std::filesystem::path> predictPath(const std::filesystem::path& model, const std::filesystem::path& input,
                                               const std::filesystem::path& outDir, int threads = 0,
                                               EvaluationResult* scores = nullptr, const Task* task = nullptr,
                                               int batch = 4, PredictStats* stats = nullptr);

/// Scores a folder of predicted label maps against reference masks (a domain folder, or a
/// folder of masks), matched by file stem.
EvaluationResult evaluateFolders(const std::filesystem::path& predDir, const std::filesystem::path& truthDir, const Task& task);

}  // namespace dacw
