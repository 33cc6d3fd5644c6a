// Few-shot calibration on a new centre: choosing the cases to label (pipeline/CalibrationPick:
// k-means, typicality and the pick on hand-made points, then `dacw label-next --pick` on a tiny
// co-training run), and `dacw train --init-model` on them (the recipe, replay, bad input).
#include <QtTest/QtTest>

#include <set>

#include <nlohmann/json.hpp>

#include "TestSupport.h"
#include "core/demo/DemoData.h"
#include "core/pipeline/CalibrationPick.h"
#include "core/util/Errors.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;
using namespace dacw;
using namespace dacw::test;

namespace {

// Three symmetric groups of different sizes around (0,0), (20,0) and (0,20), each group's first
// case at its centre: "big" is a 3 x 3 grid plus the four points at distance 2 on the axes (13),
// "mid" a 3 x 3 grid (9), "small" a plus sign (5). An outlier of "big" at (-5,0), its case id
// "big-far", is the most disagreed case of all.
std::vector<CaseDisagreement> groups() {
    std::vector<CaseDisagreement> out;
    auto add = [&](const std::string& name, float x, float y, const std::vector<std::pair<int, int>>& offsets) {
        out.push_back({"d", name + "-centre", 0.1, 0.0, {x, y}});
        int i = 0;
        for (const auto& [dx, dy] : offsets)
            out.push_back({"d", name + "-" + std::to_string(i++), 0.2, 0.0, {x + float(dx), y + float(dy)}});
    };
    const std::vector<std::pair<int, int>> plus{{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
    std::vector<std::pair<int, int>> grid = plus;
    grid.insert(grid.end(), {{1, 1}, {1, -1}, {-1, 1}, {-1, -1}});
    std::vector<std::pair<int, int>> big = grid;
    big.insert(big.end(), {{2, 0}, {-2, 0}, {0, 2}, {0, -2}});
    add("big", 0, 0, big);
    add("mid", 20, 0, grid);
    add("small", 0, 20, plus);
    out.push_back({"d", "big-far", 0.9, 0.0, {-5.0f, 0.0f}});
    return out;
}

std::string group(const std::string& id) { return id.substr(0, id.find('-')); }

}  // namespace

class TestCalibration : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    fs::path dir() const { return fs::path(tmp_.path().toStdString()); }
    fs::path demo() const { return dir() / "demo"; }
    QString s(const fs::path& p) const { return QString::fromStdString(p.string()); }

    using Result = CliResult;
    Result dacw(const QStringList& args) { return runDacw(args); }

private Q_SLOTS:
    void initTestCase() { makeSmallDemo(demo()); }

    void kMeansFindsSeparatedGroups() {
        const auto cases = groups();
        std::vector<std::vector<float>> points;
        for (const auto& c : cases) points.push_back(c.embedding);
        for (std::uint32_t seed : {1u, 2u, 7u}) {
            const std::vector<int> a = kMeans(points, 3, seed);
            QCOMPARE(a.size(), cases.size());
            // Same group <=> same cluster.
            for (std::size_t i = 0; i < cases.size(); ++i)
                for (std::size_t j = 0; j < cases.size(); ++j)
                    QCOMPARE(a[i] == a[j], group(cases[i].caseId) == group(cases[j].caseId));
            QCOMPARE(a[0], 0);  // numbered by first appearance
        }
        QCOMPARE(kMeans(points, 3, 5), kMeans(points, 3, 5));
        const std::vector<int> each = kMeans(points, int(points.size()) + 2, 1);
        QCOMPARE(std::set<int>(each.begin(), each.end()).size(), points.size());
        QVERIFY(kMeans({}, 3, 1).empty());
    }

    void typicalityRanksCentresAboveOutliers() {
        const auto cases = groups();
        std::vector<std::vector<float>> points;
        for (const auto& c : cases) points.push_back(c.embedding);
        const std::vector<double> t = typicality(points, 8);
        const std::size_t centre = 0, edge = 1, far = cases.size() - 1;  // big-centre, big-0 at (1,0), big-far
        QVERIFY2(t[centre] > t[edge], "the centre of a group is denser than a point beside it");
        QVERIFY2(t[edge] > t[far], "a group's point is denser than the outlier");
        // big-centre: 4 neighbours at 1 and 4 at sqrt(2).
        QCOMPARE(t[centre], 1.0 / ((4.0 + 4.0 * std::sqrt(2.0)) / 8.0));
        // Hand-computed: three points on a line 0, 1, 3 with one neighbour each.
        const std::vector<double> line = typicality({{0.f}, {1.f}, {3.f}}, 1);
        QCOMPARE(line[0], 1.0);
        QCOMPARE(line[1], 1.0);
        QCOMPARE(line[2], 0.5);
        QCOMPARE(typicality({{2.f}}, 5), std::vector<double>{1.0});
        QVERIFY(std::isfinite(typicality({{1.f}, {1.f}}, 1)[0]));
    }

    void pickOnePerGroupLargestFirst() {
        const auto cases = groups();
        const auto typical = pickForCalibration(cases, 3, PickStrategy::Typical);
        QCOMPARE(typical.size(), std::size_t(3));
        const char* expected[] = {"big-centre", "mid-centre", "small-centre"};
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(QString::fromStdString(cases[typical[std::size_t(i)].index].caseId), QString(expected[i]));
            QCOMPARE(typical[std::size_t(i)].cluster, i);
        }
        QCOMPARE(typical[0].clusterSize, 14);  // the 13 of "big" and its outlier
        QCOMPARE(typical[1].clusterSize, 9);
        QCOMPARE(typical[2].clusterSize, 5);

        // Mixed: the most disagreed case among the more typical half of each group; never the
        // outlier, which a ranking by disagreement alone puts first.
        const auto mixed = pickForCalibration(cases, 3, PickStrategy::Mixed);
        QCOMPARE(mixed.size(), std::size_t(3));
        for (int i = 0; i < 3; ++i) {
            const std::string id = cases[mixed[std::size_t(i)].index].caseId;
            QCOMPARE(QString::fromStdString(group(id)), QString::fromStdString(group(expected[i])));
            QVERIFY2(id != "big-far", id.c_str());
            QCOMPARE(cases[mixed[std::size_t(i)].index].score, 0.2);  // beside the centre, which is less disagreed
        }

        // More cases asked for than there are: all, most typical first; none asked: none.
        std::vector<CaseDisagreement> two(cases.begin(), cases.begin() + 2);
        const auto all = pickForCalibration(two, 5);
        QCOMPARE(all.size(), std::size_t(2));
        QVERIFY(pickForCalibration(cases, 0).empty());
        QVERIFY(pickForCalibration({}, 3).empty());
    }

    void badEmbeddingsAreNamed() {
        auto cases = groups();
        cases[2].embedding.clear();
        expectInputError([&] { pickForCalibration(cases, 2); }, cases[2].caseId);
        cases = groups();
        cases[3].embedding.push_back(1.0f);
        expectInputError([&] { pickForCalibration(cases, 2); }, "another length");
        expectInputError([] { pickStrategyFromString("random"); }, "typical or mixed");
        QCOMPARE(toString(pickStrategyFromString("mixed")), std::string("mixed"));
    }

    /// The command line on a tiny co-training run: K distinct cases with their typicality and
    /// group sizes, as text and JSON; bad option combinations are usage errors.
    void labelNextPickOnATrainedRun() {
        const fs::path f = demo() / "fundus", run = dir() / "run";
        const Result t = dacw({"train",
                               "--task",
                               "fundus",
                               "--labeled",
                               s(f / "centre-a"),
                               "--labeled-count",
                               "4",
                               "--unlabeled",
                               s(f / "centre-b"),
                               "--method",
                               "cps",
                               "--iters",
                               "2",
                               "--size",
                               "32",
                               "--width",
                               "0.25",
                               "--batch",
                               "2",
                               "--threads",
                               "2",
                               "--no-cache",
                               "--no-predictions",
                               "--out",
                               s(run)});
        QVERIFY2(t.code == 0, qPrintable(t.err));

        const Result j = dacw({"label-next", "--run", s(run), "--all", "--pick", "3", "--json", s(f / "centre-c")});
        QVERIFY2(j.code == 0, qPrintable(j.err));
        const auto arr = nlohmann::json::parse(j.out.toStdString());
        QCOMPARE(arr.size(), std::size_t(3));
        std::set<std::string> ids;
        int covered = 0;
        for (const auto& c : arr) {
            ids.insert(c["case"].get<std::string>());
            QCOMPARE(c["domain"].get<std::string>(), std::string("centre-c"));
            QVERIFY(c["typicality"].get<double>() > 0.0);
            QVERIFY(c["cluster_size"].get<int>() >= 1);
            covered += c["cluster_size"].get<int>();
        }
        QCOMPARE(ids.size(), std::size_t(3));
        QCOMPARE(covered, 6);  // the three groups hold every case of the centre
        QVERIFY(arr[0]["cluster_size"].get<int>() >= arr[2]["cluster_size"].get<int>());

        // The same pick as text, and --pick-by mixed also gives three distinct cases.
        const Result text = dacw({"label-next", "--run", s(run), "--all", "--pick", "3", s(f / "centre-c")});
        QVERIFY2(text.code == 0, qPrintable(text.err));
        const QStringList lines = text.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines[0].split('\t')[2], QString::fromStdString(arr[0]["case"].get<std::string>()));
        const Result mixed =
            dacw({"label-next", "--run", s(run), "--all", "--pick", "3", "--pick-by", "mixed", s(f / "centre-c")});
        QVERIFY2(mixed.code == 0, qPrintable(mixed.err));
        QCOMPARE(mixed.out.trimmed().split('\n').size(), 3);

        for (const QStringList& bad :
             {QStringList{"--pick", "0"}, QStringList{"--pick-by", "typical"}, QStringList{"--pick", "2", "--count", "2"},
              QStringList{"--pick", "2", "--pick-by", "best"}}) {
            const Result r = dacw(QStringList{"label-next", "--run", s(run), "--all"} + bad + QStringList{s(f / "centre-c")});
            QVERIFY2(r.code != 0 && !r.err.isEmpty(), qPrintable(bad.join(' ') + ": " + r.err));
            QVERIFY2(r.code == 2 || r.err.contains("typical or mixed"), qPrintable(r.err));
        }
    }

    void fewShotCalibrationOnANewCentre() {
        // A source model, then K cases of the new centre fine-tune it and the centre's other cases
        // are the test set.
        const fs::path src = dir() / "fewshot-source", cal = dir() / "fewshot-k2";
        QStringList base = {"--task",   "fundus",    "--size", "32",        "--width", "0.25",       "--batch",
                            "2",        "--iters",   "2",      "--threads", "1",       "--no-cache", "--no-predictions",
                            "--method", "supervised"};
        Result r = dacw(
            QStringList{"train", "--labeled", s(demo() / "fundus/centre-a"), "--labeled-count", "3", "--out", s(src)} + base);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        r = dacw(QStringList{"train", "--labeled", s(demo() / "fundus/centre-c"), "--labeled-count", "2", "--test-unused-labeled",
                             "--init-model", s(src), "--out", s(cal)} +
                 base);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        auto cfg = nlohmann::json::parse(readText(cal / "config.json"));
        QVERIFY(cfg["train"]["init-model"].get<std::string>().find("fewshot-source") != std::string::npos);
        auto m = nlohmann::json::parse(readText(cal / "metrics.json"));
        QCOMPARE(m["domains"]["centre-c"]["cases"].get<int>(), 6 - 2);  // the demo centre has 6 masked cases
        for (const auto& c : m["cases"])
            for (const auto& used : cfg["labeled_cases"]) QVERIFY(c["case"] != used);  // never scored on its training cases
        QVERIFY(readText(cal / "log.txt").find("no held-out validation") != std::string::npos);
        // Without --preset, --method or network options: the model's network and the calibration
        // recipe (supervised, lr 1e-4).
        const fs::path rec = dir() / "fewshot-recipe";
        r = dacw(QStringList{"train", "--task", "fundus", "--labeled", s(demo() / "fundus/centre-c"), "--labeled-count", "2",
                             "--test-unused-labeled", "--init-model", s(src), "--out", s(rec), "--iters", "2", "--threads", "1",
                             "--no-cache", "--no-predictions"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        auto rc = nlohmann::json::parse(readText(rec / "config.json"));
        QCOMPARE(rc["preset"].get<std::string>(), std::string("calibrate"));
        QCOMPARE(rc["train"]["method"].get<std::string>(), std::string("supervised"));
        QCOMPARE(std::stod(rc["train"]["lr"].get<std::string>()), 1e-4);
        QCOMPARE(std::stod(rc["train"]["width"].get<std::string>()), 0.25);
        QCOMPARE(std::stoi(rc["train"]["size"].get<std::string>()), 32);
        // ...and the source run's own labeled cases replayed beside the new centre's.
        auto srcCfg = nlohmann::json::parse(readText(src / "config.json"));
        QCOMPARE(rc["replay_cases"], srcCfg["labeled_cases"]);
        QVERIFY(readText(rec / "log.txt").find("replay: 3 labeled samples of centre-a") != std::string::npos);
        r = dacw(QStringList{"train", "--task", "fundus", "--labeled", s(demo() / "fundus/centre-c"), "--labeled-count", "2",
                             "--test-unused-labeled", "--init-model", s(src), "--out", s(dir() / "fewshot-alone"), "--iters", "2",
                             "--threads", "1", "--no-cache", "--no-predictions", "--no-replay"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(readText(dir() / "fewshot-alone/log.txt").find("replay") == std::string::npos);
        // Replay: 3 source cases join the 2 new ones, which are repeated twice (4 of 7 samples).
        const fs::path rep = dir() / "fewshot-replay";
        const QStringList toCentreC = {"train",           "--labeled", s(demo() / "fundus/centre-c"),
                                       "--labeled-count", "2",         "--test-unused-labeled",
                                       "--init-model",    s(src)};
        r = dacw(toCentreC + QStringList{"--task", "fundus", "--out", s(rep), "--iters", "2", "--threads", "1", "--no-cache",
                                         "--no-predictions", "--replay", s(demo() / "fundus/centre-a"), "--replay-count", "3"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const std::string replayLog = readText(rep / "log.txt");
        QVERIFY2(replayLog.find("replay: 3 labeled samples of centre-a join the 2 of centre-c, which are repeated 2 "
                                "times") != std::string::npos,
                 replayLog.c_str());
        QVERIFY(replayLog.find("7 labeled samples") != std::string::npos);
        auto rq = nlohmann::json::parse(readText(rep / "config.json"));
        QCOMPARE(rq["replay_cases"].size(), std::size_t(3));
        QVERIFY(rq["replay_dir"].get<std::string>().find("centre-a") != std::string::npos);
        r = dacw(QStringList{"train", "--task", "fundus", "--labeled", s(demo() / "fundus/centre-c"), "--init-model", s(src),
                             "--out", s(dir() / "fewshot-replay-self"), "--no-cache", "--replay", s(demo() / "fundus/centre-c")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("replay folder is the labeled folder"), qPrintable(r.err));
        r = dacw(QStringList{"train", "--task", "fundus", "--labeled", s(demo() / "fundus/centre-c"), "--init-model", s(src),
                             "--out", s(dir() / "fewshot-replay-count"), "--replay-count", "3"});
        QCOMPARE(r.code, 2);
        r = dacw(QStringList{"train", "--task", "fundus", "--labeled", s(demo() / "fundus/centre-c"), "--preset", "calibrate",
                             "--out", s(dir() / "fewshot-nomodel"), "--no-cache"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("needs --init-model"), qPrintable(r.err));
        // A model of another shape is refused with a message, before training.
        r = dacw(toCentreC + QStringList{"--out", s(dir() / "fewshot-bad"), "--task", "fundus", "--size", "32", "--width", "0.5",
                                         "--iters", "1", "--no-cache", "--method", "supervised"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("x0.25"), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestCalibration)
#include "test_calibration.moc"
