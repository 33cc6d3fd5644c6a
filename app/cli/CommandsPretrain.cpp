// dacw pretrain: self-supervised pretraining of the encoder on the images of several folders.
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "Args.h"
#include "Commands.h"
#include "Console.h"
#include "TrainOptions.h"
#include "core/data/Preprocess.h"
#include "core/dataset/Domain.h"
#include "core/dataset/Task.h"
#include "core/train/Errors.h"
#include "core/train/Presets.h"
#include "core/train/Pretrain.h"
#include "core/util/Errors.h"

namespace fs = std::filesystem;

namespace dacw::cli {
namespace {

/// Refuses an output the process could not write, before any minute is spent training: a folder,
/// a missing or read-only parent. The probe file is the one the atomic write uses, then removed.
void checkWritable(const fs::path& out) {
    std::error_code ec;
    if (fs::is_directory(out, ec)) throw InputError("--out " + out.string() + " is a folder; give a file name (e.g. encoder.pt)");
    const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
    if (!fs::is_directory(parent, ec)) throw InputError("cannot write " + out.string() + ": folder " + parent.string() + " does not exist");
    const fs::path probe = out.string() + ".partial";
    std::FILE* f = std::fopen(probe.c_str(), "wb");
    if (!f) throw InputError("cannot write " + out.string() + ": " + std::strerror(errno));
    std::fclose(f);
    fs::remove(probe, ec);
}

const char* kPretrainHelp =
    "Usage: dacw pretrain --task fundus|polyp|scgm --out FILE [--images DIR ...] [DIR ...]\n"
    "                     [--pretext contrastive|masked] [--mask-ratio R]\n"
    "                     [--preset quick|standard|paper] [--backbone B] [--width W] [--size S]\n"
    "                     [--set key=value ...] [--iters N] [--batch B] [--lr X] [--temperature T]\n"
    "                     [--seed K] [--threads T] [--log-every N] [--cache DIR | --no-cache]\n\n"
    "Self-supervised pretraining of the ResNet encoder on every image of the given domain folders\n"
    "(labeled and unlabeled domains alike; masks are ignored; never give the test domain). The\n"
    "images are read and normalised as `dacw train` reads them, at the training size. Pretext tasks:\n"
    "  contrastive (default; SimCLR-style): two augmented views of each image (crop and zoom, flip,\n"
    "    rotation, gamma, colour, blur, noise), the pooled encoder features through a small\n"
    "    projection head, each view must recognise its partner among the other views of the batch\n"
    "    (NT-Xent loss, --temperature);\n"
    "  masked (SimMIM-style, dense): a share --mask-ratio (default 0.6) of each image's 16x16\n"
    "    patches is blanked, and a linear head on the encoder's stride-16 features must restore\n"
    "    their pixels (L1 loss on the blanked pixels). The views change only geometry (flip,\n"
    "    rotation, zoom, shift), so the encoder keeps intensity information.\n"
    "The encoder is the one `dacw train` builds with the same --preset, --backbone, --width and\n"
    "--set options (default preset quick: ResNet-18 x0.5, 96 px); FILE loads with\n"
    "  dacw train ... --preset quick --set encoder-weights=FILE\n"
    "and a run with another encoder refuses it with a message. Defaults: --iters 300, --batch 32\n"
    "(images; two views each when contrastive), --lr 0.001 (AdamW, warm-up then cosine decay),\n"
    "--temperature 0.2, --seed 0, progress every --log-every 10 iterations. The same seed and\n"
    "thread count give the same file. FILE is written at the end, atomically (a temporary file,\n"
    "then a rename): an interrupted run (Ctrl-C, exit code 130) leaves no file.\n";

int pretrainCommand(const std::vector<std::string>& argv) {
    Args a(argv, {"no-cache"});
    a.allowOnly({"task", "out", "images", "preset", "backbone", "width", "size", "set", "iters", "batch", "lr", "temperature",
                 "pretext", "mask-ratio", "seed", "threads", "log-every", "cache", "no-cache"});
    const Task task = Task::byName(a.require("task"));
    const fs::path out = a.require("out");
    std::vector<fs::path> dirs;
    for (const auto& d : a.all("images")) dirs.emplace_back(d);
    for (const auto& d : a.positional()) dirs.emplace_back(d);
    if (dirs.empty()) throw UsageError("give at least one image folder (--images DIR or DIR)");

    train::TrainConfig c;
    try {
        train::applyPreset(c, a.get("preset", "quick"));
        if (a.has("backbone")) c.backbone = train::parseBackbone(a.get("backbone"));
        if (a.has("width")) c.width = a.getDouble("width", c.width);
        if (a.has("size")) c.size = a.getInt("size", 0);
        if (a.has("seed")) c.seed = std::uint64_t(a.getInt("seed", 0));
        if (a.has("threads")) c.threads = a.getInt("threads", 0);
        applySetOptions(c, a.all("set"));
    } catch (const train::ConfigError& e) {
        throw UsageError(e.what());
    }
    if (c.size < 32 || c.size % 16 != 0) throw UsageError("--size must be a multiple of 16, at least 32");
    if (a.has("seed") && a.getInt("seed", 0) < 0) throw UsageError("--seed must be non-negative");
    train::Pretext pretext;
    try {
        pretext = train::parsePretext(a.get("pretext", "contrastive"));
    } catch (const train::ConfigError& e) {
        throw UsageError(std::string("--pretext: ") + e.what());
    }
    train::PretrainConfig p = train::pretrainConfigFor(c, pretext);
    p.maskRatio = a.getDouble("mask-ratio", p.maskRatio);
    if (!(p.maskRatio > 0.0 && p.maskRatio < 1.0)) throw UsageError("--mask-ratio must be between 0 and 1 (exclusive)");
    if (a.has("mask-ratio") && pretext != train::Pretext::Masked)
        throw UsageError("--mask-ratio is an option of --pretext masked");
    p.iterations = a.getInt("iters", 300);
    p.batch = a.getInt("batch", 32);
    p.lr = a.getDouble("lr", p.lr);
    p.temperature = a.getDouble("temperature", p.temperature);
    const int logEvery = a.getInt("log-every", 10);
    if (p.iterations < 1) throw UsageError("--iters must be at least 1");
    if (p.batch < 2 || p.batch > 1024) throw UsageError("--batch must be in 2..1024");
    if (!(p.lr > 0) || !(p.temperature > 0)) throw UsageError("--lr and --temperature must be positive");
    if (logEvery < 1) throw UsageError("--log-every must be at least 1");
    checkWritable(out);
    // The options that shape the encoder, to repeat at train time.
    std::string encoderOptions;
    if (a.has("backbone")) encoderOptions += " --backbone " + a.get("backbone");
    if (a.has("width")) encoderOptions += " --width " + a.get("width");
    for (const auto& kv : a.all("set"))
        if (kv.rfind("backbone=", 0) == 0 || kv.rfind("width=", 0) == 0) encoderOptions += " --set " + kv;

    PreprocessOptions pre;
    pre.size = int(c.size);
    pre.channels = task.channels;
    pre.cacheDir = datasetCacheDir(a);
    std::vector<train::TensorDataset> parts;
    std::ostringstream from;
    for (const auto& dir : dirs) {
        const Domain d = scanDomain(dir);
        if (d.cases.empty()) throw InputError("The folder " + dir.string() + " holds no images");
        LoadReport rep;
        parts.push_back(loadDomainTensors(d, task, pre, /*withMasks=*/false, {}, &rep));
        for (const auto& s : rep.skipped) std::cerr << "  skipped " << s << "\n";
        from << (from.tellp() > 0 ? ", " : "") << d.name << " (" << rep.samples << ")";
    }
    const train::TensorDataset images = train::TensorDataset::concat(parts);
    if (images.size() < 2)
        throw InputError("pretraining needs at least 2 images; the folders hold " + std::to_string(images.size()));

    std::cerr << "pretraining " << train::toString(p.backbone) << " x" << p.width << " (" << task.channels << " channel"
              << (task.channels > 1 ? "s" : "") << ", " << c.size << " px) on " << images.size() << " images: " << from.str()
              << "\n"
              << p.iterations << " iterations of " << std::min<int64_t>(p.batch, images.size()) << " images, pretext "
              << train::toString(p.pretext)
              << (p.pretext == train::Pretext::Masked
                      ? " (" + std::to_string(int(std::lround(p.maskRatio * 100))) + "% of the patches blanked)"
                      : std::string(" (two views each)"))
              << ", seed " << p.seed << "\n";
    stopOnInterrupt();
    train::PretrainResult r;
    try {
        train::EncoderPretrainer trainer(p, task.channels);
        r = trainer.run(images, [&](const train::PretrainProgress& s) {
            if (s.iteration % logEvery != 0 && s.iteration != s.total && s.iteration != 1) return;
            const double eta = s.iteration > 0 ? s.seconds / double(s.iteration) * double(s.total - s.iteration) : NAN;
            std::ostringstream line;
            line << std::fixed << std::setprecision(3) << "iteration " << s.iteration << "/" << s.total << " loss " << s.loss
                 << " (mean of last 10 " << s.meanLoss << ") " << std::setprecision(1) << s.imagesPerSecond
                 << " img/s elapsed " << duration(s.seconds) << " ETA " << duration(eta) << "\n";
            std::cerr << line.str();
        }, &interrupted());
        if (r.cancelled) {
            std::cerr << "cancelled after " << r.losses.size() << " iterations; nothing written\n";
            return 130;
        }
        trainer.saveEncoder(out.string());
    } catch (const train::TrainError& e) {
        throw InputError(e.what());
    }
    std::cout << "wrote " << out.string() << " (" << images.size() << " images, " << p.iterations << " iterations, "
              << duration(r.seconds) << ")\n"
              << "use it with: dacw train ... --preset " << a.get("preset", "quick") << encoderOptions
              << " --set encoder-weights=" << fs::absolute(out).string() << "\n";
    return kOk;
}

}  // namespace

std::vector<Command> pretrainCommands() {
    return {{"pretrain", "self-supervised encoder pretraining on the images of domain folders", kPretrainHelp,
             pretrainCommand}};
}

}  // namespace dacw::cli
