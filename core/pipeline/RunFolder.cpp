#include "pipeline/RunFolder.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/train/Errors.h"
#include "util/Errors.h"
#include "util/JsonNumbers.h"
#include "util/Paths.h"

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

}  // namespace

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
              {"task_channels", req.task.channels},
              {"task_labels", json::array()},
              {"task_regions", json::array()},
              {"train", c}};
    for (const auto& l : req.task.labels) j["task_labels"].push_back({{"name", l.name}, {"value", l.value}});
    for (const auto& g : req.task.regions) j["task_regions"].push_back({{"name", g.name}, {"values", g.values}});
    std::error_code ec;
    fs::create_directories(req.outDir, ec);
    writeTextAtomically(req.outDir / "request.json", j.dump(2) + "\n");
}

RunRequest readRunRequest(const fs::path& runDir) {
    RunRequest r;
    r.outDir = runDir;
    std::error_code ec;
    const fs::path request = runDir / "request.json", config = runDir / "config.json";
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
        applyOptions(r.config, j.value("train", json::object()));
        if (haveRequest) {
            r.labeledCount = jsonnum::integerOr<int>(j, "labeled_count", 0, 0, 1 << 30);
            r.labeledRatio = j.value("labeled_ratio", 0.0);
            r.validationDirs = paths(j, "validation_dirs");
            r.maxValidationCases = jsonnum::integerOr<int>(j, "max_validation_cases", 16, 0, 1 << 30);
            r.cacheDir = j.value("cache_dir", std::string());
            r.savePredictions = j.value("save_predictions", true);
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

}  // namespace dacw
