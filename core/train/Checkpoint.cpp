#include "core/train/Checkpoint.h"

#include <torch/torch.h>

#include <exception>
#include <sstream>

#include "core/train/Errors.h"
#include "core/train/Serialization.h"

namespace dacw::train::detail {

namespace {

constexpr const char* kCheckpointKind = "dacw-checkpoint";
constexpr int64_t kCheckpointVersion = 1;

}  // namespace

std::string runIdentity(const TrainConfig& cfg, const NetworkSpec& spec, int64_t size) {
    std::ostringstream os;
    os << "method=" << toString(cfg.method) << " backbone=" << toString(spec.backbone) << " width=" << spec.width
       << " in=" << spec.inChannels << " classes=" << spec.numClasses << " size=" << size
       << " optimizer=" << toString(cfg.optimizer) << (cfg.fusedAdamW ? "" : "-torch") << " seed=" << cfg.seed << " batch=" << cfg.labeledBatch << "+"
       << cfg.unlabeledBatch;
    // Only a non-default head is named, so that checkpoints written before the option resume.
    const bool defaultHead = spec.resolvedHeadChannels() == scaledChannels(256, spec.width) && spec.asppRates[0] == 6 &&
                             spec.asppRates[1] == 12 && spec.asppRates[2] == 18;
    if (!defaultHead)
        os << " head=" << spec.resolvedHeadChannels() << " rates=" << spec.asppRates[0] << "," << spec.asppRates[1] << ","
           << spec.asppRates[2];
    // The class-prior buffers are part of the checkpoint only when priors are estimated.
    if (cfg.cpsPrior != CpsPrior::None) os << " cps-prior=" << toString(cfg.cpsPrior);
    if (cfg.predictPrior != PredictPrior::Labeled) os << " predict-prior=" << toString(cfg.predictPrior);
    if (cfg.averageFrom < 1.0) os << " average-from=" << cfg.averageFrom;
    // (A checkpoint written before the option existed matches a run with predict-prior labeled.)
    return os.str();
}

void writeCheckpoint(const std::string& path, const TrainConfig& cfg, const std::string& identity,
                     const CheckpointCounters& counters, const std::vector<SubModel>& models,
                     const std::vector<std::unique_ptr<ParamOptimizer>>& optimizers, const WeightAverages& averages) {
    torch::serialize::OutputArchive ar;
    writeString(ar, "dacw_kind", kCheckpointKind);
    ar.write("version", at::tensor(kCheckpointVersion));
    writeString(ar, "identity", identity);
    std::string config;
    for (const auto& [k, v] : toKeyValues(cfg)) config += k + "=" + v + "\n";
    writeString(ar, "config", config);
    ar.write("iteration", at::tensor(counters.iteration));
    ar.write("nan_streak", at::tensor(static_cast<int64_t>(counters.nanStreak)));
    ar.write("skipped", at::tensor(counters.skipped));
    writeString(ar, "chosen", counters.chosen);
    for (size_t m = 0; m < models.size(); ++m) {
        torch::serialize::OutputArchive model, optim;
        models[m]->save(model);
        optimizers[m]->save(optim);
        ar.write("model_" + letter(m), model);
        ar.write("optim_" + letter(m), optim);
    }
    if (averages.count > 0) {
        ar.write("average_count", at::tensor(averages.count));
        for (size_t m = 0; m < averages.tensors.size(); ++m)
            for (size_t k = 0; k < averages.tensors[m].size(); ++k)
                ar.write("average_" + letter(m) + "_" + std::to_string(k), averages.tensors[m][k].detach().cpu().contiguous());
    }
    saveArchiveAtomically(ar, path);
}

CheckpointCounters readCheckpoint(const std::string& path, const std::string& identity, std::vector<SubModel>& models,
                                  std::vector<std::unique_ptr<ParamOptimizer>>& optimizers, WeightAverages* averages) {
    torch::serialize::InputArchive ar;
    loadArchive(ar, path, "checkpoint");
    std::string kind;
    try {
        kind = readString(ar, "dacw_kind");
    } catch (const std::exception&) {
    }
    if (kind != kCheckpointKind) throw FileFormatError("'" + path + "' is not a DAC Workbench checkpoint");
    CheckpointCounters counters;
    try {
        at::Tensor version, it, streak, skip;
        ar.read("version", version);
        if (version.item<int64_t>() > kCheckpointVersion)
            throw FileFormatError("checkpoint '" + path + "' was written by a newer version");
        const std::string id = readString(ar, "identity");
        if (id != identity) {
            // Runs checkpointed before predict-prior existed (or with it set to labeled) carry no
            // prior estimates; the default changed to unlabeled, so say how to continue them.
            const std::string suffix = " predict-prior=" + toString(PredictPrior::Unlabeled);
            const bool onlyPrior = identity.size() > suffix.size() &&
                                   identity.compare(identity.size() - suffix.size(), suffix.size(), suffix) == 0 &&
                                   identity.substr(0, identity.size() - suffix.size()) == id;
            throw FileFormatError("checkpoint '" + path + "' belongs to another run (" + id + "), this run is (" + identity +
                                  ")" +
                                  (onlyPrior ? "; the checkpoint has no class-prior estimates: resume it with "
                                               "predict-prior labeled (--set predict-prior=labeled)"
                                             : ""));
        }
        ar.read("iteration", it);
        ar.read("nan_streak", streak);
        ar.read("skipped", skip);
        const std::string ch = readString(ar, "chosen");
        for (size_t m = 0; m < models.size(); ++m) {
            torch::serialize::InputArchive model, optim;
            ar.read("model_" + letter(m), model);
            ar.read("optim_" + letter(m), optim);
            models[m]->load(model);
            optimizers[m]->load(optim);
        }
        counters.iteration = it.item<int64_t>();
        counters.nanStreak = static_cast<int>(streak.item<int64_t>());
        counters.skipped = skip.item<int64_t>();
        counters.chosen = ch;
        if (averages) {
            at::Tensor count;
            averages->count = ar.try_read("average_count", count) ? count.item<int64_t>() : 0;
            for (size_t m = 0; averages->count > 0 && m < averages->tensors.size(); ++m)
                for (size_t k = 0; k < averages->tensors[m].size(); ++k) {
                    at::Tensor t;
                    ar.read("average_" + letter(m) + "_" + std::to_string(k), t);
                    at::Tensor& dst = averages->tensors[m][k];
                    if (!t.sizes().equals(dst.sizes()))
                        throw FileFormatError("checkpoint '" + path + "': a weight average has the wrong shape");
                    dst.copy_(t);
                }
        }
    } catch (const FileFormatError&) {
        throw;
    } catch (const std::exception& e) {
        throw FileFormatError("checkpoint '" + path + "' is incomplete or corrupt: " + firstLine(e.what()));
    }
    return counters;
}

}  // namespace dacw::train::detail
