// dacw-bench: times one DAC co-training iteration and 512x512 inference of the C++ trainer, in
// the variants that add one optimisation at a time. Prints one JSON object per variant; compare
// with bench/reference.py through bench/run_bench.sh.
#include <sys/resource.h>
#include <unistd.h>
#include <time.h>

#include <torch/torch.h>

#include <chrono>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/train/CoTrainer.h"
#include "core/train/Predictor.h"
#include "core/train/TensorDataset.h"
#include "core/train/TrainConfig.h"

using namespace dacw::train;
using Clock = std::chrono::steady_clock;

namespace {

struct Variant {
    std::string name;
    bool prefetch, channelsLast, bf16, fusedAdamW, atrousShortcut, modelParallel;
};

// Each variant adds one optimisation to the one before.
const std::vector<Variant> kVariants = {
    {"fp32-nchw-inline", false, false, false, false, false, false},         // a straight port
    {"fp32-nchw-prefetch", true, false, false, false, false, false},        // + batches prepared on a background thread
    {"fp32-cl-prefetch", true, true, false, false, false, false},           // + channels-last
    {"bf16-cl-prefetch", true, true, true, false, false, false},            // + bfloat16 autocast
    {"bf16-cl-prefetch-fused", true, true, true, true, false, false},       // + single-pass AdamW
    {"bf16-cl-prefetch-fused-aspp", true, true, true, true, true, false},   // + exact 1x1 ASPP shortcut
    {"bf16-cl-prefetch-fused-aspp-mp", true, true, true, true, true, true}, // + A and B on two threads (the defaults)
};

double processCpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double peakRssMb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
    int64_t size = 128, iters = 10, warmup = 3, inferSize = 512, inferIters = 3;
    int threads = 2;
    double width = 1.0;
    std::string backbone = "resnet18", only, method = "dac", device = "cpu";
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--size") size = std::stoll(v);
        else if (k == "--iters") iters = std::stoll(v);
        else if (k == "--warmup") warmup = std::stoll(v);
        else if (k == "--threads") threads = std::stoi(v);
        else if (k == "--width") width = std::stod(v);
        else if (k == "--backbone") backbone = v;
        else if (k == "--infer-size") inferSize = std::stoll(v);
        else if (k == "--infer-iters") inferIters = std::stoll(v);
        else if (k == "--variant") only = v;
        else if (k == "--method") method = v;
        else if (k == "--device") device = v;
        else {
            std::cerr << "usage: dacw-bench [--size 128] [--iters 10] [--warmup 3] [--threads 2] [--width 1]\n"
                         "       [--backbone resnet18] [--infer-size 512] [--variant NAME] [--method dac]\n"
                         "       [--device cpu|cuda]\n";
            return 2;
        }
    }
    torch::set_num_threads(threads);
    // Random data of the reference's shape: 16 labeled, 32 unlabeled, 3 channels, 3 classes.
    torch::manual_seed(0);
    TensorDataset labeled, unlabeled;
    labeled.images = torch::randn({16, 3, size, size});
    labeled.masks = torch::randint(0, 3, {16, size, size}, torch::kLong);
    unlabeled.images = torch::randn({32, 3, size, size});
    for (int i = 0; i < 16; ++i) labeled.caseIds.push_back("l" + std::to_string(i)), labeled.domains.push_back("a");
    for (int i = 0; i < 32; ++i) unlabeled.caseIds.push_back("u" + std::to_string(i)), unlabeled.domains.push_back("b");

    for (const Variant& v : kVariants) {
        if (!only.empty() && only != v.name) continue;
        TrainConfig c;
        c.method = parseMethod(method);
        c.iterations = warmup + iters;
        c.backbone = parseBackbone(backbone);
        c.width = width;
        c.threads = threads;
        c.numClasses = 3;
        c.prefetch = v.prefetch ? 2 : 0;
        c.channelsLast = v.channelsLast;
        c.bf16 = v.bf16;
        c.fusedAdamW = v.fusedAdamW;
        c.atrousShortcut = v.atrousShortcut;
        c.modelParallel = v.modelParallel;
        c.device = device;
        Clock::time_point start;
        double waitAtStart = 0.0, waitAtEnd = 0.0;
        double wallAtStart = 0.0, cpuAtStart = 0.0, cpuAtEnd = 0.0;
        const auto runStart = Clock::now();
        CoTrainer trainer(c);
        trainer.run(labeled, unlabeled, {}, [&](const Progress& p) {
            const double wall = std::chrono::duration<double>(Clock::now() - runStart).count();
            if (p.iteration == warmup) {
                start = Clock::now();
                waitAtStart = p.dataWaitFraction * wall;
                wallAtStart = wall;
                cpuAtStart = processCpuSeconds();
            }
            if (p.iteration == warmup + iters) {
                waitAtEnd = p.dataWaitFraction * wall;
                cpuAtEnd = processCpuSeconds();
            }
        });
        const double measured = std::chrono::duration<double>(Clock::now() - start).count();
        (void)wallAtStart;
        double inference = 0.0;
        if (inferSize > 0) {
            const std::string path = "/tmp/dacw_bench_model_" + std::to_string(::getpid()) + ".pt";
            trainer.exportModel(path, "A");
            Predictor p(path, device, threads);
            p.setBf16(v.bf16);
            p.setChannelsLast(v.channelsLast);
            at::Tensor x = torch::randn({1, 3, inferSize, inferSize});
            p.predict(x);
            const auto t0 = Clock::now();
            for (int64_t i = 0; i < inferIters; ++i) p.predict(x);
            inference = std::chrono::duration<double>(Clock::now() - t0).count() / static_cast<double>(inferIters);
            std::remove(path.c_str());
        }
        std::ostringstream os;
        os << "{\"variant\": \"" << v.name << "\", \"seconds_per_iteration\": " << measured / static_cast<double>(iters)
           << ", \"data_wait_fraction\": " << (measured > 0 ? std::max(0.0, waitAtEnd - waitAtStart) / measured : 0.0)
           << ", \"cpu_seconds_per_iteration\": " << (cpuAtEnd - cpuAtStart) / static_cast<double>(iters)
           << ", \"inference_seconds\": " << inference << ", \"peak_rss_mb\": " << peakRssMb()
           << ", \"threads\": " << threads << ", \"size\": " << size << "}";
        std::cout << os.str() << std::endl;
    }
    return 0;
}
