#include "core/pipeline/RunSteps.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <random>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/train/Distributed.h"
#include "core/train/KernelChoice.h"
#include "core/train/Predictor.h"
#include "core/pipeline/LabeledSubset.h"
#include "core/pipeline/Predict.h"
#include "core/util/Errors.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;

namespace dacw {

std::vector<std::string> maskedCaseIds(const Domain& d) {
    std::vector<std::string> ids;
    for (const auto& c : d.cases)
        if (c.hasMask()) ids.push_back(c.id);
    return ids;
}

void checkRunRequest(const RunRequest& req) {
    requireFolder(req.labeledDir, "labeled");
    for (const auto& u : req.unlabeledDirs) requireFolder(u, "unlabeled");
    for (const auto& t : req.testDirs) requireFolder(t, "test");
    for (const auto& v : req.validationDirs) requireFolder(v, "validation");
    if (req.outDir.empty()) throw InputError("No run folder given (--out)");
    if (!req.replayDir.empty()) {
        requireFolder(req.replayDir, "replay");
        std::error_code ec;
        if (fs::equivalent(req.replayDir, req.labeledDir, ec))
            throw InputError("The replay folder is the labeled folder (" + req.labeledDir.string() +
                             "); replay takes another centre's labeled cases");
        for (const auto& t : req.testDirs)
            if (fs::equivalent(req.replayDir, t, ec))
                throw InputError("The replay folder " + req.replayDir.string() + " is also a test folder");
        if (req.replayCount < 0) throw InputError("The replay count must be 0 (all cases) or more");
    }
    const std::string roles = heldOutProblem(req.labeledDir, req.unlabeledDirs, req.testDirs, req.validationDirs);
    if (!roles.empty()) throw InputError(roles);
    if (train::partsOf(req.config.method).coTraining && req.unlabeledDirs.empty())
        throw InputError("Method " + train::toString(req.config.method) +
                         " needs unlabeled folders (--unlabeled); only 'supervised' trains without");
}

std::vector<std::string> selectLabeledCases(const RunRequest& req, std::vector<std::string> all,
                                            const std::vector<std::string>* previous) {
    if (all.empty()) throw InputError("The labeled folder " + req.labeledDir.string() + " has no case with a mask");
    if (previous) return *previous;
    std::sort(all.begin(), all.end());
    std::vector<std::string> shuffled = all;
    std::mt19937_64 rng(req.config.seed ^ 0x5eed1abe11edull);
    for (std::size_t i = shuffled.size(); i > 1; --i) std::swap(shuffled[i - 1], shuffled[rng() % i]);
    std::size_t n = all.size();
    if (req.labeledCount > 0) n = std::size_t(req.labeledCount);
    else if (req.labeledRatio > 0) n = std::max<std::size_t>(1, std::size_t(std::lround(req.labeledRatio * double(all.size()))));
    if (n > all.size())
        throw InputError("Asked for " + std::to_string(n) + " labeled cases but " + req.labeledDir.string() + " has " +
                         std::to_string(all.size()) + " with masks");
    std::vector<std::string> chosen(shuffled.begin(), shuffled.begin() + long(n));
    std::sort(chosen.begin(), chosen.end());
    return chosen;
}

train::TrainConfig resolveRunConfig(const RunRequest& req, const RunFolder& folder, bool resuming) {
    train::TrainConfig cfg = req.config;
    cfg.size = cfg.size > 0 ? cfg.size : 128;
    cfg.numClasses = req.task.classCount();
    // Validation chooses between sub-models A and B: score what the test scores, the task's regions.
    cfg.validationRegions.clear();
    for (const Region& reg : req.task.regions) {
        std::vector<int64_t> classes;
        for (auto v : reg.values) classes.push_back(int64_t(v));
        cfg.validationRegions.push_back(classes);
    }
    cfg.checkpointPath = folder.checkpoint().string();
    cfg.resume = resuming;
    if (cfg.checkpointInterval <= 0) cfg.checkpointInterval = std::max<int64_t>(50, cfg.iterations / 10);
    return cfg;
}

PreprocessOptions runPreprocessing(const RunRequest& req, const train::TrainConfig& cfg) {
    PreprocessOptions pre;
    pre.size = int(cfg.size);
    pre.channels = req.task.channels;
    pre.resize = cfg.resize;
    pre.cacheDir = req.cacheDir;
    return pre;
}

RunTensors prepareRunTensors(const RunRequest& req, const Domain& labeled, const std::vector<std::string>& chosen,
                             const PreprocessOptions& pre, RunLog& log) {
    auto loadLogged = [&](const Domain& d, bool masks, const std::vector<std::string>& only) {
        LoadReport rep;
        train::TensorDataset t = loadDomainTensors(d, req.task, pre, masks, only, &rep);
        log(d.name + ": " + std::to_string(rep.cases) + " cases, " + std::to_string(rep.samples) + " samples" +
            (rep.fromCache ? " (from the dataset cache)" : ""));
        for (const auto& s : rep.skipped) log("  skipped " + s);
        return t;
    };
    RunTensors data;
    data.labeled = loadLogged(labeled, true, chosen);
    if (!req.replayDir.empty()) {
        const Domain source = scanDomain(req.replayDir);
        RunRequest pick = req;
        pick.labeledDir = req.replayDir;
        pick.labeledCount = req.replayCount;
        pick.labeledRatio = 0.0;
        data.replayCases = req.replayCases.empty() ? selectLabeledCases(pick, maskedCaseIds(source)) : req.replayCases;
        const train::TensorDataset replay = loadLogged(source, true, data.replayCases);
        const int64_t own = std::max<int64_t>(1, data.labeled.size());
        const int64_t repeats = std::max<int64_t>(1, (replay.size() + own / 2) / own);
        std::vector<train::TensorDataset> parts(std::size_t(repeats), data.labeled);
        parts.push_back(replay);
        log("replay: " + std::to_string(replay.size()) + " labeled samples of " + source.name + " join the " +
            std::to_string(data.labeled.size()) + " of " + labeled.name + ", which are repeated " + std::to_string(repeats) +
            " times (" + std::to_string(repeats * data.labeled.size()) + " of " +
            std::to_string(repeats * data.labeled.size() + replay.size()) + " training samples)");
        data.labeled = train::TensorDataset::concat(parts);
    }
    std::vector<train::TensorDataset> parts;
    for (const auto& u : req.unlabeledDirs) {
        Domain d = scanDomain(u);
        if (d.cases.empty()) throw InputError("The unlabeled folder " + u.string() + " holds no images");
        parts.push_back(loadLogged(d, false, {}));
    }
    if (!parts.empty()) data.unlabeled = train::TensorDataset::concat(parts);

    const std::size_t most = std::size_t(std::max(0, req.maxValidationCases));
    if (req.testUnusedLabeled && req.validationDirs.empty()) {
        log("testing on the labeled folder's unused cases: no held-out validation from them");
    } else if (!req.validationDirs.empty()) {
        for (const auto& v : req.validationDirs) {
            Domain d = scanDomain(v);
            std::vector<std::string> ids = maskedCaseIds(d);
            if (ids.size() > most) ids.resize(most);
            if (!ids.empty()) data.validation[d.name] = loadLogged(d, true, ids);
        }
    } else {
        std::vector<std::string> all = maskedCaseIds(labeled), held;
        std::sort(all.begin(), all.end());
        const std::set<std::string> used(chosen.begin(), chosen.end());
        for (const auto& id : all)
            if (!used.count(id) && held.size() < most) held.push_back(id);
        if (!held.empty()) data.validation[labeled.name + " (held out)"] = loadLogged(labeled, true, held);
    }
    return data;
}

void resolveKernels(train::TrainConfig& cfg, const RunFolder& folder, bool resuming, int64_t channels, RunLog& log,
                    const std::atomic<bool>* cancel) {
    if (!cfg.autoKernels.any()) return;
    bool restored = false;
    std::error_code ec;
    if (resuming && fs::exists(folder.config(), ec)) {
        try {
            const std::map<std::string, std::string> old = readRunConfig(folder).train;
            for (const char* key : {"bf16", "channels-last", "model-parallel"})
                if (old.count(key) && old.at(key) != "auto") train::applyOption(cfg, key, old.at(key));
            restored = !cfg.autoKernels.any();
        } catch (const std::exception&) {
            // An older config.json without these keys: measure below.
        }
    }
    if (restored) {
        log("kernels as when the run started: bf16 " + std::string(cfg.bf16 ? "on" : "off") + ", channels-last " +
            (cfg.channelsLast ? "on" : "off") + ", model-parallel " + (cfg.modelParallel ? "on" : "off"));
        return;
    }
    const train::KernelChoice k = train::chooseKernels(cfg, channels, [&](const std::string& m) { log(m); }, cancel);
    train::applyKernelChoice(cfg, k);
    log(k.summary());
}

RunConfigFile runConfigFile(const RunRequest& req, const train::TrainConfig& cfg, const Domain& labeled,
                            const std::vector<std::string>& chosen, const RunTensors& data) {
    RunConfigFile c;
    c.task = req.task.name;
    c.preset = req.preset;
    c.labeledDir = req.labeledDir;
    c.labeledDomain = labeled.name;
    c.labeledCases = chosen;
    c.unlabeledDirs = req.unlabeledDirs;
    c.testDirs = req.testDirs;
    for (const auto& [name, v] : data.validation) c.validation.push_back(name);
    for (const auto& [k, v] : train::toKeyValues(cfg)) c.train[k] = v;
    c.replayDir = req.replayDir;
    c.replayCases = data.replayCases;
    return c;
}

TrainedRun trainRun(const train::TrainConfig& cfg, const RunTensors& data, const RunFolder& folder, bool resuming,
                    const Task& task, const RunObserver& obs, RunLog& log, const std::atomic<bool>* cancel,
                    const std::shared_ptr<train::Distributed>& dist) {
    const bool writes = !dist || dist->isRoot();
    // metrics.csv and validation.csv (pipeline/RunFolder.h keeps every iteration once on resume).
    RunMetricsWriter metrics(folder, resuming);
    std::vector<std::string> regionNames;
    for (const Region& reg : task.regions) regionNames.push_back(reg.name);
    const int64_t logEvery = std::max<int64_t>(1, cfg.iterations / 200);

    TrainedRun run;
    run.trainer = std::make_unique<train::CoTrainer>(cfg);
    run.trainer->setDistributed(dist);
    // elapsed_s: wall seconds since this process started training (a resumed run starts again at 0).
    const auto trainStart = std::chrono::steady_clock::now();
    auto callback = [&](const train::Progress& p) {
        if (!writes) {
            for (const auto& m : p.messages) log(m);
            if (obs.progress) obs.progress(p);
            return;
        }
        if (!metrics.started()) {
            std::vector<std::string> lossKeys;
            for (const auto& [k, v] : p.losses) lossKeys.push_back(k);
            metrics.start(lossKeys, p.iteration);
        }
        if (p.iteration % logEvery == 0 || p.iteration == p.total || p.validated) {
            MetricsRow row;
            row.iteration = p.iteration;
            row.lr = p.lr;
            row.imagesPerSecond = p.imagesPerSecond;
            row.secondsPerIteration = p.secondsPerIteration;
            row.dataWait = p.dataWaitFraction;
            row.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - trainStart).count();
            row.losses = p.losses;
            metrics.add(row);
        }
        if (p.validated) metrics.addValidation(p.iteration, p.validation, regionNames);
        for (const auto& m : p.messages) log(m);
        if (obs.progress) obs.progress(p);
    };
    run.result = run.trainer->run(data.labeled, data.unlabeled, data.validation, callback, cancel);
    for (const auto& m : run.result.messages) log(m);
    if (writes) run.trainer->saveCheckpoint(folder.checkpoint().string());
    if (run.result.status == train::RunStatus::Cancelled)
        log("cancelled after iteration " + std::to_string(run.result.iterations) + "; checkpoint saved, continue with --resume");
    else
        log("finished " + std::to_string(run.result.iterations) + " iterations in " + std::to_string(int(run.result.seconds)) +
            " s; data wait " + std::to_string(int(run.result.dataWaitFraction * 100)) + "%; chosen sub-model " +
            run.result.chosen);
    return run;
}

fs::path exportRunModel(const train::CoTrainer& trainer, const RunFolder& folder, const RunRequest& req,
                        const train::TrainConfig& cfg, const Domain& labeled) {
    const nlohmann::json meta = {{"task", req.task.name},
                                 {"method", train::toString(cfg.method)},
                                 {"labeled_domain", labeled.name},
                                 {"tta", train::toString(cfg.tta)}};
    trainer.exportModel(folder.model().string(), "chosen", meta.dump());
    return folder.model();
}

EvaluationResult testRun(const fs::path& model, const train::TrainConfig& cfg, const RunRequest& req, const RunFolder& folder,
                         const Domain& labeled, const std::vector<std::string>& chosen, RunLog& log) {
    EvaluationResult r;
    if (!req.testUnusedLabeled && req.testDirs.empty()) return r;
    train::Predictor predictor(model.string(), cfg.device, cfg.threads);
    predictor.setTta(cfg.tta);
    const RunFolder* out = req.savePredictions ? &folder : nullptr;
    if (req.testUnusedLabeled) {
        const std::set<std::string> used(chosen.begin(), chosen.end());
        evaluateDomain(predictor, labeled, req.task, out, r, &log, used);
    }
    for (const auto& t : req.testDirs) evaluateDomain(predictor, scanDomain(t), req.task, out, r, &log);
    summarise(r);
    for (const auto& d : r.domains) {
        std::ostringstream s;
        s << "test " << d.name << " (" << d.cases << " cases):";
        for (const auto& [k, v] : d.dice) s << " Dice " << k << " " << std::fixed << std::setprecision(3) << v;
        log(s.str());
    }
    return r;
}

}  // namespace dacw
