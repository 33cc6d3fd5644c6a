#include "core/pipeline/RunFolder.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/train/Errors.h"
#include "core/util/Errors.h"
#include "core/util/JsonNumbers.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace dacw {

namespace {

std::vector<std::string> strings(const std::vector<fs::path>& v) {
    std::vector<std::string> s;
    for (const auto& p : v) s.push_back(fs::absolute(p).string());
    return s;
}

std::vector<fs::path> paths(const json& j, const char* key) {
    std::vector<fs::path> v;
    for (const auto& s : j.value(key, json::array())) v.emplace_back(s.get<std::string>());
    return v;
}

/// Options written by an older or newer engine may not parse: keep the defaults for those.
void applyOptions(train::TrainConfig& c, const json& train) {
    for (const auto& [k, v] : train.items()) {
        try {
            train::applyOption(c, k, v.is_string() ? v.get<std::string>() : v.dump());
        } catch (const std::exception&) {
        }
    }
}

json number(double v) { return std::isfinite(v) ? json(std::round(v * 1e6) / 1e6) : json(nullptr); }

}  // namespace

std::string evaluationToJson(const EvaluationResult& r, const std::map<std::string, std::string>& extra,
                             const std::map<std::string, std::vector<double>>& classPriors) {
    json doms = json::object();
    for (const auto& d : r.domains) {
        json dice = json::object(), raw = json::object(), hd = json::object(), pen = json::object();
        for (const auto& [k, v] : d.dice) dice[k] = number(v);
        for (const auto& [k, v] : d.rawDice) raw[k] = number(v);
        for (const auto& [k, v] : d.hd95) hd[k] = number(v);
        for (const auto& [k, v] : d.hd95Penalised) pen[k] = v;
        json dj = {{"cases", d.cases}, {"dice", dice}, {"dice_before_postprocessing", raw}, {"hd95", hd},
                   {"hd95_penalised", pen}, {"vcdr_mae", number(d.vcdrMae)}};
        if (d.anatomyChecked) dj["anatomy_valid"] = {{"valid", d.anatomyValid}, {"checked", d.anatomyChecked}};
        doms[d.name] = dj;
    }
    json mean = {{"dice", json::object()}, {"hd95", json::object()}, {"vcdr_mae", number(r.meanVcdrMae)}};
    for (const auto& [k, v] : r.meanDice) mean["dice"][k] = number(v);
    for (const auto& [k, v] : r.meanHd95) mean["hd95"][k] = number(v);
    json cases = json::array();
    for (const auto& c : r.cases) {
        json dice = json::object(), hd = json::object();
        for (const auto& [k, s] : c.scores) {
            dice[k] = number(s.dice);
            hd[k] = number(s.hd95);
        }
        json cj = {{"domain", c.domain}, {"case", c.caseId}, {"dice", dice}, {"hd95", hd}};
        if (!std::isnan(c.vcdrTruth)) {
            cj["vcdr"] = number(c.vcdr);
            cj["vcdr_truth"] = number(c.vcdrTruth);
        }
        if (c.anatomyChecked) cj["anatomy_valid"] = c.anatomyValid;
        cases.push_back(cj);
    }
    json j = {{"domains", doms},
              {"mean", mean},
              {"cases", cases},
              {"hd95_unit", r.hd95Unit.empty() ? "mm" : r.hd95Unit},
              {"hd95_note", "HD95 of a case whose prediction or reference is empty is the image diagonal"}};
    for (const auto& [k, v] : extra) j[k] = v;
    for (const auto& [k, v] : classPriors)
        for (double x : v) j["class_priors"][k].push_back(number(x));
    return j.dump(2) + "\n";
}

EvaluationResult evaluationFromJson(const std::string& text) {
    EvaluationResult r;
    auto num = [](const json& v) { return v.is_null() ? NAN : v.get<double>(); };
    try {
        json j = json::parse(text);
        r.hd95Unit = j.value("hd95_unit", std::string("mm"));
        for (const auto& [name, d] : j.at("domains").items()) {
            DomainResult dr;
            dr.name = name;
            dr.cases = jsonnum::integerOr<std::size_t>(d, "cases", 0, 0, 1ull << 40);
            for (const auto& [k, v] : d.at("dice").items()) dr.dice[k] = num(v);
            for (const auto& [k, v] : d.at("hd95").items()) dr.hd95[k] = num(v);
            if (d.contains("dice_before_postprocessing"))
                for (const auto& [k, v] : d.at("dice_before_postprocessing").items()) dr.rawDice[k] = num(v);
            if (d.contains("vcdr_mae")) dr.vcdrMae = num(d.at("vcdr_mae"));
            if (d.contains("anatomy_valid")) {
                dr.anatomyValid = jsonnum::integerOr<std::size_t>(d.at("anatomy_valid"), "valid", 0, 0, 1ull << 40);
                dr.anatomyChecked = jsonnum::integerOr<std::size_t>(d.at("anatomy_valid"), "checked", 0, 0, 1ull << 40);
            }
            r.domains.push_back(dr);
        }
        for (const auto& [k, v] : j.at("mean").at("dice").items()) r.meanDice[k] = num(v);
        for (const auto& [k, v] : j.at("mean").at("hd95").items()) r.meanHd95[k] = num(v);
        if (j.at("mean").contains("vcdr_mae")) r.meanVcdrMae = num(j.at("mean").at("vcdr_mae"));
        for (const auto& c : j.value("cases", json::array())) {
            CaseResult cr;
            cr.domain = c.at("domain").get<std::string>();
            cr.caseId = c.at("case").get<std::string>();
            for (const auto& [k, v] : c.at("dice").items()) cr.scores[k].dice = num(v);
            for (const auto& [k, v] : c.at("hd95").items()) cr.scores[k].hd95 = num(v);
            if (c.contains("vcdr")) cr.vcdr = num(c.at("vcdr"));
            if (c.contains("vcdr_truth")) cr.vcdrTruth = num(c.at("vcdr_truth"));
            if (c.contains("anatomy_valid")) {
                cr.anatomyChecked = true;
                cr.anatomyValid = c.at("anatomy_valid").get<bool>();
            }
            r.cases.push_back(cr);
        }
    } catch (const json::exception& e) {
        throw InputError(std::string("not a valid metrics.json: ") + e.what());
    }
    return r;
}

void writeRunRequest(const RunRequest& req) {
    json c = json::object();
    for (const auto& [k, v] : train::toKeyValues(req.config)) c[k] = v;
    json j = {{"format", "dac-workbench-request"},
              {"version", 1},
              {"task", req.task.name},
              {"labeled_dir", fs::absolute(req.labeledDir).string()},
              {"labeled_count", req.labeledCount},
              {"labeled_ratio", req.labeledRatio},
              {"unlabeled_dirs", strings(req.unlabeledDirs)},
              {"test_dirs", strings(req.testDirs)},
              {"validation_dirs", strings(req.validationDirs)},
              {"max_validation_cases", req.maxValidationCases},
              {"cache_dir", req.cacheDir.string()},
              {"save_predictions", req.savePredictions},
              {"preset", req.preset},
              {"local_processes", req.localProcesses},
              {"test_unused_labeled", req.testUnusedLabeled},
              {"replay_dir", req.replayDir.empty() ? std::string() : fs::absolute(req.replayDir).string()},
              {"replay_count", req.replayCount},
              {"replay_cases", req.replayCases},
              {"task_channels", req.task.channels},
              {"task_labels", json::array()},
              {"task_regions", json::array()},
              {"train", c}};
    for (const auto& l : req.task.labels) j["task_labels"].push_back({{"name", l.name}, {"value", l.value}});
    for (const auto& g : req.task.regions) j["task_regions"].push_back({{"name", g.name}, {"values", g.values}});
    std::error_code ec;
    fs::create_directories(req.outDir, ec);
    writeTextAtomically(RunFolder(req.outDir).request(), j.dump(2) + "\n");
}

RunRequest readRunRequest(const fs::path& runDir) {
    RunRequest r;
    r.outDir = runDir;
    std::error_code ec;
    const fs::path request = RunFolder(runDir).request(), config = RunFolder(runDir).config();
    const bool haveRequest = fs::exists(request, ec);
    const fs::path file = haveRequest ? request : config;
    if (!fs::exists(file, ec)) throw InputError("The run folder " + runDir.string() + " has neither request.json nor config.json");
    try {
        json j = json::parse(readText(file));
        const std::string task = j.at("task").get<std::string>();
        const auto builtin = Task::builtinNames();
        if (std::find(builtin.begin(), builtin.end(), task) != builtin.end() || !j.contains("task_labels")) {
            r.task = Task::byName(task);
        } else {  // a custom task: its labels travel with the request
            r.task = Task{};
            r.task.name = task;
            r.task.channels = jsonnum::integerOr<int>(j, "task_channels", 3, 1, 4);
            const auto byte = [](const json& v, const char* what) { return jsonnum::integerIn<std::uint8_t>(v, what, 0, 255); };
            for (const auto& l : j.at("task_labels"))
                r.task.labels.push_back({l.at("name").get<std::string>(), byte(l.at("value"), "label value"), {255, 0, 0}});
            for (const auto& g : j.value("task_regions", json::array())) {
                Region region{g.at("name").get<std::string>(), {}};
                for (const auto& v : g.at("values")) region.values.push_back(byte(v, "region value"));
                r.task.regions.push_back(std::move(region));
            }
        }
        r.labeledDir = j.at("labeled_dir").get<std::string>();
        r.unlabeledDirs = paths(j, "unlabeled_dirs");
        r.testDirs = paths(j, "test_dirs");
        r.preset = j.value("preset", std::string());
        const json trainOptions = j.value("train", json::object());
        // Runs recorded before the option existed squashed their images to the square.
        if (!trainOptions.contains("resize")) r.config.resize = train::Resize::Stretch;
        applyOptions(r.config, trainOptions);
        if (haveRequest) {
            r.labeledCount = jsonnum::integerOr<int>(j, "labeled_count", 0, 0, 1 << 30);
            r.labeledRatio = j.value("labeled_ratio", 0.0);
            r.validationDirs = paths(j, "validation_dirs");
            r.maxValidationCases = jsonnum::integerOr<int>(j, "max_validation_cases", 16, 0, 1 << 30);
            r.cacheDir = j.value("cache_dir", std::string());
            r.savePredictions = j.value("save_predictions", true);
            r.localProcesses = jsonnum::integerOr<int>(j, "local_processes", 1, 1, 1024);
            r.testUnusedLabeled = j.value("test_unused_labeled", false);
            r.replayDir = j.value("replay_dir", std::string());
            r.replayCount = jsonnum::integerOr<int>(j, "replay_count", 0, 0, 1 << 30);
            r.replayCases = j.value("replay_cases", std::vector<std::string>{});
        } else {
            r.labeledCount = int(j.value("labeled_cases", json::array()).size());
        }
    } catch (const json::exception& e) {
        throw InputError("Cannot read " + file.string() + ": " + e.what());
    }
    return r;
}

RunTable parseRunTable(std::string_view text) {
    RunTable t;
    bool first = true;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        std::vector<std::string> cells(1);
        bool quoted = false;
        for (char c : line) {
            if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) cells.emplace_back();
            else cells.back() += c;
        }
        if (first) t.header = std::move(cells);
        else t.rows.push_back(std::move(cells));
        first = false;
    }
    return t;
}

RunTable readRunTable(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return {};
    std::ostringstream s;
    s << in.rdbuf();
    return parseRunTable(s.str());
}

double runTableNumber(const std::string& cell) {
    const char* b = cell.data();
    const char* e = b + cell.size();
    while (b < e && (*b == ' ' || *b == '\t')) ++b;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t')) --e;
    if (b < e && *b == '+') ++b;  // from_chars takes no plus sign
    double v = std::numeric_limits<double>::quiet_NaN();
    const auto r = std::from_chars(b, e, v);
    return r.ec == std::errc() && r.ptr == e ? v : std::numeric_limits<double>::quiet_NaN();
}

namespace {
void addPoint(RunCurve& c, double x, double y) {
    if (std::isfinite(x) && std::isfinite(y)) c.points.emplace_back(x, y);
}
}  // namespace

bool isLossColumn(const std::string& header) {
    static const char* const kNotLoss[] = {"iteration", "lr", "images_per_s", "s_per_iter", "data_wait", "elapsed_s"};
    return std::find(std::begin(kNotLoss), std::end(kNotLoss), header) == std::end(kNotLoss);
}

std::vector<RunCurve> lossCurves(const RunTable& metrics) {
    std::vector<RunCurve> curves;
    for (std::size_t c = 0; c < metrics.header.size(); ++c) {
        if (!isLossColumn(metrics.header[c])) continue;
        RunCurve curve;
        curve.name = metrics.header[c];
        for (const auto& row : metrics.rows)
            if (c < row.size()) addPoint(curve, runTableNumber(row[0]), runTableNumber(row[c]));
        curves.push_back(std::move(curve));
    }
    return curves;
}

RunCurve metricsColumn(const RunTable& metrics, const std::string& column) {
    RunCurve curve;
    curve.name = column;
    const auto it = std::find(metrics.header.begin(), metrics.header.end(), column);
    if (it == metrics.header.end()) return curve;
    const std::size_t c = std::size_t(it - metrics.header.begin());
    for (const auto& row : metrics.rows)
        if (c < row.size()) addPoint(curve, runTableNumber(row[0]), runTableNumber(row[c]));
    return curve;
}

RunCurve validationMeanCurve(const RunTable& validation) {
    RunCurve curve;
    std::map<double, std::pair<double, int>> sums;
    std::string sub;
    bool haveSub = false;
    for (const auto& row : validation.rows) {
        if (row.size() < 5) continue;
        if (!haveSub) {
            sub = row[1];
            haveSub = true;
        }
        if (row[1] != sub) continue;
        const double it = runTableNumber(row[0]), dice = runTableNumber(row[4]);
        if (!std::isfinite(it) || !std::isfinite(dice)) continue;
        auto& s = sums[it];
        s.first += dice;
        ++s.second;
    }
    curve.name = sub;
    for (const auto& [it, s] : sums) addPoint(curve, it, s.first / s.second);
    return curve;
}

std::vector<RunCurve> validationCurves(const RunTable& validation) {
    std::vector<std::string> order;
    std::map<std::string, std::map<double, std::pair<double, int>>> sums;
    for (const auto& row : validation.rows) {
        if (row.size() < 5) continue;
        const double it = runTableNumber(row[0]), dice = runTableNumber(row[4]);
        if (!std::isfinite(it) || !std::isfinite(dice)) continue;
        const std::string name = row[1] + " " + row[2];
        if (!sums.count(name)) order.push_back(name);
        auto& s = sums[name][it];
        s.first += dice;
        ++s.second;
    }
    std::vector<RunCurve> curves;
    for (const auto& name : order) {
        RunCurve curve;
        curve.name = name;
        for (const auto& [it, s] : sums[name]) addPoint(curve, it, s.first / s.second);
        curves.push_back(std::move(curve));
    }
    return curves;
}

std::map<std::string, std::map<std::string, double>> lastValidation(const RunTable& validation, const std::string& subModel) {
    double last = -std::numeric_limits<double>::infinity();
    std::map<std::string, std::map<std::string, double>> out;
    for (const auto& row : validation.rows) {
        if (row.size() < 5 || row[1] != subModel) continue;
        const double it = runTableNumber(row[0]), dice = runTableNumber(row[4]);
        if (!std::isfinite(it) || !std::isfinite(dice) || it < last) continue;
        if (it > last) {
            last = it;
            out.clear();
        }
        out[row[2]][row[3]] = dice;
    }
    return out;
}

// --- file names ---------------------------------------------------------------------------

fs::path predictionFileIn(const fs::path& dir, const std::string& caseId, bool volume) {
    return dir / (caseId + (volume ? ".nii.gz" : ".png"));
}

fs::path RunFolder::predictionFile(const std::string& domain, const std::string& caseId, bool volume) const {
    return predictionFileIn(predictions() / domain, caseId, volume);
}

fs::path findPredictionIn(const fs::path& dir, const std::string& caseId) {
    std::error_code ec;
    for (const char* ext : {".png", ".nii.gz", ".nii", ".nrrd", ".mha"}) {
        const fs::path f = dir / (caseId + ext);
        if (fs::exists(f, ec)) return f;
    }
    return {};
}

fs::path RunFolder::findPrediction(const std::string& domain, const std::string& caseId) const {
    return findPredictionIn(predictions() / domain, caseId);
}

fs::path RunFolder::modelIn(const fs::path& folderOrFile) {
    std::error_code ec;
    return fs::is_directory(folderOrFile, ec) ? RunFolder(folderOrFile).model() : folderOrFile;
}

// --- config.json ----------------------------------------------------------------------------

void writeRunConfig(const RunFolder& folder, const RunConfigFile& c) {
    json train = json::object();
    for (const auto& [k, v] : c.train) train[k] = v;
    json j = {{"format", "dac-workbench-run"},
              {"version", 1},
              {"task", c.task},
              {"preset", c.preset},
              {"labeled_dir", fs::absolute(c.labeledDir).string()},
              {"labeled_domain", c.labeledDomain},
              {"labeled_cases", c.labeledCases},
              {"unlabeled_dirs", strings(c.unlabeledDirs)},
              {"test_dirs", strings(c.testDirs)},
              {"validation", c.validation},
              {"train", train}};
    if (!c.replayDir.empty()) {
        j["replay_dir"] = fs::absolute(c.replayDir).string();
        j["replay_cases"] = c.replayCases;
    }
    writeTextAtomically(folder.config(), j.dump(2) + "\n");
}

RunConfigFile readRunConfig(const RunFolder& folder) {
    const fs::path file = folder.config();
    RunConfigFile c;
    try {
        const json j = json::parse(readText(file));
        c.task = j.at("task").get<std::string>();
        c.preset = j.value("preset", std::string());
        c.labeledDir = j.at("labeled_dir").get<std::string>();
        c.labeledDomain = j.value("labeled_domain", std::string());
        c.labeledCases = j.value("labeled_cases", std::vector<std::string>{});
        c.replayDir = j.value("replay_dir", std::string());
        c.replayCases = j.value("replay_cases", std::vector<std::string>{});
        c.unlabeledDirs = paths(j, "unlabeled_dirs");
        c.testDirs = paths(j, "test_dirs");
        c.validation = j.value("validation", std::vector<std::string>{});
        const json train = j.value("train", json::object());  // items() of a temporary would dangle
        for (const auto& [k, v] : train.items()) c.train[k] = v.is_string() ? v.get<std::string>() : v.dump();
    } catch (const json::exception& e) {
        throw InputError("Cannot read " + file.string() + ": " + e.what());
    }
    return c;
}

// --- metrics.json ---------------------------------------------------------------------------

void writeRunEvaluation(const RunFolder& folder, const EvaluationResult& r, const std::map<std::string, std::string>& extra,
                        const std::map<std::string, std::vector<double>>& classPriors) {
    writeTextAtomically(folder.evaluation(), evaluationToJson(r, extra, classPriors));
}

EvaluationResult readRunEvaluation(const RunFolder& folder) {
    std::error_code ec;
    if (!fs::exists(folder.evaluation(), ec))
        throw InputError("The run " + folder.name() + " has no metrics.json: it has not finished, or had no test domain");
    return evaluationFromJson(readText(folder.evaluation()));
}

// --- metrics.csv, validation.csv --------------------------------------------------------------

namespace {

const char* const kMetricsFixed = "iteration,lr,images_per_s,s_per_iter,data_wait,elapsed_s";
const char* const kMetricsBeforeElapsed = "iteration,lr,images_per_s,s_per_iter,data_wait";
const char* const kValidationHeader = "iteration,submodel,domain,region,dice";

/// The header and the complete rows of a file a resumed run continues (a killed writer of an
/// older version, which appended, may have left half a row).
std::pair<std::string, std::vector<std::string>> previousRows(const fs::path& file) {
    std::pair<std::string, std::vector<std::string>> r;
    std::error_code ec;
    if (!fs::exists(file, ec)) return r;
    const std::string text = readText(file);
    const std::size_t complete = text.rfind('\n');
    std::istringstream in(complete == std::string::npos ? std::string() : text.substr(0, complete + 1));
    std::getline(in, r.first);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) r.second.push_back(line);
    return r;
}

std::string rowsBefore(const std::vector<std::string>& rows, std::int64_t iteration) {
    std::string kept;
    for (const auto& row : rows)
        if (std::atoll(row.c_str()) < iteration) kept += row + "\n";
    return kept;
}

}  // namespace

RunMetricsWriter::RunMetricsWriter(RunFolder folder, bool resuming) : folder_(std::move(folder)), resuming_(resuming) {}

void RunMetricsWriter::start(const std::vector<std::string>& lossKeys, std::int64_t firstIteration) {
    lossKeys_ = lossKeys;
    std::string h = kMetricsFixed;
    for (const auto& k : lossKeys_) h += "," + k;
    std::pair<std::string, std::vector<std::string>> metrics, validation;
    if (resuming_) {
        metrics = previousRows(folder_.metricsCsv());
        validation = previousRows(folder_.validationCsv());
    }
    auto& [header, rows] = metrics;
    // A run folder from before the elapsed_s column: its rows get an empty one.
    const std::string oldFixed = kMetricsBeforeElapsed;
    if (!header.empty() && header != h && header.rfind(oldFixed + ",", 0) == 0 &&
        oldFixed + ",elapsed_s" + header.substr(oldFixed.size()) == h) {
        for (auto& row : rows) {
            std::size_t pos = 0;
            for (int commas = 0; commas < 5 && pos != std::string::npos; ++commas) pos = row.find(',', pos + 1);
            row = pos == std::string::npos ? row + "," : row.substr(0, pos) + "," + row.substr(pos);
        }
        header = h;
    }
    if (header.empty() || header != h) rows.clear();  // different columns: start over
    metrics_ = h + "\n" + rowsBefore(rows, firstIteration);
    validation_ = std::string(kValidationHeader) + "\n" +
                  (validation.first == kValidationHeader ? rowsBefore(validation.second, firstIteration) : "");
    writeTextAtomically(folder_.metricsCsv(), metrics_);
    writeTextAtomically(folder_.validationCsv(), validation_);
    started_ = true;
}

void RunMetricsWriter::add(const MetricsRow& r) {
    std::ostringstream s;
    s << r.iteration << "," << r.lr << "," << r.imagesPerSecond << "," << r.secondsPerIteration << "," << r.dataWait << ","
      << r.elapsedSeconds;
    for (const auto& k : lossKeys_) {
        const auto it = r.losses.find(k);
        s << "," << (it == r.losses.end() ? std::string() : std::to_string(it->second));
    }
    metrics_ += s.str() + "\n";
    writeTextAtomically(folder_.metricsCsv(), metrics_);
}

void RunMetricsWriter::addValidation(std::int64_t iteration,
                                     const std::map<std::string, std::map<std::string, std::vector<double>>>& dice,
                                     const std::vector<std::string>& regions) {
    std::ostringstream s;
    for (const auto& [sub, doms] : dice)
        for (const auto& [dom, values] : doms)
            for (std::size_t k = 0; k < values.size(); ++k)
                s << iteration << "," << sub << ",\"" << dom << "\"," << (k < regions.size() ? regions[k] : std::to_string(k + 1))
                  << "," << values[k] << "\n";
    validation_ += s.str();
    writeTextAtomically(folder_.validationCsv(), validation_);
}

// --- notes.txt --------------------------------------------------------------------------------

std::string readRunNotes(const RunFolder& folder) {
    std::ifstream in(folder.notes(), std::ios::binary);
    if (!in) return {};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void writeRunNotes(const RunFolder& folder, const std::string& text) {
    std::error_code ec;
    if (text.empty()) {
        fs::remove(folder.notes(), ec);
        if (ec) throw InputError("Cannot remove " + folder.notes().string() + ": " + ec.message());
        return;
    }
    if (!fs::is_directory(folder.dir(), ec)) throw InputError("The run folder " + folder.dir().string() + " does not exist");
    writeTextAtomically(folder.notes(), text);
}

// --- the history's summary ------------------------------------------------------------------

RunSummary summariseRun(const RunFolder& folder) {
    RunSummary s;
    try {
        const RunConfigFile c = readRunConfig(folder);
        s.preset = c.preset;
        s.train = c.train;
        if (auto it = c.train.find("iterations"); it != c.train.end()) s.iterationsPlanned = it->second;
        if (auto it = c.train.find("size"); it != c.train.end()) s.size = it->second;
    } catch (const std::exception&) {
    }
    try {
        std::error_code ec;
        if (fs::exists(folder.evaluation(), ec)) s.meanDice = readRunEvaluation(folder).meanDice;
    } catch (const std::exception&) {
    }
    const RunTable metrics = readRunTable(folder.metricsCsv());
    if (!metrics.rows.empty()) s.iterationsDone = metrics.rows.back().front();
    s.notes = readRunNotes(folder);
    try {
        for (const auto& t : readRunRequest(folder.dir()).testDirs) {
            const fs::path name = t.filename().empty() ? t.parent_path().filename() : t.filename();
            s.testDomains.push_back(name.string());
        }
    } catch (const std::exception&) {
        // A run folder without its request (older runs): no domains to name.
    }
    return s;
}

}  // namespace dacw
