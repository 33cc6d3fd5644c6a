// dacw train, predict, evaluate, experiment.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <csignal>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "Args.h"
#include "Commands.h"
#include "TrainDistributed.h"
#include "core/train/CoTrainer.h"
#include "core/train/Distributed.h"
#include "core/train/Errors.h"
#include "core/train/Presets.h"
#include "core/pipeline/ExperimentChart.h"
#include "core/pipeline/Predict.h"
#include "core/pipeline/Run.h"
#include "core/pipeline/RunFolder.h"
#include "core/util/Errors.h"
#include "core/util/Paths.h"

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
                // One write per line (std::cerr is unbuffered): a reader of the pipe or log file gets
                // whole lines, as they happen.
                std::cerr << s.str() + "\n";
            }
        }
        if (p.validated)
            for (const auto& [sub, doms] : p.validation)
                for (const auto& [dom, vals] : doms) {
                    std::ostringstream v;
                    v << (tty ? "\n" : "") << "  validation " << sub << " " << dom << ":";
                    for (double d : vals) v << " " << std::fixed << std::setprecision(3) << d;
                    std::cerr << v.str() + "\n";
                }
    }
};

/// `dacw train --json`: one JSON object per line on stdout for scripts (every iteration, every
/// validation, every log message, and the outcome); the human-readable lines stay on stderr.
struct JsonProgress {
    static double finite(double v) { return std::isfinite(v) ? v : 0.0; }
    void progress(const train::Progress& p) const {
        nlohmann::json j = {{"event", "progress"},       {"iteration", p.iteration},
                            {"total", p.total},           {"lr", finite(p.lr)},
                            {"images_per_s", finite(p.imagesPerSecond)}, {"s_per_iter", finite(p.secondsPerIteration)},
                            {"eta_s", finite(p.etaSeconds)}, {"skipped", p.skipped}};
        nlohmann::json losses = nlohmann::json::object();
        for (const auto& [k, v] : p.losses) losses[k] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
        j["losses"] = losses;
        emit(j);
        if (p.validated)
            for (const auto& [sub, doms] : p.validation)
                for (const auto& [dom, vals] : doms)
                    emit({{"event", "validation"}, {"iteration", p.iteration}, {"submodel", sub}, {"domain", dom}, {"dice", vals}});
    }
    void message(const std::string& m) const { emit({{"event", "message"}, {"text", m}}); }
    static void emit(const nlohmann::json& j) { std::cout << j.dump() + "\n" << std::flush; }
};

std::vector<fs::path> paths(const std::vector<std::string>& v) {
    return {v.begin(), v.end()};
}

const std::vector<std::string> kTrainOptions = {
    "task", "labeled", "labeled-count", "labeled-ratio", "unlabeled", "test", "val", "method", "iters", "size",
    "backbone", "width", "seed", "out", "resume", "preset", "threads", "device", "batch", "lr", "optimizer",
    "cache", "no-cache", "set", "checkpoint-every", "val-interval", "no-predictions", "bf16", "init-model",
    "test-unused-labeled"};

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
    try {
        train::applyPreset(c, r.preset);
    } catch (const train::ConfigError& e) {
        throw UsageError(e.what());
    }
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
    r.testUnusedLabeled = a.flag("test-unused-labeled");
    if (a.has("init-model")) {
        const fs::path m = RunFolder::modelIn(a.get("init-model"));
        std::error_code ec;
        if (!fs::exists(m, ec)) throw InputError("--init-model: no exported model at " + m.string());
        c.initModel = fs::absolute(m).string();
    }
    r.savePredictions = !a.flag("no-predictions");
    if (!a.flag("no-cache")) {
        if (a.has("cache")) r.cacheDir = a.get("cache");
        else if (const char* x = std::getenv("XDG_CACHE_HOME")) r.cacheDir = fs::path(x) / "dac-workbench" / "datasets";
        else if (const char* h = std::getenv("HOME")) r.cacheDir = fs::path(h) / ".cache" / "dac-workbench" / "datasets";
    }
    return r;
}

void printEvaluation(const EvaluationResult& e) {
    const std::string unit = e.hd95Unit.empty() ? "mm" : e.hd95Unit;
    for (const auto& d : e.domains) {
        std::cout << "  " << d.name << " (" << d.cases << " cases):";
        for (const auto& [k, v] : d.dice) std::cout << "  Dice " << k << " " << std::fixed << std::setprecision(3) << v;
        for (const auto& [k, v] : d.hd95)
            std::cout << "  HD95 " << k << " " << std::fixed << std::setprecision(2) << v << " " << unit;
        if (!std::isnan(d.vcdrMae)) std::cout << "  vCDR MAE " << std::fixed << std::setprecision(3) << d.vcdrMae;
        if (d.anatomyChecked) std::cout << "  anatomically valid " << d.anatomyValid << "/" << d.anatomyChecked;
        std::cout << "\n";
    }
}

int trainCommand(const std::vector<std::string>& argv) {
    Args a(argv, {"resume", "no-cache", "no-predictions", "test-unused-labeled", "json", "distributed"});
    std::vector<std::string> allowed = kTrainOptions;
    for (const char* o : {"json", "notes", "distributed", "dist-timeout"}) allowed.push_back(o);
    a.allowOnly(allowed);
    const bool json = a.flag("json");
    if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional().front() + "'");
    RunRequest r = requestFrom(a);
    try {
        r.config.method = train::parseMethod(a.get("method", "dac"));
    } catch (const train::ConfigError& e) {
        throw UsageError(e.what());
    }
    r.outDir = a.require("out");
    try {
        r.distributed = joinRanks(a, r.config);
    } catch (const train::TrainError& e) {
        throw InputError(e.what());
    }
    if (r.distributed && !r.distributed->isRoot()) {
        std::signal(SIGINT, onInterrupt);
        std::signal(SIGTERM, onInterrupt);
        return trainOtherRank(r, &gCancel);
    }
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    ProgressPrinter printer;
    RunObserver obs;
    JsonProgress jsonOut;
    // --notes: written once the run is under way (its folder exists and this process holds it).
    bool notesWritten = !a.has("notes");
    obs.progress = [&](const train::Progress& p) {
        if (!notesWritten) {
            writeRunNotes(RunFolder(r.outDir), a.get("notes"));
            notesWritten = true;
        }
        printer(p);
        if (json) jsonOut.progress(p);
    };
    obs.message = [&](const std::string& m) {
        if (m.rfind("checkpoint", 0) != 0) std::cerr << (printer.tty ? "\n" : "") + m + "\n";
        if (json) jsonOut.message(m);
    };
    try {
        RunOutcome o = executeRun(r, obs, &gCancel);
        if (o.cancelled) {
            std::cerr << "cancelled at iteration " << o.iterations << "; resume with the same command and --resume\n";
            if (json) JsonProgress::emit({{"event", "cancelled"}, {"iteration", o.iterations}, {"run", r.outDir.string()}});
            return 130;
        }
        if (json) {
            nlohmann::json done = {{"event", "finished"}, {"iteration", o.iterations}, {"run", r.outDir.string()},
                                   {"chosen_submodel", o.chosenSubModel}, {"seconds", o.seconds}};
            nlohmann::json dice = nlohmann::json::object();
            for (const auto& d : o.evaluation.domains) dice[d.name] = d.dice;
            done["test_dice"] = dice;
            JsonProgress::emit(done);
            return kOk;
        }
        std::cout << "run folder: " << r.outDir.string() << "\n";
        printEvaluation(o.evaluation);
    } catch (const train::DivergenceError& e) {
        if (r.distributed) distributedExit(0, std::string("training diverged: ") + e.what());
        throw InputError(std::string("training diverged: ") + e.what());
    } catch (const train::TrainError& e) {
        if (r.distributed) distributedExit(0, e.what());
        throw InputError(e.what());
    }
    return kOk;
}

int predictCommand(const std::vector<std::string>& argv) {
    Args a(argv, {});
    a.allowOnly({"model", "input", "out", "threads", "task", "batch"});
    const fs::path model = a.require("model"), input = a.require("input"), out = a.require("out");
    const int batch = a.getInt("batch", 4);
    if (batch < 1 || batch > 256) throw UsageError("--batch must be in 1..256");
    EvaluationResult scores;
    std::unique_ptr<Task> task;
    if (a.has("task")) task = std::make_unique<Task>(Task::byName(a.get("task")));
    PredictStats stats;
    auto files = predictPath(model, input, out, a.getInt("threads", 0), &scores, task.get(), batch, &stats);
    std::cout << "wrote " << files.size() << " prediction(s) to " << out.string();
    if (stats.seconds > 0)
        std::cout << std::fixed << std::setprecision(2) << " in " << stats.seconds << " s (" << double(stats.images) / stats.seconds
                  << " images/s, reading and writing included; network " << stats.networkSeconds << " s)";
    std::cout << "\n";
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

struct Stat {
    double mean = NAN, sd = NAN;
    std::size_t n = 0;
};
Stat statOf(const std::vector<double>& v) {
    Stat s;
    for (double x : v)
        if (std::isfinite(x)) {
            s.mean = (s.n == 0 ? 0.0 : s.mean) + x;
            ++s.n;
        }
    if (s.n == 0) return s;
    s.mean /= double(s.n);
    if (s.n > 1) {
        double q = 0;
        for (double x : v)
            if (std::isfinite(x)) q += (x - s.mean) * (x - s.mean);
        s.sd = std::sqrt(q / double(s.n - 1));  // sample standard deviation
    }
    return s;
}
std::string show(const Stat& s, int digits = 3) {
    if (s.n == 0) return "-";
    std::ostringstream o;
    o << std::fixed << std::setprecision(digits) << s.mean;
    if (s.n > 1) o << " ± " << std::setprecision(digits) << s.sd;
    return o.str();
}
nlohmann::json statJson(const Stat& s, const std::vector<double>& values) {
    auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(std::round(v * 1e6) / 1e6) : nlohmann::json(nullptr); };
    nlohmann::json per = nlohmann::json::array();
    for (double v : values) per.push_back(num(v));
    return {{"mean", num(s.mean)}, {"sd", num(s.sd)}, {"n", s.n}, {"per_seed", per}};
}

std::vector<std::uint64_t> seedList(const Args& a, std::uint64_t fallback) {
    if (!a.has("seeds")) return {fallback};
    std::vector<std::uint64_t> out;
    std::stringstream ss(a.get("seeds"));
    for (std::string item; std::getline(ss, item, ',');) {
        if (item.empty()) continue;
        char* end = nullptr;
        const long long v = std::strtoll(item.c_str(), &end, 10);
        if (*end != '\0' || v < 0) throw UsageError("--seeds takes non-negative integers separated by commas, not '" + item + "'");
        out.push_back(std::uint64_t(v));
    }
    if (out.empty()) throw UsageError("--seeds lists no seed");
    return out;
}

/// One cell of an experiment: every method and seed on one split, into OUT; writes OUT/results.md
/// and OUT/results.json. Returns 130 when cancelled.
int experimentBlock(const RunRequest& base, const std::vector<train::Method>& methods, const std::vector<std::uint64_t>& seeds,
                    bool multi, const fs::path& out, std::string* mdOut, nlohmann::json* jsonOut) {
    // results[method][seed index]
    std::map<std::string, std::vector<EvaluationResult>> results;
    std::vector<std::string> order;
    for (std::size_t si = 0; si < seeds.size(); ++si) {
        for (auto m : methods) {
            const std::string name = train::toString(m);
            if (!results.count(name)) order.push_back(name);
            RunRequest r = base;
            r.config.method = m;
            r.config.seed = seeds[si];
            r.outDir = multi ? out / name / ("seed-" + std::to_string(seeds[si])) : out / name;
            // With --resume, a finished run (its metrics.json exists) is read back, not retrained.
            std::error_code ec;
            if (r.resume && fs::exists(RunFolder(r.outDir).evaluation(), ec)) {
                std::cerr << "== " << name << " seed " << seeds[si] << ": finished earlier, read from " << r.outDir.string() << "\n";
                results[name].push_back(readRunEvaluation(RunFolder(r.outDir)));
                continue;
            }
            std::cerr << "== " << name << " seed " << seeds[si] << " -> " << r.outDir.string() << "\n";
            ProgressPrinter printer;
            RunObserver obs;
            obs.progress = [&](const train::Progress& p) { printer(p); };
            RunOutcome o;
            try {
                o = executeRun(r, obs, &gCancel);
            } catch (const train::TrainError& e) {
                throw InputError(name + ": " + e.what());
            }
            if (o.cancelled) {
                std::cerr << "cancelled; rerun with --resume to continue\n";
                return 130;
            }
            results[name].push_back(o.evaluation);
        }
    }
    // The comparison: Dice per region for every test domain (mean ± sd over seeds), vCDR error,
    // and the paired difference of the last co-training method listed against every other.
    std::vector<std::string> domains, regions;
    for (const auto& reg : base.task.regions) regions.push_back(reg.name);
    for (const auto& d : results[order.front()].front().domains) domains.push_back(d.name);
    auto diceOf = [&](const EvaluationResult& e, const std::string& dom, const std::string& reg) {
        for (const auto& x : e.domains)
            if (x.name == dom && x.dice.count(reg)) return x.dice.at(reg);
        return double(NAN);
    };
    auto vcdrOf = [&](const EvaluationResult& e, const std::string& dom) {
        for (const auto& x : e.domains)
            if (x.name == dom) return x.vcdrMae;
        return double(NAN);
    };
    const bool fundus = std::find(regions.begin(), regions.end(), "cup") != regions.end() &&
                        std::find(regions.begin(), regions.end(), "disc") != regions.end();
    std::ostringstream md;
    md << "# Experiment: " << base.task.name << ", labeled " << base.labeledDir.filename().string();
    if (base.labeledCount > 0) md << " (" << base.labeledCount << " cases)";
    md << ", unlabeled";
    for (const auto& u : base.unlabeledDirs) md << " " << u.filename().string();
    md << "\n\n";
    md << "Preset `" << base.preset << "`, " << base.config.iterations << " iterations, size " << base.config.size << ", seeds ";
    for (std::size_t i = 0; i < seeds.size(); ++i) md << (i ? "," : "") << seeds[i];
    md << ". Dice (mean over cases" << (seeds.size() > 1 ? "; mean ± sd over seeds" : "") << ").\n\n| method |";
    for (const auto& d : domains) {
        for (const auto& reg : regions) md << " " << d << " " << reg << " |";
        if (fundus) md << " " << d << " vCDR MAE |";
    }
    for (const auto& reg : regions) md << " mean " << reg << " |";
    md << "\n|---|";
    const std::size_t cols = domains.size() * (regions.size() + (fundus ? 1 : 0)) + regions.size();
    for (std::size_t i = 0; i < cols; ++i) md << "---|";
    md << "\n";
    nlohmann::json j = {{"task", base.task.name},         {"preset", base.preset},
                        {"iterations", base.config.iterations}, {"size", base.config.size},
                        {"seeds", seeds},                  {"methods", nlohmann::json::object()}};
    for (const auto& name : order) {
        const auto& runs = results[name];
        md << "| " << name << " |";
        nlohmann::json mj = nlohmann::json::parse(evaluationToJson(runs.front()));
        mj.erase("cases");
        for (const auto& d : domains) {
            for (const auto& reg : regions) {
                std::vector<double> v;
                for (const auto& e : runs) v.push_back(diceOf(e, d, reg));
                const Stat st = statOf(v);
                md << " " << show(st) << " |";
                mj["domains"][d]["dice"][reg] = std::isfinite(st.mean) ? nlohmann::json(st.mean) : nlohmann::json(nullptr);
                mj["domains"][d]["dice_over_seeds"][reg] = statJson(st, v);
            }
            std::vector<double> vc;
            for (const auto& e : runs) vc.push_back(vcdrOf(e, d));
            if (fundus) {
                md << " " << show(statOf(vc)) << " |";
                mj["domains"][d]["vcdr_mae_over_seeds"] = statJson(statOf(vc), vc);
            }
        }
        for (const auto& reg : regions) {
            std::vector<double> v;
            for (const auto& e : runs) v.push_back(e.meanDice.count(reg) ? e.meanDice.at(reg) : NAN);
            md << " " << show(statOf(v)) << " |";
            mj["mean"]["dice_over_seeds"][reg] = statJson(statOf(v), v);
        }
        md << "\n";
        j["methods"][name] = mj;
    }
    // Paired: the same seed means the same labeled cases and the same data order for every method.
    const std::string focus = order.back();
    if (order.size() > 1) {
        md << "\nPaired difference, " << focus << " minus each method, same seed (mean ± sd over seeds; wins = seeds where "
           << focus << " is higher):\n\n| " << focus << " minus |";
        for (const auto& d : domains)
            for (const auto& reg : regions) md << " " << d << " " << reg << " |";
        md << "\n|---|";
        for (std::size_t i = 0; i < domains.size() * regions.size(); ++i) md << "---|";
        md << "\n";
        for (const auto& name : order) {
            if (name == focus) continue;
            md << "| " << name << " |";
            for (const auto& d : domains)
                for (const auto& reg : regions) {
                    std::vector<double> diff;
                    int wins = 0;
                    for (std::size_t si = 0; si < seeds.size(); ++si) {
                        const double x = diceOf(results[focus][si], d, reg) - diceOf(results[name][si], d, reg);
                        diff.push_back(x);
                        wins += x > 0 ? 1 : 0;
                    }
                    const Stat st = statOf(diff);
                    md << " " << (st.mean > 0 ? "+" : "") << show(st) << " (" << wins << "/" << seeds.size() << ") |";
                    j["paired"][focus + " - " + name][d][reg] = statJson(st, diff);
                }
            md << "\n";
        }
    }
    fs::create_directories(out);
    // One bar chart per region: methods side by side per test domain, mean ± sd over seeds.
    md << "\n";
    for (const auto& reg : regions) {
        std::vector<ChartGroup> groups;
        for (const auto& d : domains) {
            ChartGroup g;
            g.label = d;
            for (const auto& name : order) {
                std::vector<double> v;
                for (const auto& e : results[name]) v.push_back(diceOf(e, d, reg));
                const Stat st = statOf(v);
                g.bars.push_back({name, st.mean, st.sd});
            }
            groups.push_back(g);
        }
        const std::string png = "results-" + reg + ".png";
        writeBarChart(out / png, base.task.name + ": " + reg + " Dice per test domain (mean +- sd over " +
                                     std::to_string(seeds.size()) + " seed" + (seeds.size() > 1 ? "s)" : ")"),
                      groups);
        md << "![" << reg << " Dice](" << png << ")\n";
    }
    writeTextAtomically(out / "results.md", md.str());
    writeTextAtomically(out / "results.json", j.dump(2) + "\n");
    if (mdOut) *mdOut = md.str();
    if (jsonOut) *jsonOut = j;
    return kOk;
}


int experimentCommand(const std::vector<std::string>& argv) {
    Args a(argv, {"resume", "no-cache", "no-predictions", "test-unused-labeled"});
    auto known = kTrainOptions;
    known.push_back("methods");
    known.push_back("seeds");
    known.push_back("labeled-counts");
    known.push_back("leave-one-out");
    a.allowOnly(known);
    if (a.has("method")) throw UsageError("experiment takes --methods a,b,c");
    if (a.has("seed") && a.has("seeds")) throw UsageError("give --seed or --seeds, not both");
    if (a.has("labeled-counts") && (a.has("labeled-count") || a.has("labeled-ratio")))
        throw UsageError("give --labeled-counts or --labeled-count/--labeled-ratio, not both");
    RunRequest base = requestFrom(a);
    const std::vector<std::string> loo = a.all("leave-one-out");
    if (!loo.empty() && !base.testDirs.empty()) throw UsageError("--leave-one-out chooses the test folders; give no --test");
    if (!loo.empty() && loo.size() < 2) throw UsageError("--leave-one-out needs at least two domain folders");
    if (base.testDirs.empty() && loo.empty() && !base.testUnusedLabeled)
        throw UsageError("experiment needs at least one --test folder (or --test-unused-labeled)");
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
    const std::vector<std::uint64_t> seeds = seedList(a, base.config.seed);
    const bool multi = a.has("seeds");
    std::vector<int> counts;
    if (a.has("labeled-counts")) {
        std::stringstream cs(a.get("labeled-counts"));
        for (std::string item; std::getline(cs, item, ',');) {
            if (item.empty()) continue;
            char* end = nullptr;
            const long v = std::strtol(item.c_str(), &end, 10);
            if (*end != '\0' || v < 1) throw UsageError("--labeled-counts takes positive integers separated by commas, not '" + item + "'");
            counts.push_back(int(v));
        }
        if (counts.empty()) throw UsageError("--labeled-counts lists no count");
    }
    std::signal(SIGINT, onInterrupt);
    if (counts.empty() && loo.empty()) {
        std::string md;
        const int rc = experimentBlock(base, methods, seeds, multi, out, &md, nullptr);
        if (rc == kOk) std::cout << md;
        return rc;
    }
    // Several cells: labeled counts (a label-efficiency curve) and/or each listed domain in turn as
    // the unseen test centre, the other listed domains unlabeled (besides any --unlabeled folders).
    if (counts.empty()) counts.push_back(base.labeledCount);
    const std::vector<fs::path> tests = paths(loo);
    std::ostringstream all;
    nlohmann::json cells = nlohmann::json::array();
    for (int n : counts) {
        const std::size_t rounds = tests.empty() ? 1 : tests.size();
        for (std::size_t t = 0; t < rounds; ++t) {
            RunRequest r = base;
            r.labeledCount = n;
            fs::path cell = out;
            if (a.has("labeled-counts")) cell /= "labeled-" + std::to_string(n);
            if (!tests.empty()) {
                r.testDirs = {tests[t]};
                for (std::size_t u = 0; u < tests.size(); ++u)
                    if (u != t) r.unlabeledDirs.push_back(tests[u]);
                cell /= "test-" + tests[t].filename().string();
            }
            std::string md;
            nlohmann::json j;
            const int rc = experimentBlock(r, methods, seeds, multi, cell, &md, &j);
            if (rc != kOk) return rc;
            all << md << "\n";
            cells.push_back({{"labeled_count", n},
                             {"test", r.testDirs.empty() ? r.labeledDir.filename().string() : r.testDirs.front().filename().string()},
                             {"folder", fs::relative(cell, out).string()},
                             {"results", j}});
        }
    }
    fs::create_directories(out);
    writeTextAtomically(out / "results.md", all.str());
    writeTextAtomically(out / "results.json", nlohmann::json({{"cells", cells}}).dump(2) + "\n");
    std::cout << all.str();
    return kOk;
}

const char* kTrainHelp =
    "Usage: dacw train --task fundus|polyp|scgm --labeled DIR [--labeled-count N | --labeled-ratio R]\n"
    "                  --unlabeled DIR [--unlabeled DIR ...] [--test DIR ...] [--val DIR ...]\n"
    "                  --method dac|cps|supervised|dac-no-feat|dac-no-aux|dac-sym-aux --out RUNDIR\n"
    "                  [--preset quick|standard|paper] [--iters N] [--size S] [--backbone resnet18|resnet34|resnet50]\n"
    "                  [--width W] [--batch B] [--lr X] [--optimizer adamw|sgd] [--seed K] [--threads T]\n"
    "                  [--device cpu|cuda] [--bf16 true|false|auto] [--checkpoint-every N] [--val-interval N]\n"
    "                  [--json] [--notes TEXT]\n"
    "                  [--set key=value ...] [--cache DIR | --no-cache] [--no-predictions] [--resume]\n"
    "                  [--init-model RUNDIR|model.pt] [--test-unused-labeled]\n"
    "                  [--distributed [--dist-timeout SECONDS]]\n\n"
    "Trains two DeepLabv3+ sub-models with DAC (or a baseline) on labeled cases from one domain and\n"
    "unlabeled images from others, then evaluates the chosen sub-model on the --test domains.\n"
    "The labeled cases are chosen with the seed; the rest of the labeled domain (up to 16 cases)\n"
    "validates, unless --val folders are given. Presets: quick (96 px, ResNet-18 x0.5, 600 iterations,\n"
    "about 10 minutes on 2 cores), standard (128 px, ResNet-18 with the compact 128-channel head,\n"
    "2000), paper (256 px, ResNet-50, 30000); --set head-channels=256 restores the published head.\n"
    "RUNDIR receives config.json, log.txt, metrics.csv, validation.csv, checkpoint.pt, model.pt,\n"
    "metrics.json and predictions/; --notes TEXT goes to notes.txt (the dashboard shows and edits\n"
    "it). Ctrl-C stops within one iteration and saves a checkpoint; the same\n"
    "command with --resume continues the same loss curve.\n"
    "Few-shot calibration on a new centre: --init-model starts both sub-models from a trained run's\n"
    "network, --labeled NEWCENTRE --labeled-count K trains on K of its cases, and --test-unused-labeled\n"
    "scores the centre's other cases (no held-out validation is taken from them).\n"
    "Compute kernels (bf16, channels-last, model-parallel) are measured once per machine and size and\n"
    "cached in ~/.cache/dacw/kernels.tsv; --bf16 or --set channels-last=/model-parallel= pins one.\n"
    "--json writes one JSON object per line on stdout (events progress, validation, message, finished\n"
    "or cancelled) for scripts; the human-readable progress stays on stderr.\n"
    "--distributed trains data-parallel over the processes a launcher started: torchrun (RANK,\n"
    "WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) or srun (SLURM_PROCID, SLURM_NTASKS,\n"
    "SLURM_LOCALID, with MASTER_ADDR and MASTER_PORT exported); --batch is the global batch, rank 0\n"
    "alone writes RUNDIR, a lost peer stops every rank within --dist-timeout (default 300 s).\n"
    "See docs/cluster.md.\n"
    "Exit codes: 0 done, 1 bad input or training failure, 2 usage, 130 cancelled.\n";

}  // namespace

std::vector<Command> trainCommands() {
    return {
        {"train", "train DAC (or a baseline) and evaluate on unseen domains", kTrainHelp, trainCommand},
        {"predict", "segment images with a trained run, in each image's own geometry",
         "Usage: dacw predict --model RUNDIR|model.pt --input DIR|FILE --out DIR [--threads T] [--task T]\n"
         "                    [--batch B]\n\n"
         "Writes one label map per image (PNG for photos, NIfTI for volumes) with the input's size,\n"
         "spacing, origin and direction. Volumes are predicted slice by slice. A DICOM folder is read\n"
         "as one series. With --task, cases that have masks are scored too. A folder is predicted B\n"
         "images at a time (default 4), the next batch read and the last one written while the network\n"
         "runs; the throughput (images/s) is printed.\n",
         predictCommand},
        {"evaluate", "Dice and HD95 of predicted label maps against reference masks",
         "Usage: dacw evaluate --task fundus|polyp|scgm --pred DIR --truth DIR [--out metrics.json]\n\n"
         "Matches prediction files to reference masks by file stem. --truth is a domain folder\n"
         "(images/ + masks/) or a folder of masks. Regions follow the task (fundus: disc = labels 1,2;\n"
         "cup = label 2). Fundus predictions are made anatomically valid first (one disc, the cup inside)\n"
         "and the vertical cup-to-disc ratio is scored too. HD95 is in millimetres, or for photographs\n"
         "in pixels of the image scaled to a 512-pixel side (px@512); when exactly one side is empty it\n"
         "is the image diagonal.\n",
         evaluateCommand},
        {"experiment", "train several methods on the same split and tabulate Dice",
         "Usage: dacw experiment --task T --labeled DIR [--labeled-count N] --unlabeled DIR... --test DIR...\n"
         "                       --methods supervised,cps,dac [--seeds 1,2,3] --out DIR [train options]\n"
         "       dacw experiment ... [--labeled-counts 5,10,20,40] [--leave-one-out DIR, repeated, instead of --test]\n\n"
         "Runs `dacw train` for each method into DIR/<method>/ (with --seeds: DIR/<method>/seed-<s>/),\n"
         "every method of a seed on the same labeled cases, then writes DIR/results.md (Dice per test\n"
         "domain and region, mean ± sd over seeds, fundus vCDR error, and the paired difference of the\n"
         "last method listed against each other one, seed by seed) and DIR/results.json.\n"
         "--labeled-counts repeats the comparison for each number of labeled cases (DIR/labeled-<n>/);\n"
         "--leave-one-out makes each listed domain in turn the unseen test centre, the others unlabeled\n"
         "(DIR/test-<domain>/). DIR/results.md then holds every cell's table.\n"
         "With --resume, runs that finished earlier (metrics.json present) are read back, not retrained.\n",
         experimentCommand},
    };
}

}  // namespace dacw::cli
