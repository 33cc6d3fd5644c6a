#include "core/pipeline/LabelNext.h"

#include <algorithm>
#include <map>

#include <ATen/ATen.h>

#include "core/train/CoTrainer.h"
#include "core/train/Errors.h"
#include "core/data/Preprocess.h"
#include "core/pipeline/RunFolder.h"
#include "core/util/Errors.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;

namespace dacw {

std::vector<CaseDisagreement> rankByDisagreement(const fs::path& runDir, const std::vector<Domain>& domains, bool onlyUnlabeled,
                                                 const std::atomic<bool>* cancel) {
    RunRequest req = readRunRequest(runDir);
    train::TrainConfig cfg = req.config;
    if (!train::partsOf(cfg.method).coTraining)
        throw InputError("The run " + runDir.filename().string() + " trained one model (" + train::toString(cfg.method) +
                         "); ranking by disagreement needs a co-training run (dac or cps)");
    const RunFolder folder(runDir);
    const fs::path checkpoint = folder.checkpoint();
    std::error_code ec;
    if (!fs::exists(checkpoint, ec)) throw InputError("The run folder " + runDir.string() + " has no checkpoint.pt");

    PreprocessOptions pre;
    pre.size = int(cfg.size > 0 ? cfg.size : 128);
    pre.channels = req.task.channels;

    // The trainer needs a labeled set to build its models; the run's own cases restore it.
    const std::vector<std::string> labeledIds = readRunConfig(folder).labeledCases;
    const train::TensorDataset labeled = loadDomainTensors(scanDomain(req.labeledDir), req.task, pre, true, labeledIds);

    std::vector<train::TensorDataset> parts;
    for (const Domain& d : domains) {
        std::vector<std::string> ids;
        for (const auto& c : d.cases)
            if (!onlyUnlabeled || !c.hasMask()) ids.push_back(c.id);
        if (ids.empty()) continue;
        train::TensorDataset t = loadDomainTensors(d, req.task, pre, false, ids);
        if (!t.empty()) parts.push_back(std::move(t));
    }
    if (parts.empty()) return {};
    const train::TensorDataset pool = train::TensorDataset::concat(parts);

    // Resume from the checkpoint with cancellation already requested: the models load, no step runs.
    cfg.resume = true;
    cfg.checkpointPath = checkpoint.string();
    cfg.checkpointInterval = 0;
    cfg.prefetch = 0;
    train::CoTrainer trainer(cfg);
    std::atomic<bool> stop{true};
    try {
        trainer.run(labeled, pool, {}, {}, &stop);
    } catch (const train::TrainError& e) {
        throw InputError("Cannot load " + checkpoint.string() + ": " + e.what());
    }

    std::map<std::pair<std::string, std::string>, std::pair<double, double>> sums;
    std::map<std::pair<std::string, std::string>, int> counts;
    std::vector<std::pair<std::string, std::string>> order;
    const int64_t n = pool.size(), chunk = 8;
    for (int64_t i = 0; i < n; i += chunk) {
        if (cancel && cancel->load()) return {};
        const int64_t j = std::min(n, i + chunk);
        train::Disagreement dis = trainer.disagreement(pool.images.slice(0, i, j));
        for (int64_t k = i; k < j; ++k) {
            auto key = std::make_pair(pool.domains[std::size_t(k)], pool.caseIds[std::size_t(k)]);
            if (!counts.count(key)) order.push_back(key);
            sums[key].first += dis.meanAbsDiff[std::size_t(k - i)];
            sums[key].second += dis.labelFlip[std::size_t(k - i)];
            ++counts[key];
        }
    }
    std::vector<CaseDisagreement> out;
    for (const auto& key : order) {
        const double c = counts[key];
        out.push_back({key.first, key.second, sums[key].first / c, sums[key].second / c});
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
    return out;
}

}  // namespace dacw
