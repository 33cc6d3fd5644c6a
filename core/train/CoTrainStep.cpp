#include "core/train/CoTrainStep.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/train/Augment.h"
#include "core/train/Autocast.h"
#include "core/train/Bf16Shadows.h"
#include "core/train/Errors.h"
#include "core/train/Losses.h"
#include "core/train/Networks.h"

namespace dacw::train::detail {
namespace F = torch::nn::functional;

void CoTrainStep::perModel(const std::function<void(size_t)>& fn) {
    if (worker && models.size() == 2) {
        worker->both(fn);
        return;
    }
    for (size_t m = 0; m < models.size(); ++m) fn(m);
}

int64_t CoTrainStep::rampLength() const { return cfg.rampUp >= 0 ? cfg.rampUp : cfg.iterations / 5; }

int64_t CoTrainStep::priorEstimationLength() const {
    const int64_t ramp = rampLength();
    return std::max<int64_t>(1, ramp > 0 ? ramp : cfg.iterations / 5);
}

double CoTrainStep::lrAt(int64_t it) const {
    LrSchedule s = cfg.schedule;
    if (s == LrSchedule::Auto) s = cfg.optimizer == OptimizerKind::Sgd ? LrSchedule::Poly : LrSchedule::Constant;
    if (s == LrSchedule::Constant) return cfg.lr;
    const double t = std::min(1.0, static_cast<double>(it) / static_cast<double>(cfg.iterations));
    return cfg.lr * std::pow(1.0 - t, cfg.polyPower);
}

void CoTrainStep::setLr(double lr) {
    for (auto& opt : optimizers) opt->setLr(lr);
}

void CoTrainStep::updatePrior(at::Tensor& average, const at::Tensor& value, double momentum) {
    torch::NoGradGuard noGrad;
    const at::Tensor v = value.to(average.device(), at::kFloat);
    if (average.sum().item<double>() <= 0.0) average.copy_(v);  // the first value starts the average
    else average.mul_(momentum).add_(v, 1.0 - momentum);
}

at::Tensor CoTrainStep::prepareInput(const at::Tensor& x) const {
    at::Tensor y = x.to(device, at::kFloat);
    return cfg.channelsLast ? y.contiguous(at::MemoryFormat::ChannelsLast) : y.contiguous();
}

bool CoTrainStep::shadowWeights() const {
    return bf16 && cfg.bf16Shadows && device.is_cpu() && !dist && cfg.optimizer == OptimizerKind::AdamW && cfg.fusedAdamW;
}

CoTrainStep::StepResult CoTrainStep::step(const Batch& batch) {
    const int64_t it = batch.iteration;
    if (shadowWeights() && shadows.size() != models.size()) {
        shadows.clear();
        for (auto& m : models) shadows.emplace_back(*m);
    }
    // The layers read the bf16 copies for this step only: validation, checkpoints and exports
    // between steps see the float32 weights.
    ShadowScope shadowScope(shadows);
    for (size_t m = 0; m < shadows.size(); ++m)
        if (auto* adamw = dynamic_cast<FusedAdamW*>(optimizers[m].get()))
            adamw->setShadows(shadows[m].alignedTo(models[m]->parameters()));
    const double ramp = sigmoidRampUp(it, rampLength());
    const double auxScale = cfg.rampAux ? ramp : 1.0;
    setLr(lrAt(it));
    for (auto& m : models) m->train();
    // Buffers (BN running statistics) are restored if the step is skipped.
    {
        torch::NoGradGuard noGrad;
        const bool fresh = bufferSnapshots.empty();
        for (size_t m = 0; m < models.size(); ++m) {
            auto bufs = models[m]->buffers();
            if (fresh) bufferSnapshots.emplace_back();
            for (size_t i = 0; i < bufs.size(); ++i) {
                if (fresh) bufferSnapshots[m].push_back(bufs[i].clone());
                else bufferSnapshots[m][i].copy_(bufs[i]);
            }
        }
    }
    std::vector<at::Generator> dropout;
    for (size_t m = 0; m < models.size(); ++m)
        dropout.push_back(generatorFor(cfg.seed, m == 0 ? kDropoutA : kDropoutB, static_cast<uint64_t>(it)));

    const at::Tensor xl = prepareInput(batch.labeledImages);
    const at::Tensor yl = batch.labeledMasks.to(device);
    const int64_t nl = xl.size(0);
    const size_t count = models.size();
    std::vector<at::Tensor> pseudo(count), pseudoWeight(count);
    at::Tensor x = xl;
    if (parts.coTraining) x = torch::cat({xl, prepareInput(batch.mixedImages)}, 0);
    if (cfg.channelsLast) x = x.contiguous(at::MemoryFormat::ChannelsLast);
    const bool priorShift = parts.coTraining && cfg.cpsPrior == CpsPrior::Em;
    const bool estimate = parts.coTraining && cfg.estimatesPriors();
    if (estimate) {
        // The prior the students learn from: class frequencies of the labeled batches as
        // augmented (zoom changes them), a moving average like the unlabeled estimate.
        torch::NoGradGuard noGrad;
        const at::Tensor freq = classFrequencies(batch.labeledMasks, models.front()->labeledPrior.size(0));
        for (auto& sm : models) updatePrior(sm->labeledPrior, freq, cfg.cpsPriorMomentum);
    }
    // Both students mix the same images' statistics (like the CutMix plan, one draw per step).
    const StyleMix styleMix = drawStyleMix(nl, x.size(0) - nl, cfg.styleMixProb, cfg.styleMixAlpha,
                                           generatorFor(cfg.seed, kStyleMix, static_cast<uint64_t>(it)));
    std::vector<SegOutput> out(count);
    perModel([&](size_t m) {
        // One autocast region for the student and then the teacher pass: the teacher reuses
        // the student's bf16 weight casts instead of casting every weight again.
        AutocastGuard ac(bf16, device.type());
        out[m] = models[m]->net->forward(x, dropout[m], styleMix);
        if (parts.coTraining) {
            // Teacher: hard pseudo-labels on the weak views, without an autograd graph, then
            // mixed and rotated with the same plan as the student images.
            torch::NoGradGuard noGrad;
            const at::Tensor uw = prepareInput(batch.unlabeledWeak);
            if (!cfg.teacherBatchStats) models[m]->net->eval();
            at::Tensor logits = models[m]->net->forwardNoDropout(uw).logits;
            if (!cfg.teacherBatchStats) models[m]->net->train();
            PseudoLabels pl;
            if (estimate) {
                const at::Tensor probs = torch::softmax(logits.to(at::kFloat), 1);
                SubModel& sm = models[m];
                updatePrior(sm->unlabeledMean, probs.transpose(0, 1).reshape({probs.size(1), -1}).mean(1), cfg.cpsPriorMomentum);
                if (it < priorEstimationLength() || !priorShift) {
                    // Label-shift EM on this batch from the teacher's posteriors. With cps-prior
                    // em this runs while CPS is still ramping up (the teacher has learned from
                    // labels alone) and the pseudo-labels follow the estimate (Saerens'
                    // correction); without it the pseudo-labels are the teacher's own, nothing
                    // feeds back, and the estimate follows the teacher to the end (for export).
                    const at::Tensor source = sm->labeledPrior.cpu();
                    const bool fresh = sm->unlabeledPrior.sum().item<double>() <= 0.0;
                    updatePrior(sm->unlabeledPrior,
                                estimateClassPrior(probs, source, fresh ? at::Tensor() : sm->unlabeledPrior.cpu()),
                                cfg.cpsPriorMomentum);
                    pl = pseudoLabelsFromProbabilities(priorShift ? shiftPosteriors(probs, source, sm->unlabeledPrior) : probs,
                                                       cfg.cpsThreshold);
                } else if (priorShift) {
                    // Afterwards the estimate is fixed and the pseudo-labels are aligned so that
                    // the teacher's mean posterior on the unlabeled domains moves to it
                    // (distribution alignment). Applying Saerens' correction again to a teacher
                    // that already learned from corrected labels would move the boundary at every
                    // step; this has a fixed point where the teacher's marginal equals the estimate.
                    pl = pseudoLabelsFromProbabilities(shiftPosteriors(probs, sm->unlabeledMean, sm->unlabeledPrior),
                                                       cfg.cpsThreshold);
                } else {
                    pl = pseudoLabelsFromProbabilities(probs, cfg.cpsThreshold);
                }
            } else {
                pl = makePseudoLabels(logits, cfg.cpsThreshold);
            }
            pseudo[m] = applyMix(batch.plan, pl.labels.cpu()).to(device);
            if (cfg.cpsWeighting == CpsWeighting::Confidence)
                pseudoWeight[m] = applyMix(batch.plan, pl.confidence.cpu()).to(device);
        }
    });

    // Every term belongs to one sub-model (the other's outputs enter detached), so each
    // sub-model's sum has its own autograd graph and the two backward passes are independent.
    std::vector<std::vector<at::Tensor>> terms(count);  // weighted pieces, per sub-model
    std::map<std::string, at::Tensor> named;            // unweighted, for reporting
    size_t current = 0;
    auto add = [&](const std::string& name, const at::Tensor& value, double weight) {
        named[name] = value;
        if (weight != 0.0) terms[current].push_back(value * weight);
    };
    for (size_t m = 0; m < count; ++m) {
        current = m;
        const std::string s = letter(m);
        at::Tensor lab = out[m].logits.slice(0, 0, nl);
        add("sup_ce_" + s, crossEntropyLoss(lab, yl), cfg.weights.ce);
        add("sup_dice_" + s, softDiceLoss(lab, yl, cfg.diceIncludeBackground), cfg.weights.dice);
    }
    if (parts.coTraining) {
        const at::Tensor target = batch.regionTarget.to(device);
        const at::Tensor rotK = batch.plan.rotation() ? batch.plan.rotK.to(device) : at::Tensor();
        for (size_t m = 0; m < count; ++m) {
            current = m;
            const size_t o = 1 - m;
            const std::string s = letter(m);
            at::Tensor unlLogits = out[m].logits.slice(0, nl);
            at::Tensor feat = out[m].features.slice(0, nl);
            add("cps_" + s,
                pseudoWeight[o].defined() ? weightedCrossEntropyLoss(unlLogits, pseudo[o], pseudoWeight[o])
                                          : crossEntropyLoss(unlLogits, pseudo[o]),
                cfg.weights.cps * ramp);
            AutocastGuard ac(bf16, device.type());
            if (models[m]->proj) {
                const at::Tensor projected = models[m]->proj->forward(feat), other = out[o].features.slice(0, nl);
                if (cfg.featureLoss == FeatureLoss::Contrastive) {
                    // The other model's pseudo-classes at the feature grid's pixel centres.
                    const int64_t stride = x.size(2) / feat.size(2);
                    const at::Tensor classes =
                        pseudo[o].slice(1, stride / 2, c10::nullopt, stride).slice(2, stride / 2, c10::nullopt, stride);
                    add("feat_" + s, featureContrastiveLoss(projected, other, classes, 512, 0.1, it), cfg.weights.feature * ramp);
                } else {
                    add("feat_" + s, featureCosineLoss(projected, other), cfg.weights.feature * ramp);
                }
            }
            if (models[m]->cutmixHead) {
                at::Tensor map = models[m]->cutmixHead->forward(feat).to(at::kFloat);
                map = F::interpolate(map, F::InterpolateFuncOptions()
                                              .size(std::vector<int64_t>{target.size(2), target.size(3)})
                                              .mode(torch::kBilinear)
                                              .align_corners(false));
                add("aux_cutmix_" + s, binaryMapLoss(map, target), cfg.weights.auxCutmix * auxScale);
            }
            if (models[m]->rotationHead) {
                const int64_t stride = x.size(2) / feat.size(2);
                add("aux_rot_" + s, classificationLoss(models[m]->rotationHead->forward(feat, batch.plan.rotBox, stride), rotK),
                    cfg.weights.auxRotation * auxScale);
            }
        }
    }
    std::vector<at::Tensor> modelTotal(count);
    for (size_t m = 0; m < count; ++m) {
        if (terms[m].empty())
            throw ConfigError("every loss weight of sub-model " + letter(m) + " is zero for method " + toString(cfg.method));
        modelTotal[m] = terms[m].front();
        for (size_t i = 1; i < terms[m].size(); ++i) modelTotal[m] = modelTotal[m] + terms[m][i];
    }
    for (int64_t p : cfg.testHooks.poisonLossAt)
        if (p == it) modelTotal[0] = modelTotal[0] * std::numeric_limits<double>::quiet_NaN();
    at::Tensor total = modelTotal[0].detach();
    for (size_t m = 1; m < count; ++m) total = total + modelTotal[m].detach();

    StepResult r;
    std::vector<at::Tensor> values;
    std::vector<std::string> names;
    for (auto& [k, v] : named) {
        names.push_back(k);
        values.push_back(v.detach().to(at::kCPU, at::kDouble).reshape({}));
    }
    values.push_back(total.detach().to(at::kCPU, at::kDouble).reshape({}));
    names.push_back("total");
    at::Tensor all = torch::stack(values);
    if (dist) {
        // The reported losses are the global batch's (mean over the ranks' shards), and a
        // non-finite loss on any rank makes every rank skip the step: the collectives that
        // follow must be issued by all or by none.
        dist->allreduceSum(all, Distributed::Control);
        all.div_(static_cast<double>(dist->worldSize()));
    }
    for (size_t i = 0; i < names.size(); ++i) r.losses[names[i]] = all[static_cast<int64_t>(i)].item<double>();
    r.losses["ramp"] = ramp;

    if (!std::isfinite(r.losses["total"])) {
        r.skipped = true;
        lastComm = {};
        torch::NoGradGuard noGrad;
        for (size_t m = 0; m < count; ++m) {
            auto bufs = models[m]->buffers();
            for (size_t i = 0; i < bufs.size(); ++i) bufs[i].copy_(bufferSnapshots[m][i]);
        }
        return r;
    }
    std::vector<CommStats> comm(count);
    if (dist && !worker && count == 2) {
        // One stream: A's exchange runs while B's backward pass computes; then both step.
        std::vector<std::shared_ptr<Distributed::Pending>> pending(count);
        for (size_t m = 0; m < count; ++m) {
            models[m]->zero_grad(/*set_to_none=*/true);
            modelTotal[m].backward();
            pending[m] = dist->startAverageGradients(models[m]->parameters(), m == 0 ? Distributed::SubModelA
                                                                                     : Distributed::SubModelB);
        }
        for (size_t m = 0; m < count; ++m) {
            const auto group = m == 0 ? Distributed::SubModelA : Distributed::SubModelB;
            comm[m] = dist->finish(pending[m]);
            optimizers[m]->step();
            comm[m].seconds += dist->averageBuffers(models[m]->buffers(), group).seconds;
        }
    } else {
        perModel([&](size_t m) {
            // Dropping the gradients (instead of zeroing them) lets backward write them directly.
            models[m]->zero_grad(/*set_to_none=*/true);
            modelTotal[m].backward();
            // Each sub-model has its own process group, so with model-parallel stepping A's and B's
            // exchanges run from their own threads and each group's order is the same on all ranks.
            const auto group = m == 0 ? Distributed::SubModelA : Distributed::SubModelB;
            if (dist) comm[m] = dist->averageGradients(models[m]->parameters(), group);
            optimizers[m]->step();
            // BatchNorm normalises with each rank's own shard; the running statistics, which the
            // teacher (without teacher-batch-stats), validation and the exported model use, are
            // averaged so that all ranks keep one model (a few kB per sub-model).
            if (dist) comm[m].seconds += dist->averageBuffers(models[m]->buffers(), group).seconds;
        });
    }
    lastComm = {};
    for (const auto& c : comm) {
        lastComm.seconds += c.seconds;
        lastComm.bytes += c.bytes;
        lastComm.buckets += c.buckets;
    }
    return r;
}

}  // namespace dacw::train::detail
