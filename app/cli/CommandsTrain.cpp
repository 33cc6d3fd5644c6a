// dacw train, predict, evaluate.
#include <algorithm>
#include <cmath>
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
#include "Console.h"
#include "TrainDistributed.h"
#include "TrainOptions.h"
#include "core/train/CoTrainer.h"
#include "core/train/Distributed.h"
#include "core/train/Errors.h"
#include "core/train/Predictor.h"
#include "core/train/Presets.h"
#include "core/pipeline/Predict.h"
#include "core/pipeline/Run.h"
#include "core/pipeline/Calibration.h"
#include "core/pipeline/CalibrationPick.h"
#include "core/pipeline/LabelNext.h"
#include "core/pipeline/RunFolder.h"
#include "core/util/Errors.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;

namespace dacw::cli {
namespace {

/// `dacw train --json`: one JSON object per line on stdout for scripts (every iteration, every
/// validation, every log message, and the outcome); the human-readable lines stay on stderr.
struct JsonProgress {
    static double finite(double v) { return std::isfinite(v) ? v : 0.0; }
    void progress(const train::Progress& p) const {
        // "validated": the validation events of this iteration follow.
        nlohmann::json j = {{"event", "progress"},
                            {"iteration", p.iteration},
                            {"validated", p.validated},
                            {"total", p.total},
                            {"lr", finite(p.lr)},
                            {"images_per_s", finite(p.imagesPerSecond)},
                            {"s_per_iter", finite(p.secondsPerIteration)},
                            {"eta_s", finite(p.etaSeconds)},
                            {"skipped", p.skipped}};
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

}  // namespace

std::vector<fs::path> paths(const std::vector<std::string>& v) {
    return {v.begin(), v.end()};
}

// clang-format off
const std::vector<std::string> kTrainOptions = {
    "task", "labeled", "labeled-count", "labeled-ratio", "unlabeled", "test", "val", "method", "iters", "size",
    "backbone", "width", "seed", "out", "resume", "preset", "threads", "device", "batch", "lr", "optimizer",
    "cache", "no-cache", "set", "checkpoint-every", "val-interval", "no-predictions", "bf16", "init-model",
    "test-unused-labeled", "replay", "replay-count", "no-replay"};
// clang-format on

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
    fs::path initModel;
    if (a.has("init-model")) {
        try {
            initModel = calibrationModel(a.get("init-model"));
        } catch (const InputError& e) {
            throw InputError(std::string("--init-model: ") + e.what());
        }
        if (!a.has("preset")) r.preset = "calibrate";
    }
    try {
        if (r.preset != "calibrate") train::applyPreset(c, r.preset);
        if (!initModel.empty()) {
            // The network is the model's (its weights fit no other); without --preset the
            // optimisation is the measured calibration recipe.
            try {
                startFromModel(c, initModel, r.preset == "calibrate");
            } catch (const InputError& e) {
                throw InputError(std::string("--init-model: ") + e.what());
            }
        } else if (r.preset == "calibrate") {
            throw UsageError("--preset calibrate needs --init-model (the run to fine-tune)");
        }
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
        applySetOptions(c, a.all("set"));
    } catch (const train::ConfigError& e) {
        throw UsageError(e.what());
    }
    if (c.iterations < 1) throw UsageError("--iters must be at least 1");
    if (c.size < 32 || c.size % 16 != 0) throw UsageError("--size must be a multiple of 16, at least 32");
    r.resume = a.flag("resume");
    r.testUnusedLabeled = a.flag("test-unused-labeled");
    if (a.has("replay-count") && !a.has("replay")) throw UsageError("--replay-count goes with --replay DIR");
    if (a.has("replay") && a.flag("no-replay")) throw UsageError("give --replay or --no-replay, not both");
    if (a.has("replay")) {
        r.replayDir = a.get("replay");
        r.replayCount = a.getInt("replay-count", 0);
        if (r.replayCount < 0) throw UsageError("--replay-count must be 0 (all cases) or more");
    } else if (r.preset == "calibrate" && !a.flag("no-replay")) {
        // The calibration recipe replays the source run's own labeled cases when its folder says
        // which they were (an --init-model that is a bare model.pt has no such record).
        replaySourceCases(r, a.get("init-model"));
    }
    r.savePredictions = !a.flag("no-predictions");
    r.cacheDir = datasetCacheDir(a);
    return r;
}

namespace {

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

/// `dacw train --request RUNDIR`: the run the workbench wrote in RUNDIR/request.json, into RUNDIR
/// (how the workbench starts the processes of a run on several processes, docs/cluster.md).
RunRequest requestOfRunFolder(const Args& a) {
    try {
        a.allowOnly({"request", "resume", "threads", "json", "notes", "distributed", "dist-timeout"});
    } catch (const UsageError& e) {
        throw UsageError(std::string(e.what()) + " with --request (RUNDIR/request.json holds the run; only --resume, " +
                         "--threads, --json, --notes, --distributed and --dist-timeout go with it)");
    }
    const fs::path dir = a.get("request");
    std::error_code ec;
    if (!fs::exists(RunFolder(dir).request(), ec)) throw InputError("--request: no request.json in " + dir.string());
    RunRequest r = readRunRequest(dir);
    r.resume = a.flag("resume");
    if (a.has("threads")) {
        r.config.threads = a.getInt("threads", 0);
        if (r.config.threads < 0) throw UsageError("--threads must be 0 (all cores) or more");
    }
    return r;
}

int trainCommand(const std::vector<std::string>& argv) {
    Args a(argv, {"resume", "no-cache", "no-predictions", "test-unused-labeled", "json", "distributed", "no-replay"});
    std::vector<std::string> allowed = kTrainOptions;
    for (const char* o : {"json", "notes", "distributed", "dist-timeout", "request"}) allowed.push_back(o);
    a.allowOnly(allowed);
    const bool json = a.flag("json");
    if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional().front() + "'");
    RunRequest r;
    if (a.has("request")) {
        r = requestOfRunFolder(a);
    } else {
        r = requestFrom(a);
        try {
            r.config.method = train::parseMethod(a.get("method", a.has("init-model") ? "supervised" : "dac"));
        } catch (const train::ConfigError& e) {
            throw UsageError(e.what());
        }
        r.outDir = a.require("out");
    }
    try {
        r.distributed = joinRanks(a, r.config);
    } catch (const train::TrainError& e) {
        throw InputError(e.what());
    }
    stopOnInterrupt();
    if (r.distributed && !r.distributed->isRoot()) return trainOtherRank(r, &interrupted());
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
        RunOutcome o = executeRun(r, obs, &interrupted());
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
    a.allowOnly({"model", "input", "out", "threads", "task", "batch", "tta"});
    const fs::path model = a.require("model"), input = a.require("input"), out = a.require("out");
    const int batch = a.getInt("batch", 4);
    if (batch < 1 || batch > 256) throw UsageError("--batch must be in 1..256");
    EvaluationResult scores;
    std::unique_ptr<Task> task;
    if (a.has("task")) task = std::make_unique<Task>(Task::byName(a.get("task")));
    PredictStats stats;
    const std::string tta = a.get("tta", "");
    if (a.has("tta") && tta != "none" && tta != "flip" && tta != "flip-scales")
        throw UsageError("--tta must be none, flip or flip-scales");
    auto files = predictPath(model, input, out, a.getInt("threads", 0), &scores, task.get(), batch, &stats, tta);
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

/// The cases `pickForCalibration` chose, in the order to label them.
void printPicked(const std::vector<CaseDisagreement>& cases, const std::vector<PickedCase>& picked, bool json) {
    if (json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& p : picked) {
            const auto& c = cases[p.index];
            j.push_back({{"domain", c.domain},
                         {"case", c.caseId},
                         {"score", c.score},
                         {"label_flip", c.labelFlip},
                         {"typicality", p.typicality},
                         {"cluster_size", p.clusterSize}});
        }
        std::cout << j.dump(2) << "\n";
        return;
    }
    if (picked.empty()) std::cout << "No case could be scored.\n";
    int rank = 0;
    for (const auto& p : picked) {
        const auto& c = cases[p.index];
        std::cout << ++rank << "\t" << c.domain << "\t" << c.caseId << "\t" << std::fixed << std::setprecision(4) << c.score
                  << "\t" << std::setprecision(3) << p.typicality << "\t" << p.clusterSize << "\n";
    }
}

/// `dacw label-next`: the cases of some domains ranked by the disagreement of a co-training run's
/// two sub-models (what the workbench's "Suggest what to label next" shows).
int labelNextCommand(const std::vector<std::string>& argv) {
    Args a(argv, {"all", "json"});
    a.allowOnly({"run", "all", "count", "maps", "json", "pick", "pick-by"});
    if (a.positional().empty()) throw UsageError("give at least one domain folder to rank");
    std::vector<Domain> domains;
    for (const auto& p : a.positional()) domains.push_back(scanDomain(p));
    DisagreementMaps maps;
    if (a.has("maps")) maps.folder = a.get("maps");
    const int count = a.getInt("count", 0);
    if (count < 0) throw UsageError("--count must be 0 (all) or more");
    const int pick = a.getInt("pick", 0);
    if (a.has("pick") && pick < 1) throw UsageError("--pick needs a number of cases, 1 or more");
    if (a.has("pick-by") && !a.has("pick")) throw UsageError("--pick-by goes with --pick K");
    if (a.has("pick") && a.has("count")) throw UsageError("--pick K chooses K cases; leave out --count");
    const PickStrategy strategy = pickStrategyFromString(a.get("pick-by", "typical"));
    std::vector<CaseDisagreement> ranked =
        rankByDisagreement(a.require("run"), domains, !a.flag("all"), nullptr, a.has("maps") ? &maps : nullptr);
    if (pick > 0) {
        printPicked(ranked, pickForCalibration(ranked, pick, strategy), a.flag("json"));
        if (!maps.problem.empty()) std::cerr << "disagreement maps: " << maps.problem << "\n";
        return kOk;
    }
    if (count > 0 && int(ranked.size()) > count) ranked.resize(std::size_t(count));
    if (a.flag("json")) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& c : ranked)
            j.push_back({{"domain", c.domain}, {"case", c.caseId}, {"score", c.score}, {"label_flip", c.labelFlip}});
        std::cout << j.dump(2) << "\n";
    } else {
        if (ranked.empty())
            std::cout << (a.flag("all") ? "No case could be scored.\n"
                                        : "No case without a mask to rank (--all ranks the cases with masks too).\n");
        int rank = 0;
        for (const auto& c : ranked)
            std::cout << ++rank << "\t" << c.domain << "\t" << c.caseId << "\t" << std::fixed << std::setprecision(4) << c.score
                      << "\t" << std::setprecision(3) << c.labelFlip << "\n";
    }
    if (!maps.problem.empty()) std::cerr << "disagreement maps: " << maps.problem << "\n";
    return kOk;
}

const char* kTrainHelp =
    "Usage: dacw train --task fundus|polyp|scgm --labeled DIR [--labeled-count N | --labeled-ratio R]\n"
    "                  --unlabeled DIR [--unlabeled DIR ...] [--test DIR ...] [--val DIR ...]\n"
    "                  --method dac|cps|supervised|dac-no-feat|dac-no-aux|dac-sym-aux --out RUNDIR\n"
    "                  [--preset quick|standard|paper|calibrate] [--iters N] [--size S] [--backbone resnet18|resnet34|resnet50]\n"
    "                  [--width W] [--batch B] [--lr X] [--optimizer adamw|sgd] [--seed K] [--threads T]\n"
    "                  [--device cpu|cuda] [--bf16 true|false|auto] [--checkpoint-every N] [--val-interval N]\n"
    "                  [--json] [--notes TEXT]\n"
    "                  [--set key=value ...] [--cache DIR | --no-cache] [--no-predictions] [--resume]\n"
    "                  [--init-model RUNDIR|model.pt] [--test-unused-labeled] [--replay DIR [--replay-count N] | --no-replay]\n"
    "                  [--distributed [--dist-timeout SECONDS]]\n"
    "       dacw train --request RUNDIR [--resume] [--threads T] [--json] [--distributed ...]\n\n"
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
    "scores the centre's other cases (no held-out validation is taken from them). With --init-model the\n"
    "network (backbone, width, head, size) is the model's, the method defaults to supervised and the\n"
    "preset to calibrate: 200 iterations at lr 1e-4 with replay (measured in docs/results.md): the\n"
    "source run's own labeled cases (from RUNDIR/config.json) train alongside the new centre's, which\n"
    "are repeated until they are about half of the training set; --no-replay trains on the new\n"
    "centre's cases alone. --replay SOURCE [--replay-count N] replays N cases of another folder, drawn\n"
    "with the seed as labeled cases are.\n"
    "Compute kernels (bf16, channels-last, model-parallel) are measured once per machine and size and\n"
    "cached in ~/.cache/dacw/kernels.tsv; --bf16 or --set channels-last=/model-parallel= pins one.\n"
    "--json writes one JSON object per line on stdout (events progress, validation, message, finished\n"
    "or cancelled) for scripts; the human-readable progress stays on stderr.\n"
    "--distributed trains data-parallel over the processes a launcher started: torchrun (RANK,\n"
    "WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) or srun (SLURM_PROCID, SLURM_NTASKS,\n"
    "SLURM_LOCALID, with MASTER_ADDR and MASTER_PORT exported); --batch is the global batch, rank 0\n"
    "alone writes RUNDIR, a lost peer stops every rank within --dist-timeout (default 300 s).\n"
    "See docs/cluster.md.\n"
    "--request RUNDIR trains the run described by RUNDIR/request.json (as the workbench writes it:\n"
    "folders, task, preset and every option) into RUNDIR; the workbench starts the processes of a\n"
    "run on several processes of one machine this way.\n"
    "Exit codes: 0 done, 1 bad input or training failure, 2 usage, 130 cancelled.\n";

}  // namespace

std::vector<Command> trainCommands() {
    return {
        {"train", "train DAC (or a baseline) and evaluate on unseen domains", kTrainHelp, trainCommand},
        {"predict", "segment images with a trained run, in each image's own geometry",
         "Usage: dacw predict --model RUNDIR|model.pt --input DIR|FILE --out DIR [--threads T] [--task T]\n"
         "                    [--batch B] [--tta none|flip|flip-scales]\n\n"
         "Writes one label map per image (PNG for photos, NIfTI for volumes) with the input's size,\n"
         "spacing, origin and direction. Volumes are predicted slice by slice. A DICOM folder is read\n"
         "as one series. With --task, cases that have masks are scored too. A folder is predicted B\n"
         "images at a time (default 4), the next batch read and the last one written while the network\n"
         "runs; the throughput (images/s) is printed. Test-time augmentation is the run's own (its\n"
         "tta option, by default flip: the mean of the image's and its mirror image's probabilities;\n"
         "models exported before the option: none); --tta overrides it (flip-scales: also at 0.75\n"
         "and 1.25 times the size, 6 passes).\n",
         predictCommand},
        {"label-next", "rank cases by how much a co-training run's two sub-models disagree",
         "Usage: dacw label-next --run RUNDIR [--all] [--count N | --pick K [--pick-by typical|mixed]]\n"
         "                       [--maps DIR] [--json] DIR...\n\n"
         "Scores every case of the domain folders (with --all, also those that have masks) by the\n"
         "disagreement of the run's sub-models A and B (its checkpoint.pt: a dac, cps or ablation run),\n"
         "most disagreement first: one line per case with rank, domain, case, score (mean half L1\n"
         "distance of the class probabilities) and the fraction of pixels whose class differs: where\n"
         "the model is least sure, to check or label first. Not for choosing the few cases that\n"
         "calibrate a model to a new centre: there, random cases did better (docs/results.md).\n"
         "--count keeps the first N; --maps writes each case's per-pixel map (0..255) to\n"
         "DIR/<domain>/; --json prints a JSON array instead.\n"
         "--pick K chooses K cases to label for calibrating the run to a new centre instead: the cases\n"
         "are clustered (k-means on the sub-models' pooled decoder features) into K groups, and from\n"
         "each group, largest first, its most typical case (the densest point; --pick-by typical,\n"
         "the default) or the most disagreed of its more typical half (--pick-by mixed). One line per\n"
         "case: rank, domain, case, score, typicality, cluster size. Measured (docs/results.md): as good\n"
         "as random cases (K = 3: -1 cup point, K = 5: +2), far better than the most disagreed ones;\n"
         "random cases remain a sound choice.\n",
         labelNextCommand},
        {"evaluate", "Dice and HD95 of predicted label maps against reference masks",
         "Usage: dacw evaluate --task fundus|polyp|scgm --pred DIR --truth DIR [--out metrics.json]\n\n"
         "Matches prediction files to reference masks by file stem. --truth is a domain folder\n"
         "(images/ + masks/) or a folder of masks. Regions follow the task (fundus: disc = labels 1,2;\n"
         "cup = label 2). Fundus predictions are made anatomically valid first (one disc, the cup inside)\n"
         "and the vertical cup-to-disc ratio is scored too. HD95 is in millimetres, or for photographs\n"
         "in pixels of the image scaled to a 512-pixel side (px@512); when exactly one side is empty it\n"
         "is the image diagonal.\n",
         evaluateCommand},
    };
}

}  // namespace dacw::cli
