// Tests of inference with an exported model (core/train/Predictor.h): the network rebuilt from
// the file alone, and test-time augmentation.
#include "common/Expect.h"
#include <QtTest>
#include <torch/torch.h>

#include <filesystem>
#include <memory>

#include "core/train/Errors.h"
#include "core/train/ModelFile.h"
#include "core/train/Networks.h"
#include "core/train/Predictor.h"
#include "core/train/TrainConfig.h"

using namespace dacw::train;
using dacw::test::thrownMessage;

namespace {

std::string tempPath(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("dacw_train_predictor_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return (dir / name).string();
}

// Exports `net` (built from `spec`, three classes) as a model file of training size `size`.
std::string exportNetwork(DeepLabV3Plus& net, const NetworkSpec& spec, int64_t size, const std::string& name) {
    ModelInfo info;
    info.backbone = spec.backbone;
    info.width = spec.width;
    info.inChannels = 3;
    info.numClasses = 3;
    info.size = size;
    const std::string file = tempPath(name);
    writeModelFile(file, net, info);
    return file;
}

}  // namespace

class PredictorTests : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }
    void cleanupTestCase() {
        std::error_code ec;
        std::filesystem::remove_all(std::filesystem::path(tempPath("x")).parent_path(), ec);
    }

    // A compact head (other channels and rates) survives export: the Predictor rebuilds the same
    // network from the file alone and gives the same probabilities; a run of another head refuses it.
    void compactHeadExportsAndLoads() {
        NetworkSpec spec{Backbone::ResNet18, 0.25, 3, 3, 0.0};
        spec.headChannels = 24;
        spec.asppRates = {2, 4, 6};
        DeepLabV3Plus net(spec);
        initializeWeights(*net, 5);
        QCOMPARE(net->featureChannels(), int64_t{24});
        const std::string file = exportNetwork(net, spec, 32, "compact.pt");
        const ModelInfo back = readModelInfo(file);
        QCOMPARE(back.headChannels, int64_t{24});
        QVERIFY(back.asppRates == (std::vector<int64_t>{2, 4, 6}));
        Predictor p(file, "cpu", 1);
        p.setBf16(false);
        net->eval();
        at::Tensor x = at::randn({2, 3, 32, 32});
        at::Tensor expected;
        {
            torch::NoGradGuard ng;
            expected = net->forward(x).logits.softmax(1);
        }
        QVERIFY(torch::allclose(p.predict(x), expected, 1e-4, 1e-5));
        NetworkSpec other = spec;
        other.headChannels = 0;  // the published head: 256 x 0.25 = 64 channels
        DeepLabV3Plus wrong(other);
        QVERIFY(thrownMessage<FileFormatError>([&] { loadModelWeights(wrong, file); }).contains("head 24 channels"));
    }

    // Test-time augmentation: flip averages the image's and its mirror's probabilities, each mapped
    // back; both modes are exactly mirror-equivariant (a mapping back that forgot to un-flip or
    // resized to the wrong side would break it); flip-scales keeps the shape and sums to one.
    void testTimeAugmentation() {
        NetworkSpec spec{Backbone::ResNet18, 0.25, 3, 3, 0.0};
        DeepLabV3Plus net(spec);
        initializeWeights(*net, 6);
        Predictor p(exportNetwork(net, spec, 48, "tta.pt"), "cpu", 1);
        p.setBf16(false);
        QVERIFY(p.tta() == Tta::None);
        at::Tensor x = at::randn({2, 3, 48, 48}, at::TensorOptions().dtype(at::kFloat));
        const at::Tensor plain = p.predict(x), mirrored = p.predict(x.flip({3}));
        QVERIFY(!torch::allclose(plain.flip({3}), mirrored, 1e-3, 1e-3));  // the network alone is not symmetric
        p.setTta(Tta::Flip);
        const at::Tensor flip = p.predict(x);
        QVERIFY(torch::allclose(flip, (plain + mirrored.flip({3})) / 2, 1e-5, 1e-6));
        QVERIFY(torch::allclose(p.predict(x.flip({3})), flip.flip({3}), 1e-5, 1e-6));
        p.setTta(Tta::FlipScales);
        const at::Tensor scales = p.predict(x, 1);
        QVERIFY(scales.sizes().equals(plain.sizes()));
        QVERIFY(torch::allclose(scales.sum(1), at::ones({2, 48, 48}), 1e-5, 1e-5));
        QVERIFY(!torch::allclose(scales, flip, 1e-4, 1e-4));
        QVERIFY(torch::allclose(p.predict(x.flip({3}), 1), scales.flip({3}), 1e-4, 1e-5));
        QVERIFY(parseTta("flip-scales") == Tta::FlipScales && toString(Tta::Flip) == "flip");
        QVERIFY(thrownMessage<ConfigError>([] { parseTta("rotate"); }).contains("none, flip, flip-scales"));
        TrainConfig c;
        applyOption(c, "tta", "flip");
        QVERIFY(c.tta == Tta::Flip);
    }
};

std::unique_ptr<QObject> makePredictorTests() { return std::make_unique<PredictorTests>(); }

#include "PredictorTests.moc"
