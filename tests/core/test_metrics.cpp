// Metrics on hand-computed cases (Dice, the exact distance transform, HD95 and its units, the
// cup-to-disc ratio and the fundus anatomy check) and the geometry of the data layer: network
// inputs normalised, mask and prediction edges where they belong after resampling. No training.
#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <random>

#include "TestSupport.h"
#include "core/data/Preprocess.h"
#include "core/image/ImageIO.h"
#include "core/metrics/Evaluation.h"
#include "core/metrics/Metrics.h"
#include "core/pipeline/RunFolder.h"
#include "core/util/Errors.h"

namespace fs = std::filesystem;
using namespace dacw;

namespace {
std::vector<bool> discMask(const Geometry& g, double cx, double cy, double r) {
    std::vector<bool> m(g.voxelCount());
    for (std::size_t y = 0; y < g.size[1]; ++y)
        for (std::size_t x = 0; x < g.size[0]; ++x) m[y * g.size[0] + x] = std::hypot(double(x) - cx, double(y) - cy) <= r;
    return m;
}
}  // namespace

class TestMetrics : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void diceHandComputed() {
        QCOMPARE(dice({1, 1, 0, 0}, {1, 0, 1, 0}), 0.5);
        QCOMPARE(dice({0, 0}, {0, 0}), 1.0);
        QCOMPARE(dice({1, 0}, {0, 0}), 0.0);
        Geometry g;
        g.size = {4, 1, 1};
        LabelMap pred(g), ref(g);
        pred.data() = {0, 1, 2, 2};
        ref.data() = {0, 2, 2, 0};
        auto sc = evaluateCase(pred, ref, Task::fundus());
        // disc = {1,2}: pred {1,2,3} vs ref {1,2} -> 2*2/5; cup: pred {2,3} vs ref {1,2} -> 2*1/4.
        QCOMPARE(sc.at("disc").dice, 0.8);
        QCOMPARE(sc.at("cup").dice, 0.5);
    }

    void distanceTransformIsExact() {
        Geometry g;
        g.dimension = 3;
        g.size = {9, 7, 5};
        g.spacing = {0.5, 1.0, 2.5};
        std::mt19937 rng(4);
        std::vector<bool> f(g.voxelCount());
        for (std::size_t i = 0; i < f.size(); ++i) f[i] = rng() % 23 == 0;
        auto d = squaredDistanceTransform(f, g);
        for (std::size_t i = 0; i < f.size(); ++i) {
            double best = INFINITY;
            const std::size_t x = i % 9, y = (i / 9) % 7, z = i / 63;
            for (std::size_t j = 0; j < f.size(); ++j) {
                if (!f[j]) continue;
                const double dx = (double(j % 9) - double(x)) * 0.5, dy = (double((j / 9) % 7) - double(y)) * 1.0,
                             dz = (double(j / 63) - double(z)) * 2.5;
                best = std::min(best, dx * dx + dy * dy + dz * dz);
            }
            QVERIFY2(std::abs(best - d[i]) < 1e-9, qPrintable(QString("voxel %1: %2 vs %3").arg(i).arg(best).arg(d[i])));
        }
    }

    void hd95OfConcentricDiscs() {
        Geometry g;
        g.size = {80, 80, 1};
        auto a = discMask(g, 40, 40, 10), b = discMask(g, 40, 40, 16);
        const double h = hd95(a, b, g);
        QVERIFY2(h > 5.0 && h < 7.0, qPrintable(QString::number(h)));
        g.spacing = {2.0, 2.0, 1.0};
        const double h2 = hd95(a, b, g);
        QVERIFY2(std::abs(h2 - 2 * h) < 1e-9, qPrintable(QString::number(h2)));
        QCOMPARE(hd95(a, a, g), 0.0);
        std::vector<bool> none(g.voxelCount(), false);
        QVERIFY(std::isnan(hd95(a, none, g)));
        QCOMPARE(hd95(none, none, g), 0.0);
    }

    void networkInputIsNormalised() {
        Image gray = test::pattern2d(50, 30, 1, PixelType::UInt8, 255);
        auto in = networkInput(gray, 0, 3, 32, train::Resize::Stretch);
        QCOMPARE(in.size(), std::size_t(3 * 32 * 32));
        for (int c = 0; c < 3; ++c) {
            double m = 0, sq = 0;
            for (int i = 0; i < 32 * 32; ++i) {
                m += in[std::size_t(c * 1024 + i)];
                sq += double(in[std::size_t(c * 1024 + i)]) * in[std::size_t(c * 1024 + i)];
            }
            m /= 1024;
            QVERIFY(std::abs(m) < 1e-4);
            QVERIFY(std::abs(sq / 1024 - 1.0) < 1e-3);
        }
        // Gray replicated into three channels: identical planes.
        QVERIFY(std::equal(in.begin(), in.begin() + 1024, in.begin() + 1024));
        QVERIFY_THROWS_EXCEPTION(InputError, networkInput(gray, 0, 2, 32, train::Resize::Stretch));
    }

    void maskEdgesFollowImageEdgesWhenResampled() {
        // A vertical step edge at x = e in the image and in the mask, resampled by non-integer
        // factors: the mask's boundary (between two output pixels) must sit where the image's edge
        // went (its 50% crossing), up to the half pixel that a hard boundary cannot resolve, and
        // without bias. OpenCV's nearest neighbour samples at floor(x * scale) and is biased by
        // about half an output pixel; it fails this test.
        for (int width : {500, 333, 271, 190}) {
            for (int size : {96, 128}) {
                double signedSum = 0, worst = 0;
                int n = 0;
                for (int step = 0; step < 40; ++step) {
                    const int e = width / 4 + step * (width / 2) / 40;
                    Geometry g;
                    g.size = {std::size_t(width), std::size_t(width), 1};  // square: both axes shrink
                    Image img(g, 1, PixelType::UInt8);
                    std::vector<std::uint8_t> mask(std::size_t(width) * std::size_t(width));
                    for (int y = 0; y < width; ++y)
                        for (int x = 0; x < width; ++x) {
                            img.data()[std::size_t(y * width + x)] = x >= e ? 200.f : 20.f;
                            mask[std::size_t(y * width + x)] = x >= e ? 1 : 0;
                        }
                    const auto in = networkInput(img, 0, 1, size, train::Resize::Letterbox);
                    const auto lab = resampleLabels(mask.data(), width, width, 2, size, size);
                    const int row = size / 2;
                    // The image's edge: where the profile crosses the middle level (pixel j's centre is j + 0.5).
                    const float* v = &in[std::size_t(row * size)];
                    const float lo = *std::min_element(v, v + size), hi = *std::max_element(v, v + size), mid = (lo + hi) / 2;
                    double crossing = NAN;
                    for (int j = 0; j + 1 < size; ++j)
                        if (v[j] < mid && v[j + 1] >= mid) crossing = j + 0.5 + (mid - v[j]) / (v[j + 1] - v[j]);
                    int boundary = -1;
                    for (int j = 0; j < size && boundary < 0; ++j)
                        if (lab[std::size_t(row * size + j)] == 1) boundary = j;
                    QVERIFY(std::isfinite(crossing) && boundary > 0);
                    const double expected = double(e) * size / width;
                    QVERIFY2(std::abs(crossing - expected) < 0.25,
                             qPrintable(QString("image edge %1 vs %2").arg(crossing).arg(expected)));
                    signedSum += boundary - crossing;
                    worst = std::max(worst, std::abs(boundary - crossing));
                    ++n;
                }
                const double bias = signedSum / n;
                QVERIFY2(std::abs(bias) < 0.15 && worst <= 0.75,
                         qPrintable(QString("%1 -> %2: mask edge bias %3 px, worst %4 px").arg(width).arg(size).arg(bias).arg(worst)));
            }
        }
    }

    void predictionEdgesBackAtTheRightPlace() {
        // Network-size probabilities with a boundary between pixels k-1 and k go back to the
        // input grid with the boundary at k * width / size, without bias.
        for (int width : {500, 271}) {
            const int size = 96;
            double signedSum = 0, worst = 0;
            int n = 0;
            for (int k = 20; k < 76; k += 3) {
                std::vector<std::vector<float>> probs(1, std::vector<float>(2 * std::size_t(size * size)));
                for (int y = 0; y < size; ++y)
                    for (int x = 0; x < size; ++x) {
                        const float p1 = x >= k ? 0.95f : 0.05f;
                        probs[0][std::size_t(y * size + x)] = 1 - p1;
                        probs[0][std::size_t(size * size + y * size + x)] = p1;
                    }
                Geometry g;
                g.size = {std::size_t(width), 20, 1};
                LabelMap m = labelsFromProbabilities(probs, 2, size, g, train::Resize::Stretch);
                int boundary = -1;
                for (int x = 0; x < width && boundary < 0; ++x)
                    if (m.at(std::size_t(x), 10, 0) == 1) boundary = x;
                const double expected = double(k) * width / size;
                signedSum += boundary - expected;
                worst = std::max(worst, std::abs(boundary - expected));
                ++n;
            }
            QVERIFY2(std::abs(signedSum / n) < 0.3 && worst <= 1.0,
                     qPrintable(QString("width %1: bias %2, worst %3 input px").arg(width).arg(signedSum / n).arg(worst)));
        }
    }

    void letterboxKeepsShapeAndAlignsBothWays() {
        // Non-square images (landscape and portrait, so the padding lies on either axis): the
        // box keeps the aspect ratio and is centred; image and mask edges land at the same place
        // inside it; the padding is 0 in the input and background in the labels; and
        // probabilities go back from the box alone (the padding never reaches the image).
        for (auto [width, height] : std::vector<std::pair<int, int>>{{500, 333}, {333, 500}, {271, 190}, {190, 271}, {61, 47}}) {
            for (int size : {96, 128}) {
                const QString where = QString("%1x%2 -> %3").arg(width).arg(height).arg(size);
                const FitBox box = fitBox(width, height, size, train::Resize::Letterbox);
                const double scale = double(size) / std::max(width, height);
                QCOMPARE(std::max(box.width, box.height), size);
                QVERIFY(std::abs(std::min(box.width, box.height) - std::min(width, height) * scale) <= 0.5);
                QVERIFY(std::abs(box.x - (size - box.width) / 2.0) <= 0.5 && std::abs(box.y - (size - box.height) / 2.0) <= 0.5);
                const FitBox whole = fitBox(width, height, size, train::Resize::Stretch);
                QVERIFY(whole.x == 0 && whole.y == 0 && whole.width == size && whole.height == size);

                double signedSum = 0, worst = 0;
                int n = 0;
                for (int step = 0; step < 12; ++step) {
                    const int e = width / 4 + step * (width / 2) / 12;
                    Geometry g;
                    g.size = {std::size_t(width), std::size_t(height), 1};
                    Image img(g, 1, PixelType::UInt8);
                    std::vector<std::uint8_t> mask(std::size_t(width) * std::size_t(height));
                    for (int y = 0; y < height; ++y)
                        for (int x = 0; x < width; ++x) {
                            img.data()[std::size_t(y * width + x)] = x >= e ? 200.f : 20.f;
                            mask[std::size_t(y * width + x)] = x >= e ? 1 : 0;
                        }
                    const auto in = networkInput(img, 0, 1, size, train::Resize::Letterbox);
                    const auto lab = networkLabels(mask.data(), width, height, 2, size, train::Resize::Letterbox);
                    double boxSum = 0;
                    for (int y = 0; y < size; ++y)
                        for (int x = 0; x < size; ++x) {
                            const bool inside = x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
                            const float v = in[std::size_t(y * size + x)];
                            if (inside) boxSum += v;
                            else QVERIFY(v == 0.0f && lab[std::size_t(y * size + x)] == 0);
                        }
                    QVERIFY2(std::abs(boxSum / (double(box.width) * box.height)) < 1e-4, "z-scored over the box");
                    const int row = box.y + box.height / 2;
                    const float* v = &in[std::size_t(row * size)];
                    const float lo = *std::min_element(v + box.x, v + box.x + box.width);
                    const float hi = *std::max_element(v + box.x, v + box.x + box.width), mid = (lo + hi) / 2;
                    double crossing = NAN;
                    for (int j = box.x; j + 1 < box.x + box.width; ++j)
                        if (v[j] < mid && v[j + 1] >= mid) crossing = j + 0.5 + (mid - v[j]) / (v[j + 1] - v[j]);
                    int boundary = -1;
                    for (int j = box.x; j < box.x + box.width && boundary < 0; ++j)
                        if (lab[std::size_t(row * size + j)] == 1) boundary = j;
                    const double expected = box.x + double(e) * box.width / width;
                    QVERIFY2(std::isfinite(crossing) && std::abs(crossing - expected) < 0.25,
                             qPrintable(where + QString(": image edge %1 vs %2").arg(crossing).arg(expected)));
                    signedSum += boundary - crossing;
                    worst = std::max(worst, std::abs(boundary - crossing));
                    ++n;
                }
                QVERIFY2(std::abs(signedSum / n) < 0.2 && worst <= 0.75,
                         qPrintable(where + QString(": mask edge bias %1 px, worst %2 px").arg(signedSum / n).arg(worst)));

                // Back: a boundary between box columns k-1 and k, and class 1 all over the padding.
                double backSum = 0, backWorst = 0;
                int m = 0;
                for (int k = box.x + box.width / 4; k < box.x + 3 * box.width / 4; k += 3) {
                    std::vector<std::vector<float>> probs(1, std::vector<float>(2 * std::size_t(size * size)));
                    for (int y = 0; y < size; ++y)
                        for (int x = 0; x < size; ++x) {
                            const bool inside = x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
                            const float p1 = !inside || x >= k ? 0.95f : 0.05f;
                            probs[0][std::size_t(y * size + x)] = 1 - p1;
                            probs[0][std::size_t(size * size + y * size + x)] = p1;
                        }
                    Geometry g;
                    g.size = {std::size_t(width), std::size_t(height), 1};
                    LabelMap back = labelsFromProbabilities(probs, 2, size, g, train::Resize::Letterbox);
                    QCOMPARE(back.at(0, 0, 0), LabelMap::Value(0));  // the padding's class 1 stays out
                    QCOMPARE(back.at(0, std::size_t(height - 1), 0), LabelMap::Value(0));
                    int boundary = -1;
                    for (int x = 0; x < width && boundary < 0; ++x)
                        if (back.at(std::size_t(x), std::size_t(height / 2), 0) == 1) boundary = x;
                    const double expected = double(k - box.x) * width / box.width;
                    backSum += boundary - expected;
                    backWorst = std::max(backWorst, std::abs(boundary - expected));
                    ++m;
                    const std::vector<float> class0(probs[0].begin(), probs[0].begin() + size * size);
                    LabelMap heat = heatFromSliceMaps({class0}, size, g, train::Resize::Letterbox);
                    QCOMPARE(heat.at(0, 0, 0), LabelMap::Value(242));  // 0.95 * 255
                }
                QVERIFY2(std::abs(backSum / m) < 0.3 && backWorst <= 1.0,
                         qPrintable(where + QString(": back bias %1, worst %2 input px").arg(backSum / m).arg(backWorst)));
            }
        }
        // Square images: letterbox and stretch are the same input.
        Image square = test::pattern2d(40, 40, 3, PixelType::UInt8, 255);
        QVERIFY(networkInput(square, 0, 3, 32, train::Resize::Letterbox) ==
                networkInput(square, 0, 3, 32, train::Resize::Stretch));
    }

    void hd95PenaltyAndPhotoUnits() {
        Geometry g;
        g.size = {256, 128, 1};  // a photograph: unit spacing
        LabelMap ref(g), empty(g), pred(g);
        for (std::size_t y = 40; y < 80; ++y)
            for (std::size_t x = 100; x < 150; ++x) {
                ref.at(x, y, 0) = 1;
                pred.at(x + 4, y, 0) = 1;
            }
        QCOMPARE(hd95Unit(g), std::string("px@512"));
        auto missed = evaluateCase(empty, ref, Task::polyp()).at("polyp");
        // A missed polyp costs the image diagonal, in pixels of the image scaled to a 512 px side.
        QVERIFY(missed.hd95Penalised && missed.predictionEmpty);
        QVERIFY(std::abs(missed.hd95 - std::hypot(512.0, 256.0)) < 1e-9);
        auto shifted = evaluateCase(pred, ref, Task::polyp()).at("polyp");
        QVERIFY(!shifted.hd95Penalised);
        QVERIFY2(std::abs(shifted.hd95 - 8.0) < 1e-9, qPrintable(QString::number(shifted.hd95)));  // 4 px x 512/256
        Geometry mri = g;
        mri.spacing = {0.5, 0.5, 1.0};
        QCOMPARE(hd95Unit(mri), std::string("mm"));
        LabelMap refMm(mri), predMm(mri);
        refMm.data() = ref.data();
        predMm.data() = pred.data();
        QVERIFY(std::abs(evaluateCase(predMm, refMm, Task::polyp()).at("polyp").hd95 - 2.0) < 1e-9);  // 4 px x 0.5 mm
    }

    void cupToDiscRatioAndAnatomy() {
        Geometry g;
        g.size = {60, 60, 1};
        LabelMap m(g);
        auto paint = [&](LabelMap& l, int cx, int cy, int r, LabelMap::Value v) {
            for (int y = 0; y < 60; ++y)
                for (int x = 0; x < 60; ++x)
                    if (std::hypot(x - cx, y - cy) <= r) l.at(std::size_t(x), std::size_t(y), 0) = v;
        };
        paint(m, 30, 30, 20, 1);  // disc: rows 10..50 (41 rows)
        paint(m, 30, 30, 8, 2);   // cup: rows 22..38 (17 rows)
        QVERIFY(std::abs(verticalCupToDisc(m, Task::fundus()) - 17.0 / 41.0) < 1e-9);
        QVERIFY(checkAnatomy(m, Task::fundus()).applicable && checkAnatomy(m, Task::fundus()).valid);
        LabelMap bad = m;
        paint(bad, 5, 5, 3, 1);    // a second disc blob
        paint(bad, 55, 55, 2, 2);  // a cup outside the disc
        bad.at(30, 45, 0) = 0;     // a hole in the rim
        QVERIFY(!checkAnatomy(bad, Task::fundus()).valid);
        enforceAnatomy(bad, Task::fundus());
        QVERIFY(bad.data() == m.data());  // the spurious blobs go, the hole is filled
        QVERIFY(checkAnatomy(bad, Task::fundus()).valid);
        QVERIFY(!checkAnatomy(m, Task::polyp()).applicable);
        // The shared scoring path: raw validity recorded, the post-processed map scored.
        LabelMap raw = m;
        paint(raw, 5, 5, 3, 1);
        CaseResult c = scoreCase("d", "c1", raw, m, Task::fundus());
        QVERIFY(c.anatomyChecked && !c.anatomyValid);
        QCOMPARE(c.scores.at("disc").dice, 1.0);
        QVERIFY(c.rawDice.at("disc") < 1.0);
        QVERIFY(std::abs(c.vcdr - c.vcdrTruth) < 1e-12);
        EvaluationResult r;
        r.cases = {c};
        summarise(r);
        QCOMPARE(r.domains.front().anatomyValid, std::size_t(0));
        QCOMPARE(r.domains.front().anatomyChecked, std::size_t(1));
        QVERIFY(std::abs(r.domains.front().vcdrMae) < 1e-12);
        auto back = evaluationFromJson(evaluationToJson(r));
        QCOMPARE(back.domains.front().anatomyChecked, std::size_t(1));
        QVERIFY(std::abs(back.domains.front().rawDice.at("disc") - c.rawDice.at("disc")) < 1e-6);
    }

    /// Numbers of the run-folder files the workbench reads, from damaged text (regressions of the
    /// UBSan finding of fuzz_project, in the other JSON readers; docs/reliability.md).

    void probabilitiesBackToGeometry() {
        Geometry g;
        g.dimension = 3;
        g.size = {40, 20, 2};
        g.spacing = {0.7, 0.7, 3};
        // Two classes; class 1 wins on the right half of slice 1 only.
        std::vector<std::vector<float>> probs(2, std::vector<float>(2 * 16 * 16));
        for (int z = 0; z < 2; ++z)
            for (int y = 0; y < 16; ++y)
                for (int x = 0; x < 16; ++x) {
                    float p1 = (z == 1 && x >= 8) ? 0.9f : 0.1f;
                    probs[std::size_t(z)][std::size_t(y * 16 + x)] = 1 - p1;
                    probs[std::size_t(z)][std::size_t(256 + y * 16 + x)] = p1;
                }
        LabelMap m = labelsFromProbabilities(probs, 2, 16, g, train::Resize::Stretch);
        QVERIFY(m.geometry().sameGrid(g));
        QCOMPARE(m.at(5, 10, 1), LabelMap::Value(0));
        QCOMPARE(m.at(35, 10, 1), LabelMap::Value(1));
        QCOMPARE(m.at(35, 10, 0), LabelMap::Value(0));
        QVERIFY_THROWS_EXCEPTION(InputError, labelsFromProbabilities({probs[0]}, 2, 16, g, train::Resize::Stretch));
    }

    void heatMapBackToGeometry() {
        Geometry g;
        g.dimension = 3;
        g.size = {40, 20, 2};
        // Slice 0: 0 on the left half, 1 on the right; slice 1: 0.5 everywhere except an
        // out-of-range value (clamped to 1).
        std::vector<std::vector<float>> maps(2, std::vector<float>(16 * 16, 0.5f));
        for (int y = 0; y < 16; ++y)
            for (int x = 0; x < 16; ++x) maps[0][std::size_t(y * 16 + x)] = x >= 8 ? 1.0f : 0.0f;
        maps[1][0] = 7.0f;
        LabelMap m = heatFromSliceMaps(maps, 16, g, train::Resize::Stretch);
        QVERIFY(m.geometry().sameGrid(g));
        QCOMPARE(m.at(2, 10, 0), LabelMap::Value(0));
        QCOMPARE(m.at(37, 10, 0), LabelMap::Value(255));
        QCOMPARE(m.at(20, 10, 1), LabelMap::Value(128));  // 0.5 * 255 = 127.5, rounded up
        QCOMPARE(m.at(0, 0, 1), LabelMap::Value(255));
        QVERIFY_THROWS_EXCEPTION(InputError, heatFromSliceMaps({maps[0]}, 16, g, train::Resize::Stretch));
        QVERIFY_THROWS_EXCEPTION(InputError, heatFromSliceMaps({maps[0], std::vector<float>(3)}, 16, g, train::Resize::Stretch));
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "test_metrics.moc"
