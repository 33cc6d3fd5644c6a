#include "TrainDistributed.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "Commands.h"
#include "core/train/Distributed.h"
#include "core/train/Errors.h"
#include "core/util/Errors.h"

namespace dacw::cli {

std::shared_ptr<train::Distributed> joinRanks(const Args& a, train::TrainConfig& cfg) {
    if (!a.flag("distributed")) {
        if (a.has("dist-timeout")) throw UsageError("--dist-timeout needs --distributed");
        return nullptr;
    }
    const double timeout = a.getDouble("dist-timeout", 300.0);
    if (!(timeout >= 1.0 && timeout <= 86400.0)) throw UsageError("--dist-timeout takes seconds between 1 and 86400");
    train::DistEnv env;
    try {
        env = train::readDistEnv(train::DistMode::On);
    } catch (const train::ConfigError& e) {
        throw InputError(e.what());
    }
    if (!env.distributed()) return nullptr;
    std::cerr << "rank " + std::to_string(env.rank) + ": joining " + env.describe() + "\n";
    std::shared_ptr<train::Distributed> dist;
    try {
        dist = std::make_shared<train::Distributed>(env, std::chrono::milliseconds(static_cast<long long>(timeout * 1000)));
    } catch (const train::TrainError& e) {
        throw InputError(e.what());
    }
    if (cfg.threads == 0 && env.localWorldSize > 1)
        cfg.threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / env.localWorldSize);
    if (cfg.device == "cuda") cfg.device = "cuda:" + std::to_string(env.localRank);
    return dist;
}

int trainOtherRank(const RunRequest& r, const std::atomic<bool>* cancel) {
    const std::string tag = "rank " + std::to_string(r.distributed->rank()) + ": ";
    RunObserver quiet;
    quiet.message = [&](const std::string& m) {
        if (m.rfind("distributed", 0) == 0) std::cerr << tag + m + "\n";
    };
    try {
        const RunOutcome o = executeRun(r, quiet, cancel);
        std::cerr << tag + (o.cancelled ? "cancelled" : "finished") + " at iteration " + std::to_string(o.iterations) + "\n";
        return o.cancelled ? 130 : kOk;
    } catch (const std::exception& e) {
        distributedExit(r.distributed->rank(), e.what());
    }
}

void distributedExit(int rank, const std::string& what) {
    std::cerr << "dacw: error: rank " + std::to_string(rank) + ": " + what + "\n";
    std::cout << std::flush;
    std::_Exit(kBadInput);
}

}  // namespace dacw::cli
