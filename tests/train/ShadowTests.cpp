// Tests of the bf16 weight copies (core/train/Bf16Shadows.h) and of the fused AdamW step that
// writes them: the same update as from float32 gradients, copies that follow their weights, and
// training with them that matches training with autocast's casts.
#include <QtTest>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <memory>

#include "core/train/Bf16Shadows.h"
#include "core/train/CoTrainer.h"
#include "core/train/Optimizers.h"
#include "core/train/TensorDataset.h"
#include "core/train/TrainConfig.h"

using namespace dacw::train;
using dacw::train::detail::Bf16Shadows;
using dacw::train::detail::ShadowScope;

namespace {

bool bitEqual(const at::Tensor& a, const at::Tensor& b) {
    return a.scalar_type() == b.scalar_type() && a.sizes().equals(b.sizes()) && torch::equal(a, b);
}

}  // namespace

class ShadowTests : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // From a bf16 gradient on the copy: the float32 weight and the moments move exactly as from
    // the same gradient in float32, the copy is the updated weight rounded to nearest even, and
    // the copy's gradient is consumed. 3*5*3*3 = 135 elements: the vector loop and its tail.
    void fusedStepFromShadowGradient() {
        torch::manual_seed(5);
        at::Tensor init = torch::randn({3, 5, 3, 3}).contiguous(at::MemoryFormat::ChannelsLast);
        at::Tensor plain = init.clone().requires_grad_(true);
        at::Tensor master = init.clone().requires_grad_(true);
        at::Tensor shadow = at::empty_like(master, master.options().dtype(at::kBFloat16)).requires_grad_(true);
        QVERIFY(shadow.strides() == master.strides());
        FusedAdamW a({plain}, 1e-2, 1e-2), b({master}, 1e-2, 1e-2);
        b.setShadows({shadow});
        for (int step = 0; step < 3; ++step) {
            const at::Tensor g = torch::randn({3, 5, 3, 3}).to(at::kBFloat16);
            plain.mutable_grad() = g.to(at::kFloat);
            shadow.mutable_grad() = g.contiguous(at::MemoryFormat::ChannelsLast);
            a.step();
            b.step();
            QVERIFY(bitEqual(plain.detach(), master.detach()));
            QVERIFY(bitEqual(shadow.detach(), master.detach().to(at::kBFloat16)));
            QVERIFY(!shadow.grad().defined());
            QVERIFY(!master.grad().defined());
        }
        QVERIFY(!bitEqual(master.detach(), init));
        // The rounding itself, on values that leave the weight as it is (lr 0, no decay): ties to
        // even both ways, signs, zeros, a subnormal, the largest floats (which round to infinity).
        const float big = std::numeric_limits<float>::max(), tiny = std::numeric_limits<float>::denorm_min();
        at::Tensor edge = torch::tensor({1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, -1.0f - 0x1p-8f, 0.0f, -0.0f, tiny, big, -big,
                                         3.14159f, -2.71828f, 1e-30f, 65504.5f, 0.1f});
        at::Tensor edgeMaster = edge.clone().requires_grad_(true);
        at::Tensor edgeShadow = torch::zeros_like(edge, at::kBFloat16).requires_grad_(true);
        FusedAdamW still({edgeMaster}, 0.0, 0.0);
        still.setShadows({edgeShadow});
        edgeShadow.mutable_grad() = torch::ones_like(edgeShadow);
        still.step();
        QVERIFY(bitEqual(edgeMaster.detach(), edge));
        QVERIFY2(bitEqual(edgeShadow.detach(), edge.to(at::kBFloat16)),
                 qPrintable(QString::fromStdString(
                     c10::str(edgeShadow.detach().to(at::kFloat), " vs ", edge.to(at::kBFloat16).to(at::kFloat)))));
        // A copy that does not match its parameter is refused.
        at::Tensor wrong = torch::zeros({3, 5, 3, 3}, at::kBFloat16);  // NCHW against channels-last
        bool refused = false;
        try {
            b.setShadows({wrong});
        } catch (const std::invalid_argument&) {
            refused = true;
        }
        QVERIFY(refused);
    }

    // The layers read the copies inside a scope and their float32 weights outside it; a weight
    // changed in place or replaced is copied again at the next activation; biases and BatchNorm
    // get no copy; the registered parameters stay float32 throughout.
    void shadowsFollowTheirWeights() {
        torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).bias(true)), torch::nn::BatchNorm2d(4),
                                  torch::nn::Flatten(), torch::nn::Linear(4 * 6 * 6, 2));
        auto* conv = net[0]->as<torch::nn::Conv2d>();
        auto* fc = net[3]->as<torch::nn::Linear>();
        const at::Tensor convWeight = conv->weight;
        std::vector<Bf16Shadows> shadows;
        shadows.emplace_back(*net);
        QCOMPARE(shadows[0].size(), size_t{2});
        const auto params = net->parameters();
        const auto aligned = shadows[0].alignedTo(params);
        int withCopy = 0;
        for (size_t i = 0; i < params.size(); ++i)
            if (aligned[i].defined()) {
                ++withCopy;
                QVERIFY(params[i].unsafeGetTensorImpl() == conv->weight.unsafeGetTensorImpl() ||
                        params[i].unsafeGetTensorImpl() == fc->weight.unsafeGetTensorImpl());
            }
        QCOMPARE(withCopy, 2);
        {
            ShadowScope scope(shadows);
            QCOMPARE(conv->weight.scalar_type(), at::kBFloat16);
            QCOMPARE(fc->weight.scalar_type(), at::kBFloat16);
            QVERIFY(bitEqual(conv->weight.detach(), convWeight.detach().to(at::kBFloat16)));
            for (const auto& p : net->parameters()) QCOMPARE(p.scalar_type(), at::kFloat);
        }
        QVERIFY(conv->weight.unsafeGetTensorImpl() == convWeight.unsafeGetTensorImpl());
        {
            torch::NoGradGuard noGrad;
            convWeight.mul_(3.0);  // in place: the version counter moves
        }
        {
            ShadowScope scope(shadows);
            QVERIFY(bitEqual(conv->weight.detach(), convWeight.detach().to(at::kBFloat16)));
        }
        {
            torch::NoGradGuard noGrad;
            convWeight.set_data(torch::randn(convWeight.sizes()));  // replaced storage
        }
        {
            ShadowScope scope(shadows);
            QVERIFY(bitEqual(conv->weight.detach(), convWeight.detach().to(at::kBFloat16)));
        }
        // A frozen weight's copy asks for no gradient either.
        fc->weight.requires_grad_(false);
        {
            ShadowScope scope(shadows);
            QVERIFY(!fc->weight.requires_grad());
        }
    }

    // DAC with the copies against DAC with autocast's per-iteration casts: each layer uses its
    // weight once per step, so the bf16 weights, the gradients and the updates are the same
    // numbers, and so is every loss of every iteration.
    void trainingMatchesAutocastCasts() {
        if (!cpuSupportsBf16()) QSKIP("this CPU has no AVX-512 BF16: bf16 training (and the copies) are not used");
        TensorDataset labeled = makeSyntheticDataset({6, 32, 3, 2, 0.0, 21, "siteA", true});
        TensorDataset unlabeled = makeSyntheticDataset({6, 32, 3, 2, 0.6, 22, "siteB", false});
        auto losses = [&](bool shadows, int64_t threads) {
            TrainConfig c;
            c.method = Method::Dac;
            c.iterations = 5;
            c.labeledBatch = c.unlabeledBatch = 2;
            c.width = 0.25;
            c.threads = threads;
            c.seed = 3;
            c.lr = 1e-3;
            c.rampUp = 2;
            c.prefetch = 1;
            c.bf16 = true;
            c.bf16Shadows = shadows;
            std::vector<std::map<std::string, double>> out;
            CoTrainer(c).run(labeled, unlabeled, {}, [&](const Progress& p) { out.push_back(p.losses); });
            return out;
        };
        for (int64_t threads : {1, 2}) {  // one stream, and A and B on their own threads
            const auto cast = losses(false, threads), copy = losses(true, threads);
            QCOMPARE(cast.size(), size_t{5});
            QCOMPARE(copy.size(), cast.size());
            for (size_t i = 0; i < cast.size(); ++i)
                for (const auto& [name, v] : cast[i])
                    QVERIFY2(copy[i].at(name) == v, qPrintable(QString("threads %1, iteration %2, %3: %4 vs %5")
                                                                   .arg(threads)
                                                                   .arg(i + 1)
                                                                   .arg(name.c_str())
                                                                   .arg(v, 0, 'g', 12)
                                                                   .arg(copy[i].at(name), 0, 'g', 12)));
        }
    }
};

std::unique_ptr<QObject> makeShadowTests() { return std::make_unique<ShadowTests>(); }

#include "ShadowTests.moc"
