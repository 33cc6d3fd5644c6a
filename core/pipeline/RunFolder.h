#pragma once
// The run folder: the only code that knows the names and formats of its files. Writers are
// atomic (temporary file, fsync, rename): a kill at any moment leaves the previous or the new
// file, never half of one. Readers never trust what they read (see tests/fuzz).
//
//   request.json   the request a run was started with, so that it resumes from its folder alone
//   config.json    the resolved configuration, with the labeled case list and every folder
//   log.txt        what happened, in words (appended)
//   metrics.csv    one row per logged iteration (losses, lr, throughput)
//   validation.csv one row per (iteration, sub-model, domain, region) validation Dice
//   checkpoint.pt  both sub-models, optimisers and step counters (exact resume: random draws are
//                  re-derived from the seed and the iteration; core/train/Checkpoint.h)
//   model.pt       the exported network (core/train/ModelFile.h)
//   metrics.json   per-domain and per-case Dice/HD95 on the test domains
//   predictions/   <domain>/<case>.png (2D) or .nii.gz (volumes), with each image's geometry
//   .lock          held (flock) by the training writing the folder: its pid and host
//   notes.txt      the user's notes on the run (UTF-8 text; `dacw train --notes`, the dashboard)
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/pipeline/Run.h"

namespace dacw {

/// Where a prediction of one case goes in a folder of predictions: <dir>/<case>.png for 2D images,
/// .nii.gz for volumes (runs and `dacw predict` alike).
std::filesystem::path predictionFileIn(const std::filesystem::path& dir, const std::string& caseId, bool volume);
/// The prediction of one case in such a folder, in any format the workbench writes or wrote
/// (.png, .nii.gz, .nii, .nrrd, .mha); empty when there is none.
std::filesystem::path findPredictionIn(const std::filesystem::path& dir, const std::string& caseId);

/// Where the files of one run folder are.
class RunFolder {
public:
    RunFolder() = default;
    explicit RunFolder(std::filesystem::path dir) : dir_(std::move(dir)) {}
    const std::filesystem::path& dir() const { return dir_; }
    /// The folder's own name (how runs are shown).
    std::string name() const { return dir_.filename().string(); }

    std::filesystem::path request() const { return dir_ / "request.json"; }
    std::filesystem::path config() const { return dir_ / "config.json"; }
    std::filesystem::path log() const { return dir_ / "log.txt"; }
    std::filesystem::path metricsCsv() const { return dir_ / "metrics.csv"; }
    std::filesystem::path validationCsv() const { return dir_ / "validation.csv"; }
    std::filesystem::path checkpoint() const { return dir_ / "checkpoint.pt"; }
    std::filesystem::path model() const { return dir_ / "model.pt"; }
    std::filesystem::path evaluation() const { return dir_ / "metrics.json"; }
    std::filesystem::path predictions() const { return dir_ / "predictions"; }
    std::filesystem::path lock() const { return dir_ / ".lock"; }
    std::filesystem::path notes() const { return dir_ / "notes.txt"; }

    /// The file a test prediction of one case is written to.
    std::filesystem::path predictionFile(const std::string& domain, const std::string& caseId, bool volume) const;
    /// The prediction of one case as found on disk (findPredictionIn); empty when there is none.
    std::filesystem::path findPrediction(const std::string& domain, const std::string& caseId) const;

    /// A folder, or a model file inside one: the model file (model.pt of a folder).
    static std::filesystem::path modelIn(const std::filesystem::path& folderOrFile);

private:
    std::filesystem::path dir_;
};

/// config.json: what a run resolved and ran with.
struct RunConfigFile {
    std::string task, preset;
    std::filesystem::path labeledDir;
    std::string labeledDomain;
    std::vector<std::string> labeledCases;
    std::vector<std::filesystem::path> unlabeledDirs, testDirs;
    std::vector<std::string> validation;          // names of the validation sets
    std::map<std::string, std::string> train;     // train::toKeyValues of the resolved config
    std::filesystem::path replayDir;              // calibration replay (RunRequest::replayDir); empty: none
    std::vector<std::string> replayCases;
};
void writeRunConfig(const RunFolder& folder, const RunConfigFile& config);
/// Throws InputError ("Cannot read <file>: why") when it is missing or damaged.
RunConfigFile readRunConfig(const RunFolder& folder);

/// The text of a metrics.json: per-domain means, per-case scores and `extra` keys (method, model...).
std::string evaluationToJson(const EvaluationResult& r, const std::map<std::string, std::string>& extra = {},
                             const std::map<std::string, std::vector<double>>& classPriors = {});
/// Reads a metrics.json's text back; throws InputError when it is not one.
EvaluationResult evaluationFromJson(const std::string& text);
/// metrics.json: the test scores (evaluationToJson). Throws InputError when it is missing (the run
/// has not finished, or had no test domain) or damaged.
void writeRunEvaluation(const RunFolder& folder, const EvaluationResult& r, const std::map<std::string, std::string>& extra,
                        const std::map<std::string, std::vector<double>>& classPriors = {});
EvaluationResult readRunEvaluation(const RunFolder& folder);

/// One logged iteration of metrics.csv.
struct MetricsRow {
    std::int64_t iteration = 0;
    double lr = 0, imagesPerSecond = 0, secondsPerIteration = 0, dataWait = 0;
    double elapsedSeconds = 0;                 // since this process started training
    std::map<std::string, double> losses;      // missing keys are written as empty cells
};

/// The writer of metrics.csv and validation.csv during a run. Rows are logged before the
/// checkpoint of their iteration is written, so a resumed run keeps the rows before its first new
/// iteration and drops those a killed or cancelled run logged past its checkpoint: every iteration
/// appears once. Each write replaces the file atomically.
class RunMetricsWriter {
public:
    /// `resuming`: keep the rows of the files already in the folder (see start()).
    RunMetricsWriter(RunFolder folder, bool resuming);
    /// Called once, at the first iteration of this process: fixes the loss columns (in order) and
    /// drops kept rows at or after `firstIteration` (and all of them if the columns differ; a
    /// folder from before the elapsed_s column gets an empty cell there).
    void start(const std::vector<std::string>& lossKeys, std::int64_t firstIteration);
    bool started() const { return started_; }
    void add(const MetricsRow& row);
    /// One validation: sub-model -> domain -> Dice per region (named by `regions`, else 1, 2, ...).
    void addValidation(std::int64_t iteration, const std::map<std::string, std::map<std::string, std::vector<double>>>& dice,
                       const std::vector<std::string>& regions);

private:
    RunFolder folder_;
    bool resuming_ = false, started_ = false;
    std::vector<std::string> lossKeys_;
    std::string metrics_, validation_;   // the files' whole text
};

/// notes.txt: empty when there are none (or the file cannot be read). Writing empty notes removes
/// the file; writing throws InputError when the folder is not writable.
std::string readRunNotes(const RunFolder& folder);
void writeRunNotes(const RunFolder& folder, const std::string& text);

/// What the run history shows of one folder, read without ever throwing: a folder that is half
/// written, damaged or gone shows what can be read.
struct RunSummary {
    std::string preset;
    std::string iterationsDone = "0";    // the last row of metrics.csv
    std::string iterationsPlanned;       // from config.json
    std::string size;
    std::map<std::string, std::string> train;   // config.json's resolved options
    std::map<std::string, double> meanDice;     // metrics.json's mean Dice per region
    std::string notes;                          // notes.txt
    std::vector<std::string> testDomains;       // the folders the scores are on (request.json)
};
RunSummary summariseRun(const RunFolder& folder);

/// Writes <req.outDir>/request.json atomically (folders, counts, task, preset, every option).
void writeRunRequest(const RunRequest& req);
/// Reads the request back from a run folder: request.json when present, else config.json (as
/// written by executeRun). Throws InputError when neither can be read.
RunRequest readRunRequest(const std::filesystem::path& runDir);

/// A CSV file of a run folder (metrics.csv, validation.csv) as the dashboard reads it: the first
/// non-empty line is the header, then one row per non-empty line; cells are split at commas
/// outside double quotes (the quotes are dropped) and a trailing '\r' is ignored. Every row has
/// at least one cell. A missing or unreadable file gives an empty table.
struct RunTable {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
};
RunTable readRunTable(const std::filesystem::path& file);
RunTable parseRunTable(std::string_view text);
/// A cell as a number (surrounding blanks allowed); NaN when it is not one.
double runTableNumber(const std::string& cell);

/// A curve the dashboard plots: (iteration, value) points with finite coordinates only.
struct RunCurve {
    std::string name;
    std::vector<std::pair<double, double>> points;
};
/// Whether a metrics.csv column is a loss term: not iteration, lr, images_per_s, s_per_iter,
/// data_wait or elapsed_s (a time column that came later; older folders lack it).
bool isLossColumn(const std::string& header);
/// The loss curves of a metrics.csv: one per loss column (isLossColumn), named by its header
/// cell, in file order.
std::vector<RunCurve> lossCurves(const RunTable& metrics);
/// One named column of a metrics.csv against the iteration; no points when there is no such column.
RunCurve metricsColumn(const RunTable& metrics, const std::string& column);
/// A validation.csv (iteration, submodel, domain, region, dice): per iteration, in increasing
/// order, the mean Dice over domains and regions of the sub-model named in its first full row.
RunCurve validationMeanCurve(const RunTable& validation);
/// A validation.csv as the dashboard draws it live: one curve per sub-model and domain, named
/// "<submodel> <domain>", the mean Dice over the regions at each iteration; in order of first
/// appearance.
std::vector<RunCurve> validationCurves(const RunTable& validation);
/// The Dice of one sub-model at the last iteration it was validated: domain -> region -> Dice
/// (rows whose Dice is not a number are left out). Empty when the sub-model has no row.
std::map<std::string, std::map<std::string, double>> lastValidation(const RunTable& validation, const std::string& subModel);

}  // namespace dacw
