#include "core/train/KernelChoice.h"

#include <torch/torch.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/train/CoTrainer.h"
#include "core/train/Networks.h"
#include "core/train/TensorDataset.h"
#include "core/train/CpuInfo.h"

namespace dacw::train {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kWarmup = 2;  // the first iterations pay for allocation and oneDNN's kernel set-up
constexpr int kTimed = 3;

std::string onOff(bool b) { return b ? "on" : "off"; }

// CPU time of the whole machine (from /proc/stat) and of this process, to tell how much of the
// machine other processes used while the candidates were timed.
struct CpuSample {
    bool ok = false;
    double machineBusySeconds = 0.0;  // user + nice + system + irq + softirq + steal, all cores
    double ownSeconds = 0.0;
    Clock::time_point wall;
};

CpuSample sampleCpu() {
    CpuSample s;
    s.wall = Clock::now();
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    s.ownSeconds = static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
    std::ifstream in("/proc/stat");
    std::string cpu;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    if (in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal && cpu == "cpu") {
        const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
        s.machineBusySeconds = (user + nice + system + irq + softirq + steal) / (hz > 0 ? hz : 100.0);
        s.ok = true;
    }
    return s;
}

// Average number of cores other processes kept busy between a and b (-1 when unknown).
double otherProcessesCores(const CpuSample& a, const CpuSample& b) {
    const double wall = std::chrono::duration<double>(b.wall - a.wall).count();
    if (!a.ok || !b.ok || wall <= 0.0) return -1.0;
    return std::max(0.0, (b.machineBusySeconds - a.machineBusySeconds - (b.ownSeconds - a.ownSeconds)) / wall);
}

std::string today() {
    std::time_t t = std::time(nullptr);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&t));
    return buf;
}

int resolvedThreads(const TrainConfig& c) {
    return c.threads > 0 ? c.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::string cacheKey(const TrainConfig& c, int64_t inChannels) {
    NetworkSpec spec;
    spec.width = c.width;
    spec.headChannels = c.headChannels;
    std::ostringstream os;
    os << "cpu=" << thisCpu().text() << "|torch=" << TORCH_VERSION << "|threads=" << resolvedThreads(c)
       << "|method=" << toString(c.method) << "|net=" << toString(c.backbone) << "x" << c.width << "-head"
       << spec.resolvedHeadChannels() << "-rates";
    for (auto r : c.asppRates) os << r << ".";
    os << "|size=" << c.size << "|in=" << inChannels << "|classes=" << c.numClasses << "|batch=" << c.labeledBatch << "+"
       << c.unlabeledBatch << "|pinned=";
    if (!c.autoKernels.bf16) os << "bf16:" << c.bf16 << ",";
    if (!c.autoKernels.channelsLast) os << "cl:" << c.channelsLast << ",";
    if (!c.autoKernels.modelParallel) os << "mp:" << c.modelParallel << ",";
    std::string k = os.str();
    std::replace(k.begin(), k.end(), '\t', ' ');
    return k;
}

// Cache lines: key \t bf16 cl mp (0/1) \t seconds per iteration \t date.
bool readCache(const std::string& file, const std::string& key, KernelChoice& out) {
    std::ifstream in(file);
    bool found = false;
    for (std::string line; std::getline(in, line);) {
        std::istringstream row(line);
        std::string k, flags, secs, date;
        if (!std::getline(row, k, '\t') || !std::getline(row, flags, '\t') || !std::getline(row, secs, '\t') ||
            !std::getline(row, date, '\t') || k != key || flags.size() != 5)
            continue;
        out.bf16 = flags[0] == '1';
        out.channelsLast = flags[2] == '1';
        out.modelParallel = flags[4] == '1';
        out.secondsPerIteration = std::atof(secs.c_str());
        out.measuredOn = date;
        found = true;  // the last entry for a key wins
    }
    return found;
}

bool writeCache(const std::string& file, const KernelChoice& k, std::string& error) {
    std::error_code ec;
    fs::create_directories(fs::path(file).parent_path(), ec);
    std::string kept;
    {
        std::ifstream in(file);
        for (std::string line; std::getline(in, line);)
            if (line.rfind(k.key + "\t", 0) != 0 && !line.empty()) kept += line + "\n";
    }
    std::ostringstream row;
    row << k.key << "\t" << k.bf16 << " " << k.channelsLast << " " << k.modelParallel << "\t" << k.secondsPerIteration << "\t"
        << k.measuredOn << "\n";
    const std::string tmp = file + ".tmp" + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << kept << row.str();
        out.flush();
        if (!out) {
            std::remove(tmp.c_str());
            error = "cannot write " + tmp;
            return false;
        }
    }
    if (std::rename(tmp.c_str(), file.c_str()) != 0) {
        std::remove(tmp.c_str());
        error = "cannot replace " + file;
        return false;
    }
    return true;
}

// Seconds per iteration (median of the timed ones) of `c` with the candidate's switches, on
// random data of the run's shape: no checkpoints, no validation.
double timeCandidate(TrainConfig c, int64_t inChannels, const KernelCandidate& k, const std::atomic<bool>* cancel) {
    c.bf16 = k.bf16;
    c.channelsLast = k.channelsLast;
    c.modelParallel = k.modelParallel;
    c.iterations = kWarmup + kTimed;
    c.checkpointPath.clear();
    c.checkpointInterval = 0;
    c.resume = false;
    c.validationInterval = 0;
    c.initModel.clear();
    c.encoderWeights.clear();
    c.testHooks = {};
    at::Generator gen = at::detail::createCPUGenerator(1234);
    const int64_t s = c.size, classes = std::max<int64_t>(2, c.numClasses);
    TensorDataset labeled, unlabeled;
    const int64_t nl = 2 * c.labeledBatch, nu = 2 * std::max<int64_t>(2, c.unlabeledBatch);
    labeled.images = at::randn({nl, inChannels, s, s}, gen);
    labeled.masks = at::randint(0, classes, {nl, s, s}, gen, at::kLong);
    unlabeled.images = at::randn({nu, inChannels, s, s}, gen);
    for (int64_t i = 0; i < nl; ++i) labeled.caseIds.push_back("l" + std::to_string(i)), labeled.domains.push_back("a");
    for (int64_t i = 0; i < nu; ++i) unlabeled.caseIds.push_back("u" + std::to_string(i)), unlabeled.domains.push_back("b");
    if (!partsOf(c.method).coTraining) unlabeled = TensorDataset();
    std::vector<double> times;
    auto last = Clock::now();
    CoTrainer trainer(c);
    trainer.run(
        labeled, unlabeled, {},
        [&](const Progress& p) {
            const auto now = Clock::now();
            if (p.iteration > kWarmup) times.push_back(std::chrono::duration<double>(now - last).count());
            last = now;
        },
        cancel);
    if (times.empty()) return 0.0;
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

}  // namespace

std::string kernelLabel(bool bf16, bool channelsLast, bool modelParallel) {
    return std::string(bf16 ? "bf16" : "fp32") + (channelsLast ? "+cl" : "+nchw") + (modelParallel ? "+mp" : "+1stream");
}

std::string kernelCacheDir() {
    if (const char* d = std::getenv("DACW_CACHE_DIR"); d && *d) return d;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return (fs::path(x) / "dacw").string();
    if (const char* h = std::getenv("HOME"); h && *h) return (fs::path(h) / ".cache" / "dacw").string();
    return "";
}

std::string KernelChoice::summary() const {
    std::ostringstream os;
    os << "kernels: bf16 " << onOff(bf16) << ", channels-last " << onOff(channelsLast) << ", model-parallel "
       << onOff(modelParallel);
    os.setf(std::ios::fixed);
    os.precision(3);
    if (fromCache) {
        os << " (measured on this machine on " << measuredOn << ", " << secondsPerIteration << " s/iteration; cached in "
           << cacheFile << ", delete the file to measure again)";
    } else if (!measured.empty()) {
        os << " (fastest on " << thisCpu().text() << " of";
        for (const auto& m : measured)
            os << " " << kernelLabel(m.bf16, m.channelsLast, m.modelParallel) << " " << m.secondsPerIteration << "s";
        os << " per iteration";
        if (!cacheFile.empty()) os << "; cached in " << cacheFile;
        os << ")";
    } else {
        os << " (as configured)";
    }
    return os.str();
}

KernelChoice chooseKernels(const TrainConfig& c, int64_t inChannels, const std::function<void(const std::string&)>& log,
                           const std::atomic<bool>* cancel) {
    KernelChoice k;
    k.bf16 = c.bf16;
    k.channelsLast = c.channelsLast;
    k.modelParallel = c.modelParallel;
    const bool cuda = c.device != "cpu";
    const bool bf16Open = c.autoKernels.bf16 && cpuSupportsBf16();
    if (c.autoKernels.bf16 && !cpuSupportsBf16()) k.bf16 = false;  // the trainer would fall back anyway
    const bool mpOpen = c.autoKernels.modelParallel && partsOf(c.method).coTraining && resolvedThreads(c) >= 2;
    const bool clOpen = c.autoKernels.channelsLast;
    if (cuda || !(bf16Open || mpOpen || clOpen)) return k;

    k.key = cacheKey(c, inChannels);
    const std::string dir = kernelCacheDir();
    if (!dir.empty()) k.cacheFile = (fs::path(dir) / "kernels.tsv").string();
    if (!k.cacheFile.empty() && readCache(k.cacheFile, k.key, k)) {
        k.fromCache = true;
        return k;
    }
    // Other processes busy on the cores make the figures noise (two threads that meet at barriers
    // slow down a lot when a third process takes a slice, however nice it is): such a choice is
    // used for this run but not cached.
    const CpuSample before = sampleCpu();
    if (log) log("measuring the compute kernels for this machine and run size (a few iterations each; done once)");
    KernelCandidate best{k.bf16, k.channelsLast, k.modelParallel, 0.0};
    auto cancelled = [&] { return cancel && cancel->load(); };
    best.secondsPerIteration = timeCandidate(c, inChannels, best, cancel);
    k.measured.push_back(best);
    auto tryToggle = [&](bool open, bool KernelCandidate::*field, double margin) {
        if (!open || cancelled()) return;
        KernelCandidate other = best;
        other.*field = !(other.*field);
        other.secondsPerIteration = timeCandidate(c, inChannels, other, cancel);
        if (cancelled()) return;
        k.measured.push_back(other);
        // float32 is kept unless bf16 is clearly faster; for the others the faster one wins.
        const bool toBf16 = field == &KernelCandidate::bf16 && other.bf16;
        const bool fromBf16 = field == &KernelCandidate::bf16 && !other.bf16;
        double needed = 1.0 - margin;
        if (toBf16) needed = 0.95;
        if (fromBf16) needed = 1.0 / 0.95;
        if (other.secondsPerIteration < best.secondsPerIteration * needed) best = other;
    };
    tryToggle(bf16Open, &KernelCandidate::bf16, 0.03);
    tryToggle(clOpen, &KernelCandidate::channelsLast, 0.03);
    tryToggle(mpOpen, &KernelCandidate::modelParallel, 0.03);
    k.bf16 = best.bf16;
    k.channelsLast = best.channelsLast;
    k.modelParallel = best.modelParallel;
    k.secondsPerIteration = best.secondsPerIteration;
    k.measuredOn = today();
    if (cancelled()) {
        k.cacheFile.clear();  // an interrupted search is not a choice to keep
        return k;
    }
    double maxOthers = 0.25;  // cores other processes may use on average while we measure
    if (const char* m = std::getenv("DACW_KERNEL_MAX_LOAD"); m && *m) maxOthers = std::atof(m);
    const double others = otherProcessesCores(before, sampleCpu());
    k.otherCores = others;
    if (others > maxOthers && !k.cacheFile.empty()) {
        std::ostringstream os;
        os.precision(2);
        os << "kernel choice not cached: other processes kept " << others
           << " cores busy while it was measured, so the figures are unreliable; it will be measured again next time";
        if (log) log(os.str());
        k.cacheFile.clear();
    }
    if (!k.cacheFile.empty()) {
        std::string error;
        if (!writeCache(k.cacheFile, k, error)) {
            if (log) log("kernel choice not cached (" + error + "); it will be measured again next time");
            k.cacheFile.clear();
        }
    }
    return k;
}

void applyKernelChoice(TrainConfig& c, const KernelChoice& k) {
    c.bf16 = k.bf16;
    c.channelsLast = k.channelsLast;
    c.modelParallel = k.modelParallel;
    c.autoKernels = {false, false, false};
}

}  // namespace dacw::train
