// Unit tests of the training library: losses (hand-computed), augmentation, networks, files, configuration.
#include "common/Expect.h"
#include <QtTest>
#include <torch/fft.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

#include "core/train/Augment.h"
#include "core/train/Errors.h"
#include "core/train/KernelChoice.h"
#include "core/train/Losses.h"
#include "core/train/ModelFile.h"
#include "core/train/Networks.h"
#include "core/train/Predictor.h"
#include "core/train/TensorDataset.h"
#include "core/train/TrainConfig.h"
#include "core/train/CpuInfo.h"

using namespace dacw::train;
namespace F = torch::nn::functional;

namespace {

// logits [1,K,1,P] from per-pixel rows.
at::Tensor pixels(const std::vector<std::vector<double>>& rows) {
    const int64_t p = static_cast<int64_t>(rows.size()), k = static_cast<int64_t>(rows[0].size());
    at::Tensor t = at::zeros({1, k, 1, p}, at::kFloat);
    for (int64_t i = 0; i < p; ++i)
        for (int64_t c = 0; c < k; ++c) t[0][c][0][i] = rows[static_cast<size_t>(i)][static_cast<size_t>(c)];
    return t;
}
at::Tensor labels(const std::vector<int64_t>& v) {
    return at::tensor(v, at::kLong).view({1, 1, static_cast<int64_t>(v.size())});
}
double val(const at::Tensor& t) { return t.item<double>(); }

std::string tempPath(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("dacw_train_unit_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return (dir / name).string();
}

using dacw::test::thrownMessage;

}  // namespace

class UnitTests : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }
    void cleanupTestCase() {
        std::error_code ec;
        std::filesystem::remove_all(std::filesystem::path(tempPath("x")).parent_path(), ec);
    }

    void crossEntropyHandComputed() {
        // pixel 0: logits (0, ln 3) -> p1 = 3/4, label 1; pixel 1: (0, 0) -> 1/2, label 0; pixel 2 ignored.
        at::Tensor l = pixels({{0.0, std::log(3.0)}, {0.0, 0.0}, {5.0, -5.0}});
        const double expected = (-std::log(0.75) + std::log(2.0)) / 2.0;
        QVERIFY(std::abs(val(crossEntropyLoss(l, labels({1, 0, kIgnoreLabel}))) - expected) < 1e-6);
        QCOMPARE(val(crossEntropyLoss(l, labels({kIgnoreLabel, kIgnoreLabel, kIgnoreLabel}))), 0.0);
    }

    void softDiceHandComputed() {
        at::Tensor l = pixels({{0.0, std::log(3.0)}, {0.0, 0.0}});
        at::Tensor y = labels({1, 0});
        // class 1: inter 0.75, sum p 1.25, sum g 1 -> dice 2/3.
        QVERIFY(std::abs(val(softDiceLoss(l, y, false, 1e-9)) - (1.0 - 2.0 / 3.0)) < 1e-5);
        // class 0: inter 0.5, sum p 0.75, sum g 1 -> 1/1.75.
        const double both = 1.0 - 0.5 * (2.0 / 3.0 + 1.0 / 1.75);
        QVERIFY(std::abs(val(softDiceLoss(l, y, true, 1e-9)) - both) < 1e-5);
        // Perfect, confident prediction -> loss ~ 0.
        at::Tensor perfect = pixels({{-20.0, 20.0}, {20.0, -20.0}});
        QVERIFY(val(softDiceLoss(perfect, y)) < 1e-6);
    }

    void pseudoLabelsThresholdAndDetach() {
        at::Tensor l = pixels({{0.0, std::log(3.0)}, {0.0, 0.1}, {3.0, 0.0}}).requires_grad_(true);
        PseudoLabels pl = makePseudoLabels(l, 0.7);
        QVERIFY(!pl.labels.requires_grad());
        QCOMPARE(pl.labels[0][0][0].item<int64_t>(), 1);
        QCOMPARE(pl.labels[0][0][1].item<int64_t>(), kIgnoreLabel);  // confidence ~0.52
        QCOMPARE(pl.labels[0][0][2].item<int64_t>(), 0);
        QCOMPARE(makePseudoLabels(l, 0.0).labels[0][0][1].item<int64_t>(), 1);
    }

    void labelShiftEmRecoversPrior() {
        // One feature per pixel, x ~ N(-1, 1) for class 0 and N(+1, 1) for class 1. A model trained
        // under the prior (0.5, 0.5) gives p(1|x) = sigmoid(2x). The pixels come with the prior
        // (0.2, 0.8): EM on those posteriors alone must find it.
        at::Generator g = at::make_generator<at::CPUGeneratorImpl>(7);
        const int64_t n = 20000;
        at::Tensor y = at::bernoulli(at::full({n}, 0.8, at::kDouble), g);
        at::Tensor x = at::normal(0.0, 1.0, {n}, g).to(at::kDouble) + (2.0 * y - 1.0);
        at::Tensor p1 = torch::sigmoid(2.0 * x).to(at::kFloat);
        at::Tensor probs = torch::stack({1.0 - p1, p1}, 0).reshape({2, 1, 100, 200}).transpose(0, 1).contiguous();
        const at::Tensor source = at::tensor({0.5f, 0.5f});
        at::Tensor est = estimateClassPrior(probs, source);
        QVERIFY2(std::abs(est[1].item<double>() - 0.8) < 0.02, qPrintable(QString::number(est[1].item<double>())));
        QVERIFY(std::abs(est.sum().item<double>() - 1.0) < 1e-5);
        // The plain mean posterior is biased towards the source prior; EM is not.
        QVERIFY(p1.mean().item<double>() < 0.75);
        // Under the true prior the same posteriors give more class-1 pixels (the decision moves).
        const double before = pseudoLabelsFromProbabilities(probs, 0.0).labels.eq(1).to(at::kDouble).mean().item<double>();
        const double after = pseudoLabelsFromProbabilities(shiftPosteriors(probs, source, est), 0.0)
                                 .labels.eq(1)
                                 .to(at::kDouble)
                                 .mean()
                                 .item<double>();
        QVERIFY2(after > before + 0.02, qPrintable(QString("%1 -> %2").arg(before).arg(after)));
        // Equal priors change nothing; a zero in a prior stays finite.
        QVERIFY(torch::allclose(shiftPosteriors(probs, source, source), probs, 1e-6, 1e-6));
        QVERIFY(torch::isfinite(shiftPosteriors(probs, at::tensor({1.0f, 0.0f}), source)).all().item<bool>());
        // Hand-computed shift: p = (0.5, 0.5), source (0.5, 0.5), target (0.25, 0.75) -> (0.25, 0.75).
        at::Tensor half = pixels({{0.0, 0.0}}).softmax(1);
        at::Tensor moved = shiftPosteriors(half, source, at::tensor({0.25f, 0.75f}));
        QVERIFY(std::abs(moved[0][1][0][0].item<double>() - 0.75) < 1e-6);
        // Posteriors already under the estimated prior: EM stays where it starts (fixed point).
        at::Tensor fixed = estimateClassPrior(shiftPosteriors(probs, source, est), est, est);
        QVERIFY((fixed - est).abs().max().item<double>() < 1e-3);
        // Class frequencies skip ignored pixels; with none left they are uniform.
        at::Tensor f = classFrequencies(at::tensor(std::vector<int64_t>{0, 1, 1, 1, kIgnoreLabel}, at::kLong).view({1, 1, 5}), 3);
        QVERIFY(std::abs(f[1].item<double>() - 0.75) < 1e-6 && f[2].item<double>() == 0.0);
        QVERIFY(std::abs(classFrequencies(at::full({1, 2, 2}, kIgnoreLabel, at::kLong), 4)[3].item<double>() - 0.25) < 1e-6);
    }

    void featureCosineHandComputed() {
        // pixel 0: (1,0) vs (0,1): cos 0 -> 1; pixel 1: (1,1) vs (2,2): cos 1 -> 0.
        at::Tensor p = at::tensor({1.0f, 1.0f, 0.0f, 1.0f}).view({1, 2, 1, 2});
        at::Tensor t = at::tensor({0.0f, 2.0f, 1.0f, 2.0f}).view({1, 2, 1, 2});
        QVERIFY(std::abs(val(featureCosineLoss(p, t)) - 0.5) < 1e-6);
    }

    void featureContrastiveHandComputed() {
        // Three pixels, labels 0,1,0, temperature 1. Similarities p.t: row 0 (1,0,0), row 1 (0,1,1),
        // row 2 (1,0,0); pixels 0 and 2 share a class, so each is left out of the other's negatives.
        at::Tensor p = at::tensor({1.0f, 0.0f, 1.0f, 0.0f, 2.0f, 0.0f}).view({1, 2, 1, 3});
        at::Tensor t = at::tensor({3.0f, 0.0f, 0.0f, 0.0f, 1.0f, 1.0f}).view({1, 2, 1, 3}).requires_grad_(true);
        at::Tensor labels = at::tensor(std::vector<int64_t>{0, 1, 0}, at::kLong).view({1, 1, 3});
        const double row0 = std::log(1.0 + std::exp(-1.0)), row1 = std::log(1.0 + 2.0 * std::exp(1.0)) - 1.0,
                     row2 = std::log(2.0);
        at::Tensor loss = featureContrastiveLoss(p.requires_grad_(true), t, labels, 512, 1.0);
        QVERIFY2(std::abs(val(loss) - (row0 + row1 + row2) / 3.0) < 1e-5, qPrintable(QString::number(val(loss))));
        loss.backward();
        QVERIFY(p.grad().defined() && p.grad().abs().sum().item<double>() > 0.0);
        QVERIFY(!t.grad().defined());  // the target is detached
        // Two samples of three pixels: stride 2. Offset 1 takes pixel 1 alone: nothing to contrast.
        QVERIFY(std::abs(val(featureContrastiveLoss(p, t, labels, 2, 1.0, 1))) < 1e-6);
        // Offset 0 takes pixels 0 and 2, one class: each has its positive only.
        QVERIFY(std::abs(val(featureContrastiveLoss(p, t, labels, 2, 1.0, 0))) < 1e-6);
        // With different classes they are negatives of each other. p0 = p2 = (1,0), t0 = (1,0),
        // t2 = (0,1): row 0 (1, 0) with target 0, row 2 (1, 0) with target 1.
        at::Tensor other = at::tensor(std::vector<int64_t>{0, 1, 1}, at::kLong).view({1, 1, 3});
        QVERIFY(std::abs(val(featureContrastiveLoss(p, t, other, 2, 1.0, 0)) -
                         (std::log(1.0 + std::exp(-1.0)) + std::log(1.0 + std::exp(1.0))) / 2.0) < 1e-5);
    }

    void auxiliaryLossesHandComputed() {
        at::Tensor logit = at::zeros({1, 1, 1, 2});
        QVERIFY(std::abs(val(binaryMapLoss(logit, at::tensor({0.0f, 1.0f}).view({1, 1, 1, 2}))) - std::log(2.0)) < 1e-6);
        at::Tensor cls = at::tensor({0.0f, 0.0f, 0.0f, 0.0f}).view({1, 4});
        QVERIFY(std::abs(val(classificationLoss(cls, at::tensor({int64_t{2}}))) - std::log(4.0)) < 1e-6);
    }

    void rampUpValues() {
        QVERIFY(std::abs(sigmoidRampUp(0, 100) - std::exp(-5.0)) < 1e-12);
        QVERIFY(std::abs(sigmoidRampUp(50, 100) - std::exp(-1.25)) < 1e-12);
        QCOMPARE(sigmoidRampUp(100, 100), 1.0);
        QCOMPARE(sigmoidRampUp(7, 0), 1.0);
    }

    void hardDice() {
        at::Tensor pred = at::tensor({0, 1, 1, 2}, at::kLong).view({1, 2, 2});
        at::Tensor truth = at::tensor({0, 1, 0, 0}, at::kLong).view({1, 2, 2});
        at::Tensor d = hardDicePerImage(pred, truth, 3);
        QVERIFY(std::abs(d[0][0].item<double>() - 2.0 / 3.0) < 1e-9);  // class 1: 2*1/(2+1)
        QCOMPARE(d[0][1].item<double>(), 0.0);                          // class 2: predicted, absent
        QCOMPARE(hardDicePerImage(truth, truth, 3)[0][1].item<double>(), 1.0);  // both empty
    }

    void weightedCrossEntropyAndRegionDice() {
        // pixel 0: p1 = 3/4 (label 1, weight 1); pixel 1: p0 = 1/2 (label 0, weight 3); pixel 2 ignored.
        at::Tensor l = pixels({{0.0, std::log(3.0)}, {0.0, 0.0}, {5.0, -5.0}});
        at::Tensor w = at::tensor({1.0f, 3.0f, 5.0f}).view({1, 1, 3});
        const double expected = (-std::log(0.75) * 1.0 + std::log(2.0) * 3.0) / 4.0;
        QVERIFY(std::abs(val(weightedCrossEntropyLoss(l, labels({1, 0, kIgnoreLabel}), w)) - expected) < 1e-6);
        // Equal weights give plain cross-entropy.
        at::Tensor ones = at::ones({1, 1, 3});
        QVERIFY(std::abs(val(weightedCrossEntropyLoss(l, labels({1, 0, kIgnoreLabel}), ones)) -
                         val(crossEntropyLoss(l, labels({1, 0, kIgnoreLabel})))) < 1e-6);
        // Regions as unions of classes: disc = {1,2}, cup = {2}.
        at::Tensor pred = at::tensor({0, 1, 2, 2}, at::kLong).view({1, 2, 2});
        at::Tensor truth = at::tensor({0, 2, 2, 1}, at::kLong).view({1, 2, 2});
        at::Tensor d = hardDicePerRegion(pred, truth, {{1, 2}, {2}});
        QCOMPARE(d[0][0].item<double>(), 1.0);                          // the disc agrees exactly
        QVERIFY(std::abs(d[0][1].item<double>() - 0.5) < 1e-9);         // cup: 2*1/(2+2)
    }

    void fourierStyleMixKeepsStructureMovesStyle() {
        TensorDataset d = makeSyntheticDataset({4, 32, 3, 2, 0.0, 5, "x", false});
        TensorDataset other = makeSyntheticDataset({2, 32, 3, 2, 0.0, 9, "y", false});
        // A style dominated by one low frequency (one period across the image) that the labeled
        // images lack.
        at::Tensor wave = at::cos(at::arange(32, at::kFloat) * (2.0 * 3.14159265358979 / 32.0)).view({1, 1, 1, 32}).expand({2, 3, 32, 32});
        at::Tensor style = normalizeImages(other.images + 4.0 * wave, Normalization::PerImageChannel);
        AugmentConfig cfg;
        cfg.fourierProb = 0.0;
        at::Generator g0 = at::make_generator<at::CPUGeneratorImpl>(2);
        QVERIFY(torch::equal(fourierStyleMix(d.images, style, cfg, g0), d.images));  // off: identity
        cfg.fourierProb = 1.0;
        at::Generator g1 = at::make_generator<at::CPUGeneratorImpl>(2), g2 = at::make_generator<at::CPUGeneratorImpl>(2);
        at::Tensor a = fourierStyleMix(d.images, style, cfg, g1), b = fourierStyleMix(d.images, style, cfg, g2);
        QVERIFY(torch::equal(a, b));  // seeded
        QVERIFY(a.mean({2, 3}).abs().max().item<double>() < 1e-4);  // normalised again
        // Style moved: the share of energy at that frequency rises towards the style's.
        auto share = [](const at::Tensor& x) {
            at::Tensor p = torch::fft::fft2(x).abs().pow(2);
            return ((p.select(3, 1).select(2, 0) + p.select(3, 31).select(2, 0)).sum() / p.sum()).item<double>();
        };
        QVERIFY2(share(a) > 2.0 * share(d.images) && share(a) < share(style),
                 qPrintable(QString("%1 vs content %2, style %3").arg(share(a)).arg(share(d.images)).arg(share(style))));
        // Structure kept: the high frequencies (the image minus its blur) barely change.
        auto high = [](const at::Tensor& x) { return x - F::avg_pool2d(x, F::AvgPool2dFuncOptions(5).stride(1).padding(2)); };
        const double corr = torch::cosine_similarity(high(a).flatten(), high(d.images).flatten(), 0).item<double>();
        QVERIFY2(corr > 0.9, qPrintable(QString::number(corr)));
        // A style identical to the content changes nothing (up to the FFT's rounding).
        at::Generator g3 = at::make_generator<at::CPUGeneratorImpl>(4);
        at::Tensor same = fourierStyleMix(d.images.slice(0, 0, 1), d.images.slice(0, 0, 1), cfg, g3);
        QVERIFY((same - d.images.slice(0, 0, 1)).abs().max().item<double>() < 1e-4);
    }

    void initModelLoadsExportedWeights() {
        NetworkSpec spec{Backbone::ResNet18, 0.25, 3, 3, 0.1};
        DeepLabV3Plus source(spec), target(spec);
        initializeWeights(*source, 11);
        initializeWeights(*target, 12);
        ModelInfo info;
        info.backbone = spec.backbone;
        info.width = spec.width;
        info.inChannels = spec.inChannels;
        info.numClasses = spec.numClasses;
        info.size = 32;
        const std::string file = tempPath("init.pt");
        info.resize = Resize::Letterbox;  // not the reader's default (stretch, for older files)
        writeModelFile(file, source, info);
        QVERIFY(readModelInfo(file).resize == Resize::Letterbox);
        info.resize = Resize::Stretch;
        writeModelFile(file, source, info);
        QVERIFY(readModelInfo(file).resize == Resize::Stretch);
        loadModelWeights(target, file);
        auto a = source->named_parameters(true), b = target->named_parameters(true);
        for (const auto& p : a) QVERIFY2(torch::equal(p.value(), b[p.key()]), p.key().c_str());
        // Another network shape is refused and leaves the target as it was.
        NetworkSpec other = spec;
        other.numClasses = 2;
        DeepLabV3Plus wrong(other);
        initializeWeights(*wrong, 13);
        const at::Tensor before = wrong->named_parameters(true)["classifier.weight"].clone();
        QVERIFY(thrownMessage<FileFormatError>([&] { loadModelWeights(wrong, file); }).contains("3 classes"));
        QVERIFY(torch::equal(before, wrong->named_parameters(true)["classifier.weight"]));
    }

    void teacherPassHasNoDropout() {
        NetworkSpec spec{Backbone::ResNet18, 0.25, 3, 3, 0.5};
        DeepLabV3Plus net(spec);
        net->train();
        at::Tensor x = at::randn({2, 3, 32, 32});
        torch::NoGradGuard noGrad;
        // Batch statistics depend on the batch alone; without dropout two passes agree exactly.
        QVERIFY(torch::equal(net->forwardNoDropout(x).logits, net->forwardNoDropout(x).logits));
        QVERIFY(!torch::equal(net->forward(x).logits, net->forward(x).logits));  // dropout 0.5 is on
    }

    void cutMixMaskAgreesWithMixedImageAndTarget() {
        AugmentConfig cfg;
        for (uint64_t seed = 0; seed < 20; ++seed) {
            at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
            const int64_t b = 4, h = 48, w = 64;
            MixPlan plan = makeMixPlan(b, h, w, cfg, false, 4, gen);
            at::Tensor img = at::randn({b, 3, h, w}, gen, at::kFloat);
            at::Tensor lab = at::randint(0, 5, {b, h, w}, gen, at::kLong);
            at::Tensor mixed = applyMix(plan, img), mixedLab = applyMix(plan, lab);
            at::Tensor target = pastedRegionTarget(plan);
            for (int64_t i = 0; i < b; ++i) {
                const int64_t j = plan.partner[i].item<int64_t>();
                QVERIFY(j != i);
                at::Tensor m = target[i][0].gt(0.5);
                const double frac = m.to(at::kDouble).mean().item<double>();
                QVERIFY2(frac >= cfg.cutmixMinArea - 1e-9 && frac <= cfg.cutmixMaxArea + 1e-9, qPrintable(QString::number(frac)));
                // The pasted region is one axis-aligned box.
                at::Tensor rows = m.any(1), cols = m.any(0);
                QCOMPARE(m.sum().item<int64_t>(), rows.sum().item<int64_t>() * cols.sum().item<int64_t>());
                // Inside the target the image and labels come from the partner, outside from itself.
                QVERIFY(torch::equal(mixed[i].masked_select(m.expand({3, h, w})), img[j].masked_select(m.expand({3, h, w}))));
                QVERIFY(torch::equal(mixed[i].masked_select(~m.expand({3, h, w})), img[i].masked_select(~m.expand({3, h, w}))));
                QVERIFY(torch::equal(mixedLab[i].masked_select(m), lab[j].masked_select(m)));
                QVERIFY(torch::equal(mixedLab[i].masked_select(~m), lab[i].masked_select(~m)));
            }
        }
    }

    void rotationLabelMatchesRotatedRegion() {
        AugmentConfig cfg;
        int kSeen[4] = {0, 0, 0, 0};
        for (uint64_t seed = 0; seed < 30; ++seed) {
            at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed + 100);
            const int64_t b = 4, s = 64;
            MixPlan plan = makeMixPlan(b, s, s, cfg, true, 4, gen);
            at::Tensor img = at::randn({b, 2, s, s}, gen, at::kFloat);
            at::Tensor cut = applyCutMix(plan, img);
            at::Tensor out = applyMix(plan, img);
            at::Tensor target = pastedRegionTarget(plan);
            for (int64_t i = 0; i < b; ++i) {
                const int64_t y0 = plan.rotBox[i][0].item<int64_t>(), x0 = plan.rotBox[i][1].item<int64_t>();
                const int64_t side = plan.rotBox[i][2].item<int64_t>(), k = plan.rotK[i].item<int64_t>();
                QVERIFY(y0 % 4 == 0 && x0 % 4 == 0 && side % 4 == 0 && side >= 16 && side <= 32);
                QVERIFY(y0 + side <= s && x0 + side <= s);
                at::Tensor before = cut[i].slice(1, y0, y0 + side).slice(2, x0, x0 + side);
                at::Tensor after = out[i].slice(1, y0, y0 + side).slice(2, x0, x0 + side);
                // Exactly one rotation of the (random) region reproduces it: the label's.
                int matches = 0, found = -1;
                for (int64_t r = 0; r < 4; ++r)
                    if (torch::equal(torch::rot90(before, r, {1, 2}), after)) {
                        ++matches;
                        found = static_cast<int>(r);
                    }
                QCOMPARE(matches, 1);
                QCOMPARE(static_cast<int64_t>(found), k);
                ++kSeen[k];
                // Outside the square nothing moved.
                at::Tensor outside = at::ones({s, s}, at::kBool);
                outside.slice(0, y0, y0 + side).slice(1, x0, x0 + side).fill_(false);
                QVERIFY(torch::equal(out[i].masked_select(outside.expand({2, s, s})), cut[i].masked_select(outside.expand({2, s, s}))));
                // The localisation target moved with the image: pasted pixels are the partner's.
                at::Tensor m = target[i][0].gt(0.5).expand({2, s, s});
                at::Tensor partnerRot = applyRegionRotation(plan, img.index_select(0, plan.partner))[i];
                QVERIFY(torch::equal(out[i].masked_select(m), partnerRot.masked_select(m)));
            }
        }
        for (int k = 0; k < 4; ++k) QVERIFY(kSeen[k] > 0);
    }

    void weakAugmentKeepsImageAndMaskAligned() {
        // The image is the mask itself: after the warp, bilinear image and nearest mask agree
        // except along label borders.
        TensorDataset d = makeSyntheticDataset({4, 64, 1, 3, 0.0, 7, "x", true});
        at::Tensor img = d.masks.unsqueeze(1).to(at::kFloat);
        AugmentConfig cfg;
        cfg.rot90 = true;
        at::Generator g1 = at::make_generator<at::CPUGeneratorImpl>(3), g2 = at::make_generator<at::CPUGeneratorImpl>(3);
        ImageMaskBatch a = weakAugment({img, d.masks}, cfg, g1);
        ImageMaskBatch b = weakAugment({img, d.masks}, cfg, g2);
        QVERIFY(torch::equal(a.images, b.images) && torch::equal(a.masks, b.masks));  // seeded
        QVERIFY(!torch::equal(a.masks, d.masks));
        const double agree = a.images.squeeze(1).round().to(at::kLong).eq(a.masks).to(at::kDouble).mean().item<double>();
        QVERIFY2(agree > 0.97, qPrintable(QString::number(agree)));
    }

    void strongAugmentChangesImageKeepsNormalisation() {
        TensorDataset d = makeSyntheticDataset({4, 32, 3, 2, 0.0, 5, "x", false});
        AugmentConfig cfg;
        cfg.blurProb = 1.0;
        at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
        at::Tensor s = strongAugment(d.images, cfg, gen);
        QVERIFY((s - d.images).abs().mean().item<double>() > 0.05);
        QVERIFY(s.mean({2, 3}).abs().max().item<double>() < 1e-4);
        QVERIFY((s.std({2, 3}, false) - 1.0).abs().max().item<double>() < 1e-3);
    }

    void networkShapes_data() {
        QTest::addColumn<QString>("backbone");
        QTest::addColumn<int>("channels");
        QTest::addRow("resnet18 rgb") << "resnet18" << 3;
        QTest::addRow("resnet34 gray") << "resnet34" << 1;
        QTest::addRow("resnet50 rgb") << "resnet50" << 3;
    }
    void networkShapes() {
        QFETCH(QString, backbone);
        QFETCH(int, channels);
        NetworkSpec spec{parseBackbone(backbone.toStdString()), 0.25, channels, 3, 0.1};
        DeepLabV3Plus net(spec);
        at::Tensor x = at::randn({2, channels, 64, 64});
        SegOutput out = net->forward(x);
        QCOMPARE(out.logits.sizes().vec(), (std::vector<int64_t>{2, 3, 64, 64}));
        QCOMPARE(out.features.sizes().vec(), (std::vector<int64_t>{2, net->featureChannels(), 16, 16}));
        QCOMPARE(net->encoder()->highChannels(), spec.backbone == Backbone::ResNet50 ? int64_t{512} : int64_t{128});
        net->eval();
        QCOMPARE(net->forward(at::randn({1, channels, 48, 80})).logits.sizes().vec(), (std::vector<int64_t>{1, 3, 48, 80}));
    }

    void initialisationIsSeeded() {
        NetworkSpec spec{Backbone::ResNet18, 0.25, 3, 2, 0.0};
        DeepLabV3Plus a(spec), b(spec), c(spec);
        initializeWeights(*a, 1);
        initializeWeights(*b, 1);
        initializeWeights(*c, 2);
        auto pa = a->parameters(), pb = b->parameters(), pc = c->parameters();
        bool allEqual = true, anyEqual = false;
        for (size_t i = 0; i < pa.size(); ++i) {
            allEqual &= torch::equal(pa[i], pb[i]);
            if (pa[i].dim() == 4) anyEqual |= torch::equal(pa[i], pc[i]);
        }
        QVERIFY(allEqual);
        QVERIFY(!anyEqual);
    }

    void featureSupervisionStopsGradient() {
        NetworkSpec spec{Backbone::ResNet18, 0.25, 3, 2, 0.0};
        DeepLabV3Plus a(spec), b(spec);
        initializeWeights(*a, 1);
        initializeWeights(*b, 2);
        ProjectionHead proj(a->featureChannels());
        at::Tensor x = at::randn({2, 3, 32, 32});
        at::Tensor loss = featureCosineLoss(proj->forward(a->forward(x).features), b->forward(x).features);
        loss.backward();
        double gradA = 0.0;
        for (auto& p : a->parameters())
            if (p.grad().defined()) gradA += p.grad().abs().sum().item<double>();
        for (auto& p : proj->parameters()) QVERIFY(p.grad().defined());
        QVERIFY(gradA > 0.0);
        for (auto& p : b->parameters()) QVERIFY(!p.grad().defined() || p.grad().abs().sum().item<double>() == 0.0);
    }

    void atrousShortcutIsExact() {
        // At 64x64 the ASPP input is 4x4, smaller than every dilation (6, 12, 18).
        NetworkSpec on{Backbone::ResNet18, 0.25, 3, 2, 0.0, true}, off = on;
        off.atrousShortcut = false;
        DeepLabV3Plus a(on), b(off);
        initializeWeights(*a, 5);
        initializeWeights(*b, 5);
        at::Tensor x = at::randn({2, 3, 64, 64});
        at::Tensor la = a->forward(x).logits, lb = b->forward(x).logits;
        QVERIFY((la - lb).abs().max().item<double>() < 1e-4);
        la.square().sum().backward();
        lb.square().sum().backward();
        auto ga = a->named_parameters(), gb = b->named_parameters();
        for (const auto& p : ga) {
            const at::Tensor& g1 = p.value().grad();
            const at::Tensor& g2 = gb[p.key()].grad();
            QVERIFY2((g1 - g2).abs().max().item<double>() <= 1e-3 * std::max(1.0, g2.abs().max().item<double>()), p.key().c_str());
        }
    }

    void bilinearMatrixMatchesInterpolate() {
        at::Tensor x = at::randn({2, 5, 8, 6});
        at::Tensor ref = F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<int64_t>{32, 24}).mode(torch::kBilinear).align_corners(false));
        at::Tensor m = torch::matmul(torch::matmul(interpolationMatrix(8, 32, x.options()), x), interpolationMatrix(6, 24, x.options()).t());
        QVERIFY((m - ref).abs().max().item<double>() < 1e-5);
        at::Tensor bf = resizeBilinear(x.to(at::kBFloat16), 32, 24).to(at::kFloat);
        QVERIFY((bf - ref).abs().max().item<double>() < 0.05);
    }

    void encoderWeightsLoadAndMismatch() {
        ResNetEncoder a(Backbone::ResNet18, 0.25, 3), b(Backbone::ResNet18, 0.25, 3), wide(Backbone::ResNet18, 0.5, 3);
        initializeWeights(*a, 11);
        initializeWeights(*b, 12);
        const std::string path = tempPath("encoder.pt");
        torch::save(a, path);
        loadEncoderWeights(b, path);
        auto pa = a->parameters(), pb = b->parameters();
        for (size_t i = 0; i < pa.size(); ++i) QVERIFY(torch::equal(pa[i], pb[i]));
        QString msg = thrownMessage<FileFormatError>([&] { loadEncoderWeights(wide, path); });
        QVERIFY2(msg.contains("do not match") || msg.contains("shape"), qPrintable(msg));
        std::ofstream(tempPath("junk.pt")) << "not an archive";
        msg = thrownMessage<FileFormatError>([&] { loadEncoderWeights(b, tempPath("junk.pt")); });
        QVERIFY2(msg.contains("junk.pt"), qPrintable(msg));
    }

    void datasetRoundTripAndCorruptFiles() {
        TensorDataset d = makeSyntheticDataset({5, 32, 3, 3, 0.3, 9, "siteA", true});
        const std::string path = tempPath("data.pt");
        d.save(path);
        TensorDataset e = TensorDataset::load(path);
        QVERIFY(torch::equal(d.images, e.images) && torch::equal(d.masks, e.masks));
        QVERIFY(d.caseIds == e.caseIds && d.domains == e.domains);
        QCOMPARE(e.labelCount(), int64_t{3});
        TensorDataset u = makeSyntheticDataset({3, 32, 1, 2, 0.0, 9, "siteB", false});
        u.save(path);
        QVERIFY(!TensorDataset::load(path).hasMasks());
        // truncated
        d.save(path);
        const auto full = std::filesystem::file_size(path);
        std::filesystem::resize_file(path, full / 2);
        QString msg = thrownMessage<FileFormatError>([&] { TensorDataset::load(path); });
        QVERIFY2(msg.contains("data.pt"), qPrintable(msg));
        // garbage, missing, and an archive of another kind
        std::ofstream(path, std::ios::trunc) << "garbage garbage garbage";
        QVERIFY(!thrownMessage<FileFormatError>([&] { TensorDataset::load(path); }).startsWith("NO"));
        QVERIFY(thrownMessage<FileFormatError>([&] { TensorDataset::load(tempPath("missing.pt")); }).contains("does not exist"));
        torch::save(at::ones({3}), path);
        msg = thrownMessage<FileFormatError>([&] { TensorDataset::load(path); });
        QVERIFY2(msg.contains("not a DAC Workbench tensor dataset") || msg.contains("corrupt"), qPrintable(msg));
        // inconsistent data is refused before writing
        TensorDataset bad = d;
        bad.caseIds.pop_back();
        QVERIFY(thrownMessage<ConfigError>([&] { bad.save(path); }).contains("case ids"));
    }

    void configOptionsRoundTrip() {
        TrainConfig c;
        applyOption(c, "method", "dac-no-feat");
        applyOption(c, "lr", "0.001");
        applyOption(c, "bf16", "false");
        applyOption(c, "test-poison-loss-at", "3,4");
        applyOption(c, "validation-regions", "1,2;2");
        applyOption(c, "cps-weighting", "confidence");
        applyOption(c, "feature-loss", "contrastive");
        applyOption(c, "cps-prior", "em");
        applyOption(c, "cps-prior-momentum", "0.8");
        applyOption(c, "resize", "stretch");
        TrainConfig d;
        for (const auto& [k, v] : toKeyValues(c)) applyOption(d, k, v);
        QCOMPARE(toKeyValues(d), toKeyValues(c));
        QVERIFY(d.method == Method::DacNoFeat && d.lr == 0.001 && !d.bf16 && d.testHooks.poisonLossAt.size() == 2);
        QVERIFY(d.validationRegions == (std::vector<std::vector<int64_t>>{{1, 2}, {2}}));
        QVERIFY(d.cpsWeighting == CpsWeighting::Confidence);
        QVERIFY(d.featureLoss == FeatureLoss::Contrastive);
        QVERIFY(d.cpsPrior == CpsPrior::Em && d.cpsPriorMomentum == 0.8);
        QVERIFY(d.resize == Resize::Stretch);
        QVERIFY(thrownMessage<ConfigError>([&] { applyOption(c, "resize", "crop"); }).contains("letterbox"));
        applyOption(c, "predict-prior", "unlabeled");
        QVERIFY(c.predictPrior == PredictPrior::Unlabeled && c.estimatesPriors());
        QVERIFY(thrownMessage<ConfigError>([&] { applyOption(c, "predict-prior", "test"); }).contains("unlabeled"));
        QVERIFY(thrownMessage<ConfigError>([&] { applyOption(c, "cps-prior", "guess"); }).contains("em"));
        TrainConfig m;
        m.cpsPriorMomentum = 1.0;
        QVERIFY(thrownMessage<ConfigError>([&] { validateConfig(m); }).contains("cps-prior-momentum"));
        TrainConfig e;
        e.numClasses = 3;
        applyOption(e, "validation-regions", "1,3");
        QVERIFY(thrownMessage<ConfigError>([&] { validateConfig(e); }).contains("class 3"));
        QVERIFY(thrownMessage<ConfigError>([&] { applyOption(c, "method", "magic"); }).contains("dac-sym-aux"));
        QVERIFY(thrownMessage<ConfigError>([&] { applyOption(c, "nope", "1"); }).contains("nope"));
        QVERIFY(thrownMessage<ConfigError>([&] { applyOption(c, "lr", "fast"); }).contains("lr"));
        c.unlabeledBatch = 1;
        QVERIFY(thrownMessage<ConfigError>([&] { validateConfig(c); }).contains("unlabeled-batch"));
        QVERIFY(partsOf(Method::Dac).rotationHeadB && !partsOf(Method::Dac).cutmixHeadB);
        QVERIFY(partsOf(Method::DacSymAux).cutmixHeadB && !partsOf(Method::DacSymAux).rotationHeadB);
        QVERIFY(!partsOf(Method::Cps).featureSupervision && partsOf(Method::DacNoAux).featureSupervision);
    }

    void headOptionsAndKernelAuto() {
        TrainConfig c;
        QVERIFY(c.autoKernels.bf16 && c.autoKernels.channelsLast && c.autoKernels.modelParallel);
        applyOption(c, "head-channels", "64");
        applyOption(c, "aspp-rates", "2,4,6");
        applyOption(c, "channels-last", "false");  // pins it
        TrainConfig d;
        for (const auto& [k, v] : toKeyValues(c)) applyOption(d, k, v);
        QCOMPARE(toKeyValues(d), toKeyValues(c));
        QVERIFY(d.headChannels == 64 && d.asppRates == (std::vector<int64_t>{2, 4, 6}));
        QVERIFY(d.autoKernels.bf16 && !d.autoKernels.channelsLast && !d.channelsLast && d.autoKernels.modelParallel);
        applyOption(d, "channels-last", "auto");
        QVERIFY(d.autoKernels.channelsLast);
        validateConfig(d);
        TrainConfig bad;
        applyOption(bad, "aspp-rates", "6,12");
        QVERIFY(thrownMessage<ConfigError>([&] { validateConfig(bad); }).contains("aspp-rates"));
        bad = TrainConfig();
        bad.headChannels = 3;
        QVERIFY(thrownMessage<ConfigError>([&] { validateConfig(bad); }).contains("head-channels"));
        QVERIFY(thrownMessage<ConfigError>([&] { applyOption(bad, "bf16", "sometimes"); }).contains("bf16"));
    }

    // The per-machine kernel choice: measures once, caches, reads the cache back; pinned switches
    // stay as set; a cache folder that cannot be written still gives a choice.
    void kernelChoiceMeasuresOnceAndCaches() {
        const std::string dir = std::filesystem::path(tempPath("kernel-cache")).string();
        std::filesystem::remove_all(dir);
        qputenv("DACW_CACHE_DIR", QByteArray::fromStdString(dir));
        qputenv("DACW_KERNEL_MAX_LOAD", "1000");  // cache even while other tests load the machine
        TrainConfig c;
        c.method = Method::Dac;
        c.size = 32;
        c.numClasses = 3;
        c.width = 0.25;
        c.threads = 2;
        c.labeledBatch = c.unlabeledBatch = 2;
        c.autoKernels.bf16 = false;  // pinned
        c.bf16 = false;
        const KernelChoice first = chooseKernels(c, 3);
        QVERIFY(!first.fromCache);
        QVERIFY(!first.bf16);
        QCOMPARE(int(first.measured.size()), 3);  // start, channels-last toggled, model-parallel toggled
        for (const auto& m : first.measured) QVERIFY(!m.bf16 && m.secondsPerIteration > 0.0);
        QVERIFY(first.summary().find("bf16 off") != std::string::npos);
        QVERIFY(!first.cacheFile.empty());
        {
            QVERIFY(std::filesystem::exists(first.cacheFile));
            // Keyed by the CPU's generation, not only its (often generic) model name.
            std::ifstream cached(first.cacheFile);
            const std::string cache((std::istreambuf_iterator<char>(cached)), std::istreambuf_iterator<char>());
            QVERIFY(cache.find("cpu=" + dacw::thisCpu().text() + "|") != std::string::npos);
            const KernelChoice second = chooseKernels(c, 3);
            QVERIFY(second.fromCache);
            QCOMPARE(second.channelsLast, first.channelsLast);
            QCOMPARE(second.modelParallel, first.modelParallel);
            QVERIFY(second.summary().find("cached in") != std::string::npos);
            // Another shape is another entry.
            TrainConfig bigger = c;
            bigger.size = 48;
            QVERIFY(!chooseKernels(bigger, 3).fromCache);
        }
        TrainConfig applied = c;
        applyKernelChoice(applied, first);
        QVERIFY(!applied.autoKernels.any());
        QCOMPARE(applied.channelsLast, first.channelsLast);
        // Everything pinned: nothing is measured.
        TrainConfig pinned = c;
        pinned.autoKernels = {false, false, false};
        QVERIFY(chooseKernels(pinned, 3).measured.empty());
        // An unwritable cache location: still a choice, no cache file.
        std::ofstream(dir + "/blocker") << "x";
        qputenv("DACW_CACHE_DIR", QByteArray::fromStdString(dir + "/blocker/sub"));
        TrainConfig fresh = c;
        fresh.size = 64;
        const KernelChoice third = chooseKernels(fresh, 3);
        QVERIFY(!third.fromCache && third.cacheFile.empty() && !third.measured.empty());
        qunsetenv("DACW_CACHE_DIR");
        qunsetenv("DACW_KERNEL_MAX_LOAD");
        torch::set_num_threads(1);  // the trainers above set their own count
    }
};

std::unique_ptr<QObject> makeUnitTests() { return std::make_unique<UnitTests>(); }

#include "UnitTests.moc"
