#pragma once
// The steps of executeRun (pipeline/Run.h), each a unit of its own with its own tests:
//   checkRunRequest -> selectLabeledCases -> resolveRunConfig -> prepareRunTensors
//   -> resolveKernels -> (config.json) -> trainRun -> exportRunModel -> testRun
// Internal to core: this header includes LibTorch types (train::TensorDataset); the GUI reaches
// runs through pipeline/Run.h only.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/train/CoTrainer.h"
#include "core/train/TensorDataset.h"
#include "core/data/Preprocess.h"
#include "core/dataset/Domain.h"
#include "core/pipeline/Run.h"
#include "core/pipeline/RunFolder.h"
#include "core/pipeline/RunLog.h"

namespace dacw {

/// The ids of a domain's cases that have a mask, in folder order.
std::vector<std::string> maskedCaseIds(const Domain& d);

/// The configuration a run trains with: the request's, with the image size, class count,
/// validation regions (those the test scores), checkpoint path and interval filled in. The
/// kernel switches are resolved later (resolveKernels), once the data's channels are known.
train::TrainConfig resolveRunConfig(const RunRequest& req, const RunFolder& folder, bool resuming);
/// How images become tensors for this run (size, channels, dataset cache).
PreprocessOptions runPreprocessing(const RunRequest& req, const train::TrainConfig& cfg);

/// What a run trains and validates on.
struct RunTensors {
    train::TensorDataset labeled, unlabeled;
    std::map<std::string, train::TensorDataset> validation;   // by name ("centre-a (held out)")
    std::vector<std::string> replayCases;                     // the replay folder's cases that joined data.labeled
};
/// Loads the labeled cases `chosen` of `labeled`, every unlabeled folder, and the validation
/// sets: the --val folders (up to maxValidationCases masked cases each), else up to that many
/// masked labeled-domain cases that are not trained on, else none (testUnusedLabeled). Logs what
/// was loaded and skipped. With a replay folder (RunRequest::replayDir) its drawn cases join the
/// labeled set and the labeled cases are repeated to about half of it. Throws InputError for an
/// unlabeled folder without images.
RunTensors prepareRunTensors(const RunRequest& req, const Domain& labeled, const std::vector<std::string>& chosen,
                             const PreprocessOptions& pre, RunLog& log);

/// Kernel switches left at "auto": a resumed run keeps what it started with (same arithmetic);
/// otherwise they are measured once per machine and run shape (core/train/KernelChoice.h).
void resolveKernels(train::TrainConfig& cfg, const RunFolder& folder, bool resuming, int64_t channels, RunLog& log,
                    const std::atomic<bool>* cancel);

/// config.json's content for a run about to train.
RunConfigFile runConfigFile(const RunRequest& req, const train::TrainConfig& cfg, const Domain& labeled,
                            const std::vector<std::string>& chosen, const RunTensors& data);

/// Trains (or resumes), writing metrics.csv and validation.csv as it goes; the trainer keeps the
/// models for export. A cancelled run has saved its checkpoint when this returns; so has a
/// finished one (so that it can be extended with more iterations).
struct TrainedRun {
    std::unique_ptr<train::CoTrainer> trainer;
    train::RunResult result;
};
/// With `req.distributed` set, only rank 0 writes metrics and the last checkpoint.
TrainedRun trainRun(const train::TrainConfig& cfg, const RunTensors& data, const RunFolder& folder, bool resuming,
                    const Task& task, const RunObserver& obs, RunLog& log, const std::atomic<bool>* cancel,
                    const std::shared_ptr<train::Distributed>& dist = nullptr);

/// Writes model.pt: the sub-model chosen on validation, with the task, method and labeled domain.
std::filesystem::path exportRunModel(const train::CoTrainer& trainer, const RunFolder& folder, const RunRequest& req,
                                     const train::TrainConfig& cfg, const Domain& labeled);

/// Scores the exported model on the test folders (and, with testUnusedLabeled, on the labeled
/// domain's cases not in `chosen`), writing predictions/ when the request asks for them.
EvaluationResult testRun(const std::filesystem::path& model, const train::TrainConfig& cfg, const RunRequest& req,
                         const RunFolder& folder, const Domain& labeled, const std::vector<std::string>& chosen, RunLog& log);

}  // namespace dacw
