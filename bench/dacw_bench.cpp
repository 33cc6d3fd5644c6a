// dacw-bench: times one DAC co-training iteration and 512x512 inference of the C++ trainer, in
// the variants that add one optimisation at a time. Prints one JSON object per variant; compare
// with bench/reference.py through bench/run_bench.sh.
#include <sys/resource.h>
#include <unistd.h>
#include <time.h>

#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <chrono>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/train/CoTrainer.h"
#include "core/train/Networks.h"
#include "core/train/Predictor.h"
#include "core/train/TensorDataset.h"
#include "core/train/TrainConfig.h"

using namespace dacw::train;
using Clock = std::chrono::steady_clock;

namespace {

struct Variant {
    std::string name;
    bool prefetch, channelsLast, bf16, fusedAdamW, atrousShortcut, modelParallel, shadows;
};

// Each variant adds one optimisation to the one before.
const std::vector<Variant> kVariants = {
    {"fp32-nchw-inline", false, false, false, false, false, false, false},          // a straight port
    {"fp32-nchw-prefetch", true, false, false, false, false, false, false},         // + batches prepared on a background thread
    {"fp32-cl-prefetch", true, true, false, false, false, false, false},            // + channels-last
    {"bf16-cl-prefetch", true, true, true, false, false, false, false},             // + bfloat16 autocast
    {"bf16-cl-prefetch-fused", true, true, true, true, false, false, false},        // + single-pass AdamW
    {"bf16-cl-prefetch-fused-aspp", true, true, true, true, true, false, false},    // + exact 1x1 ASPP shortcut
    {"bf16-cl-prefetch-fused-aspp-mp", true, true, true, true, true, true, false},  // + A and B on two threads
    {"bf16-cl-prefetch-fused-aspp-mp-shadow", true, true, true, true, true, true, true},  // + bf16 weight copies (not a default)
    // Not in the chain: the weight copies with batches prepared inline, without channels-last, and
    // in one stream (for the op profile).
    {"bf16-cl-inline-fused-aspp-mp-shadow", false, true, true, true, true, true, true},
    {"bf16-nchw-prefetch-fused-aspp-mp-shadow", true, false, true, true, true, true, true},
    {"bf16-cl-prefetch-fused-aspp-shadow", true, true, true, true, true, false, true},
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

// Op-by-op figures of the legacy autograd profiler, the same one bench/reference.py reads from
// Python: self CPU time per op name, and convolution FLOPs (forward: the profiler's own count on
// aten::conv2d; backward: twice the forward, gradient of input and weight, from the recorded
// shapes of aten::convolution_backward).
struct OpProfile {
    std::map<std::string, std::pair<double, int64_t>> selfUs;  // name -> (self us, calls)
    double forwardFlops = 0.0, backwardFlops = 0.0;
};

OpProfile summarise(const torch::autograd::profiler::thread_event_lists& lists) {
    OpProfile out;
    struct Open {
        const torch::autograd::profiler::LegacyEvent* e;
        double childUs;
    };
    for (const auto& list : lists) {
        std::vector<Open> stack;
        for (const auto& e : list) {
            const std::string kind = e.kindStr();
            if (kind == "push") {
                // Under autocast aten::conv2d is recorded twice, the cast re-dispatch nested in
                // the outer call: count the outer one only.
                const bool nestedConv = !stack.empty() && std::string(stack.back().e->name()) == "aten::conv2d";
                stack.push_back({&e, 0.0});
                const std::string name = e.name();
                if (name == "aten::conv2d" && !nestedConv) {
                    if (std::getenv("DACW_BENCH_DUMP")) {
                        std::cerr << "conv2d flops " << const_cast<torch::autograd::profiler::LegacyEvent&>(e).flops();
                        for (const auto& v : e.shapes()) std::cerr << " " << c10::IntArrayRef(v);
                        std::cerr << "\n";
                    }
                    out.forwardFlops += static_cast<double>(const_cast<torch::autograd::profiler::LegacyEvent&>(e).flops());
                } else if (name == "aten::convolution_backward") {
                    const auto sh = e.shapes();
                    if (sh.size() >= 3 && sh[0].size() == 4 && sh[2].size() == 4)
                        out.backwardFlops += 4.0 * static_cast<double>(sh[0][0] * sh[0][1] * sh[0][2] * sh[0][3]) *
                                             static_cast<double>(sh[2][1] * sh[2][2] * sh[2][3]);
                }
            } else if (kind == "pop" && !stack.empty()) {
                const Open o = stack.back();
                stack.pop_back();
                const double dur = o.e->cpuElapsedUs(e);
                auto& slot = out.selfUs[o.e->name()];
                slot.first += dur - o.childUs;
                slot.second += 1;
                if (!stack.empty()) stack.back().childUs += dur;
            }
        }
    }
    return out;
}

std::string jsonEscape(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        o += c;
    }
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    int64_t size = 128, iters = 10, warmup = 3, inferSize = 512, inferIters = 3, headChannels = 0, profile = 0, batch = 4;
    std::string rates = "6,12,18";
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
        else if (k == "--head-channels") headChannels = std::stoll(v);
        else if (k == "--aspp-rates") rates = v;
        else if (k == "--profile") profile = std::stoll(v);
        else if (k == "--batch") batch = std::stoll(v);
        else {
            std::cerr << "usage: dacw-bench [--size 128] [--iters 10] [--warmup 3] [--threads 2] [--width 1]\n"
                         "       [--backbone resnet18] [--infer-size 512] [--variant NAME] [--method dac]\n"
                         "       [--device cpu|cuda] [--head-channels 0] [--aspp-rates 6,12,18] [--batch 4]\n"
                         "       [--profile N: op table and FLOPs of N iterations, one stream, inline data]\n";
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
        c.bf16Shadows = v.shadows;
        c.device = device;
        c.headChannels = headChannels;
        applyOption(c, "aspp-rates", rates);
        c.labeledBatch = c.unlabeledBatch = batch;
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
        int64_t parameters = 0;
        {
            NetworkSpec spec;
            spec.backbone = c.backbone;
            spec.width = c.width;
            spec.numClasses = 3;
            spec.headChannels = c.headChannels;
            spec.asppRates = {c.asppRates[0], c.asppRates[1], c.asppRates[2]};
            DeepLabV3Plus net(spec);
            for (const auto& p : net->parameters()) parameters += p.numel();
        }
        std::string profileJson;
        if (profile > 0) {
            // Profiled on the calling thread: one stream, batches prepared inline.
            TrainConfig pc = c;
            pc.modelParallel = false;
            pc.prefetch = 0;
            pc.iterations = 1 + profile;
            CoTrainer ptrainer(pc);
            torch::autograd::profiler::thread_event_lists events;
            ptrainer.run(labeled, unlabeled, {}, [&](const Progress& p) {
                if (p.iteration == 1)
                    torch::autograd::profiler::enableProfilerLegacy(torch::profiler::impl::ProfilerConfig(
                        torch::profiler::impl::ProfilerState::CPU, /*report_input_shapes=*/true, false, false, /*with_flops=*/true));
                if (p.iteration == 1 + profile) events = torch::autograd::profiler::disableProfilerLegacy();
            });
            const OpProfile prof = summarise(events);
            std::vector<std::pair<double, std::string>> order;
            double total = 0.0;
            for (const auto& [name, t] : prof.selfUs) order.emplace_back(t.first, name), total += t.first;
            std::sort(order.rbegin(), order.rend());
            std::ostringstream ps;
            ps << ", \"forward_gflops_per_iteration\": " << prof.forwardFlops / 1e9 / static_cast<double>(profile)
               << ", \"backward_gflops_per_iteration\": " << prof.backwardFlops / 1e9 / static_cast<double>(profile) << ", \"top_ops\": [";
            for (size_t i = 0; i < order.size() && i < 15; ++i)
                ps << (i ? ", " : "") << "{\"op\": \"" << jsonEscape(order[i].second) << "\", \"self_ms\": " << order[i].first / 1000.0
                   << ", \"share\": " << (total > 0 ? order[i].first / total : 0.0) << ", \"calls\": " << prof.selfUs.at(order[i].second).second << "}";
            ps << "]";
            profileJson = ps.str();
        }
        std::ostringstream os;
        os << "{\"variant\": \"" << v.name << "\", \"seconds_per_iteration\": " << measured / static_cast<double>(iters)
           << ", \"data_wait_fraction\": " << (measured > 0 ? std::max(0.0, waitAtEnd - waitAtStart) / measured : 0.0)
           << ", \"cpu_seconds_per_iteration\": " << (cpuAtEnd - cpuAtStart) / static_cast<double>(iters)
           << ", \"inference_seconds\": " << inference << ", \"peak_rss_mb\": " << peakRssMb()
           << ", \"threads\": " << threads << ", \"size\": " << size << ", \"parameters\": " << parameters << profileJson << "}";
        std::cout << os.str() << std::endl;
    }
    return 0;
}
