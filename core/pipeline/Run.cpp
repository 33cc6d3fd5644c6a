#include "core/pipeline/Run.h"

#include <algorithm>
#include <chrono>

#include "core/pipeline/RunSteps.h"
#include "core/train/Distributed.h"
#include "core/util/Errors.h"
#include "core/util/FileLock.h"

namespace fs = std::filesystem;

namespace dacw {

RunOutcome executeRun(const RunRequest& req, const RunObserver& obs, const std::atomic<bool>* cancel) {
    checkRunRequest(req);
    const std::shared_ptr<train::Distributed>& dist = req.distributed;
    const bool root = !dist || dist->isRoot();  // rank 0 alone writes the run folder

    const RunFolder folder(req.outDir);
    std::error_code ec;
    FileLock lock;
    if (root) {
        fs::create_directories(req.outDir, ec);
        if (ec) throw InputError("Cannot create the run folder " + req.outDir.string() + ": " + ec.message());
        // One training per run folder: a second one would interleave checkpoints and metrics. Held
        // until this function returns; the kernel releases it when the process dies.
        std::string holder;
        if (!lock.tryLock(folder.lock(), &holder))
            throw InputError("The run folder " + req.outDir.string() + " is in use by another training (" + holder +
                             "); wait for it to finish, stop it, or choose another --out");
    }
    RunLog log(root ? folder.log() : fs::path(), obs.message);
    const bool resuming = req.resume && fs::exists(folder.checkpoint(), ec);
    if (req.resume && !resuming) log("--resume: no checkpoint in " + req.outDir.string() + ", starting from the beginning");

    // Which labeled cases: a resumed run keeps the list it started with.
    const Domain labeled = scanDomain(req.labeledDir);
    std::vector<std::string> previous;
    const bool keepCases = resuming && fs::exists(folder.config(), ec);
    if (keepCases) {
        try {
            previous = readRunConfig(folder).labeledCases;
        } catch (const InputError& e) {
            throw InputError(std::string("Cannot resume: ") + e.what());
        }
    }
    const std::vector<std::string> chosen =
        selectLabeledCases(req, maskedCaseIds(labeled), keepCases ? &previous : nullptr);

    train::TrainConfig cfg = resolveRunConfig(req, folder, resuming);
    // Distributed: rank 0 decodes first (filling the dataset cache), the others then read the cache.
    constexpr std::chrono::hours kDataWait{2};
    if (dist && !root) dist->shareFromRoot("data-ready", "", kDataWait);
    const RunTensors data = prepareRunTensors(req, labeled, chosen, runPreprocessing(req, cfg), log);
    if (dist && root) dist->shareFromRoot("data-ready", "1", kDataWait);
    if (root) resolveKernels(cfg, folder, resuming, data.labeled.channels(), log, cancel);
    if (dist) {
        // Every rank computes the way rank 0 chose (measured or from its cache).
        const std::string k = dist->shareFromRoot(
            "kernels", std::string(cfg.bf16 ? "1" : "0") + (cfg.channelsLast ? "1" : "0") + (cfg.modelParallel ? "1" : "0"),
            kDataWait);
        train::applyOption(cfg, "bf16", k.at(0) == '1' ? "true" : "false");
        train::applyOption(cfg, "channels-last", k.at(1) == '1' ? "true" : "false");
        train::applyOption(cfg, "model-parallel", k.at(2) == '1' ? "true" : "false");
    }
    if (root) writeRunConfig(folder, runConfigFile(req, cfg, labeled, chosen, data));
    log(std::string(resuming ? "resuming " : "starting ") + train::toString(cfg.method) + ": " +
        std::to_string(data.labeled.size()) + " labeled samples, " + std::to_string(data.unlabeled.size()) + " unlabeled, " +
        std::to_string(cfg.iterations) + " iterations at " + std::to_string(cfg.size) + " px");

    const TrainedRun trained = trainRun(cfg, data, folder, resuming, req.task, obs, log, cancel, dist);
    RunOutcome out;
    out.iterations = trained.result.iterations;
    out.chosenSubModel = trained.result.chosen;
    out.seconds = trained.result.seconds;
    out.dataWaitFraction = trained.result.dataWaitFraction;
    if (trained.result.status == train::RunStatus::Cancelled) {
        out.cancelled = true;
        return out;
    }
    if (!root) return out;  // rank 0 exports and tests
    out.modelFile = exportRunModel(*trained.trainer, folder, req, cfg, labeled);
    out.evaluation = testRun(out.modelFile, cfg, req, folder, labeled, chosen, log);
    std::map<std::string, std::string> extra = {{"method", train::toString(cfg.method)},
                                                {"model", out.modelFile.string()},
                                                {"chosen_submodel", trained.result.chosen},
                                                {"task", req.task.name}};
    if (!trained.result.classPriors.empty()) extra["predict_prior"] = train::toString(cfg.predictPrior);
    writeRunEvaluation(folder, out.evaluation, extra, trained.result.classPriors);
    return out;
}

RunEstimate estimateRunDuration(RunRequest req, const std::atomic<bool>* cancel) {
    const int64_t iterations = req.config.iterations;
    req.config.iterations = 3;
    req.config.validationInterval = 0;
    req.config.checkpointInterval = 1000;
    req.testDirs.clear();
    req.validationDirs.clear();
    req.testUnusedLabeled = false;
    req.maxValidationCases = 0;
    req.savePredictions = false;
    req.resume = false;
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    double firstAt = -1;
    RunEstimate e;
    RunObserver obs;
    obs.progress = [&](const train::Progress& p) {
        if (firstAt < 0) firstAt = std::chrono::duration<double>(Clock::now() - t0).count();
        e.secondsPerIteration = p.secondsPerIteration;
    };
    try {
        executeRun(req, obs, cancel);
    } catch (const std::exception& ex) {
        e.error = ex.what();
    }
    e.cancelled = cancel && cancel->load();
    // Set-up (decoding, building the networks) once, then the measured pace.
    if (e.error.empty() && !e.cancelled && firstAt >= 0)
        e.seconds = std::max(0.0, firstAt - e.secondsPerIteration) + e.secondsPerIteration * double(iterations);
    else if (e.error.empty() && !e.cancelled)
        e.error = "no iteration ran";
    return e;
}

}  // namespace dacw
