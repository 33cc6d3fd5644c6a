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
#include <sstream>
#include <string>
#include <vector>

#include <torch/cuda.h>
#include <torch/serialize.h>

#include "core/train/CoTrainer.h"
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
Exit codes: 0 done, 1 bad input or training error, 2 usage error, 130 cancelled.
)";

struct Args {
    std::vector<std::string> labeled, unlabeled, validation;
    std::string out, makeSynthetic, predict, input;
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
    std::string device = "cpu";
    for (const auto& [k, v] : a.options)
        if (k == "device") device = v;
    if (a.input.empty() || a.out.empty()) throw std::invalid_argument("--predict needs --input and --out");
    Predictor p(a.predict, device);
    TensorDataset d = TensorDataset::load(a.input);
    at::Tensor probs = p.predict(d.images);
    torch::save(probs, a.out);
    std::cout << "probabilities " << probs.sizes() << " written to " << a.out << "\n";
    return 0;
}

int train(const Args& a) {
    if (a.labeled.empty() || a.out.empty()) throw std::invalid_argument("--labeled and --out are required");
    TrainConfig cfg;
    for (const auto& [k, v] : a.options) applyOption(cfg, k, v);
    fs::create_directories(a.out);
    if (cfg.checkpointPath.empty()) cfg.checkpointPath = (fs::path(a.out) / "checkpoint.pt").string();
    if (cfg.checkpointInterval == 0 && !cfg.resume) cfg.checkpointPath.clear();
    if (cfg.resume && cfg.checkpointInterval == 0) cfg.checkpointInterval = std::max<int64_t>(1, cfg.iterations / 10);

    TensorDataset labeled = loadAll(a.labeled);
    TensorDataset unlabeled = loadAll(a.unlabeled);
    std::map<std::string, TensorDataset> validation;
    TensorDataset val = loadAll(a.validation);
    for (const auto& dom : val.domainNames()) validation[dom] = val.ofDomain(dom);

    if (cfg.autoKernels.any() && !labeled.empty()) {
        TrainConfig shaped = cfg;
        if (shaped.size == 0) shaped.size = labeled.height();
        if (shaped.numClasses == 0) shaped.numClasses = std::max<int64_t>(2, labeled.labelCount());
        const KernelChoice k = chooseKernels(shaped, labeled.channels(), [](const std::string& m) { std::cout << m << "\n"; });
        applyKernelChoice(cfg, k);
        std::cout << k.summary() << "\n" << std::flush;
    }
    {
        std::ofstream conf(fs::path(a.out) / "config.txt");
        for (const auto& [k, v] : toKeyValues(cfg)) conf << k << "=" << v << "\n";
        for (const auto& f : a.labeled) conf << "labeled-file=" << f << "\n";
        for (const auto& f : a.unlabeled) conf << "unlabeled-file=" << f << "\n";
        for (const auto& f : a.validation) conf << "validation-file=" << f << "\n";
        for (const auto& id : labeled.caseIds) conf << "labeled-case=" << id << "\n";
    }
    std::cout << "training " << toString(cfg.method) << " on " << labeled.size() << " labeled + " << unlabeled.size()
              << " unlabeled images (" << labeled.height() << "x" << labeled.width() << "), " << cfg.iterations
              << " iterations, device " << cfg.device << (torch::cuda::is_available() ? " (CUDA available)" : "") << "\n";

    const bool tty = isatty(STDOUT_FILENO);
    std::ofstream metrics(fs::path(a.out) / "metrics.csv", cfg.resume ? std::ios::app : std::ios::trunc);
    bool header = !cfg.resume;
    std::vector<std::string> columns;
    auto callback = [&](const Progress& p) {
        if (columns.empty()) {
            for (const auto& [k, v] : p.losses) columns.push_back(k);
            if (header) {
                metrics << "iteration,lr,images_per_s,data_wait";
                for (const auto& c : columns) metrics << "," << c;
                metrics << "\n";
            }
        }
        metrics << p.iteration << "," << p.lr << "," << p.imagesPerSecond << "," << p.dataWaitFraction;
        for (const auto& c : columns) {
            auto it = p.losses.find(c);
            metrics << "," << (it == p.losses.end() ? 0.0 : it->second);
        }
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
    RunResult r = trainer.run(labeled, unlabeled, validation, callback, &gCancel);
    if (tty) std::cout << "\n";
    const std::string modelPath = (fs::path(a.out) / "model.pt").string();
    trainer.exportModel(modelPath, "chosen", "{\"tool\":\"dacw-train\",\"method\":\"" + toString(cfg.method) + "\"}");
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
