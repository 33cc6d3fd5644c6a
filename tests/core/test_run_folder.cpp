// The run folder (core/pipeline/RunFolder): every file written and read back, the tables as the
// dashboard reads them, and numbers from damaged text refused with a message. No training.
#include <QtTest/QtTest>

#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "TestSupport.h"
#include "core/pipeline/Run.h"
#include "core/pipeline/RunFolder.h"
#include "core/util/Errors.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;
using namespace dacw;

class TestRunFolder : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    fs::path dir() const { return fs::path(tmp_.path().toStdString()); }

private Q_SLOTS:
    void runFolderNumbersFromDamagedText() {
        const fs::path run = dir() / "damaged-run";
        fs::create_directories(run);
        const auto request = [&](const std::string& text) { std::ofstream(run / "request.json") << text; };
        // Numbers that do not fit their field: a double out of an int's range was converted
        // (undefined behaviour), a label value of 300 wrapped to 44.
        request(R"({"task": "fundus", "labeled_dir": "/x", "labeled_count": 1e10})");
        test::expectInputError([&] { readRunRequest(run); }, "labeled_count");
        request(R"({"task": "lesions", "labeled_dir": "/x", "task_labels": [{"name": "a", "value": 300}]})");
        test::expectInputError([&] { readRunRequest(run); }, "label value");
        request(R"({"task": "lesions", "labeled_dir": "/x", "task_channels": 2.5, "task_labels": []})");
        test::expectInputError([&] { readRunRequest(run); }, "task_channels");
        request(R"({"task": "lesions", "labeled_dir": "/x", "task_channels": 1.0, "task_labels": [{"name": "a", "value": 2}]})");
        QCOMPARE(readRunRequest(run).task.labels.at(0).value, std::uint8_t(2));
        // A run recorded before the resize option squashed its images: it is read back as such
        // (label-next and resume prepare its images as it trained on them), whatever the default.
        request(R"({"task": "polyp", "labeled_dir": "/x", "train": {"lr": "0.001"}})");
        QVERIFY(readRunRequest(run).config.resize == train::Resize::Stretch);
        request(R"({"task": "polyp", "labeled_dir": "/x", "train": {"resize": "letterbox"}})");
        QVERIFY(readRunRequest(run).config.resize == train::Resize::Letterbox);
        QVERIFY(train::TrainConfig{}.resize == train::Resize::Stretch);  // measured: letterbox did not help
        test::expectInputError([&] { evaluationFromJson(R"({"domains": {"a": {"cases": -1.5, "dice": {}, "hd95": {}}}, "mean": {"dice": {}, "hd95": {}}})"); },
                               "cases");
        test::expectInputError([&] { evaluationFromJson(R"({"domains": {"a": {"cases": 1e300, "dice": {}, "hd95": {}}}, "mean": {"dice": {}, "hd95": {}}})"); },
                               "cases");
    }

    /// The run folder's writers (pipeline/RunFolder.h): a resumed run keeps the rows before its first
    /// new iteration, a folder from before the elapsed_s column gets an empty cell there, other
    /// columns start over; config.json reads back what was written; the summary of a damaged
    /// folder shows what can be read.
    void runFolderWritersAndReaders() {
        const RunFolder run(dir() / "writer-run");
        fs::create_directories(run.dir());
        {
            RunMetricsWriter w(run, false);
            w.start({"sup", "total"}, 1);
            for (int i = 1; i <= 4; ++i) {
                MetricsRow r;
                r.iteration = i;
                r.losses = {{"total", 1.0 / i}};  // no "sup": an empty cell
                w.add(r);
            }
            w.addValidation(4, {{"A", {{"c, 1", {0.5, 0.25}}}}}, {"disc"});
        }
        RunTable m = readRunTable(run.metricsCsv());
        QCOMPARE(m.header.size(), std::size_t(8));
        QCOMPARE(m.rows.size(), std::size_t(4));
        QCOMPARE(m.rows[0][6], std::string());
        const RunTable v = readRunTable(run.validationCsv());
        QCOMPARE(v.rows.size(), std::size_t(2));
        QCOMPARE(v.rows[0][2], std::string("c, 1"));
        QCOMPARE(v.rows[1][3], std::string("2"));  // a region without a name: its number
        {
            RunMetricsWriter w(run, true);  // resumed from the checkpoint of iteration 2
            w.start({"sup", "total"}, 3);
        }
        QCOMPARE(readRunTable(run.metricsCsv()).rows.size(), std::size_t(2));
        QCOMPARE(readRunTable(run.validationCsv()).rows.size(), std::size_t(0));
        // An older folder: no elapsed_s column, and a half row a killed writer left behind.
        std::ofstream(run.metricsCsv()) << "iteration,lr,images_per_s,s_per_iter,data_wait,total\n1,0.1,5,0.2,0,1.5\n2,0.1,5,0.2,0,1.2\n3,0.";
        {
            RunMetricsWriter w(run, true);
            w.start({"total"}, 3);
        }
        m = readRunTable(run.metricsCsv());
        QCOMPARE(m.header.at(5), std::string("elapsed_s"));
        QCOMPARE(m.rows.size(), std::size_t(2));
        QCOMPARE(m.rows[1].at(5), std::string());
        QCOMPARE(m.rows[1].at(6), std::string("1.2"));
        {
            RunMetricsWriter w(run, true);  // other loss columns: the old rows cannot be continued
            w.start({"sup"}, 3);
        }
        QCOMPARE(readRunTable(run.metricsCsv()).rows.size(), std::size_t(0));

        RunConfigFile c;
        c.task = "fundus";
        c.preset = "quick";
        c.labeledDir = dir() / "lab";
        c.labeledCases = {"a", "b"};
        c.testDirs = {dir() / "t"};
        c.validation = {"lab (held out)"};
        c.train = {{"iterations", "40"}, {"size", "64"}};
        writeRunConfig(run, c);
        const RunConfigFile back = readRunConfig(run);
        QCOMPARE(back.labeledCases, c.labeledCases);
        QCOMPARE(back.testDirs.at(0), fs::absolute(c.testDirs[0]));
        QCOMPARE(back.train.at("size"), std::string("64"));
        RunSummary s = summariseRun(run);
        QCOMPARE(s.iterationsPlanned, std::string("40"));
        QCOMPARE(s.iterationsDone, std::string("0"));
        QVERIFY(s.meanDice.empty());
        std::ofstream(run.config()) << "{\"task\": ";  // damaged: the summary keeps what it can
        std::ofstream(run.evaluation()) << "[]";
        s = summariseRun(run);
        QVERIFY(s.iterationsPlanned.empty());
        test::expectInputError([&] { readRunConfig(run); }, "config.json");
        test::expectInputError([&] { readRunEvaluation(RunFolder(dir() / "no-such-run")); }, "no metrics.json");

        QCOMPARE(readRunNotes(run), std::string());
        writeRunNotes(run, "first line\nsecond");
        QCOMPARE(summariseRun(run).notes, std::string("first line\nsecond"));
        writeRunNotes(run, "");
        QVERIFY(!fs::exists(run.notes()));
        test::expectInputError([&] { writeRunNotes(RunFolder(dir() / "no-such-run"), "x"); }, "does not exist");

        QVERIFY(run.findPrediction("d", "c1").empty());
        fs::create_directories(run.predictions() / "d");
        std::ofstream(run.predictions() / "d" / "c1.nii") << "x";
        QCOMPARE(run.findPrediction("d", "c1"), run.predictions() / "d" / "c1.nii");
        QCOMPARE(run.predictionFile("d", "c2", true), run.predictions() / "d" / "c2.nii.gz");
        QCOMPARE(RunFolder::modelIn(run.dir()), run.model());
    }

    /// metrics.csv and validation.csv as the dashboard reads them (pipeline/RunFolder.h, fuzzed by
    /// fuzz_run_csv): CRLF line ends, quoted domains, short rows, cells that are not numbers
    /// (skipped, not plotted as 0).
    void runTablesAsTheDashboardReadsThem() {
        const fs::path run = dir() / "damaged-run";
        const RunTable metrics = parseRunTable("iteration,lr,images_per_s,s_per_iter,data_wait,sup,elapsed_s,total\r\n"
                                               "1,0.1,5,0.2,0,0.9,3,1.5\r\n\r\n2,0.1,5,0.2,0,x,4,1.2\r\n3,0.1\r\nnan,0,0,0,0,1,1,1\n");
        QCOMPARE(metrics.header.size(), std::size_t(8));
        QCOMPARE(metrics.header.back(), std::string("total"));
        QCOMPARE(metrics.rows.size(), std::size_t(4));
        const auto curves = lossCurves(metrics);
        QCOMPARE(curves.size(), std::size_t(2));
        QCOMPARE(curves[0].name, std::string("sup"));
        QCOMPARE(curves[0].points.size(), std::size_t(1));  // "x" and the NaN iteration are skipped
        QCOMPARE(curves[1].name, std::string("total"));  // elapsed_s is a time, not a loss term
        QCOMPARE(metricsColumn(metrics, "total").points.size(), std::size_t(2));
        QVERIFY(metricsColumn(metrics, "absent").points.empty());
        const RunTable validation = parseRunTable("iteration,submodel,domain,region,dice\n"
                                                  "10,A,\"centre-a (held, out)\",disc,0.5\n10,A,b,cup,0.7\n10,B,b,cup,0.1\n"
                                                  "5,A,b,cup,0.2\n7,A\n");
        QCOMPARE(validation.rows[0][2], std::string("centre-a (held, out)"));
        const RunCurve val = validationMeanCurve(validation);
        QCOMPARE(val.name, std::string("A"));
        QCOMPARE(val.points.size(), std::size_t(2));
        QCOMPARE(val.points[0].first, 5.0);
        QCOMPARE(val.points[1].first, 10.0);
        QVERIFY(std::abs(val.points[1].second - 0.6) < 1e-12);
        // Per sub-model and domain, as the live dashboard names them; regions averaged.
        const RunTable regions = parseRunTable(
            "iteration,submodel,domain,region,dice\n"
            "10,A,b,disc,0.9\n10,A,b,cup,0.5\n10,B,b,disc,0.8\n20,A,b,disc,x\n"
            "20,A,b,cup,0.6\n5,A,b,disc,0.4\n10,A,c,disc,1\n");
        const auto perDomain = validationCurves(regions);
        QCOMPARE(perDomain.size(), std::size_t(3));
        QCOMPARE(perDomain[0].name, std::string("A b"));
        QCOMPARE(perDomain[1].name, std::string("B b"));
        QCOMPARE(perDomain[2].name, std::string("A c"));
        QCOMPARE(perDomain[0].points.size(), std::size_t(3));  // iterations 5, 10, 20 in order
        QCOMPARE(perDomain[0].points[0], std::make_pair(5.0, 0.4));
        QVERIFY(std::abs(perDomain[0].points[1].second - 0.7) < 1e-12);
        QCOMPARE(perDomain[0].points[2], std::make_pair(20.0, 0.6));  // the "x" cell is skipped
        QVERIFY(validationCurves(parseRunTable("iteration,submodel,domain,region,dice\n")).empty());
        // The last validation of one sub-model: the highest iteration with a row for it, whatever
        // the file order; a non-numeric Dice is left out, another sub-model's later rows ignored.
        const auto lastA = lastValidation(regions, "A");
        QCOMPARE(lastA.size(), std::size_t(1));
        QCOMPARE(lastA.at("b").size(), std::size_t(1));  // iteration 20: disc is "x", cup 0.6
        QCOMPARE(lastA.at("b").at("cup"), 0.6);
        const auto lastB = lastValidation(regions, "B");
        QCOMPARE(lastB.at("b").at("disc"), 0.8);
        QVERIFY(lastValidation(regions, "C").empty());
        QCOMPARE(runTableNumber(" +2.5 "), 2.5);
        QVERIFY(std::isnan(runTableNumber("2.5x")));
        QVERIFY(readRunTable(run / "absent.csv").rows.empty());
    }
};

QTEST_GUILESS_MAIN(TestRunFolder)
#include "test_run_folder.moc"
