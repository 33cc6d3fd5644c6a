// The data layer's cache, the run folder and the steps of a run, and the
// train/predict/evaluate/experiment commands end to end on tiny synthetic data, bad input
// included. The metrics and the resampling geometry are test_metrics.cpp, the run folder's
// files test_run_folder.cpp, few-shot calibration on a new centre test_calibration.cpp.
#include <QtTest/QtTest>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "TestSupport.h"
#include "core/data/Preprocess.h"
#include "core/demo/DemoData.h"
#include "core/image/ImageIO.h"
#include "core/metrics/Metrics.h"
#include "core/pipeline/Run.h"
#include "core/pipeline/LabeledSubset.h"
#include "core/pipeline/RunFolder.h"
#include "core/pipeline/RunSteps.h"
#include "core/util/Errors.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;
using namespace dacw;


class TestPipeline : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    fs::path dir() const { return fs::path(tmp_.path().toStdString()); }
    fs::path demo() const { return dir() / "demo"; }

    using Result = test::CliResult;
    Result dacw(const QStringList& args, int timeoutMs = 300000) { return test::runDacw(args, timeoutMs); }
    QString s(const fs::path& p) const { return QString::fromStdString(p.string()); }
    QStringList tinyTrain(const fs::path& out) const {
        return {"train", "--task", "fundus", "--labeled", s(demo() / "fundus/centre-a"), "--labeled-count", "4",
                "--unlabeled", s(demo() / "fundus/centre-b"), "--test", s(demo() / "fundus/centre-c"), "--size", "32",
                "--width", "0.25", "--batch", "2", "--threads", "2", "--seed", "3", "--no-cache", "--out", s(out)};
    }

private Q_SLOTS:
    void initTestCase() { test::makeSmallDemo(demo(), 2); }

    /// The steps of a run (pipeline/RunSteps.h) one by one, without training.
    void runStepsOneByOne() {
        RunRequest req;
        req.task = Task::fundus();
        req.labeledDir = demo() / "fundus/centre-a";
        req.unlabeledDirs = {demo() / "fundus/centre-b"};
        req.testDirs = {demo() / "fundus/centre-c"};
        req.outDir = dir() / "steps-run";
        checkRunRequest(req);
        RunRequest bad = req;
        bad.testDirs = {req.labeledDir};
        test::expectInputError([&] { checkRunRequest(bad); }, "must be held out");
        bad = req;
        bad.unlabeledDirs.clear();
        test::expectInputError([&] { checkRunRequest(bad); }, "needs unlabeled folders");
        bad.config.method = train::Method::Supervised;
        checkRunRequest(bad);
        bad = req;
        bad.outDir.clear();
        test::expectInputError([&] { checkRunRequest(bad); }, "No run folder");
        bad = req;
        bad.validationDirs = {dir() / "nowhere"};
        test::expectInputError([&] { checkRunRequest(bad); }, "validation folder");

        const std::vector<std::string> ids = {"f", "b", "d", "a", "e", "c"};
        req.labeledCount = 4;
        const auto chosen = selectLabeledCases(req, ids);
        QCOMPARE(chosen.size(), std::size_t(4));
        QVERIFY(std::is_sorted(chosen.begin(), chosen.end()));
        QCOMPARE(selectLabeledCases(req, {"a", "b", "c", "d", "e", "f"}), chosen);  // the folder's order does not matter
        std::set<std::vector<std::string>> draws;
        for (int seed = 1; seed <= 6; ++seed) {
            RunRequest r = req;
            r.config.seed = uint64_t(seed);
            draws.insert(selectLabeledCases(r, ids));
        }
        QVERIFY(draws.size() > 1);  // the seed draws them
        req.labeledCount = 0;
        req.labeledRatio = 0.5;
        QCOMPARE(selectLabeledCases(req, ids).size(), std::size_t(3));
        req.labeledRatio = 0.01;
        QCOMPARE(selectLabeledCases(req, ids).size(), std::size_t(1));
        req.labeledRatio = 0;
        QCOMPARE(selectLabeledCases(req, ids).size(), std::size_t(6));
        req.labeledCount = 7;
        test::expectInputError([&] { selectLabeledCases(req, ids); }, "Asked for 7");
        test::expectInputError([&] { selectLabeledCases(req, {}); }, "no case with a mask");
        const std::vector<std::string> previous = {"b", "e"};
        QCOMPARE(selectLabeledCases(req, ids, &previous), previous);

        req.config.size = 0;
        req.config.iterations = 1000;
        req.config.checkpointInterval = 0;
        const RunFolder folder(req.outDir);
        train::TrainConfig cfg = resolveRunConfig(req, folder, true);
        QCOMPARE(cfg.size, int64_t(128));
        QCOMPARE(cfg.numClasses, int64_t(3));
        QCOMPARE(cfg.validationRegions.size(), req.task.regions.size());
        QCOMPARE(cfg.checkpointPath, folder.checkpoint().string());
        QCOMPARE(cfg.checkpointInterval, int64_t(100));
        QVERIFY(cfg.resume);

        req.config.size = 32;
        cfg = resolveRunConfig(req, folder, false);
        fs::create_directories(folder.dir());
        RunLog log(folder.log(), {});
        const Domain labeled = scanDomain(req.labeledDir);
        const std::vector<std::string> two = {labeled.cases[0].id, labeled.cases[1].id};
        req.maxValidationCases = 3;
        RunTensors data = prepareRunTensors(req, labeled, two, runPreprocessing(req, cfg), log);
        QCOMPARE(data.labeled.size(), int64_t(2));
        QCOMPARE(data.validation.size(), std::size_t(1));
        QCOMPARE(data.validation.begin()->first, labeled.name + " (held out)");
        QCOMPARE(data.validation.begin()->second.size(), int64_t(3));   // not the two trained on
        QVERIFY(data.unlabeled.size() > 0);
        req.testUnusedLabeled = true;
        QVERIFY(prepareRunTensors(req, labeled, two, runPreprocessing(req, cfg), log).validation.empty());
        req.validationDirs = {demo() / "fundus/centre-b"};
        data = prepareRunTensors(req, labeled, two, runPreprocessing(req, cfg), log);
        QCOMPARE(data.validation.size(), std::size_t(1));
        QCOMPARE(data.validation.begin()->first, std::string("centre-b"));
        const RunConfigFile c = runConfigFile(req, cfg, labeled, two, data);
        QCOMPARE(c.labeledCases, two);
        QCOMPARE(c.validation, std::vector<std::string>{"centre-b"});
        QCOMPARE(c.train.at("size"), std::string("32"));
        QVERIFY(readText(folder.log()).find("centre-a: 2 cases") != std::string::npos);
    }

    /// The wizard's duration estimate (estimateRunDuration): three iterations, then set-up plus the
    /// measured pace times the iterations asked for; a bad request says why.
    void durationEstimate() {
        RunRequest req;
        req.task = Task::fundus();
        req.labeledDir = demo() / "fundus/centre-a";
        req.labeledCount = 2;
        req.unlabeledDirs = {demo() / "fundus/centre-b"};
        req.testDirs = {demo() / "fundus/centre-c"};
        req.config.size = 32;
        req.config.width = 0.25;
        req.config.labeledBatch = req.config.unlabeledBatch = 2;
        req.config.iterations = 1000;
        req.outDir = dir() / "estimate";
        const RunEstimate e = estimateRunDuration(req);
        QVERIFY2(e.error.empty(), e.error.c_str());
        QVERIFY(e.secondsPerIteration > 0);
        QVERIFY(e.seconds >= e.secondsPerIteration * 1000 * 0.99);
        QVERIFY(!fs::exists(RunFolder(req.outDir).predictions()));   // no test ran
        req.labeledDir = dir() / "nowhere";
        const RunEstimate bad = estimateRunDuration(req);
        QVERIFY(bad.seconds < 0);
        QVERIFY(bad.error.find("labeled folder") != std::string::npos);
    }

    /// The wizard's subset of a domain (pipeline/LabeledSubset.h): links to the chosen cases with
    /// the masks they train with, and to the masked cases left out, to validate on; the roles rule.
    void labeledSubsetLinks() {
        const Domain dom = scanDomain(demo() / "fundus/centre-a");
        QVERIFY(dom.cases.size() >= 5);
        const fs::path run = dir() / "subset-run";
        const fs::path painted = dir() / "painted.png";
        fs::copy_file(dom.cases[1].mask, painted, fs::copy_options::overwrite_existing);
        const LabeledSubset s = linkLabeledSubset(dom, {{dom.cases[0].id, {}}, {dom.cases[1].id, painted}, {"no-such-case", {}}},
                                                  {dom.cases[2].id, dom.cases[3].id, dom.cases[4].id}, run, 2);
        QCOMPARE(s.count, 2);
        QCOMPARE(s.heldOut, 2);
        const Domain linked = scanDomain(s.labeledDir);
        QCOMPARE(linked.cases.size(), std::size_t(2));
        QCOMPARE(linked.labeledCount(), std::size_t(2));
        QCOMPARE(fs::read_symlink(s.labeledDir / "masks" / (dom.cases[1].id + ".png")), fs::absolute(painted));
        QCOMPARE(scanDomain(s.heldOutDir).labeledCount(), std::size_t(2));
        // Built again with other choices: nothing of the first subset is left.
        const LabeledSubset t = linkLabeledSubset(dom, {{dom.cases[4].id, {}}}, {}, run, 16);
        QCOMPARE(t.count, 1);
        QVERIFY(t.heldOutDir.empty());
        QVERIFY(!fs::exists(run / "labeled-cases" / (dom.name + "-held-out")));
        QCOMPARE(scanDomain(t.labeledDir).cases.size(), std::size_t(1));

        const fs::path a = demo() / "fundus/centre-a", b = demo() / "fundus/centre-b", c = demo() / "fundus/centre-c";
        QVERIFY(heldOutProblem(a, {b}, {c}, {}).empty());
        QVERIFY(heldOutProblem(a, {b}, {a}, {}).find("is the labeled folder") != std::string::npos);
        QVERIFY(heldOutProblem(a, {b}, {b}, {}).find("unlabeled") != std::string::npos);
        QVERIFY(heldOutProblem(a, {b}, {c}, {c}).find("both a test and a validation") != std::string::npos);
        RunRequest req;
        req.labeledDir = a;
        req.unlabeledDirs = {b};
        req.testDirs = {c};
        req.validationDirs = {c};
        req.outDir = run;
        test::expectInputError([&] { checkRunRequest(req); }, "both a test and a validation");
    }

    void datasetCache() {
        Domain d = scanDomain(demo() / "fundus/centre-a");
        PreprocessOptions opt;
        opt.size = 32;
        opt.cacheDir = dir() / "cache";
        LoadReport r1, r2;
        auto a = loadDomainTensors(d, Task::fundus(), opt, true, {}, &r1);
        auto b = loadDomainTensors(d, Task::fundus(), opt, true, {}, &r2);
        QVERIFY(!r1.fromCache);
        QVERIFY(r2.fromCache);
        QCOMPARE(a.size(), int64_t(6));
        QVERIFY(a.images.equal(b.images));
        QVERIFY(a.masks.equal(b.masks));
        QCOMPARE(a.masks.max().item<int64_t>(), int64_t(2));
        // A damaged cache entry is rebuilt, not trusted.
        for (auto& e : fs::directory_iterator(opt.cacheDir)) std::ofstream(e.path(), std::ios::trunc) << "junk";
        LoadReport r3;
        auto c = loadDomainTensors(d, Task::fundus(), opt, true, {}, &r3);
        QVERIFY(!r3.fromCache);
        QVERIFY(c.images.equal(a.images));
        // Volumes become one sample per slice.
        Domain mri = scanDomain(demo() / "mri/centre-a");
        PreprocessOptions one;
        one.size = 32;
        one.channels = 1;
        auto v = loadDomainTensors(mri, Task::scgm(), one, true);
        QCOMPARE(v.size(), int64_t(8));
        QCOMPARE(QString::fromStdString(v.caseIds[3]), QString("sub-a01@3"));
        // Masks with labels the task does not have: every case skipped -> a clear error.
        try {
            loadDomainTensors(d, Task::polyp(), opt, true);
            QFAIL("fundus masks accepted as polyp masks");
        } catch (const InputError& e) {
            QVERIFY2(std::string(e.what()).find("does not define") != std::string::npos, e.what());
        }
    }

    void exportTensorsForTrainOnlyNodes() {
        Result r = dacw({"dataset", "export", "--task", "fundus", "--size", "32", "--masks", "--out", s(dir() / "a.pt"),
                         s(demo() / "fundus/centre-a"), s(demo() / "fundus/centre-b")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        auto t = train::TensorDataset::load((dir() / "a.pt").string());
        QCOMPARE(t.size(), int64_t(12));
        QCOMPARE(t.domainNames().size(), std::size_t(2));
        QVERIFY(t.hasMasks());
        QCOMPARE(dacw({"dataset", "export", "--task", "fundus", "--out", s(dir() / "b.pt"), s(dir() / "nope")}).code, 1);
    }

    void trainPredictEvaluateEndToEnd() {
        const fs::path run = dir() / "run";
        QStringList args = tinyTrain(run);
        args << "--method" << "dac" << "--iters" << "6";
        Result r = dacw(args);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        for (const char* f : {"config.json", "log.txt", "metrics.csv", "model.pt", "metrics.json", "checkpoint.pt"})
            QVERIFY2(fs::exists(run / f), f);
        auto cfg = nlohmann::json::parse(readText(run / "config.json"));
        QCOMPARE(cfg["labeled_cases"].size(), std::size_t(4));
        QCOMPARE(QString::fromStdString(cfg["train"]["method"].get<std::string>()), QString("dac"));
        // The kernel switches were chosen on this machine and config.json records what ran.
        for (const char* k : {"bf16", "channels-last", "model-parallel"}) {
            const std::string v = cfg["train"][k].get<std::string>();
            QVERIFY2(v == "true" || v == "false", k);
        }
        QVERIFY(readText(run / "log.txt").find("kernels: bf16 ") != std::string::npos);
        // Test-time augmentation: flip by default, recorded; `dacw predict` below reads it from the model.
        QCOMPARE(QString::fromStdString(cfg["train"]["tta"].get<std::string>()), QString("flip"));
        {
            // metrics.csv: one row per iteration here, elapsed seconds increasing.
            std::ifstream csv(run / "metrics.csv");
            std::string header, row;
            std::getline(csv, header);
            QVERIFY2(header.rfind("iteration,lr,images_per_s,s_per_iter,data_wait,elapsed_s,", 0) == 0, header.c_str());
            double last = -1.0;
            int rows = 0;
            while (std::getline(csv, row)) {
                std::stringstream ss(row);
                std::string cell;
                for (int c = 0; c < 6; ++c) std::getline(ss, cell, ',');
                QVERIFY2(std::stod(cell) > last, row.c_str());
                last = std::stod(cell);
                ++rows;
            }
            QCOMPARE(rows, 6);
        }
        auto m = nlohmann::json::parse(readText(run / "metrics.json"));
        QCOMPARE(m["domains"]["centre-c"]["cases"].get<int>(), 6);
        QVERIFY(m["domains"]["centre-c"]["dice"].contains("cup"));
        QVERIFY(m["mean"]["dice"].contains("disc"));
        QCOMPARE(m["cases"].size(), std::size_t(6));
        // Predictions have each image's size.
        LabelMap p = readLabelMap(run / "predictions/centre-c/fundus_c001.png");
        QCOMPARE(p.width(), std::size_t(160));
        // predict + evaluate reproduce the run's own scores.
        Result pr = dacw({"predict", "--model", s(run), "--input", s(demo() / "fundus/centre-c"), "--out", s(dir() / "pred")});
        QVERIFY2(pr.code == 0, qPrintable(pr.err));
        Result ev = dacw({"evaluate", "--task", "fundus", "--pred", s(dir() / "pred"), "--truth", s(demo() / "fundus/centre-c"),
                          "--out", s(dir() / "eval.json")});
        QVERIFY2(ev.code == 0, qPrintable(ev.err));
        auto e = nlohmann::json::parse(readText(dir() / "eval.json"));
        QCOMPARE(e["domains"]["centre-c"]["dice"]["disc"].get<double>(), m["domains"]["centre-c"]["dice"]["disc"].get<double>());
        QCOMPARE(e["domains"]["centre-c"]["dice"]["cup"].get<double>(), m["domains"]["centre-c"]["dice"]["cup"].get<double>());
        QCOMPARE(dacw({"predict", "--model", s(run), "--input", s(demo() / "fundus/centre-c"), "--out", s(dir() / "p2"), "--tta",
                       "mirror"})
                     .code,
                 2);

        // label-next: the run's two sub-models rank centre C's cases (all have masks: --all),
        // most disagreement first, as JSON and as lines; without --all nothing is left to rank.
        Result ln =
            dacw({"label-next", "--run", s(run), "--all", "--json", "--maps", s(dir() / "maps"), s(demo() / "fundus/centre-c")});
        QVERIFY2(ln.code == 0, qPrintable(ln.err));
        const auto ranked = nlohmann::json::parse(ln.out.toStdString());
        QCOMPARE(ranked.size(), std::size_t(6));
        for (std::size_t i = 1; i < ranked.size(); ++i)
            QVERIFY(ranked[i - 1]["score"].get<double>() >= ranked[i]["score"].get<double>());
        QVERIFY(fs::exists(dir() / "maps" / "centre-c" / (ranked[0]["case"].get<std::string>() + ".png")));
        ln = dacw({"label-next", "--run", s(run), "--all", "--count", "2", s(demo() / "fundus/centre-c")});
        QVERIFY2(ln.code == 0 && ln.out.trimmed().split('\n').size() == 2, qPrintable(ln.out + ln.err));
        QVERIFY(ln.out.startsWith("1\tcentre-c\t" + QString::fromStdString(ranked[0]["case"].get<std::string>())));
        ln = dacw({"label-next", "--run", s(run), s(demo() / "fundus/centre-c")});
        QVERIFY2(ln.code == 0 && ln.out.contains("--all"), qPrintable(ln.out));
    }

    // --json: every stdout line is one JSON object; one progress event per iteration, the
    // validation of both sub-models, and a final event with the test Dice.
    void trainJsonProgressForScripts() {
        const fs::path run = dir() / "json-run";
        QStringList args = tinyTrain(run);
        args << "--method" << "dac" << "--iters" << "3" << "--json";
        Result r = dacw(args);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        int progress = 0, validation = 0, finished = 0;
        for (const QString& line : r.out.split('\n', Qt::SkipEmptyParts)) {
            const auto j = nlohmann::json::parse(line.toStdString());  // throws (fails) on a non-JSON line
            const std::string ev = j.at("event").get<std::string>();
            if (ev == "progress") {
                ++progress;
                QCOMPARE(j.at("iteration").get<int>(), progress);
                QVERIFY(j.at("losses").contains("total"));
            } else if (ev == "validation") {
                ++validation;
            } else if (ev == "finished") {
                ++finished;
                QVERIFY(j.at("test_dice").contains("centre-c"));
            } else {
                QCOMPARE(QString::fromStdString(ev), QString("message"));
            }
        }
        QCOMPARE(progress, 3);
        QCOMPARE(validation, 2);  // A and B on the held-out cases, at the end
        QCOMPARE(finished, 1);
    }

    void volumePredictionKeepsGeometry() {
        const fs::path run = dir() / "mri-run";
        Result r = dacw({"train", "--task", "scgm", "--labeled", s(demo() / "mri/centre-a"), "--unlabeled", s(demo() / "mri/centre-b"),
                         "--method", "cps", "--iters", "3", "--size", "32", "--width", "0.25", "--batch", "2", "--no-cache",
                         "--out", s(run), "--notes", "coronal check, übung"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(readRunNotes(RunFolder(run)), std::string("coronal check, übung"));
        Result pr = dacw({"predict", "--model", s(run / "model.pt"), "--input", s(demo() / "mri/centre-c/images/sub-c01.nii.gz"),
                          "--out", s(dir() / "mri-pred")});
        QVERIFY2(pr.code == 0, qPrintable(pr.err));
        Image img = readImage(demo() / "mri/centre-c/images/sub-c01.nii.gz");
        LabelMap lab = readLabelMap(dir() / "mri-pred/sub-c01.nii.gz");
        QVERIFY(lab.geometry().sameGrid(img.geometry()));
        QCOMPARE(lab.geometry().dimension, 3);
    }

    void badInputEverySubcommand() {
        const fs::path out = dir() / "bad-run";
        auto base = [&](const QString& labeled, const QString& unlabeled, const QString& task) {
            return QStringList{"train", "--task", task, "--labeled", labeled, "--unlabeled", unlabeled, "--iters", "2",
                               "--size", "32", "--width", "0.25", "--no-cache", "--out", s(out)};
        };
        Result missing = dacw(base(s(dir() / "nope"), s(demo() / "fundus/centre-b"), "fundus"));
        QCOMPARE(missing.code, 1);
        QVERIFY(missing.err.contains("does not exist"));
        fs::create_directories(dir() / "flat");
        fs::copy_file(demo() / "fundus/centre-a/images/fundus_a001.png", dir() / "flat/x.png");
        Result nolabels = dacw(base(s(dir() / "flat"), s(demo() / "fundus/centre-b"), "fundus"));
        QCOMPARE(nolabels.code, 1);
        QVERIFY(nolabels.err.contains("no case with a mask"));
        fs::create_directories(dir() / "empty");
        Result empty = dacw(base(s(demo() / "fundus/centre-a"), s(dir() / "empty"), "fundus"));
        QCOMPARE(empty.code, 1);
        QVERIFY(empty.err.contains("holds no images"));
        Result mismatch = dacw(base(s(demo() / "fundus/centre-a"), s(demo() / "fundus/centre-b"), "polyp"));
        QCOMPARE(mismatch.code, 1);
        QVERIFY2(mismatch.err.contains("does not define"), qPrintable(mismatch.err));
        QStringList overlap = base(s(demo() / "fundus/centre-a"), s(demo() / "fundus/centre-b"), "fundus");
        overlap << "--test" << s(demo() / "fundus/centre-a");
        QCOMPARE(dacw(overlap).code, 1);
        QStringList badSize = base(s(demo() / "fundus/centre-a"), s(demo() / "fundus/centre-b"), "fundus");
        badSize << "--size" << "50";
        QCOMPARE(dacw(badSize).code, 2);
        QCOMPARE(dacw({"train", "--task", "fundus"}).code, 2);
        QCOMPARE(dacw(QStringList(base(s(demo() / "fundus/centre-a"), s(demo() / "fundus/centre-b"), "fundus")) << "--method" << "magic").code, 2);
        // Corrupt model / checkpoint files.
        fs::create_directories(dir() / "corrupt");
        std::ofstream(dir() / "corrupt/model.pt") << "not a model";
        Result badModel = dacw({"predict", "--model", s(dir() / "corrupt"), "--input", s(demo() / "fundus/centre-c"), "--out", s(dir() / "p2")});
        QCOMPARE(badModel.code, 1);
        QVERIFY(!badModel.err.isEmpty());
        Result noModel = dacw({"predict", "--model", s(dir() / "empty"), "--input", s(demo() / "fundus/centre-c"), "--out", s(dir() / "p2")});
        QCOMPARE(noModel.code, 1);
        QVERIFY(noModel.err.contains("No exported model"));
        std::ofstream(dir() / "corrupt/checkpoint.pt") << "garbage checkpoint";
        QStringList resume = base(s(demo() / "fundus/centre-a"), s(demo() / "fundus/centre-b"), "fundus");
        resume.replace(resume.indexOf(s(out)), s(dir() / "corrupt"));
        resume << "--resume";
        Result badCkpt = dacw(resume);
        QCOMPARE(badCkpt.code, 1);
        QVERIFY(!badCkpt.err.isEmpty());
        Result evalMissing = dacw({"evaluate", "--task", "fundus", "--pred", s(dir() / "empty"), "--truth", s(demo() / "fundus/centre-c")});
        QCOMPARE(evalMissing.code, 1);
        QVERIFY(evalMissing.err.contains("have no prediction"));
        QCOMPARE(dacw({"experiment", "--task", "fundus", "--labeled", s(demo() / "fundus/centre-a"), "--out", s(out)}).code, 2);
    }

    void cancelAndResumeContinueOneCurve() {
        const fs::path run = dir() / "cancel";
        QStringList args = tinyTrain(run);
        args << "--method" << "cps" << "--iters" << "40" << "--checkpoint-every" << "1000";
        QProcess p;
        p.start(DACW_CLI, args);
        QVERIFY(p.waitForStarted());
        // Wait for a few logged iterations, then interrupt as Ctrl-C would.
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 120000) {
            p.waitForFinished(200);
            std::ifstream csv(run / "metrics.csv");
            int lines = 0;
            for (std::string l; std::getline(csv, l);) ++lines;
            if (lines >= 4) break;
        }
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 130);
        QVERIFY(fs::exists(run / "checkpoint.pt"));
        QVERIFY(!fs::exists(run / "model.pt"));
        // As a run folder from before the elapsed_s column: the resumed run keeps its rows.
        {
            std::ifstream in(run / "metrics.csv");
            std::string old, line;
            while (std::getline(in, line)) {
                std::vector<std::string> cells;
                std::stringstream ss(line);
                for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
                if (cells.size() > 5) cells.erase(cells.begin() + 5);
                for (std::size_t i = 0; i < cells.size(); ++i) old += (i ? "," : "") + cells[i];
                old += "\n";
            }
            in.close();
            QVERIFY(old.rfind("iteration,lr,images_per_s,s_per_iter,data_wait,", 0) == 0);
            std::ofstream(run / "metrics.csv", std::ios::trunc) << old;
        }
        // Resume to the end with fewer iterations left.
        QStringList again = args;
        again << "--resume";
        Result r = dacw(again);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        std::ifstream csv(run / "metrics.csv");
        std::string line;
        std::getline(csv, line);
        long long prev = 0;
        int rows = 0;
        while (std::getline(csv, line)) {
            long long it = std::atoll(line.c_str());
            QVERIFY2(it > prev, line.c_str());
            prev = it;
            ++rows;
        }
        QCOMPARE(prev, 40LL);
        QCOMPARE(rows, 40);  // each iteration once: the old rows kept (empty elapsed_s), the new appended
        QVERIFY(fs::exists(run / "model.pt"));
        QVERIFY(readText(run / "log.txt").find("resuming") != std::string::npos);
        // The resumed run computes with the kernels it started with, whatever a new measurement says.
        QVERIFY(readText(run / "log.txt").find("kernels as when the run started") != std::string::npos);
    }

    void experimentTable() {
        QStringList args = {"experiment", "--task", "fundus", "--labeled", s(demo() / "fundus/centre-a"), "--labeled-count", "4",
                            "--unlabeled", s(demo() / "fundus/centre-b"), "--test", s(demo() / "fundus/centre-c"),
                            "--methods", "supervised,cps,dac", "--iters", "3", "--size", "32", "--width", "0.25",
                            "--batch", "2", "--no-cache", "--no-predictions", "--out", s(dir() / "exp")};
        Result r = dacw(args);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const std::string md = readText(dir() / "exp/results.md");
        for (const char* m : {"| supervised |", "| cps |", "| dac |", "centre-c cup", "mean disc"})
            QVERIFY2(md.find(m) != std::string::npos, m);
        auto j = nlohmann::json::parse(readText(dir() / "exp/results.json"));
        QVERIFY(j["methods"]["dac"]["domains"]["centre-c"]["dice"].contains("cup"));
        // Every method trained on the same labeled cases.
        auto c1 = nlohmann::json::parse(readText(dir() / "exp/supervised/config.json"));
        auto c2 = nlohmann::json::parse(readText(dir() / "exp/dac/config.json"));
        QCOMPARE(c1["labeled_cases"], c2["labeled_cases"]);
    }

    void experimentSeedsCountsAndLeaveOneOut() {
        const fs::path out = dir() / "exp-loo";
        QStringList args = {"experiment", "--task", "fundus", "--labeled", s(demo() / "fundus/centre-a"),
                            "--leave-one-out", s(demo() / "fundus/centre-b"), "--leave-one-out", s(demo() / "fundus/centre-c"),
                            "--labeled-counts", "2,3", "--seeds", "4,5", "--methods", "supervised,cps", "--iters", "2",
                            "--size", "32", "--width", "0.25", "--batch", "2", "--no-cache", "--no-predictions",
                            "--out", s(out)};
        Result r = dacw(args);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        // Every cell: each listed domain once as the test centre, the other one unlabeled.
        for (const char* cell : {"labeled-2/test-centre-b", "labeled-2/test-centre-c", "labeled-3/test-centre-b",
                                 "labeled-3/test-centre-c"}) {
            QVERIFY2(fs::exists(out / cell / "results.md"), cell);
            QVERIFY(fs::exists(out / cell / "cps/seed-5/metrics.json"));
        }
        auto cfg = nlohmann::json::parse(readText(out / "labeled-3/test-centre-b/cps/seed-4/config.json"));
        QCOMPARE(cfg["labeled_cases"].size(), std::size_t(3));
        QCOMPARE(cfg["test_dirs"].size(), std::size_t(1));
        QVERIFY(cfg["test_dirs"][0].get<std::string>().find("centre-b") != std::string::npos);
        QVERIFY(cfg["unlabeled_dirs"][0].get<std::string>().find("centre-c") != std::string::npos);
        // Seeds: mean and sd over two runs, and the paired difference, in the cell's files.
        auto j = nlohmann::json::parse(readText(out / "labeled-2/test-centre-c/results.json"));
        auto st = j["methods"]["cps"]["domains"]["centre-c"]["dice_over_seeds"]["disc"];
        QCOMPARE(st["n"].get<int>(), 2);
        QCOMPARE(st["per_seed"].size(), std::size_t(2));
        QVERIFY(j["paired"]["cps - supervised"]["centre-c"].contains("cup"));
        // Every figure beside them is over both seeds too, not the first seed's.
        const auto& dom = j["methods"]["cps"]["domains"]["centre-c"];
        QVERIFY(std::abs(dom["vcdr_mae"].get<double>() - dom["vcdr_mae_over_seeds"]["mean"].get<double>()) < 1e-5);
        double hd = 0, raw = 0;
        for (const char* seed : {"seed-4", "seed-5"}) {
            auto m = nlohmann::json::parse(
                readText(out / "labeled-2/test-centre-c/cps" / seed / "metrics.json"))["domains"]["centre-c"];
            hd += m["hd95"]["disc"].get<double>() / 2, raw += m["dice_before_postprocessing"]["cup"].get<double>() / 2;
        }
        QVERIFY(std::abs(dom["hd95"]["disc"].get<double>() - hd) < 1e-5);
        QVERIFY(std::abs(dom["dice_before_postprocessing"]["cup"].get<double>() - raw) < 1e-5);
        // The labeled centre's held-out validation of the exported sub-model, seed by seed: the
        // rows of its validation.csv at the last validated iteration.
        const auto& val = j["methods"]["cps"]["validation"];
        QCOMPARE(val.size(), std::size_t(1));
        const std::string valDomain = val.begin().key();
        QVERIFY2(valDomain.find("centre-a") != std::string::npos, valDomain.c_str());
        for (int k = 0; k < 2; ++k) {
            const fs::path seedDir = out / "labeled-2/test-centre-c/cps" / (k == 0 ? "seed-4" : "seed-5");
            const auto metrics = nlohmann::json::parse(readText(seedDir / "metrics.json"));
            const std::string sub = metrics["chosen_submodel"];
            // The class shares the prior correction used: labeled batches and each teacher's EM
            // estimate on the unlabeled centre, one share per class, each set summing to 1.
            QVERIFY(metrics.contains("class_priors"));
            QCOMPARE(metrics["predict_prior"].get<std::string>(), std::string("unlabeled"));
            for (const char* key : {"labeled", "unlabeled_estimate_A", "unlabeled_estimate_B"}) {
                const auto& shares = metrics["class_priors"][key];
                QCOMPARE(shares.size(), std::size_t(3));
                double sum = 0;
                for (const auto& x : shares) {
                    QVERIFY(x.get<double>() > 0 && x.get<double>() < 1);
                    sum += x.get<double>();
                }
                QVERIFY2(std::abs(sum - 1) < 1e-4, key);
            }
            const RunTable rows = readRunTable(seedDir / "validation.csv");
            double last = -1, disc = -1;
            for (const auto& row : rows.rows)
                if (row.size() == 5 && row[1] == sub && row[2] == valDomain && row[3] == "disc" && std::stod(row[0]) >= last)
                    last = std::stod(row[0]), disc = std::stod(row[4]);
            QVERIFY(last > 0);
            QVERIFY(std::abs(val[valDomain]["disc"]["per_seed"][k].get<double>() - disc) < 1e-6);
        }
        // Supervised training has no unlabeled centre to estimate: no class_priors.
        QVERIFY(!nlohmann::json::parse(readText(out / "labeled-2/test-centre-c/supervised/seed-4/metrics.json"))
                     .contains("class_priors"));
        const std::string cellMd = readText(out / "labeled-2/test-centre-c/results.md");
        QVERIFY(cellMd.find("Validation (never a test centre)") != std::string::npos);
        QVERIFY(cellMd.find("| " + valDomain + " disc | " + valDomain + " cup |") != std::string::npos);
        const std::string md = readText(out / "results.md");
        QVERIFY(md.find("Paired difference") != std::string::npos && md.find("±") != std::string::npos);
        QCOMPARE(nlohmann::json::parse(readText(out / "results.json"))["cells"].size(), std::size_t(4));
        // A bar chart per region beside each cell's table, and linked from it.
        for (const char* reg : {"disc", "cup"}) {
            const fs::path png = out / "labeled-2/test-centre-c" / (std::string("results-") + reg + ".png");
            QVERIFY2(fs::exists(png), png.string().c_str());
            Image chart = readImage(png);
            QVERIFY(chart.width() > 200 && chart.height() > 200);
        }
        QVERIFY(readText(out / "labeled-2/test-centre-c/results.md").find("](results-cup.png)") != std::string::npos);
        // --resume reads finished runs back instead of training again.
        args << "--resume";
        Result again = dacw(args);
        QVERIFY2(again.code == 0, qPrintable(again.err));
        QVERIFY(again.err.contains("finished earlier"));
        // Read back, the runs give the same table, validation included.
        QCOMPARE(readText(out / "labeled-2/test-centre-c/results.md"), cellMd);
        QVERIFY(!again.err.contains("iteration 2/2"));
        QCOMPARE(dacw({"experiment", "--task", "fundus", "--labeled", s(demo() / "fundus/centre-a"), "--leave-one-out",
                       s(demo() / "fundus/centre-b"), "--test", s(demo() / "fundus/centre-c"), "--out", s(out)})
                     .code,
                 2);
    }
};

QTEST_GUILESS_MAIN(TestPipeline)
#include "test_pipeline.moc"
