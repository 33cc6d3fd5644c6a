#include "pipeline/RunFolder.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/train/Errors.h"
#include "util/Errors.h"
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
            r.task.channels = j.value("task_channels", 3);
            for (const auto& l : j.at("task_labels")) r.task.labels.push_back({l.at("name"), l.at("value"), {255, 0, 0}});
            for (const auto& g : j.value("task_regions", json::array()))
                r.task.regions.push_back({g.at("name"), g.at("values").get<std::vector<std::uint8_t>>()});
        }
        r.labeledDir = j.at("labeled_dir").get<std::string>();
        r.unlabeledDirs = paths(j, "unlabeled_dirs");
        r.testDirs = paths(j, "test_dirs");
        r.preset = j.value("preset", std::string());
        applyOptions(r.config, j.value("train", json::object()));
        if (haveRequest) {
            r.labeledCount = j.value("labeled_count", 0);
            r.labeledRatio = j.value("labeled_ratio", 0.0);
            r.validationDirs = paths(j, "validation_dirs");
            r.maxValidationCases = j.value("max_validation_cases", 16);
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

}  // namespace dacw
