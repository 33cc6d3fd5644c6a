#include "core/train/CoTrainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "core/train/Autocast.h"
#include "core/train/Batches.h"
#include "core/train/Checkpoint.h"
#include "core/train/CoTrainStep.h"
#include "core/train/Distributed.h"
#include "core/train/Errors.h"
#include "core/train/Losses.h"
#include "core/train/ModelFile.h"
#include "core/train/ModelWorker.h"
#include "core/train/Networks.h"
#include "core/train/Optimizers.h"
#include "core/train/Predictor.h"
#include "core/train/WorldSize.h"

namespace dacw::train {
// The trainer's internals that live in files of their own: batches (Batches.h), sub-models and
// the thread that steps B beside A (ModelWorker.h), one training iteration (CoTrainStep.h) and
// the checkpoint file (Checkpoint.h).
using namespace detail;

// The models, their optimisers and the step come from CoTrainStep; this adds the run around them.
struct CoTrainer::Private : CoTrainStep {
    NetworkSpec spec;
    int64_t size = 0;
    int64_t iteration = 0;  // completed iterations
    int nanStreak = 0;
    int64_t skipped = 0;
    std::string chosen = "A";
    std::map<std::string, DomainDice> lastValidation;
    std::vector<std::string> pendingMessages;
    WeightAverages averages;  // weight averaging (cfg.averageFrom < 1)

    // The iteration after which steps are averaged; -1 when averaging is off.
    int64_t averageAfter() const {
        return cfg.averageFrom >= 1.0 ? -1 : int64_t(std::floor(cfg.averageFrom * double(cfg.iterations)));
    }
    // Sub-model m's network weights and floating-point buffers (the BatchNorm statistics).
    std::vector<at::Tensor> averagedState(size_t m) const {
        std::vector<at::Tensor> out;
        for (const auto& p : models[m]->net->parameters()) out.push_back(p);
        for (const auto& b : models[m]->net->buffers())
            if (b.is_floating_point()) out.push_back(b);
        return out;
    }
    // Adds the current weights to the running means (the first call copies them).
    void accumulateAverages() {
        torch::NoGradGuard noGrad;
        if (averages.count == 0) {
            averages.tensors.clear();
            for (size_t m = 0; m < models.size(); ++m) {
                std::vector<at::Tensor> copy;
                for (const auto& t : averagedState(m)) copy.push_back(t.detach().clone());
                averages.tensors.push_back(std::move(copy));
            }
            averages.count = 1;
            return;
        }
        ++averages.count;
        const double w = 1.0 / double(averages.count);
        for (size_t m = 0; m < models.size(); ++m) {
            const auto state = averagedState(m);
            for (size_t k = 0; k < state.size(); ++k) averages.tensors[m][k].lerp_(state[k].detach(), w);
        }
    }
    // Replaces every sub-model's network weights with the running means.
    void applyAverages() {
        torch::NoGradGuard noGrad;
        for (size_t m = 0; m < models.size(); ++m) {
            const auto state = averagedState(m);
            for (size_t k = 0; k < state.size(); ++k) state[k].detach().copy_(averages.tensors[m][k]);
        }
    }

    explicit Private(TrainConfig c) : CoTrainStep(std::move(c)) {
        validateConfig(cfg);
        parts = partsOf(cfg.method);
        if (cfg.device != "cpu") {
            if (!torch::cuda::is_available())
                throw ConfigError("device '" + cfg.device + "' requested but this LibTorch has no usable CUDA device");
            device = torch::Device(cfg.device);
        }
        bf16 = cfg.bf16 && (device.is_cuda() || cpuSupportsBf16());
        if (cfg.bf16 && !bf16)
            pendingMessages.push_back("bfloat16 autocast needs AVX-512 BF16 on the CPU; training in float32");
    }

    void build(const NetworkSpec& s) {
        spec = s;
        shadows.clear();  // they point into the old models' layers
        models.clear();
        optimizers.clear();
        const size_t count = parts.coTraining ? 2 : 1;
        for (size_t m = 0; m < count; ++m) {
            const bool cutmix = m == 0 ? parts.cutmixHeadA : parts.cutmixHeadB;
            const bool rotation = m == 1 && parts.rotationHeadB;
            SubModel sm(spec, parts.featureSupervision, cutmix, rotation, parts.coTraining && cfg.estimatesPriors());
            // Different, seeded initialisations: the two views must start apart.
            initializeWeights(*sm, mixSeed(cfg.seed, m == 0 ? kInitA : kInitB, 0));
            if (!cfg.encoderWeights.empty()) {
                ResNetEncoder enc = sm->net->encoder();
                loadEncoderWeights(enc, cfg.encoderWeights);
            }
            if (!cfg.initModel.empty()) {
                DeepLabV3Plus net = sm->net;
                loadModelWeights(net, cfg.initModel);
            }
            if (cfg.channelsLast) toChannelsLast(*sm);
            sm->to(device);
            models.push_back(sm);
            optimizers.push_back(makeOptimizer(cfg, sm->parameters(), encoderLrScales(*sm)));
        }
        bufferSnapshots.clear();
        iteration = 0;
        nanStreak = 0;
        skipped = 0;
        chosen = "A";
        lastValidation.clear();
        averages = {};
    }

    // cfg.encoderLrScale for the encoder's parameters, 1 for the rest (empty when all are 1). A
    // frozen encoder (0) also stops asking autograd for its weights' gradients.
    std::vector<double> encoderLrScales(SubModelImpl& sm) const {
        if (cfg.encoderLrScale == 1.0) return {};
        std::unordered_set<const void*> encoder;
        for (auto& p : sm.net->encoder()->parameters()) {
            encoder.insert(p.unsafeGetTensorImpl());
            if (cfg.encoderLrScale == 0.0) p.requires_grad_(false);
        }
        std::vector<double> scales;
        for (const auto& p : sm.parameters()) scales.push_back(encoder.count(p.unsafeGetTensorImpl()) ? cfg.encoderLrScale : 1.0);
        return scales;
    }

    // The regions validation scores: the configured ones (the task's evaluation regions), or each
    // foreground class.
    std::vector<std::vector<int64_t>> validationRegions() const {
        if (!cfg.validationRegions.empty()) return cfg.validationRegions;
        std::vector<std::vector<int64_t>> r;
        for (int64_t c = 1; c < spec.numClasses; ++c) r.push_back({c});
        return r;
    }

    DomainDice validate(size_t m, const std::map<std::string, TensorDataset>& sets) {
        DomainDice result;
        SubModel& model = models.at(m);
        model->eval();
        {
            c10::InferenceMode inference;
            for (const auto& [domain, ds] : sets) {
                if (ds.empty()) continue;
                if (!ds.hasMasks()) throw ConfigError("validation set '" + domain + "' has no masks");
                std::vector<at::Tensor> dice;
                for (int64_t i = 0; i < ds.size(); i += cfg.validationBatch) {
                    const int64_t e = std::min(ds.size(), i + cfg.validationBatch);
                    at::Tensor logits;
                    {
                        AutocastGuard ac(bf16, device.type());
                        logits = model->net->forward(prepareInput(ds.images.slice(0, i, e))).logits;
                    }
                    dice.push_back(hardDicePerRegion(logits.argmax(1).cpu(), ds.masks.slice(0, i, e), validationRegions()));
                }
                at::Tensor mean = torch::cat(dice, 0).mean(0);
                result[domain] = std::vector<double>(mean.data_ptr<double>(), mean.data_ptr<double>() + mean.numel());
            }
        }
        model->train();
        return result;
    }

    static double meanDice(const DomainDice& d) {
        double sum = 0.0;
        int n = 0;
        for (const auto& [k, v] : d)
            for (double x : v) {
                sum += x;
                ++n;
            }
        return n ? sum / n : 0.0;
    }

    void runValidation(const std::map<std::string, TensorDataset>& sets) {
        lastValidation.clear();
        for (size_t m = 0; m < models.size(); ++m) lastValidation[m == 0 ? "A" : "B"] = validate(m, sets);
        chosen = "A";
        if (models.size() == 2 && meanDice(lastValidation["B"]) > meanDice(lastValidation["A"])) chosen = "B";
    }

    // Data-parallel start: every rank continues from the same iteration, then rank 0's weights and
    // BN buffers replace the others' (the seeded initialisation agrees already; this also covers
    // weights read from files that could differ between nodes). Optimiser states come from the
    // same checkpoint file on every rank, or are empty.
    void syncReplicas() {
        const std::string mine = runIdentity(cfg, spec, size) + " iterations=" + std::to_string(cfg.iterations);
        const std::string root = dist->shareFromRoot("run-identity", mine, dist->timeout());
        if (root != mine)
            throw ConfigError("distributed: rank " + std::to_string(dist->rank()) + " was started with another run than rank 0 (" +
                              mine + " here, " + root + " on rank 0): every rank needs the same data and options");
        at::Tensor it = torch::tensor({iteration, -iteration}, at::kLong);
        dist->allreduceMax(it, Distributed::Control);
        const int64_t hi = it[0].item<int64_t>(), lo = -it[1].item<int64_t>();
        if (hi != lo)
            throw ConfigError("distributed: the ranks start from different iterations (" + std::to_string(lo) + " to " +
                              std::to_string(hi) + "; this rank: " + std::to_string(iteration) +
                              "): on resume every rank must read the same checkpoint (" + cfg.checkpointPath +
                              "), so the run folder must be on a file system all nodes share");
        for (auto& m : models) {
            std::vector<at::Tensor> state = m->parameters();
            for (const auto& b : m->buffers()) state.push_back(b);
            dist->broadcast(state, Distributed::Control);
        }
    }

    // The largest difference of any parameter or buffer between a rank and rank 0 (all ranks get it).
    double replicaDifference() {
        at::Tensor worst = torch::zeros({1}, at::kDouble);
        torch::NoGradGuard noGrad;
        for (auto& m : models) {
            std::vector<at::Tensor> flat;
            for (const auto& p : m->parameters()) flat.push_back(p.detach().reshape(-1).to(at::kDouble));
            for (const auto& b : m->buffers()) flat.push_back(b.detach().reshape(-1).to(at::kDouble));
            const at::Tensor mine = torch::cat(flat).cpu();
            at::Tensor root = mine.clone();
            dist->broadcast({root}, Distributed::Control);
            worst = torch::maximum(worst, (root - mine).abs().max().reshape({1}));
        }
        dist->allreduceMax(worst, Distributed::Control);
        return worst.item<double>();
    }

    void saveCheckpoint(const std::string& path) const {
        writeCheckpoint(path, cfg, runIdentity(cfg, spec, size), {iteration, nanStreak, skipped, chosen}, models, optimizers,
                        averages);
    }

    void loadCheckpoint(const std::string& path) {
        // Room for the file's weight averages, in the shapes this run keeps.
        averages = {};
        for (size_t m = 0; m < models.size(); ++m) {
            std::vector<at::Tensor> room;
            for (const auto& t : averagedState(m)) room.push_back(t.detach().to(at::kCPU).clone().contiguous());
            averages.tensors.push_back(std::move(room));
        }
        const CheckpointCounters c = readCheckpoint(path, runIdentity(cfg, spec, size), models, optimizers, &averages);
        iteration = c.iteration;
        nanStreak = c.nanStreak;
        skipped = c.skipped;
        chosen = c.chosen;
        // Loading replaces parameter storage with what the file holds; restore the layout and
        // device this run trains with.
        for (auto& m : models) {
            m->to(device);
            if (cfg.channelsLast) toChannelsLast(*m);
        }
        if (averages.count == 0) {
            averages.tensors.clear();
        } else {
            // The running means take the layout and device of the weights they follow.
            for (size_t m = 0; m < models.size(); ++m) {
                const auto state = averagedState(m);
                for (size_t k = 0; k < state.size(); ++k)
                    averages.tensors[m][k] =
                        averages.tensors[m][k].to(state[k].device()).contiguous(state[k].suggest_memory_format());
            }
        }
    }
};

CoTrainer::CoTrainer(TrainConfig config) : d_(std::make_unique<Private>(std::move(config))) {}
CoTrainer::~CoTrainer() = default;

void CoTrainer::setDistributed(std::shared_ptr<Distributed> dist) {
    if (dist && dist->worldSize() < 2) dist.reset();
    d_->dist = std::move(dist);
}

const TrainConfig& CoTrainer::config() const { return d_->cfg; }
bool CoTrainer::hasModels() const { return !d_->models.empty(); }

RunResult CoTrainer::run(const TensorDataset& labeledIn, const TensorDataset& unlabeledIn,
                         const std::map<std::string, TensorDataset>& validation, const ProgressCallback& callback,
                         const CancelToken* cancel) {
    Private& d = *d_;
    const TrainConfig& cfg = d.cfg;
    // ---- inputs
    labeledIn.validate();
    unlabeledIn.validate();
    if (labeledIn.empty()) throw ConfigError("no labeled images");
    if (!labeledIn.hasMasks()) throw ConfigError("the labeled images have no masks");
    if (d.parts.coTraining && unlabeledIn.size() < 2)
        throw ConfigError("method " + toString(cfg.method) + " needs at least 2 unlabeled images");
    if (labeledIn.height() != labeledIn.width()) throw ConfigError("training images must be square");
    const int64_t size = labeledIn.height();
    if (cfg.size != 0 && cfg.size != size)
        throw ConfigError("labeled images are " + std::to_string(size) + " pixels, configured size is " +
                          std::to_string(cfg.size));
    if (size % 16 != 0 || size < 32) throw ConfigError("training image side must be a multiple of 16, at least 32");
    if (d.parts.coTraining && (unlabeledIn.height() != size || unlabeledIn.width() != size ||
                               unlabeledIn.channels() != labeledIn.channels()))
        throw ConfigError("unlabeled images must have the labeled images' size and channels");
    NetworkSpec spec;
    spec.backbone = cfg.backbone;
    spec.width = cfg.width;
    spec.dropout = cfg.dropout;
    spec.atrousShortcut = cfg.atrousShortcut;
    spec.headChannels = cfg.headChannels;
    spec.asppRates = {cfg.asppRates.at(0), cfg.asppRates.at(1), cfg.asppRates.at(2)};
    spec.inChannels = labeledIn.channels();
    spec.numClasses = cfg.numClasses > 0 ? cfg.numClasses : std::max<int64_t>(2, labeledIn.labelCount());
    if (labeledIn.labelCount() > spec.numClasses)
        throw ConfigError("labeled masks contain label " + std::to_string(labeledIn.labelCount() - 1) + " but num-classes is " +
                          std::to_string(spec.numClasses));
    for (const auto& [name, ds] : validation) {
        ds.validate();
        if (!ds.empty() && (!ds.hasMasks() || ds.channels() != spec.inChannels))
            throw ConfigError("validation set '" + name + "' needs masks and " + std::to_string(spec.inChannels) + " channels");
    }
    // Contiguous CPU copies: the producer thread reads them while training runs.
    TensorDataset labeled = labeledIn, unlabeled = unlabeledIn;
    labeled.images = labeled.images.to(at::kCPU).contiguous();
    labeled.masks = labeled.masks.to(at::kCPU).contiguous();
    if (!unlabeled.empty()) unlabeled.images = unlabeled.images.to(at::kCPU).contiguous();

    const int threads = cfg.threads > 0 ? cfg.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const bool modelParallel = cfg.modelParallel && d.parts.coTraining && threads >= 2 && !d.device.is_cuda();
    torch::set_num_threads(modelParallel ? threads / 2 : threads);
    d.worker = modelParallel ? std::make_unique<ModelWorker>() : nullptr;
    const int world = d.dist ? d.dist->worldSize() : 1;
    const bool writes = !d.dist || d.dist->isRoot();  // rank 0 alone writes checkpoints
    if (const std::string problem = worldSizeProblem(cfg, world); !problem.empty()) throw ConfigError(problem);

    RunResult result;
    std::vector<std::string> messages = std::move(d.pendingMessages);
    d.pendingMessages.clear();
    if (cfg.augment.fourierProb > 0.0 && unlabeled.empty())
        messages.push_back("Fourier style mixing needs unlabeled images; the labeled images keep their own style");
    for (const auto& r : cfg.validationRegions)
        for (int64_t k : r)
            if (k >= spec.numClasses)
                throw ConfigError("validation-regions: class " + std::to_string(k) + " is not one of the " +
                                  std::to_string(spec.numClasses) + " classes");
    d.size = size;
    d.build(spec);
    if (cfg.resume && std::filesystem::exists(cfg.checkpointPath)) {
        d.loadCheckpoint(cfg.checkpointPath);
        messages.push_back("resumed from " + cfg.checkpointPath + " at iteration " + std::to_string(d.iteration));
    }
    if (d.dist) {
        d.syncReplicas();
        std::ostringstream os;
        os << "distributed: " << d.dist->env().describe() << "; per rank " << cfg.labeledBatch / world << " labeled + "
           << (d.parts.coTraining ? cfg.unlabeledBatch / world : 0) << " unlabeled images of the global batch "
           << cfg.labeledBatch << " + " << (d.parts.coTraining ? cfg.unlabeledBatch : 0)
           << "; BatchNorm statistics per rank; model-parallel stepping " << (modelParallel ? "on" : "off")
           << " (one process group per sub-model)";
        messages.push_back(os.str());
    }
    result.startIteration = d.iteration;

    const int64_t total = cfg.iterations;
    BatchFactory factory(labeled, unlabeled, cfg, d.parts.coTraining, d.parts.rotationHeadB);
    if (d.dist) factory.setShard(d.dist->rank(), world);
    BatchProducer producer(std::move(factory), d.iteration, total, cfg.prefetch);
    const auto runStart = Clock::now();
    double waited = 0.0, emaIter = 0.0;
    const double imagesPerIter = static_cast<double>(cfg.labeledBatch + (d.parts.coTraining ? cfg.unlabeledBatch : 0));
    bool cancelled = false;
    std::map<std::string, double> lastLosses;

    while (d.iteration < total) {
        bool stop = cancel && cancel->load();
        if (d.dist) {
            // A stop on any rank stops all of them at the same iteration.
            at::Tensor flag = torch::tensor({static_cast<int64_t>(stop)}, at::kLong);
            d.dist->allreduceMax(flag, Distributed::Control);
            stop = flag.item<int64_t>() != 0;
        }
        if (stop) {
            cancelled = true;
            break;
        }
        const auto t0 = Clock::now();
        auto [batch, wait] = producer.next();
        waited += wait;
        Private::StepResult sr = d.step(batch);
        const int64_t it = batch.iteration;
        d.iteration = it + 1;
        Progress p;
        if (sr.skipped) {
            ++d.nanStreak;
            ++d.skipped;
            p.skipped = true;
            messages.push_back("iteration " + std::to_string(it + 1) + ": loss is not finite, step skipped (" +
                               std::to_string(d.nanStreak) + " in a row)");
            if (d.nanStreak >= cfg.nanPatience) {
                throw DivergenceError("training diverged: the loss was NaN or infinite for " + std::to_string(d.nanStreak) +
                                      " iterations in a row (last at iteration " + std::to_string(it + 1) +
                                      "); lower the learning rate, check the input data, or turn off bf16");
            }
        } else {
            d.nanStreak = 0;
            lastLosses = sr.losses;
            if (d.averageAfter() >= 0 && d.iteration > d.averageAfter()) d.accumulateAverages();
        }
        const double dt = seconds(Clock::now() - t0);
        emaIter = emaIter == 0.0 ? dt : 0.9 * emaIter + 0.1 * dt;

        const bool last = d.iteration == total;
        if (last && d.averages.count > 0) {
            d.applyAverages();
            messages.push_back("weight averaging: the networks are now the mean of their weights over the last " +
                               std::to_string(d.averages.count) + " iterations (average-from " +
                               std::to_string(cfg.averageFrom).substr(0, 4) + ")");
        }
        if (!validation.empty() &&
            (last || (cfg.validationInterval > 0 && d.iteration % cfg.validationInterval == 0))) {
            d.runValidation(validation);
            p.validated = true;
            p.validation = d.lastValidation;
        }
        p.iteration = d.iteration;
        p.total = total;
        p.losses = sr.losses;
        p.lr = d.lrAt(it);
        p.secondsPerIteration = emaIter;
        p.imagesPerSecond = emaIter > 0.0 ? imagesPerIter / emaIter : 0.0;
        p.etaSeconds = emaIter * static_cast<double>(total - d.iteration);
        const double wall = seconds(Clock::now() - runStart);
        p.dataWaitFraction = wall > 0.0 ? waited / wall : 0.0;
        p.allreduceSeconds = d.lastComm.seconds;
        p.allreduceBytes = d.lastComm.bytes;
        p.messages = std::move(messages);
        messages.clear();
        if (callback) callback(p);
        // After the callback, not before: whatever the caller records for this iteration (a
        // metrics row) is then older than the checkpoint, so a run killed in between repeats the
        // iteration on resume instead of losing its row. The message goes out with the next report.
        if (writes && !cfg.checkpointPath.empty() && cfg.checkpointInterval > 0 && d.iteration % cfg.checkpointInterval == 0) {
            d.saveCheckpoint(cfg.checkpointPath);
            messages.push_back("checkpoint at iteration " + std::to_string(d.iteration) + " written to " + cfg.checkpointPath);
        }
        // Honour a cancellation that arrived during the iteration before starting another.
    }
    if (writes && cancelled && d.iteration > result.startIteration && !cfg.checkpointPath.empty() && cfg.checkpointInterval > 0)
        d.saveCheckpoint(cfg.checkpointPath);
    if (!validation.empty() && d.lastValidation.empty()) d.runValidation(validation);
    result.worldSize = world;
    if (d.dist) {
        result.replicaMaxDifference = d.replicaDifference();
        std::ostringstream os;
        os << "distributed: after iteration " << d.iteration << " the parameters and buffers of all " << world
           << " ranks match rank 0's (max |difference| " << result.replicaMaxDifference << ")";
        if (result.replicaMaxDifference > 1e-6)
            throw TrainError("distributed: the ranks' models diverged (max |difference| " +
                             std::to_string(result.replicaMaxDifference) + " after iteration " + std::to_string(d.iteration) +
                             "); this is a bug, please report it");
        messages.push_back(os.str());
    }

    if (!d.models.empty() && d.models.front()->unlabeledPrior.defined()) {
        auto values = [](const at::Tensor& t) {
            const at::Tensor c = t.to(at::kCPU, at::kDouble).contiguous();
            return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
        };
        auto text = [&](const at::Tensor& t) {
            std::ostringstream os;
            os << std::fixed << std::setprecision(3);
            const std::vector<double> v = values(t);
            for (size_t k = 0; k < v.size(); ++k) os << (k ? "/" : "") << v[k];
            return os.str();
        };
        result.classPriors["labeled"] = values(d.models.front()->labeledPrior);
        for (size_t m = 0; m < d.models.size(); ++m)
            result.classPriors[std::string("unlabeled_estimate_") + (m ? "B" : "A")] = values(d.models[m]->unlabeledPrior);
        std::ostringstream os;
        os << "class priors (classes 0/1/...): labeled batches " << text(d.models.front()->labeledPrior)
           << "; unlabeled domains, EM estimate";
        for (size_t m = 0; m < d.models.size(); ++m)
            os << (m ? ", " : " ") << text(d.models[m]->unlabeledPrior) << " (teacher " << (m ? "B" : "A") << ")";
        os << "; teachers' mean posterior there";
        for (size_t m = 0; m < d.models.size(); ++m) os << (m ? ", " : " ") << text(d.models[m]->unlabeledMean);
        os << (cfg.cpsPrior == CpsPrior::Em ? "; pseudo-labels followed the estimate" : "; pseudo-labels as the teachers predict")
           << (cfg.predictPrior == PredictPrior::Unlabeled
                   ? "; the exported model predicts under the estimate (its classifier bias + log(unlabeled / labeled))"
                   : "; the exported model predicts under the labeled prior");
        messages.push_back(os.str());
    }
    result.status = cancelled ? RunStatus::Cancelled : RunStatus::Finished;
    result.iterations = d.iteration;
    result.chosen = d.chosen;
    result.validation = d.lastValidation;
    result.lastLosses = lastLosses;
    result.seconds = seconds(Clock::now() - runStart);
    result.dataWaitFraction = result.seconds > 0.0 ? waited / result.seconds : 0.0;
    result.skippedSteps = d.skipped;
    result.messages = std::move(messages);
    return result;
}

DomainDice CoTrainer::validate(const std::string& subModel, const std::map<std::string, TensorDataset>& sets) {
    if (d_->models.empty()) throw TrainError("no trained models: run() first");
    const size_t m = subModel == "B" ? 1 : 0;
    if (m >= d_->models.size()) throw ConfigError("this method trains no sub-model B");
    return d_->validate(m, sets);
}

void CoTrainer::exportModel(const std::string& path, const std::string& subModel, const std::string& userMetadata) const {
    if (d_->models.empty()) throw TrainError("no trained models to export: run() first");
    const std::string which = subModel == "chosen" ? d_->chosen : subModel;
    if (which != "A" && which != "B") throw ConfigError("sub-model must be A, B or chosen, not '" + subModel + "'");
    const size_t m = which == "B" ? 1 : 0;
    if (m >= d_->models.size()) throw ConfigError("this method trains no sub-model B");
    ModelInfo info;
    info.backbone = d_->spec.backbone;
    info.width = d_->spec.width;
    info.headChannels = d_->spec.resolvedHeadChannels();
    info.asppRates = {d_->spec.asppRates[0], d_->spec.asppRates[1], d_->spec.asppRates[2]};
    info.inChannels = d_->spec.inChannels;
    info.numClasses = d_->spec.numClasses;
    info.size = d_->size;
    info.resize = d_->cfg.resize;
    info.method = toString(d_->cfg.method);
    info.subModel = which;
    info.iterations = d_->iteration;
    info.userMetadata = userMetadata;
    DeepLabV3Plus net = d_->models[m]->net;
    const SubModel& sm = d_->models[m];
    const bool shift = d_->cfg.predictPrior == PredictPrior::Unlabeled && sm->unlabeledPrior.defined() &&
                       sm->unlabeledPrior.sum().item<double>() > 0.0 && sm->labeledPrior.sum().item<double>() > 0.0;
    if (!shift) {
        writeModelFile(path, net, info);
        return;
    }
    // Predicting under the unlabeled domains' prior: softmax(z + log(t / s)) re-weights every
    // posterior by t / s (Saerens' correction), so it is one constant added to the classifier's
    // bias, and every reader of model.pt (Predictor, python/dacw_model.py, ONNX) follows it.
    torch::NoGradGuard noGrad;
    at::Tensor bias;
    for (auto& p : net->named_parameters())
        if (p.key() == "classifier.bias") bias = p.value();
    if (!bias.defined()) throw TrainError("predict-prior unlabeled: the network has no classifier bias");
    const at::Tensor original = bias.detach().clone();
    const at::Tensor delta =
        (shiftedLogPrior(sm->unlabeledPrior) - shiftedLogPrior(sm->labeledPrior)).to(bias.device(), bias.dtype());
    bias.add_(delta);
    try {
        writeModelFile(path, net, info);
    } catch (...) {
        bias.copy_(original);
        throw;
    }
    bias.copy_(original);
}

Disagreement CoTrainer::disagreement(const at::Tensor& images) const {
    if (d_->models.size() < 2) throw TrainError("disagreement needs two trained sub-models (a co-training method)");
    std::vector<at::Tensor> probs(2), embeddings(2);
    for (size_t m = 0; m < 2; ++m) {
        auto& model = d_->models[m];
        model->eval();
        std::vector<at::Tensor> chunks, pooled;
        {
            c10::InferenceMode inference;
            for (int64_t i = 0; i < images.size(0); i += d_->cfg.validationBatch) {
                const int64_t e = std::min(images.size(0), i + d_->cfg.validationBatch);
                AutocastGuard ac(d_->bf16, d_->device.type());
                const SegOutput out = model->net->forward(d_->prepareInput(images.slice(0, i, e)));
                chunks.push_back(torch::softmax(out.logits, 1).cpu());
                at::Tensor f = out.features.to(at::kFloat).mean({2, 3});
                pooled.push_back(f.div(f.norm(2, {1}, true).clamp_min(1e-12)).cpu());
            }
        }
        model->train();
        probs[m] = torch::cat(chunks, 0);
        embeddings[m] = torch::cat(pooled, 0);
    }
    Disagreement d = disagreementOf(probs[0], probs[1]);
    d.embeddings = embeddings[0].add(embeddings[1]).mul(0.5).contiguous();
    return d;
}

void CoTrainer::saveCheckpoint(const std::string& path) const {
    if (d_->models.empty()) throw TrainError("no models to checkpoint: run() first");
    d_->saveCheckpoint(path);
}

}  // namespace dacw::train
