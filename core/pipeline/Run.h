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
#include <memory>
#include <string>
#include <vector>

#include "core/train/Progress.h"
#include "core/train/TrainConfig.h"
#include "core/dataset/Task.h"
#include "core/metrics/Evaluation.h"

namespace dacw {
namespace train {
class Distributed;
}

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
    /// Replay during calibration: labeled cases of another folder (typically the source centre the
    /// --init-model run learned from) join the training set, `replayCount` of them drawn with the
    /// seed like the labeled cases (so the same seed and count pick that run's own cases; 0 = all),
    /// and the labeled folder's cases are repeated until they are about half of it. Empty: none.
    std::filesystem::path replayDir;
    int replayCount = 0;
    /// The replay folder's cases by name (a source run's labeled_cases); when set, replayCount is
    /// not used.
    std::vector<std::string> replayCases;
    int maxValidationCases = 16;
    train::TrainConfig config;
    std::filesystem::path outDir;
    std::filesystem::path cacheDir;   // dataset cache; empty = none
    bool resume = false;
    bool savePredictions = true;
    std::string preset;              // recorded only
    /// The workbench's "processes on this machine" (recorded in request.json, so that a resume
    /// from the dashboard starts as many again; the workbench starts them, executeRun ignores it).
    int localProcesses = 1;
    /// Data-parallel training (`dacw train --distributed`, docs/cluster.md): every rank calls
    /// executeRun with the same request; rank 0 alone writes the run folder (and decodes into the
    /// dataset cache first), the others train their shards and return without exporting or
    /// testing. Null: one process.
    std::shared_ptr<train::Distributed> distributed;
};

/// The first step of a run (executeRun): every folder exists, a run folder is named, test domains
/// are held out (neither the labeled nor an unlabeled nor a validation folder:
/// pipeline/LabeledSubset.h heldOutProblem) and a co-training method has unlabeled folders. Throws InputError saying which. Nothing is read or written.
void checkRunRequest(const RunRequest& req);

/// The labeled cases a run trains on, from the masked ones of `labeledMasked` (any order):
/// `previous` when resuming (the list config.json recorded), else `labeledCount` of them (or
/// `labeledRatio`, at least one; all when neither is set), drawn with the seed, sorted. Throws
/// InputError when there are none or fewer than asked for.
std::vector<std::string> selectLabeledCases(const RunRequest& req, std::vector<std::string> labeledMasked,
                                            const std::vector<std::string>* previous = nullptr);

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

/// How long a run would take on this machine: `req` runs for three iterations in req.outDir (a
/// scratch folder; no test, validation or predictions), and the set-up time plus the measured
/// seconds per iteration times the requested iterations is the estimate.
struct RunEstimate {
    double seconds = -1;                // negative when it could not be measured
    double secondsPerIteration = 0;
    std::string error;                  // why not
    bool cancelled = false;
};
RunEstimate estimateRunDuration(RunRequest req, const std::atomic<bool>* cancel = nullptr);

}  // namespace dacw
