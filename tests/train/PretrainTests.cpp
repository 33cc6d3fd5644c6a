// Encoder pretraining (core/train/Pretrain.h): the file loads into the trainer's encoder, a file
// of another encoder is refused, the contrastive loss falls, runs are reproducible.
#include "common/Expect.h"
#include <QtTest>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

#include "core/train/Errors.h"
#include "core/train/Networks.h"
#include "core/train/Pretrain.h"
#include "core/train/TensorDataset.h"
#include "core/train/TrainConfig.h"

using namespace dacw::train;
using dacw::test::thrownMessage;

namespace {

std::string tempPath(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("dacw_train_pretrain_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return (dir / name).string();
}

TensorDataset tinyImages(int64_t count, uint64_t seed) {
    SyntheticSpec s;
    s.count = count;
    s.size = 32;
    s.channels = 3;
    s.seed = seed;
    s.withMasks = false;
    return makeSyntheticDataset(s);
}

// A small, fast configuration: the trainer's encoder at width 0.25, float32.
PretrainConfig tinyConfig(int64_t iterations) {
    TrainConfig t;
    t.width = 0.25;
    t.seed = 7;
    t.bf16 = false;
    t.channelsLast = false;
    PretrainConfig p = pretrainConfigFor(t);
    p.iterations = iterations;
    p.batch = 8;
    return p;
}

// The trainer's network for a configuration, built as CoTrainer builds a sub-model's.
DeepLabV3Plus trainerNetwork(const TrainConfig& t, int64_t channels) {
    NetworkSpec spec;
    spec.backbone = t.backbone;
    spec.width = t.width;
    spec.inChannels = channels;
    spec.numClasses = 2;
    DeepLabV3Plus net(spec);
    initializeWeights(*net, 99);
    return net;
}

}  // namespace

class PretrainTests : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }
    void cleanupTestCase() {
        std::error_code ec;
        std::filesystem::remove_all(std::filesystem::path(tempPath("x")).parent_path(), ec);
    }

    void weightsFileLoadsIntoTrainerEncoder() {
        EncoderPretrainer pre(tinyConfig(2), 3);
        pre.run(tinyImages(8, 1));
        const std::string path = tempPath("enc.pt");
        pre.saveEncoder(path);
        QVERIFY(!std::filesystem::exists(path + ".partial"));
        TrainConfig t;
        t.width = 0.25;
        DeepLabV3Plus net = trainerNetwork(t, 3);
        ResNetEncoder enc = net->encoder();
        auto params = enc->named_parameters(true);
        auto buffers = enc->named_buffers(true);
        // Before loading the trainer's encoder differs from the pretrained one ...
        QVERIFY(!torch::equal(params["conv1.weight"], pre.encoderState().front().second));
        loadEncoderWeights(enc, path);
        // ... afterwards every parameter and BatchNorm statistic is the pretrained one exactly.
        const auto state = pre.encoderState();
        QCOMPARE(state.size(), params.size() + buffers.size());
        for (const auto& [name, value] : state) {
            const at::Tensor* got = params.find(name);
            if (!got) got = buffers.find(name);
            QVERIFY2(got, name.c_str());
            QVERIFY2(torch::equal(*got, value), name.c_str());
        }
        // The running statistics moved away from their initial values: pretraining ran BN in training mode.
        QVERIFY(!torch::equal(buffers["bn1.running_mean"], at::zeros_like(buffers["bn1.running_mean"])));
    }

    void mismatchedFilesAreRefused() {
        EncoderPretrainer pre(tinyConfig(1), 3);
        pre.run(tinyImages(4, 2));
        const std::string path = tempPath("narrow.pt");
        pre.saveEncoder(path);
        // Width 0.5 at train time: refused, the message says which encoder the run has, and the
        // encoder keeps its weights.
        ResNetEncoder wide(Backbone::ResNet18, 0.5, 3);
        initializeWeights(*wide, 3);
        const at::Tensor before = wide->named_parameters(true)["layer1.0.conv1.weight"].clone();
        QString msg = thrownMessage<FileFormatError>([&] { loadEncoderWeights(wide, path); });
        QVERIFY2(msg.contains("do not match") && msg.contains("resnet18 x0.5") && msg.contains("narrow.pt"), qPrintable(msg));
        QVERIFY(torch::equal(before, wide->named_parameters(true)["layer1.0.conv1.weight"]));
        // One input channel at train time (scgm) against a 3-channel file.
        ResNetEncoder gray(Backbone::ResNet18, 0.25, 1);
        msg = thrownMessage<FileFormatError>([&] { loadEncoderWeights(gray, path); });
        QVERIFY2(msg.contains("conv1.weight") && msg.contains("1 input channel"), qPrintable(msg));
        // A ResNet-34 file holds every tensor a ResNet-18 has (and more): refused, not loaded in part.
        ResNetEncoder deep(Backbone::ResNet34, 0.25, 3);
        const std::string deepPath = tempPath("deep.pt");
        torch::save(deep, deepPath);
        ResNetEncoder shallow(Backbone::ResNet18, 0.25, 3);
        initializeWeights(*shallow, 4);
        const at::Tensor kept = shallow->named_parameters(true)["conv1.weight"].clone();
        msg = thrownMessage<FileFormatError>([&] { loadEncoderWeights(shallow, deepPath); });
        QVERIFY2(msg.contains("do not match") && msg.contains("layer1.2"), qPrintable(msg));
        QVERIFY(torch::equal(kept, shallow->named_parameters(true)["conv1.weight"]));
        // The other way round: entries missing.
        msg = thrownMessage<FileFormatError>([&] { loadEncoderWeights(deep, path); });
        QVERIFY2(msg.contains("do not match"), qPrintable(msg));
    }

    void contrastiveLossDecreases() {
        // Milder views than the default: on 32-pixel synthetic disks, which differ only in their
        // noise, the default views make the task too hard for a few dozen iterations.
        PretrainConfig c = tinyConfig(60);
        c.lr = 2e-3;
        AugmentConfig& a = c.augment;
        a.scaleMax = 1.5;
        a.rotateDeg = 10;
        a.translate = 0.08;
        a.gamma = a.saturation = a.blurProb = 0.3;
        a.blurSigmaMax = 1.0;
        a.noiseStd = 0.05;
        EncoderPretrainer pre(c, 3);
        std::vector<PretrainProgress> reports;
        PretrainResult r = pre.run(tinyImages(8, 3), [&](const PretrainProgress& p) { reports.push_back(p); });
        QCOMPARE(r.losses.size(), size_t(60));
        QCOMPARE(reports.size(), size_t(60));
        QCOMPARE(reports.back().iteration, int64_t(60));
        QVERIFY(reports.back().imagesPerSecond > 0);
        double first = 0, last = 0;
        for (int i = 0; i < 5; ++i) {
            first += r.losses[size_t(i)] / 5;
            last += r.losses[r.losses.size() - 1 - size_t(i)] / 5;
        }
        // 2B = 16 views: chance level is ln(15) = 2.71.
        QVERIFY2(first > 2.0, qPrintable(QString::number(first)));
        QVERIFY2(last < 0.7 * first, qPrintable(QString("first %1 last %2").arg(first).arg(last)));
    }

    void maskedReconstructionLearnsAndLoads() {
        // 64-pixel synthetic disks: a 4x4 grid of 16x16 patches, 8 of them blanked per image.
        SyntheticSpec spec;
        spec.count = 8;
        spec.size = 64;
        spec.channels = 3;
        spec.seed = 11;
        spec.withMasks = false;
        const TensorDataset images = makeSyntheticDataset(spec);
        TrainConfig t;
        t.width = 0.25;
        t.seed = 3;
        t.bf16 = false;
        t.channelsLast = false;
        PretrainConfig c = pretrainConfigFor(t, Pretext::Masked);
        QVERIFY(c.pretext == Pretext::Masked);
        QCOMPARE(c.augment.gamma, 0.0);  // geometric views only: the target keeps its intensities
        c.iterations = 80;
        c.batch = 8;
        c.lr = 2e-3;
        c.maskRatio = 0.5;
        EncoderPretrainer pre(c, 3);
        PretrainResult r = pre.run(images);
        QCOMPARE(r.losses.size(), size_t(80));
        double first = 0, last = 0;
        for (int i = 0; i < 5; ++i) {
            first += r.losses[size_t(i)] / 5;
            last += r.losses[r.losses.size() - 1 - size_t(i)] / 5;
        }
        QVERIFY2(std::isfinite(first) && last < 0.7 * first, qPrintable(QString("first %1 last %2").arg(first).arg(last)));
        // The same seed gives the same losses; the file loads into the trainer's encoder.
        EncoderPretrainer again(c, 3);
        QVERIFY(again.run(images).losses == r.losses);
        const std::string path = tempPath("masked.pt");
        pre.saveEncoder(path);
        DeepLabV3Plus net = trainerNetwork(t, 3);
        ResNetEncoder enc = net->encoder();
        loadEncoderWeights(enc, path);
        auto loaded = enc->named_parameters(true);
        for (const auto& [name, value] : pre.encoderState())
            if (const at::Tensor* got = loaded.find(name)) QVERIFY2(torch::equal(*got, value), name.c_str());
        // Unusable settings are refused.
        PretrainConfig bad = c;
        bad.maskRatio = 1.0;
        QString msg = thrownMessage<ConfigError>([&] { EncoderPretrainer x(bad, 3); });
        QVERIFY2(msg.contains("mask ratio"), qPrintable(msg));
        msg = thrownMessage<ConfigError>([&] { parsePretext("rotation"); });
        QVERIFY2(msg.contains("contrastive or masked"), qPrintable(msg));
        QVERIFY(parsePretext(toString(Pretext::Masked)) == Pretext::Masked);
    }

    void sameSeedSameLosses() {
        auto losses = [](uint64_t seed) {
            PretrainConfig c = tinyConfig(3);
            c.seed = seed;
            EncoderPretrainer pre(c, 3);
            return pre.run(tinyImages(6, 4)).losses;
        };
        const auto a = losses(5), b = losses(5), other = losses(6);
        QVERIFY(a == b);
        QVERIFY(a != other);
    }

    void unusableInputsAreRefused() {
        EncoderPretrainer pre(tinyConfig(1), 3);
        QString msg = thrownMessage<ConfigError>([&] { pre.run(tinyImages(1, 5)); });
        QVERIFY2(msg.contains("at least 2 images"), qPrintable(msg));
        EncoderPretrainer gray(tinyConfig(1), 1);
        msg = thrownMessage<ConfigError>([&] { gray.run(tinyImages(4, 5)); });
        QVERIFY2(msg.contains("channels"), qPrintable(msg));
        PretrainConfig bad = tinyConfig(0);
        msg = thrownMessage<ConfigError>([&] { EncoderPretrainer x(bad, 3); });
        QVERIFY2(msg.contains("iteration"), qPrintable(msg));
        // An output that cannot be written: a TrainError naming it, and no partial file left.
        { std::ofstream(tempPath("plainfile")) << "x"; }
        const std::string out = tempPath("plainfile") + "/enc.pt";
        msg = thrownMessage<TrainError>([&] { pre.saveEncoder(out); });
        QVERIFY2(msg.contains("cannot write") && msg.contains("enc.pt"), qPrintable(msg));
        QVERIFY(!std::filesystem::exists(out + ".partial"));
    }

    void cancelStopsBeforeTheNextIteration() {
        EncoderPretrainer pre(tinyConfig(50), 3);
        std::atomic<bool> cancel{false};
        PretrainResult r = pre.run(tinyImages(4, 6), [&](const PretrainProgress& p) {
            if (p.iteration == 2) cancel.store(true);
        }, &cancel);
        QVERIFY(r.cancelled);
        QCOMPARE(r.losses.size(), size_t(2));
    }
};

std::unique_ptr<QObject> makePretrainTests() { return std::make_unique<PretrainTests>(); }

#include "PretrainTests.moc"
