#pragma once
// What the co-trainer reports while and after it runs: plain types, no torch and no Qt, so the
// GUI can take progress reports and results without including LibTorch headers.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace dacw::train {

/// Set to true from any thread to stop training; checked before every iteration, so at most the
/// iteration under way finishes.
using CancelToken = std::atomic<bool>;

/// Validation Dice of one sub-model: per domain, one value per foreground class (mean over cases).
using DomainDice = std::map<std::string, std::vector<double>>;

struct Progress {
    int64_t iteration = 0;             // iterations completed
    int64_t total = 0;
    std::map<std::string, double> losses;   // "total", "sup_ce_a", "sup_dice_a", "cps_a", "feat_a",
                                            // "aux_cutmix_a", "aux_rot_b", ... and "ramp"
    double lr = 0.0;
    double imagesPerSecond = 0.0;      // labeled + unlabeled images per second (moving average)
    double secondsPerIteration = 0.0;  // moving average
    double etaSeconds = 0.0;
    double dataWaitFraction = 0.0;     // share of wall time the trainer waited for batches
    bool skipped = false;              // this iteration's step was skipped (non-finite loss)
    // Data-parallel runs (core/train/Distributed.h): this iteration's gradient all-reduce, both
    // sub-models (their seconds add up even when they overlap under model-parallel stepping).
    double allreduceSeconds = 0.0;
    int64_t allreduceBytes = 0;        // payload this rank reduced (gradients, float32)
    bool validated = false;            // validation below was computed at this iteration
    std::map<std::string, DomainDice> validation;   // "A" / "B" -> domain -> per-class Dice
    std::vector<std::string> messages;              // checkpoints written, skipped steps, ...
};
using ProgressCallback = std::function<void(const Progress&)>;

enum class RunStatus { Finished, Cancelled };

struct RunResult {
    RunStatus status = RunStatus::Finished;
    int64_t iterations = 0;            // completed iterations (including resumed ones)
    int64_t startIteration = 0;        // > 0 when resumed
    std::string chosen = "A";          // sub-model chosen on validation ("A" without validation)
    std::map<std::string, DomainDice> validation;   // last validation, per sub-model
    std::map<std::string, double> lastLosses;
    double seconds = 0.0;
    double dataWaitFraction = 0.0;
    int64_t skippedSteps = 0;
    int worldSize = 1;                 // processes that trained (data-parallel runs)
    /// Data-parallel runs: the largest difference of any parameter or buffer between a rank and
    /// rank 0 after the last iteration (-1 when not checked: a one-process run).
    double replicaMaxDifference = -1.0;
    std::vector<std::string> messages;  // those after the last progress report (its checkpoint)
    /// Co-training runs: the class shares of the labeled batches ("labeled") and each teacher's
    /// EM estimate of them on the unlabeled domains ("unlabeled_estimate_A", "..._B"), the moving
    /// averages the prior correction uses (docs/method.md section 6). Empty for supervised runs.
    std::map<std::string, std::vector<double>> classPriors;
};

}  // namespace dacw::train
