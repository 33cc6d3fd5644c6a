#include "pipeline/Run.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <limits>
#include <random>
#include <set>
#include <sstream>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/train/CoTrainer.h"
#include "core/train/KernelChoice.h"
#include "core/train/Errors.h"
#include "core/train/Predictor.h"
#include "data/Preprocess.h"
#include "dataset/Domain.h"
#include "image/ImageIO.h"
#include "pipeline/RunFolder.h"
#include "util/Errors.h"
#include "util/FileLock.h"
#include "util/JsonNumbers.h"
#include "util/Paths.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dacw {

std::vector<std::string> presetNames() { return {"quick", "standard", "paper"}; }

void applyPreset(train::TrainConfig& c, const std::string& preset) {
    struct Preset {
        const char* name;
        int64_t size;
        train::Backbone backbone;
        double width;
        int64_t iterations, batch, interval, headChannels;
    };
    // quick: about ten minutes on two CPU cores, evaluation included. standard: the compact
    // 128-channel head (43% fewer FLOPs than the published 256, Dice within a point over three
    // seeds: docs/results.md). paper: the scale of the published setting, meant for a GPU node
    // (dacw-train --device cuda), with the published head.
    static const Preset kPresets[] = {
        {"quick", 96, train::Backbone::ResNet18, 0.5, 600, 4, 100, 0},  // 256 x 0.5 = 128 channels
        {"standard", 128, train::Backbone::ResNet18, 1.0, 2000, 4, 250, 128},
        {"paper", 256, train::Backbone::ResNet50, 1.0, 30000, 8, 1000, 0},
    };
    for (const Preset& p : kPresets) {
        if (preset != p.name) continue;
        c.size = p.size;
        c.backbone = p.backbone;
        c.width = p.width;
        c.iterations = p.iterations;
        c.labeledBatch = c.unlabeledBatch = p.batch;
        c.validationInterval = c.checkpointInterval = p.interval;
        c.headChannels = p.headChannels;
        return;
    }
    throw InputError("Unknown preset '" + preset + "'; presets are quick, standard and paper");
}

namespace {

class RunLog {
public:
    RunLog(const fs::path& file, const RunObserver& obs) : out_(file, std::ios::app), obs_(obs) {}
    void operator()(const std::string& line) {
        const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
        char stamp[32];
        std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", std::localtime(&now));
        out_ << stamp << "  " << line << "\n";
        out_.flush();
        if (obs_.message) obs_.message(line);
    }

private:
    std::ofstream out_;
    const RunObserver& obs_;
};

void requireFolder(const fs::path& p, const char* what) {
    std::error_code ec;
    if (p.empty()) throw InputError(std::string("No ") + what + " folder given");
    if (!fs::is_directory(p, ec)) throw InputError(std::string("The ") + what + " folder " + p.string() + " does not exist");
}

std::vector<std::string> maskedIds(const Domain& d) {
    std::vector<std::string> ids;
    for (const auto& c : d.cases)
        if (c.hasMask()) ids.push_back(c.id);
    return ids;
}

/// Probabilities of every slice of an image, as network-size class-major planes.
std::vector<std::vector<float>> predictImage(const train::Predictor& p, const Image& img) {
    const int size = int(p.info().size), channels = int(p.info().inChannels);
    const std::size_t depth = img.depth();
    std::vector<float> buf;
    buf.reserve(depth * std::size_t(channels * size * size));
    for (std::size_t z = 0; z < depth; ++z) {
        auto in = networkInput(img, z, channels, size);
        buf.insert(buf.end(), in.begin(), in.end());
    }
    at::Tensor t = at::from_blob(buf.data(), {int64_t(depth), channels, size, size}, at::kFloat);
    at::Tensor probs = p.predict(t).contiguous();
    const int64_t k = probs.size(1);
    std::vector<std::vector<float>> out(depth);
    const float* src = probs.data_ptr<float>();
    const std::size_t per = std::size_t(k) * std::size_t(size) * std::size_t(size);
    for (std::size_t z = 0; z < depth; ++z) out[z].assign(src + z * per, src + (z + 1) * per);
    return out;
}

double meanOf(const std::vector<double>& v) {
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
    double m = 0;
    for (double x : v) m += x;
    return m / double(v.size());
}

}  // namespace

CaseResult scoreCase(const std::string& domain, const std::string& caseId, LabelMap& pred, const LabelMap& truth,
                     const Task& task) {
    CaseResult c;
    c.domain = domain;
    c.caseId = caseId;
    const AnatomyCheck a = checkAnatomy(pred, task);
    c.anatomyChecked = a.applicable;
    c.anatomyValid = a.valid;
    if (a.applicable) {
        c.rawDice = diceOfRegions(pred, truth, task);  // Dice only: HD95 of the raw map is not reported
        enforceAnatomy(pred, task);
    }
    c.scores = evaluateCase(pred, truth, task);
    if (!a.applicable)
        for (const auto& [region, s] : c.scores) c.rawDice[region] = s.dice;
    c.vcdr = verticalCupToDisc(pred, task);
    c.vcdrTruth = verticalCupToDisc(truth, task);
    if (std::isnan(c.vcdr) && !std::isnan(c.vcdrTruth)) c.vcdr = 0.0;  // no disc predicted: no cup either
    return c;
}

void summarise(EvaluationResult& r) {
    std::map<std::string, std::vector<const CaseResult*>> byDomain;
    std::vector<std::string> order;
    for (const auto& c : r.cases) {
        if (!byDomain.count(c.domain)) order.push_back(c.domain);
        byDomain[c.domain].push_back(&c);
    }
    r.domains.clear();
    std::map<std::string, std::vector<double>> diceMeans, hdMeans;
    std::vector<double> vcdrMaes;
    for (const auto& name : order) {
        DomainResult d;
        d.name = name;
        d.cases = byDomain[name].size();
        std::map<std::string, std::vector<double>> dv, hv, rv;
        std::vector<double> vcdrErr;
        for (const CaseResult* c : byDomain[name]) {
            for (const auto& [region, s] : c->scores) {
                dv[region].push_back(s.dice);
                hv[region].push_back(s.hd95);
                if (s.hd95Penalised) ++d.hd95Penalised[region];
            }
            for (const auto& [region, v] : c->rawDice) rv[region].push_back(v);
            if (!std::isnan(c->vcdr) && !std::isnan(c->vcdrTruth)) vcdrErr.push_back(std::fabs(c->vcdr - c->vcdrTruth));
            if (c->anatomyChecked) {
                ++d.anatomyChecked;
                d.anatomyValid += c->anatomyValid ? 1 : 0;
            }
        }
        for (auto& [region, v] : dv) diceMeans[region].push_back(d.dice[region] = meanOf(v));
        for (auto& [region, v] : hv) hdMeans[region].push_back(d.hd95[region] = meanOf(v));
        for (auto& [region, v] : rv) d.rawDice[region] = meanOf(v);
        d.vcdrMae = meanOf(vcdrErr);
        if (!vcdrErr.empty()) vcdrMaes.push_back(d.vcdrMae);
        r.domains.push_back(d);
    }
    r.meanDice.clear();
    r.meanHd95.clear();
    for (auto& [region, v] : diceMeans) r.meanDice[region] = meanOf(v);
    for (auto& [region, v] : hdMeans) r.meanHd95[region] = meanOf(v);
    r.meanVcdrMae = meanOf(vcdrMaes);
}

namespace {

/// One case on its way through prediction: read and resampled ahead, predicted in a batch, then
/// mapped back to the image's geometry.
struct PendingCase {
    const Case* c = nullptr;
    Image img;
    std::vector<float> input;  // [depth, channels, size, size]
    std::string error;         // reading failed: the InputError's text
};

/// Predicts `cases` in batches of `batch` images, as a pipeline on three threads: the next
/// batch is read and resampled while the network runs, and the previous one is mapped back,
/// scored and written meanwhile. `done` is called in case order, one call at a time, with the
/// label map at the image's geometry (or with the reading error). Returns the network's seconds.
double predictCases(const train::Predictor& p, const std::vector<const Case*>& cases, std::size_t batch,
                    const std::function<void(const Case&, const Image&, LabelMap&)>& done,
                    const std::function<void(const Case&, const std::string&)>& failed) {
    const int size = int(p.info().size), channels = int(p.info().inChannels), classes = int(p.info().numClasses);
    const std::size_t perSlice = std::size_t(channels) * std::size_t(size) * std::size_t(size);
    batch = std::max<std::size_t>(1, batch);
    auto load = [&](std::size_t begin) {
        std::vector<PendingCase> out;
        for (std::size_t i = begin; i < std::min(cases.size(), begin + batch); ++i) {
            PendingCase pc;
            pc.c = cases[i];
            try {
                pc.img = readImage(pc.c->image);
                pc.input.reserve(pc.img.depth() * perSlice);
                for (std::size_t z = 0; z < pc.img.depth(); ++z) {
                    auto in = networkInput(pc.img, z, channels, size);
                    pc.input.insert(pc.input.end(), in.begin(), in.end());
                }
            } catch (const InputError& e) {
                pc.error = e.what();
            }
            out.push_back(std::move(pc));
        }
        return out;
    };
    auto post = [&](std::vector<PendingCase> items, std::vector<std::vector<std::vector<float>>> probs) {
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (!items[i].error.empty()) {
                failed(*items[i].c, items[i].error);
                continue;
            }
            try {
                LabelMap pred = labelsFromProbabilities(probs[i], classes, size, items[i].img.geometry());
                done(*items[i].c, items[i].img, pred);
            } catch (const InputError& e) {
                failed(*items[i].c, e.what());
            }
        }
    };
    double networkSeconds = 0.0;
    std::future<std::vector<PendingCase>> next = std::async(std::launch::async, load, std::size_t(0));
    std::future<void> previous;
    for (std::size_t begin = 0; begin < cases.size(); begin += batch) {
        std::vector<PendingCase> items = next.get();
        if (begin + batch < cases.size()) next = std::async(std::launch::async, load, begin + batch);
        // All slices of the batch in one tensor (2-D images are one slice each).
        std::vector<float> buf;
        std::vector<std::size_t> depth(items.size(), 0);
        for (std::size_t i = 0; i < items.size(); ++i)
            if (items[i].error.empty()) {
                depth[i] = items[i].img.depth();
                buf.insert(buf.end(), items[i].input.begin(), items[i].input.end());
                std::vector<float>().swap(items[i].input);
            }
        std::vector<std::vector<std::vector<float>>> probs(items.size());
        const int64_t slices = int64_t(buf.size() / perSlice);
        if (slices > 0) {
            const auto t0 = std::chrono::steady_clock::now();
            at::Tensor t = at::from_blob(buf.data(), {slices, channels, size, size}, at::kFloat);
            at::Tensor out = p.predict(t, std::max<int64_t>(int64_t(batch), 1)).contiguous();
            networkSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const std::size_t per = std::size_t(out.size(1)) * std::size_t(size) * std::size_t(size);
            const float* src = out.data_ptr<float>();
            for (std::size_t i = 0; i < items.size(); ++i)
                for (std::size_t z = 0; z < depth[i]; ++z, src += per) probs[i].emplace_back(src, src + per);
        }
        if (previous.valid()) previous.get();
        previous = std::async(std::launch::async, post, std::move(items), std::move(probs));
    }
    if (previous.valid()) previous.get();
    return networkSeconds;
}

/// Scores every masked case of a domain with a predictor; writes predictions when outDir is set.
void evaluateDomain(const train::Predictor& p, const Domain& d, const Task& task, const RunFolder* out,
                    EvaluationResult& r, RunLog* log, const std::set<std::string>& exclude = {}) {
    std::vector<const Case*> cases;
    for (const auto& c : d.cases)
        if (c.hasMask() && !exclude.count(c.id)) cases.push_back(&c);
    auto skipped = [&](const Case& c, const std::string& why) {
        if (log) (*log)("skipped test case " + d.name + "/" + c.id + ": " + why);
    };
    const auto t0 = std::chrono::steady_clock::now();
    const double network = predictCases(
        p, cases, 4,
        [&](const Case& c, const Image& img, LabelMap& pred) {
            try {
                LabelMap truth = readCaseMask(c);
                r.cases.push_back(scoreCase(d.name, c.id, pred, truth, task));
                if (r.hd95Unit.empty()) r.hd95Unit = hd95Unit(truth.geometry());
                if (out) writeLabelMap(pred, out->predictionFile(d.name, c.id, img.depth() > 1));
            } catch (const InputError& e) {
                skipped(c, e.what());
            }
        },
        skipped);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (log && !cases.empty()) {
        std::ostringstream os;
        os << "predicted " << d.name << ": " << cases.size() << " images in " << std::fixed << std::setprecision(1) << wall
           << " s (" << std::setprecision(2) << double(cases.size()) / std::max(wall, 1e-9) << " images/s; network "
           << std::setprecision(1) << network << " s)";
        (*log)(os.str());
    }
}

}  // namespace

RunOutcome executeRun(const RunRequest& req, const RunObserver& obs, const std::atomic<bool>* cancel) {
    requireFolder(req.labeledDir, "labeled");
    for (const auto& u : req.unlabeledDirs) requireFolder(u, "unlabeled");
    for (const auto& t : req.testDirs) requireFolder(t, "test");
    for (const auto& v : req.validationDirs) requireFolder(v, "validation");
    if (req.outDir.empty()) throw InputError("No run folder given (--out)");
    auto same = [](const fs::path& a, const fs::path& b) {
        std::error_code ec;
        return fs::equivalent(a, b, ec);
    };
    for (const auto& t : req.testDirs) {
        if (same(t, req.labeledDir))
            throw InputError("The test folder " + t.string() + " is the labeled folder; test domains must be held out");
        for (const auto& u : req.unlabeledDirs)
            if (same(t, u))
                throw InputError("The test folder " + t.string() + " is also an unlabeled folder; test domains must be held out");
    }
    train::TrainConfig cfg = req.config;
    const bool coTraining = train::partsOf(cfg.method).coTraining;
    if (coTraining && req.unlabeledDirs.empty())
        throw InputError("Method " + train::toString(cfg.method) + " needs unlabeled folders (--unlabeled); only 'supervised' trains without");

    const RunFolder folder(req.outDir);
    std::error_code ec;
    fs::create_directories(req.outDir, ec);
    if (ec) throw InputError("Cannot create the run folder " + req.outDir.string() + ": " + ec.message());
    // One training per run folder: a second one would interleave checkpoints and metrics. Held
    // until this function returns; the kernel releases it when the process dies.
    FileLock lock;
    std::string holder;
    if (!lock.tryLock(folder.lock(), &holder))
        throw InputError("The run folder " + req.outDir.string() + " is in use by another training (" + holder +
                         "); wait for it to finish, stop it, or choose another --out");
    RunLog log(folder.log(), obs);
    const fs::path configFile = folder.config();
    const fs::path checkpoint = folder.checkpoint();
    const bool resuming = req.resume && fs::exists(checkpoint, ec);
    if (req.resume && !resuming) log("--resume: no checkpoint in " + req.outDir.string() + ", starting from the beginning");

    // Which labeled cases: a resumed run keeps the list it started with.
    Domain labeled = scanDomain(req.labeledDir);
    std::vector<std::string> all = maskedIds(labeled), chosen;
    if (all.empty()) throw InputError("The labeled folder " + req.labeledDir.string() + " has no case with a mask");
    if (resuming && fs::exists(configFile, ec)) {
        try {
            chosen = readRunConfig(folder).labeledCases;
        } catch (const InputError& e) {
            throw InputError(std::string("Cannot resume: ") + e.what());
        }
    } else {
        std::sort(all.begin(), all.end());
        std::vector<std::string> shuffled = all;
        std::mt19937_64 rng(cfg.seed ^ 0x5eed1abe11edull);
        for (std::size_t i = shuffled.size(); i > 1; --i) std::swap(shuffled[i - 1], shuffled[rng() % i]);
        std::size_t n = all.size();
        if (req.labeledCount > 0) n = std::size_t(req.labeledCount);
        else if (req.labeledRatio > 0) n = std::max<std::size_t>(1, std::size_t(std::lround(req.labeledRatio * double(all.size()))));
        if (n > all.size())
            throw InputError("Asked for " + std::to_string(n) + " labeled cases but " + req.labeledDir.string() + " has " +
                             std::to_string(all.size()) + " with masks");
        chosen.assign(shuffled.begin(), shuffled.begin() + long(n));
        std::sort(chosen.begin(), chosen.end());
    }

    PreprocessOptions pre;
    pre.size = int(cfg.size > 0 ? cfg.size : 128);
    pre.channels = req.task.channels;
    pre.cacheDir = req.cacheDir;
    cfg.size = pre.size;
    cfg.numClasses = req.task.classCount();
    // Validation chooses between sub-models A and B: score what the test scores, the task's regions.
    cfg.validationRegions.clear();
    for (const Region& reg : req.task.regions) {
        std::vector<int64_t> classes;
        for (auto v : reg.values) classes.push_back(int64_t(v));
        cfg.validationRegions.push_back(classes);
    }
    cfg.checkpointPath = checkpoint.string();
    cfg.resume = resuming;
    if (cfg.checkpointInterval <= 0) cfg.checkpointInterval = std::max<int64_t>(50, cfg.iterations / 10);

    auto loadLogged = [&](const Domain& d, bool masks, const std::vector<std::string>& only) {
        LoadReport rep;
        train::TensorDataset t = loadDomainTensors(d, req.task, pre, masks, only, &rep);
        log(d.name + ": " + std::to_string(rep.cases) + " cases, " + std::to_string(rep.samples) + " samples" +
            (rep.fromCache ? " (from the dataset cache)" : ""));
        for (const auto& s : rep.skipped) log("  skipped " + s);
        return t;
    };
    train::TensorDataset labeledSet = loadLogged(labeled, true, chosen);
    train::TensorDataset unlabeledSet;
    std::vector<train::TensorDataset> parts;
    std::vector<std::string> unlabeledNames;
    for (const auto& u : req.unlabeledDirs) {
        Domain d = scanDomain(u);
        if (d.cases.empty()) throw InputError("The unlabeled folder " + u.string() + " holds no images");
        parts.push_back(loadLogged(d, false, {}));
        unlabeledNames.push_back(d.name);
    }
    if (!parts.empty()) unlabeledSet = train::TensorDataset::concat(parts);

    std::map<std::string, train::TensorDataset> validation;
    if (req.testUnusedLabeled && req.validationDirs.empty()) {
        log("testing on the labeled folder's unused cases: no held-out validation from them");
    } else if (!req.validationDirs.empty()) {
        for (const auto& v : req.validationDirs) {
            Domain d = scanDomain(v);
            std::vector<std::string> ids = maskedIds(d);
            if (ids.size() > std::size_t(req.maxValidationCases)) ids.resize(std::size_t(req.maxValidationCases));
            if (!ids.empty()) validation[d.name] = loadLogged(d, true, ids);
        }
    } else {
        std::vector<std::string> held;
        std::set<std::string> used(chosen.begin(), chosen.end());
        for (const auto& id : all)
            if (!used.count(id) && held.size() < std::size_t(req.maxValidationCases)) held.push_back(id);
        if (!held.empty()) {
            train::TensorDataset v = loadLogged(labeled, true, held);
            validation[labeled.name + " (held out)"] = v;
        }
    }

    // Kernel switches left open: a resumed run keeps what it started with (same arithmetic);
    // otherwise they are measured once per machine and run shape (core/train/KernelChoice.h).
    if (cfg.autoKernels.any()) {
        bool restored = false;
        if (resuming && fs::exists(configFile, ec)) {
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
        } else {
            const train::KernelChoice k =
                train::chooseKernels(cfg, labeledSet.channels(), [&](const std::string& m) { log(m); }, cancel);
            train::applyKernelChoice(cfg, k);
            log(k.summary());
        }
    }

    // config.json: the full resolved configuration.
    {
        RunConfigFile c;
        c.task = req.task.name;
        c.preset = req.preset;
        c.labeledDir = req.labeledDir;
        c.labeledDomain = labeled.name;
        c.labeledCases = chosen;
        c.unlabeledDirs = req.unlabeledDirs;
        c.testDirs = req.testDirs;
        for (const auto& [name, v] : validation) c.validation.push_back(name);
        for (const auto& [k, v] : train::toKeyValues(cfg)) c.train[k] = v;
        writeRunConfig(folder, c);
    }
    log(std::string(resuming ? "resuming " : "starting ") + train::toString(cfg.method) + ": " + std::to_string(labeledSet.size()) +
        " labeled samples, " + std::to_string(unlabeledSet.size()) + " unlabeled, " +
        std::to_string(cfg.iterations) + " iterations at " + std::to_string(pre.size) + " px");

    // metrics.csv and validation.csv (pipeline/RunFolder.h keeps every iteration once on resume).
    RunMetricsWriter metrics(folder, resuming);
    std::vector<std::string> regionNames;
    for (const Region& reg : req.task.regions) regionNames.push_back(reg.name);
    const int64_t logEvery = std::max<int64_t>(1, cfg.iterations / 200);

    train::CoTrainer trainer(cfg);
    // elapsed_s: wall seconds since this process started training (a resumed run starts again at 0).
    const auto trainStart = std::chrono::steady_clock::now();
    auto callback = [&](const train::Progress& p) {
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

    train::RunResult result = trainer.run(labeledSet, unlabeledSet, validation, callback, cancel);
    for (const auto& m : result.messages) log(m);
    RunOutcome out;
    out.iterations = result.iterations;
    out.chosenSubModel = result.chosen;
    out.seconds = result.seconds;
    out.dataWaitFraction = result.dataWaitFraction;
    if (result.status == train::RunStatus::Cancelled) {
        trainer.saveCheckpoint(checkpoint.string());
        out.cancelled = true;
        log("cancelled after iteration " + std::to_string(result.iterations) + "; checkpoint saved, continue with --resume");
        return out;
    }
    log("finished " + std::to_string(result.iterations) + " iterations in " + std::to_string(int(result.seconds)) +
        " s; data wait " + std::to_string(int(result.dataWaitFraction * 100)) + "%; chosen sub-model " + result.chosen);

    // The final state too, so that a finished run can be extended with more iterations.
    trainer.saveCheckpoint(checkpoint.string());
    out.modelFile = folder.model();
    json meta = {{"task", req.task.name}, {"method", train::toString(cfg.method)}, {"labeled_domain", labeled.name}};
    trainer.exportModel(out.modelFile.string(), "chosen", meta.dump());

    if (req.testUnusedLabeled || !req.testDirs.empty()) {
        train::Predictor predictor(out.modelFile.string(), cfg.device, cfg.threads);
        if (req.testUnusedLabeled) {
            const std::set<std::string> used(chosen.begin(), chosen.end());
            evaluateDomain(predictor, labeled, req.task, req.savePredictions ? &folder : nullptr, out.evaluation, &log, used);
        }
        for (const auto& t : req.testDirs) {
            Domain d = scanDomain(t);
            evaluateDomain(predictor, d, req.task, req.savePredictions ? &folder : nullptr, out.evaluation, &log);
        }
        summarise(out.evaluation);
        for (const auto& d : out.evaluation.domains) {
            std::ostringstream s;
            s << "test " << d.name << " (" << d.cases << " cases):";
            for (const auto& [k, v] : d.dice) s << " Dice " << k << " " << std::fixed << std::setprecision(3) << v;
            log(s.str());
        }
    }
    writeRunEvaluation(folder, out.evaluation,
                       {{"method", train::toString(cfg.method)},
                        {"model", out.modelFile.string()},
                        {"chosen_submodel", result.chosen},
                        {"task", req.task.name}});
    return out;
}

std::vector<fs::path> predictPath(const fs::path& model, const fs::path& input, const fs::path& outDir, int threads,
                                  EvaluationResult* scores, const Task* task, int batch, PredictStats* stats) {
    const fs::path modelFile = RunFolder::modelIn(model);
    std::error_code ec;
    if (!fs::exists(modelFile, ec)) throw InputError("No exported model at " + modelFile.string());
    std::unique_ptr<train::Predictor> p;
    try {
        p = std::make_unique<train::Predictor>(modelFile.string(), "cpu", threads);
    } catch (const train::TrainError& e) {
        throw InputError(e.what());
    }
    if (!fs::exists(input, ec)) throw InputError("Input not found: " + input.string());
    fs::create_directories(outDir, ec);
    std::vector<fs::path> written;
    // The task decides post-processing: the caller's, else the one the model was trained for.
    std::unique_ptr<Task> modelTask;
    if (!task) {
        try {
            const json meta = json::parse(p->info().userMetadata);
            if (meta.contains("task")) modelTask = std::make_unique<Task>(Task::byName(meta.at("task").get<std::string>()));
        } catch (const std::exception&) {
            // No or foreign metadata: predictions are written as the network gives them.
        }
    }
    const Task* post = task ? task : modelTask.get();
    std::string domainName;
    auto finish = [&](const Image& img, LabelMap& pred, const std::string& id, const Case* c) {
        if (scores && task && c && c->hasMask()) {
            LabelMap truth = readCaseMask(*c);
            scores->cases.push_back(scoreCase(domainName, c->id, pred, truth, *task));
            if (scores->hd95Unit.empty()) scores->hd95Unit = hd95Unit(truth.geometry());
        } else if (post) {
            enforceAnatomy(pred, *post);
        }
        fs::path f = predictionFileIn(outDir, id, img.depth() > 1);
        writeLabelMap(pred, f);
        written.push_back(f);
    };
    auto one = [&](const Image& img, const std::string& id, const Case* c) {
        const auto t0 = std::chrono::steady_clock::now();
        LabelMap pred = labelsFromProbabilities(predictImage(*p, img), int(p->info().numClasses), int(p->info().size), img.geometry());
        finish(img, pred, id, c);
        if (stats) {
            stats->images = 1;
            stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
    };
    if (fs::is_directory(input, ec)) {
        if (!listDicomSeries(input).empty()) {
            one(readDicomSeries(input), input.filename().string(), nullptr);
            return written;
        }
        Domain d = scanDomain(input);
        if (d.cases.empty()) throw InputError(input.string() + " holds no images");
        domainName = d.name;
        std::size_t failed = 0;
        std::string firstError;
        std::vector<const Case*> cases;
        for (const auto& c : d.cases) cases.push_back(&c);
        auto skip = [&](const Case&, const std::string& why) {
            if (!failed++) firstError = why;
        };
        const auto t0 = std::chrono::steady_clock::now();
        const double network = predictCases(
            *p, cases, std::size_t(std::max(1, batch)),
            [&](const Case& c, const Image& img, LabelMap& pred) {
                try {
                    finish(img, pred, c.id, &c);
                } catch (const InputError& e) {
                    skip(c, e.what());
                }
            },
            skip);
        if (stats) {
            stats->images = written.size();
            stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            stats->networkSeconds = network;
        }
        if (scores) summarise(*scores);
        if (written.empty()) throw InputError("No image of " + input.string() + " could be predicted: " + firstError);
        if (failed) std::fprintf(stderr, "warning: %zu case(s) skipped; first: %s\n", failed, firstError.c_str());
        return written;
    }
    one(readImage(input), fileStem(input), nullptr);
    return written;
}

EvaluationResult evaluateFolders(const fs::path& predDir, const fs::path& truthDir, const Task& task) {
    requireFolder(predDir, "prediction");
    requireFolder(truthDir, "reference");
    Domain truth = scanDomain(truthDir);
    std::vector<std::pair<std::string, fs::path>> refs;
    for (const auto& c : truth.cases) {
        if (c.hasMask()) refs.push_back({c.id, c.mask});
        else if (truth.layout == DomainLayout::Flat) refs.push_back({c.id, c.image});  // a folder of masks
    }
    if (refs.empty()) throw InputError(truthDir.string() + " holds no reference masks");
    std::map<std::string, fs::path> preds;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(predDir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file() && looksLikeImageFile(it->path())) {
            fs::path rel = fs::relative(it->path(), predDir);
            std::string id = (rel.parent_path() / fileStem(rel)).generic_string();
            preds[id] = it->path();
            preds.emplace(fileStem(it->path()), it->path());
        }
    EvaluationResult r;
    std::vector<std::string> missing;
    for (const auto& [id, maskPath] : refs) {
        auto it = preds.find(id);
        if (it == preds.end()) it = preds.find(truth.name + "/" + id);
        if (it == preds.end()) {
            missing.push_back(id);
            continue;
        }
        LabelMap ref;
        if (truth.layout == DomainLayout::Flat) ref = readLabelMap(maskPath);
        else ref = readCaseMask(*truth.find(id));
        LabelMap pred = readLabelMap(it->second);
        r.cases.push_back(scoreCase(truth.name, id, pred, ref, task));
        if (r.hd95Unit.empty()) r.hd95Unit = hd95Unit(ref.geometry());
    }
    if (!missing.empty())
        throw InputError(std::to_string(missing.size()) + " reference case(s) have no prediction in " + predDir.string() +
                         " (first: " + missing.front() + ")");
    summarise(r);
    return r;
}

}  // namespace dacw
