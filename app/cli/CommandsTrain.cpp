// dacw train, predict, evaluate, experiment.
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "Args.h"
#include "Commands.h"
#include "core/train/CoTrainer.h"
#include "core/train/Errors.h"
#include "pipeline/Run.h"
#include "util/Errors.h"
#include "util/Paths.h"

namespace fs = std::filesystem;

namespace dacw::cli {
namespace {

std::atomic<bool> gCancel{false};
extern "C" void onInterrupt(int) { gCancel.store(true); }

std::string duration(double s) {
    if (!std::isfinite(s) || s < 0) return "--:--";
    const long t = std::lround(s);
    char buf[32];
    if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else std::snprintf(buf, sizeof buf, "%02ld:%02ld", t / 60, t % 60);
    return buf;
}

/// A one-line progress bar on a terminal, a plain line every few percent otherwise.
struct ProgressPrinter {
    bool tty = ::isatty(STDERR_FILENO) != 0;
    long long lastPlain = -1;
    void operator()(const train::Progress& p) {
        const double frac = p.total ? double(p.iteration) / double(p.total) : 0.0;
        auto loss = p.losses.count("total") ? p.losses.at("total") : NAN;
        std::ostringstream s;
        s << std::fixed << std::setprecision(3);
        if (tty) {
            const int width = 28, fill = int(frac * width);
            s << "\r[" << std::string(std::size_t(fill), '#') << std::string(std::size_t(width - fill), '.') << "] " << p.iteration << "/"
              << p.total << " loss " << loss << " " << std::setprecision(1) << p.imagesPerSecond << " img/s ETA "
              << duration(p.etaSeconds) << "   ";
            std::cerr << s.str() << std::flush;
            if (p.iteration == p.total) std::cerr << "\n";
        } else {
            const long long step = std::max<long long>(1, p.total / 20);
            if (p.iteration / step != lastPlain || p.iteration == p.total) {
                lastPlain = p.iteration / step;
                s << "iteration " << p.iteration << "/" << p.total << " loss " << loss << " lr " << std::setprecision(6) << p.lr
                  << std::setprecision(1) << " " << p.imagesPerSecond << " img/s ETA " << duration(p.etaSeconds);
                std::cerr << s.str() << "\n";
            }
        }
        if (p.validated)
            for (const auto& [sub, doms] : p.validation)
                for (const auto& [dom, vals] : doms) {
                    std::ostringstream v;
                    v << (tty ? "\n" : "") << "  validation " << sub << " " << dom << ":";
                    for (double d : vals) v << " " << std::fixed << std::setprecision(3) << d;
                    std::cerr << v.str() << "\n";
                }
    }
};

std::vector<fs::path> paths(const std::vector<std::string>& v) {
    return {v.begin(), v.end()};
}

const std::vector<std::string> kTrainOptions = {
    "task", "labeled", "labeled-count", "labeled-ratio", "unlabeled", "test", "val", "method", "iters", "size",
    "backbone", "width", "seed", "out", "resume", "preset", "threads", "device", "batch", "lr", "optimizer",
    "cache", "no-cache", "set", "checkpoint-every", "val-interval", "no-predictions", "bf16"};

/// Fills a RunRequest from train/experiment options (method and out are the caller's).
RunRequest requestFrom(const Args& a) {
    RunRequest r;
    r.task = Task::byName(a.require("task"));
    r.labeledDir = a.require("labeled");
    if (a.has("labeled-count") && a.has("labeled-ratio")) throw UsageError("give --labeled-count or --labeled-ratio, not both");
    r.labeledCount = a.getInt("labeled-count", 0);
    r.labeledRatio = a.getDouble("labeled-ratio", 0.0);
    if (a.has("labeled-count") && r.labeledCount < 1) throw UsageError("--labeled-count must be at least 1");
    if (a.has("labeled-ratio") && (r.labeledRatio <= 0 || r.labeledRatio > 1)) throw UsageError("--labeled-ratio must be in (0, 1]");
    r.unlabeledDirs = paths(a.all("unlabeled"));
    r.testDirs = paths(a.all("test"));
    r.validationDirs = paths(a.all("val"));
    train::TrainConfig& c = r.config;
    r.preset = a.get("preset", "quick");
    applyPreset(c, r.preset);
    try {
        if (a.has("iters")) c.iterations = a.getInt("iters", 0);
        if (a.has("size")) c.size = a.getInt("size", 0);
        if (a.has("backbone")) c.backbone = train::parseBackbone(a.get("backbone"));
        if (a.has("width")) c.width = a.getDouble("width", 1.0);
        if (a.has("seed")) c.seed = std::uint64_t(a.getInt("seed", 0));
        if (a.has("threads")) c.threads = a.getInt("threads", 0);
        if (a.has("device")) c.device = a.get("device");
        if (a.has("batch")) c.labeledBatch = c.unlabeledBatch = a.getInt("batch", 4);
        if (a.has("lr")) c.lr = a.getDouble("lr", c.lr);
        if (a.has("optimizer")) c.optimizer = train::parseOptimizer(a.get("optimizer"));
        if (a.has("checkpoint-every")) c.checkpointInterval = a.getInt("checkpoint-every", 0);
        if (a.has("val-interval")) c.validationInterval = a.getInt("val-interval", 0);
        if (a.has("bf16")) train::applyOption(c, "bf16", a.get("bf16"));
        for (const auto& kv : a.all("set")) {
            auto eq = kv.find('=');
            if (eq == std::string::npos) throw UsageError("--set expects key=value, got '" + kv + "'");
            train::applyOption(c, kv.substr(0, eq), kv.substr(eq + 1));
        }
    } catch (const train::ConfigError& e) {
        throw UsageError(e.what());
    }
    if (c.iterations < 1) throw UsageError("--iters must be at least 1");
    if (c.size < 32 || c.size % 16 != 0) throw UsageError("--size must be a multiple of 16, at least 32");
    r.resume = a.flag("resume");
    r.savePredictions = !a.flag("no-predictions");
    if (!a.flag("no-cache")) {
        if (a.has("cache")) r.cacheDir = a.get("cache");
        else if (const char* x = std::getenv("XDG_CACHE_HOME")) r.cacheDir = fs::path(x) / "dac-workbench" / "datasets";
        else if (const char* h = std::getenv("HOME")) r.cacheDir = fs::path(h) / ".cache" / "dac-workbench" / "datasets";
    }
    return r;
}

void printEvaluation(const EvaluationResult& e) {
    for (const auto& d : e.domains) {
        std::cout << "  " << d.name << " (" << d.cases << " cases):";
        for (const auto& [k, v] : d.dice) std::cout << "  Dice " << k << " " << std::fixed << std::setprecision(3) << v;
        for (const auto& [k, v] : d.hd95) std::cout << "  HD95 " << k << " " << std::fixed << std::setprecision(2) << v;
        std::cout << "\n";
    }
}

int trainCommand(const std::vector<std::string>& argv) {
    Args a(argv, {"resume", "no-cache", "no-predictions"});
    a.allowOnly(kTrainOptions);
    if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional().front() + "'");
    RunRequest r = requestFrom(a);
    try {
        r.config.method = train::parseMethod(a.get("method", "dac"));
    } catch (const train::ConfigError& e) {
        throw UsageError(e.what());
    }
    r.outDir = a.require("out");
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    ProgressPrinter printer;
    RunObserver obs;
    obs.progress = [&](const train::Progress& p) { printer(p); };
    obs.message = [&](const std::string& m) {
        if (m.rfind("checkpoint", 0) != 0) std::cerr << (printer.tty ? "\n" : "") << m << "\n";
    };
    try {
        RunOutcome o = executeRun(r, obs, &gCancel);
        if (o.cancelled) {
            std::cerr << "cancelled at iteration " << o.iterations << "; resume with the same command and --resume\n";
            return 130;
        }
        std::cout << "run folder: " << r.outDir.string() << "\n";
        printEvaluation(o.evaluation);
    } catch (const train::DivergenceError& e) {
        throw InputError(std::string("training diverged: ") + e.what());
    } catch (const train::TrainError& e) {
        throw InputError(e.what());
    }
    return kOk;
}

int predictCommand(const std::vector<std::string>& argv) {
    Args a(argv, {});
    a.allowOnly({"model", "input", "out", "threads", "task"});
    const fs::path model = a.require("model"), input = a.require("input"), out = a.require("out");
    EvaluationResult scores;
    std::unique_ptr<Task> task;
    if (a.has("task")) task = std::make_unique<Task>(Task::byName(a.get("task")));
    auto files = predictPath(model, input, out, a.getInt("threads", 0), &scores, task.get());
    std::cout << "wrote " << files.size() << " prediction(s) to " << out.string() << "\n";
    if (task && !scores.cases.empty()) printEvaluation(scores);
    return kOk;
}

int evaluateCommand(const std::vector<std::string>& argv) {
    Args a(argv, {});
    a.allowOnly({"task", "pred", "truth", "out"});
    const Task task = Task::byName(a.require("task"));
    EvaluationResult r = evaluateFolders(a.require("pred"), a.require("truth"), task);
    printEvaluation(r);
    if (a.has("out")) writeTextAtomically(a.get("out"), evaluationToJson(r, {{"task", task.name}}));
    return kOk;
}

int experimentCommand(const std::vector<std::string>& argv) {
    Args a(argv, {"resume", "no-cache", "no-predictions"});
    auto known = kTrainOptions;
    known.push_back("methods");
    a.allowOnly(known);
    if (a.has("method")) throw UsageError("experiment takes --methods a,b,c");
    RunRequest base = requestFrom(a);
    if (base.testDirs.empty()) throw UsageError("experiment needs at least one --test folder");
    const fs::path out = a.require("out");
    std::vector<train::Method> methods;
    std::stringstream ss(a.get("methods", "supervised,cps,dac"));
    try {
        for (std::string m; std::getline(ss, m, ',');)
            if (!m.empty()) methods.push_back(train::parseMethod(m));
    } catch (const train::ConfigError& e) {
        throw UsageError(e.what());
    }
    if (methods.empty()) throw UsageError("--methods lists no method");
    std::signal(SIGINT, onInterrupt);
    std::vector<std::pair<std::string, EvaluationResult>> results;
    for (auto m : methods) {
        RunRequest r = base;
        r.config.method = m;
        r.outDir = out / train::toString(m);
        std::cerr << "== " << train::toString(m) << " -> " << r.outDir.string() << "\n";
        ProgressPrinter printer;
        RunObserver obs;
        obs.progress = [&](const train::Progress& p) { printer(p); };
        RunOutcome o;
        try {
            o = executeRun(r, obs, &gCancel);
        } catch (const train::TrainError& e) {
            throw InputError(train::toString(m) + ": " + e.what());
        }
        if (o.cancelled) {
            std::cerr << "cancelled; rerun with --resume to continue\n";
            return 130;
        }
        results.push_back({train::toString(m), o.evaluation});
    }
    // The comparison table: Dice per region for every test domain, then the mean.
    std::vector<std::string> domains, regions;
    for (const auto& reg : base.task.regions) regions.push_back(reg.name);
    for (const auto& d : results.front().second.domains) domains.push_back(d.name);
    std::ostringstream md;
    md << "# Experiment: " << base.task.name << ", labeled " << base.labeledDir.filename().string();
    md << "\n\nPreset `" << base.preset << "`, " << base.config.iterations << " iterations, size " << base.config.size
       << ", seed " << base.config.seed << ". Dice (mean over cases).\n\n| method |";
    for (const auto& d : domains)
        for (const auto& reg : regions) md << " " << d << " " << reg << " |";
    for (const auto& reg : regions) md << " mean " << reg << " |";
    md << "\n|---|";
    for (std::size_t i = 0; i < (domains.size() + 1) * regions.size(); ++i) md << "---|";
    md << "\n";
    nlohmann::json j = {{"task", base.task.name}, {"preset", base.preset}, {"iterations", base.config.iterations},
                        {"seed", base.config.seed}, {"methods", nlohmann::json::object()}};
    for (const auto& [name, e] : results) {
        md << "| " << name << " |";
        for (const auto& d : domains) {
            const DomainResult* dr = nullptr;
            for (const auto& x : e.domains)
                if (x.name == d) dr = &x;
            for (const auto& reg : regions) {
                if (dr && dr->dice.count(reg)) md << " " << std::fixed << std::setprecision(3) << dr->dice.at(reg) << " |";
                else md << " - |";
            }
        }
        for (const auto& reg : regions) md << " " << std::fixed << std::setprecision(3) << (e.meanDice.count(reg) ? e.meanDice.at(reg) : NAN) << " |";
        md << "\n";
        j["methods"][name] = nlohmann::json::parse(evaluationToJson(e));
        j["methods"][name].erase("cases");
    }
    fs::create_directories(out);
    writeTextAtomically(out / "results.md", md.str());
    writeTextAtomically(out / "results.json", j.dump(2) + "\n");
    std::cout << md.str();
    return kOk;
}

const char* kTrainHelp =
    "Usage: dacw train --task fundus|polyp|scgm --labeled DIR [--labeled-count N | --labeled-ratio R]\n"
    "                  --unlabeled DIR [--unlabeled DIR ...] [--test DIR ...] [--val DIR ...]\n"
    "                  --method dac|cps|supervised|dac-no-feat|dac-no-aux|dac-sym-aux --out RUNDIR\n"
    "                  [--preset quick|standard|paper] [--iters N] [--size S] [--backbone resnet18|resnet34|resnet50]\n"
    "                  [--width W] [--batch B] [--lr X] [--optimizer adamw|sgd] [--seed K] [--threads T]\n"
    "                  [--device cpu|cuda] [--bf16 true|false] [--checkpoint-every N] [--val-interval N]\n"
    "                  [--set key=value ...] [--cache DIR | --no-cache] [--no-predictions] [--resume]\n\n"
    "Trains two DeepLabv3+ sub-models with DAC (or a baseline) on labeled cases from one domain and\n"
    "unlabeled images from others, then evaluates the chosen sub-model on the --test domains.\n"
    "The labeled cases are chosen with the seed; the rest of the labeled domain (up to 16 cases)\n"
    "validates, unless --val folders are given. Presets: quick (96 px, ResNet-18 x0.5, 600 iterations,\n"
    "about 10 minutes on 2 cores), standard (128 px, ResNet-18, 2000), paper (256 px, ResNet-50, 30000).\n"
    "RUNDIR receives config.json, log.txt, metrics.csv, validation.csv, checkpoint.pt, model.pt,\n"
    "metrics.json and predictions/. Ctrl-C stops within one iteration and saves a checkpoint; the same\n"
    "command with --resume continues the same loss curve.\n"
    "Exit codes: 0 done, 1 bad input or training failure, 2 usage, 130 cancelled.\n";

}  // namespace

std::vector<Command> trainCommands() {
    return {
        {"train", "train DAC (or a baseline) and evaluate on unseen domains", kTrainHelp, trainCommand},
        {"predict", "segment images with a trained run, in each image's own geometry",
         "Usage: dacw predict --model RUNDIR|model.pt --input DIR|FILE --out DIR [--threads T] [--task T]\n\n"
         "Writes one label map per image (PNG for photos, NIfTI for volumes) with the input's size,\n"
         "spacing, origin and direction. Volumes are predicted slice by slice. A DICOM folder is read\n"
         "as one series. With --task, cases that have masks are scored too.\n",
         predictCommand},
        {"evaluate", "Dice and HD95 of predicted label maps against reference masks",
         "Usage: dacw evaluate --task fundus|polyp|scgm --pred DIR --truth DIR [--out metrics.json]\n\n"
         "Matches prediction files to reference masks by file stem. --truth is a domain folder\n"
         "(images/ + masks/) or a folder of masks. Regions follow the task (fundus: disc = labels 1,2;\n"
         "cup = label 2). HD95 is in millimetres; it is undefined (null) when exactly one side is empty.\n",
         evaluateCommand},
        {"experiment", "train several methods on the same split and tabulate Dice",
         "Usage: dacw experiment --task T --labeled DIR [--labeled-count N] --unlabeled DIR... --test DIR...\n"
         "                       --methods supervised,cps,dac --out DIR [train options]\n\n"
         "Runs `dacw train` for each method into DIR/<method>/ with the same labeled cases and seed,\n"
         "then writes DIR/results.md (a markdown table of Dice per test domain and region) and\n"
         "DIR/results.json.\n",
         experimentCommand},
    };
}

}  // namespace dacw::cli
