// dacw-train: trains from TensorDataset files with LibTorch alone, for GPU and cluster nodes that
// have no Qt, ITK or OpenCV. The data files come from the workbench (or --make-synthetic).
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <thread>
#include <sstream>
#include <string>
#include <vector>

#include <torch/cuda.h>
#include <torch/serialize.h>

#include "core/train/CoTrainer.h"
#include "core/train/Distributed.h"
#include "core/train/KernelChoice.h"
#include "core/train/Errors.h"
#include "core/train/Predictor.h"
#include "core/train/TensorDataset.h"
#include "core/train/TrainConfig.h"

namespace fs = std::filesystem;
using namespace dacw::train;

namespace {

CancelToken gCancel{false};
extern "C" void onSignal(int) { gCancel.store(true); }

const char* kUsage = R"(usage:
  dacw-train --labeled FILE [--unlabeled FILE ...] [--validation FILE ...] --out DIR [OPTIONS]
  dacw-train --make-synthetic DIR [--size S] [--channels C] [--classes K]
  dacw-train --predict MODEL --input FILE --out FILE.pt [--device D]
  dacw-train --list-options

Training writes DIR/config.txt, DIR/metrics.csv, DIR/checkpoint.pt (with --checkpoint-interval N)
and DIR/model.pt (the sub-model chosen on validation, without training-only heads). Validation
files are split by their per-sample domain names. Ctrl-C stops after the current iteration and
still exports the model. Rerun with --resume true to continue from DIR/checkpoint.pt.

OPTIONS are any training option as --key value (see --list-options), e.g.
  --method dac|cps|supervised|dac-no-feat|dac-no-aux|dac-sym-aux  --iterations N  --backbone resnet18
  --width 0.5  --lr 3e-4  --optimizer adamw|sgd  --seed K  --threads T  --device cpu|cuda
  --bf16 true|false  --channels-last true|false  --checkpoint-interval N  --validation-interval N
Data-parallel training (docs/cluster.md): under torchrun (RANK, WORLD_SIZE, LOCAL_RANK,
MASTER_ADDR, MASTER_PORT) every process trains on its shard of each global batch and gradients are
averaged over c10d/Gloo; rank 0 alone writes DIR. For example
  torchrun --no-python --nproc-per-node 2 dacw-train --labeled L.pt --unlabeled U.pt --out DIR
  --distributed auto|on|off  auto (default): torchrun's variables when WORLD_SIZE is set; on: also
                             Slurm's (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID; use under srun)
  --dist-timeout SECONDS     rendezvous and peer-loss limit (default 300)
Exit codes: 0 done, 1 bad input or training error (a lost peer too), 2 usage error, 130 cancelled.
)";

struct Args {
    std::vector<std::string> labeled, unlabeled, validation;
    std::string out, makeSynthetic, predict, input;
    std::string distributed = "auto";
    double distTimeout = 300.0;
    bool listOptions = false;
    int64_t synthSize = 64, synthChannels = 3, synthClasses = 2;
    std::vector<std::pair<std::string, std::string>> options;
};

Args parseArgs(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        std::string k = argv[i];
        if (k == "-h" || k == "--help") {
            std::cout << kUsage;
            std::exit(0);
        }
        if (k == "--list-options") {
            a.listOptions = true;
            continue;
        }
        if (k.rfind("--", 0) != 0 || i + 1 >= argc) throw std::invalid_argument("expected --option value, got '" + k + "'");
        std::string v = argv[++i];
        k = k.substr(2);
        if (k == "labeled") a.labeled.push_back(v);
        else if (k == "unlabeled") a.unlabeled.push_back(v);
        else if (k == "validation") a.validation.push_back(v);
        else if (k == "out") a.out = v;
        else if (k == "make-synthetic") a.makeSynthetic = v;
        else if (k == "predict") a.predict = v;
        else if (k == "input") a.input = v;
        else if (k == "channels") a.synthChannels = std::stoll(v);
        else if (k == "classes") a.synthClasses = std::stoll(v);
        else if (k == "distributed") a.distributed = v;
        else if (k == "dist-timeout") {
            size_t used = 0;
            a.distTimeout = std::stod(v, &used);
            if (used != v.size() || !(a.distTimeout >= 1.0 && a.distTimeout <= 86400.0))
                throw std::invalid_argument("--dist-timeout takes seconds between 1 and 86400, not '" + v + "'");
        }
        else {
            if (k == "size") a.synthSize = std::stoll(v);
            a.options.emplace_back(k, v);
        }
    }
    return a;
}

TensorDataset loadAll(const std::vector<std::string>& files) {
    std::vector<TensorDataset> parts;
    for (const auto& f : files) parts.push_back(TensorDataset::load(f));
    return TensorDataset::concat(parts);
}

std::string bar(double frac, int width) {
    const int n = static_cast<int>(frac * width + 0.5);
    return std::string(static_cast<size_t>(n), '#') + std::string(static_cast<size_t>(width - n), '.');
}

std::string hms(double s) {
    const long t = static_cast<long>(s + 0.5);
    std::ostringstream os;
    os << t / 3600 << ":" << std::setw(2) << std::setfill('0') << (t / 60) % 60 << ":" << std::setw(2) << t % 60;
    return os.str();
}

int makeSynthetic(const Args& a) {
    fs::create_directories(a.makeSynthetic);
    SyntheticSpec s;
    s.size = a.synthSize;
    s.channels = a.synthChannels;
    s.numClasses = a.synthClasses;
    s.count = 16, s.seed = 1, s.domain = "siteA";
    makeSyntheticDataset(s).save((fs::path(a.makeSynthetic) / "labeled.pt").string());
    s.count = 32, s.seed = 2, s.domain = "siteB", s.domainShift = 0.5, s.withMasks = false;
    makeSyntheticDataset(s).save((fs::path(a.makeSynthetic) / "unlabeled.pt").string());
    s.count = 16, s.seed = 3, s.domain = "siteC", s.domainShift = 0.8, s.withMasks = true;
    makeSyntheticDataset(s).save((fs::path(a.makeSynthetic) / "validation.pt").string());
    std::cout << "wrote labeled.pt, unlabeled.pt, validation.pt to " << a.makeSynthetic << "\n";
    return 0;
}

int predict(const Args& a) {
    std::string device = "cpu", tta;
    for (const auto& [k, v] : a.options) {
        if (k == "device") device = v;
        if (k == "tta") tta = v;
    }
    if (a.input.empty() || a.out.empty()) throw std::invalid_argument("--predict needs --input and --out");
    Predictor p(a.predict, device);
    // The run's own test-time augmentation (its metadata, as dacw predict reads it) unless --tta.
    if (tta.empty()) {
        const std::string& meta = p.info().userMetadata;
        const std::string key = "\"tta\":\"";
        const auto at = meta.find(key);
        tta = at == std::string::npos ? "none" : meta.substr(at + key.size(), meta.find('"', at + key.size()) - at - key.size());
    }
    p.setTta(parseTta(tta));
    TensorDataset d = TensorDataset::load(a.input);
    at::Tensor probs = p.predict(d.images);
    torch::save(probs, a.out);
    std::cout << "probabilities " << probs.sizes() << " written to " << a.out << "\n";
    return 0;
}

// Ranks other than 0: the same training, nothing written; messages go to stdout with the rank.
int trainQuiet(const Args&, const TrainConfig& cfg, const std::shared_ptr<Distributed>& dist, const TensorDataset& labeled,
               const TensorDataset& unlabeled, const std::map<std::string, TensorDataset>& validation) {
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    CoTrainer trainer(cfg);
    trainer.setDistributed(dist);
    const std::string tag = "rank " + std::to_string(dist->rank()) + ": ";
    auto callback = [&](const Progress& p) {
        for (const auto& m : p.messages)
            if (m.rfind("distributed", 0) == 0) std::cout << tag << m << "\n" << std::flush;
    };
    RunResult r = trainer.run(labeled, unlabeled, validation, callback, &gCancel);
    for (const auto& m : r.messages) std::cout << tag << m << "\n";
    std::cout << tag << (r.status == RunStatus::Cancelled ? "cancelled" : "finished") << " at iteration " << r.iterations
              << " in " << hms(r.seconds) << "\n" << std::flush;
    return r.status == RunStatus::Cancelled ? 130 : 0;
}

int trainRanked(const Args& a, TrainConfig cfg, const std::shared_ptr<Distributed>& dist, bool root);

int train(const Args& a) {
    if (a.labeled.empty() || a.out.empty()) throw std::invalid_argument("--labeled and --out are required");
    TrainConfig cfg;
    for (const auto& [k, v] : a.options) applyOption(cfg, k, v);
    DistMode mode;
    try {
        mode = parseDistMode(a.distributed);
    } catch (const ConfigError& e) {
        throw std::invalid_argument(std::string("--") + e.what());
    }
    const DistEnv env = readDistEnv(mode);
    std::shared_ptr<Distributed> dist;
    if (env.distributed()) {
        std::cout << "rank " << env.rank << ": joining " << env.describe() << "\n" << std::flush;
        dist = std::make_shared<Distributed>(env, std::chrono::milliseconds(static_cast<int64_t>(a.distTimeout * 1000)));
        // Processes on one node share its cores unless told otherwise (torchrun's OMP_NUM_THREADS=1
        // is overridden by the trainer's own thread count).
        if (cfg.threads == 0 && env.localWorldSize > 1) {
            cfg.threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / env.localWorldSize);
            if (dist->isRoot())
                std::cout << "distributed: " << env.localWorldSize << " processes on this node, " << cfg.threads
                          << " threads each (--threads sets it)\n";
        }
        if (cfg.device == "cuda") cfg.device = "cuda:" + std::to_string(env.localRank);
    }
    const bool root = !dist || dist->isRoot();
    // Only rank 0 writes the run folder; the others print errors and a last line.
    try {
        return trainRanked(a, cfg, dist, root);
    } catch (const std::exception& e) {
        if (!dist) throw;
        // A failed collective can leave Gloo's worker threads waiting on a dead peer; do not let
        // their teardown delay the exit that tells the launcher (torchrun, srun) to stop the job.
        std::cerr << "dacw-train: error: rank " << dist->rank() << ": " << e.what() << "\n" << std::flush;
        std::cout << std::flush;
        std::_Exit(1);
    }
}

int trainRanked(const Args& a, TrainConfig cfg, const std::shared_ptr<Distributed>& dist, bool root) {
    if (root) fs::create_directories(a.out);
    if (cfg.checkpointPath.empty()) cfg.checkpointPath = (fs::path(a.out) / "checkpoint.pt").string();
    if (cfg.checkpointInterval == 0 && !cfg.resume) cfg.checkpointPath.clear();
    if (cfg.resume && cfg.checkpointInterval == 0) cfg.checkpointInterval = std::max<int64_t>(1, cfg.iterations / 10);

    TensorDataset labeled = loadAll(a.labeled);
    TensorDataset unlabeled = loadAll(a.unlabeled);
    std::map<std::string, TensorDataset> validation;
    TensorDataset val = loadAll(a.validation);
    for (const auto& dom : val.domainNames()) validation[dom] = val.ofDomain(dom);

    if (cfg.autoKernels.any() && !labeled.empty()) {
        // Rank 0 chooses (from its cache or by measuring) and every rank runs that choice.
        KernelChoice k;
        if (root) {
            TrainConfig shaped = cfg;
            if (shaped.size == 0) shaped.size = labeled.height();
            if (shaped.numClasses == 0) shaped.numClasses = std::max<int64_t>(2, labeled.labelCount());
            k = chooseKernels(shaped, labeled.channels(), [](const std::string& m) { std::cout << m << "\n"; });
            std::cout << k.summary() << "\n" << std::flush;
        }
        if (dist) {
            const std::string mine = std::string(k.bf16 ? "1" : "0") + (k.channelsLast ? "1" : "0") + (k.modelParallel ? "1" : "0");
            // The measurement may take a few minutes on rank 0.
            const std::string chosen = dist->shareFromRoot("kernels", mine, std::max(dist->timeout(), std::chrono::milliseconds(900000)));
            k.bf16 = chosen.at(0) == '1';
            k.channelsLast = chosen.at(1) == '1';
            k.modelParallel = chosen.at(2) == '1';
        }
        applyKernelChoice(cfg, k);
    }
    if (dist) {
        dist->barrier();
    }
    if (root) {
        std::ofstream conf(fs::path(a.out) / "config.txt");
        for (const auto& [k, v] : toKeyValues(cfg)) conf << k << "=" << v << "\n";
        for (const auto& f : a.labeled) conf << "labeled-file=" << f << "\n";
        for (const auto& f : a.unlabeled) conf << "unlabeled-file=" << f << "\n";
        for (const auto& f : a.validation) conf << "validation-file=" << f << "\n";
        for (const auto& id : labeled.caseIds) conf << "labeled-case=" << id << "\n";
        if (dist) conf << "world-size=" << dist->worldSize() << "\ndist-launch=" << dist->env().source << "\n";
    }
    if (!root) return trainQuiet(a, cfg, dist, labeled, unlabeled, validation);
    std::cout << "training " << toString(cfg.method) << " on " << labeled.size() << " labeled + " << unlabeled.size()
              << " unlabeled images (" << labeled.height() << "x" << labeled.width() << "), " << cfg.iterations
              << " iterations, device " << cfg.device << (torch::cuda::is_available() ? " (CUDA available)" : "") << "\n";

    const bool tty = isatty(STDOUT_FILENO);
    std::ofstream metrics(fs::path(a.out) / "metrics.csv", cfg.resume ? std::ios::app : std::ios::trunc);
    const bool commColumns = dist != nullptr;
    bool header = !cfg.resume;
    std::vector<std::string> columns;
    auto callback = [&](const Progress& p) {
        if (columns.empty()) {
            for (const auto& [k, v] : p.losses) columns.push_back(k);
            if (header) {
                metrics << "iteration,lr,images_per_s,data_wait";
                for (const auto& c : columns) metrics << "," << c;
                if (commColumns) metrics << ",allreduce_s,allreduce_bytes";
                metrics << "\n";
            }
        }
        metrics << p.iteration << "," << p.lr << "," << p.imagesPerSecond << "," << p.dataWaitFraction;
        for (const auto& c : columns) {
            auto it = p.losses.find(c);
            metrics << "," << (it == p.losses.end() ? 0.0 : it->second);
        }
        if (commColumns) metrics << "," << p.allreduceSeconds << "," << p.allreduceBytes;
        metrics << "\n";
        for (const auto& m : p.messages) std::cout << (tty ? "\r\033[K" : "") << m << "\n";
        std::ostringstream line;
        line << std::fixed << std::setprecision(4) << "iter " << p.iteration << "/" << p.total << " loss "
             << (p.losses.count("total") ? p.losses.at("total") : 0.0) << std::setprecision(1) << " | "
             << p.imagesPerSecond << " img/s | wait " << 100.0 * p.dataWaitFraction << "% | ETA " << hms(p.etaSeconds);
        if (p.validated) {
            line << std::setprecision(3);
            for (const auto& [model, domains] : p.validation)
                for (const auto& [dom, dice] : domains) {
                    line << " | " << model << "@" << dom << " dice";
                    for (double x : dice) line << " " << x;
                }
        }
        if (tty) {
            std::cout << "\r\033[K[" << bar(static_cast<double>(p.iteration) / p.total, 24) << "] " << line.str() << std::flush;
            if (p.validated) std::cout << "\n";
        } else if (p.validated || p.iteration % 10 == 0 || p.iteration == p.total) {
            std::cout << line.str() << "\n" << std::flush;
        }
    };
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    CoTrainer trainer(cfg);
    trainer.setDistributed(dist);
    RunResult r = trainer.run(labeled, unlabeled, validation, callback, &gCancel);
    for (const auto& m : r.messages) std::cout << m << "\n";
    if (tty) std::cout << "\n";
    const std::string modelPath = (fs::path(a.out) / "model.pt").string();
    trainer.exportModel(
        modelPath, "chosen",
        "{\"tool\":\"dacw-train\",\"method\":\"" + toString(cfg.method) + "\",\"tta\":\"" + toString(cfg.tta) + "\"}");
    std::cout << (r.status == RunStatus::Cancelled ? "cancelled" : "finished") << " at iteration " << r.iterations << " in "
              << hms(r.seconds) << " (data wait " << std::setprecision(3) << 100.0 * r.dataWaitFraction << "%, "
              << r.skippedSteps << " skipped steps); exported sub-model " << r.chosen << " to " << modelPath << "\n";
    return r.status == RunStatus::Cancelled ? 130 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    try {
        a = parseArgs(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "dacw-train: " << e.what() << "\n" << kUsage;
        return 2;
    }
    try {
        if (a.listOptions) {
            for (const auto& [k, v] : toKeyValues(TrainConfig{})) std::cout << "--" << k << " " << v << "\n";
            return 0;
        }
        if (!a.makeSynthetic.empty()) return makeSynthetic(a);
        if (!a.predict.empty()) return predict(a);
        return train(a);
    } catch (const std::invalid_argument& e) {
        std::cerr << "dacw-train: " << e.what() << "\n" << kUsage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "dacw-train: error: " << e.what() << "\n";
        return 1;
    }
}
