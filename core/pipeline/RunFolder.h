#pragma once
// The request a run folder was started with, written beside config.json (request.json) so that
// a run can be resumed from its folder alone: after a pause, a crash or a closed program.
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/Run.h"

namespace dacw {

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

}  // namespace dacw
