// Tests of feature-statistics mixing (StyleMix in core/train/Networks.h, option style-mix-prob):
// who is paired with whom, what the mixed features' statistics are, where the gradient flows, and
// that only a training-mode network mixes.
#include <QtTest>
#include <torch/torch.h>

#include <memory>

#include "common/Expect.h"
#include "core/train/Batches.h"
#include "core/train/Errors.h"
#include "core/train/Networks.h"
#include "core/train/TrainConfig.h"

using namespace dacw::train;
using dacw::test::thrownMessage;
using dacw::train::detail::generatorFor;
using dacw::train::detail::kStyleMix;

namespace {

StyleMix fixedMix(std::vector<int64_t> partner, std::vector<float> lambda) {
    StyleMix m;
    m.partner = at::tensor(partner, at::kLong);
    m.lambda = at::tensor(lambda, at::kFloat);
    return m;
}

}  // namespace

class StyleMixTests : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // Labeled images (the first 3) take an unlabeled partner and unlabeled ones a labeled partner;
    // lambda lies in [0, 1] and is not constant; the same generator state gives the same draw.
    void partnersCrossTheTwoParts() {
        int active = 0;
        for (uint64_t it = 0; it < 40; ++it) {
            const StyleMix m = drawStyleMix(3, 4, 0.5, 0.1, generatorFor(7, kStyleMix, it));
            if (!m.active()) continue;
            ++active;
            QCOMPARE(m.partner.size(0), int64_t{7});
            QCOMPARE(m.lambda.size(0), int64_t{7});
            for (int64_t i = 0; i < 7; ++i) {
                const int64_t p = m.partner[i].item<int64_t>();
                if (i < 3) QVERIFY(p >= 3 && p < 7);
                else QVERIFY(p >= 0 && p < 3);
            }
            QVERIFY(m.lambda.min().item<float>() >= 0.0f && m.lambda.max().item<float>() <= 1.0f);
            const StyleMix again = drawStyleMix(3, 4, 0.5, 0.1, generatorFor(7, kStyleMix, it));
            QVERIFY(torch::equal(again.partner, m.partner) && torch::equal(again.lambda, m.lambda));
        }
        // Probability 0.5 over 40 draws: neither never nor always.
        QVERIFY(active > 5 && active < 35);
        QVERIFY(!drawStyleMix(3, 4, 0.0, 0.1, generatorFor(7, kStyleMix, 0)).active());
        QVERIFY(drawStyleMix(3, 4, 1.0, 0.1, generatorFor(7, kStyleMix, 0)).active());
        // Beta(0.1, 0.1) puts most of its mass near 0 and 1: over many draws both ends occur.
        const StyleMix wide = drawStyleMix(200, 200, 1.0, 0.1, generatorFor(1, kStyleMix, 0));
        QVERIFY((wide.lambda < 0.1).sum().item<int64_t>() > 50 && (wide.lambda > 0.9).sum().item<int64_t>() > 50);
        // No unlabeled images (supervised): a partner other than the image itself.
        for (uint64_t it = 0; it < 10; ++it) {
            const StyleMix m = drawStyleMix(4, 0, 1.0, 0.1, generatorFor(3, kStyleMix, it));
            for (int64_t i = 0; i < 4; ++i) QVERIFY(m.partner[i].item<int64_t>() != i);
        }
        QVERIFY(!drawStyleMix(1, 0, 1.0, 0.1, generatorFor(3, kStyleMix, 0)).active());
    }

    // lambda 0: an image takes its partner's per-channel mean and standard deviation; lambda 1:
    // unchanged; the spatial pattern (the normalised features) is kept either way.
    void mixedFeaturesCarryThePartnersStatistics() {
        torch::manual_seed(3);
        const at::Tensor x = torch::randn({3, 4, 6, 5}) * torch::tensor({1.0, 2.0, 0.5}).view({3, 1, 1, 1}) +
                             torch::tensor({0.0, 3.0, -1.0}).view({3, 1, 1, 1});
        const at::Tensor y = mixFeatureStyle(x, fixedMix({1, 2, 0}, {0.0f, 1.0f, 0.25f}));
        auto [v, mu] = at::var_mean(x, {2, 3}, false, true);
        auto [vy, muy] = at::var_mean(y, {2, 3}, false, true);
        const at::Tensor sd = v.sqrt(), sdy = vy.sqrt();
        QVERIFY(torch::allclose(muy[0], mu[1], 1e-4, 1e-4) && torch::allclose(sdy[0], sd[1], 1e-4, 1e-4));
        QVERIFY(torch::allclose(y[1], x[1], 1e-4, 1e-4));
        QVERIFY(torch::allclose(muy[2], 0.25 * mu[2] + 0.75 * mu[0], 1e-4, 1e-4));
        QVERIFY(torch::allclose(sdy[2], 0.25 * sd[2] + 0.75 * sd[0], 1e-3, 1e-3));
        const at::Tensor normX = (x[0] - mu[0]) / sd[0], normY = (y[0] - muy[0]) / sdy[0];
        QVERIFY(torch::allclose(normX, normY, 1e-3, 1e-3));
        // bf16 in, bf16 out; no mix, the same tensor.
        QCOMPARE(mixFeatureStyle(x.to(at::kBFloat16), fixedMix({1, 2, 0}, {0.5f, 0.5f, 0.5f})).scalar_type(), at::kBFloat16);
        QVERIFY(mixFeatureStyle(x, StyleMix{}).is_same(x));
    }

    // The statistics are constants: d y_i / d x_i = mixed sd / own sd per channel, and nothing
    // flows from image i's output into its partner's input.
    void gradientSkipsTheStatistics() {
        torch::manual_seed(4);
        const at::Tensor x = (torch::randn({2, 3, 4, 4}) * 2.0 + 1.0).requires_grad_(true);
        const StyleMix m = fixedMix({1, 0}, {0.3f, 0.6f});
        mixFeatureStyle(x, m)[0].sum().backward();
        const at::Tensor sd = std::get<0>(at::var_mean(x.detach(), {2, 3}, false, true)).add(1e-6).sqrt();
        const at::Tensor expected = (0.3 * sd[0] + 0.7 * sd[1]) / sd[0];
        QVERIFY(torch::allclose(x.grad()[0], expected.expand({3, 4, 4}), 1e-4, 1e-4));
        QVERIFY(x.grad()[1].abs().max().item<float>() == 0.0f);
    }

    // A training-mode network mixes; in eval mode the mix is ignored (validation, prediction).
    void onlyTrainingModeMixes() {
        NetworkSpec spec;
        spec.numClasses = 3;
        spec.width = 0.25;
        spec.dropout = 0.0;
        DeepLabV3Plus net(spec);
        initializeWeights(*net, 11);
        torch::manual_seed(5);
        const at::Tensor x = torch::randn({4, 3, 32, 32});
        const StyleMix m = fixedMix({2, 3, 0, 1}, {0.0f, 0.0f, 0.0f, 0.0f});
        torch::NoGradGuard noGrad;
        net->train();
        const at::Tensor plain = net->forward(x).logits, mixed = net->forward(x, c10::nullopt, m).logits;
        QVERIFY((plain - mixed).abs().max().item<float>() > 1e-3f);
        net->eval();
        QVERIFY(torch::equal(net->forward(x).logits, net->forward(x, c10::nullopt, m).logits));
    }

    void options() {
        TrainConfig c;
        QCOMPARE(c.styleMixProb, 0.0);  // off by default
        applyOption(c, "style-mix-prob", "0.5");
        applyOption(c, "style-mix-alpha", "0.3");
        TrainConfig d;
        for (const auto& [k, v] : toKeyValues(c)) applyOption(d, k, v);
        QVERIFY(d.styleMixProb == 0.5 && d.styleMixAlpha == 0.3);
        validateConfig(d);
        d.styleMixProb = 1.5;
        QVERIFY(thrownMessage<ConfigError>([&] { validateConfig(d); }).contains("style-mix-prob"));
        d.styleMixProb = 0.5;
        d.styleMixAlpha = 0.0;
        QVERIFY(thrownMessage<ConfigError>([&] { validateConfig(d); }).contains("style-mix-alpha"));
    }
};

std::unique_ptr<QObject> makeStyleMixTests() { return std::make_unique<StyleMixTests>(); }

#include "StyleMixTests.moc"
