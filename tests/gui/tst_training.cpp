// The training wizard end to end on the demo project with a tiny configuration, the dashboard,
// the run history, cancel within one iteration and resume from the checkpoint, and the longest
// event-loop stall while training.
#include <algorithm>

#include <QAbstractButton>
#include <QChart>
#include <QComboBox>
#include <QRadioButton>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QGroupBox>
#include <QLabel>
#include <QLineSeries>
#include <QProgressBar>
#include <QLogValueAxis>
#include <QValueAxis>
#include <QCheckBox>
#include <QSet>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeWidget>

#include <nlohmann/json.hpp>

#include "GuiTestUtil.h"
#include "WorkbenchFixture.h"
#include "core/pipeline/RunFolder.h"
#include "ui/train/Dashboard.h"
#include "ui/train/RunController.h"
#include "ui/train/TrainWizard.h"
#include "ui/train/TrainingCentre.h"
#include "ui/ProjectBrowser.h"
#include "ui/model/LabelEditor.h"
#include "core/review/ReviewData.h"
#include "ui/review/ReviewWindow.h"
#include "core/util/Paths.h"

using namespace dacw;

namespace {

/// Longest gap between ticks of a 2 ms timer: how long the GUI thread was kept from its loop.
/// Saves a widget into $DACW_SCREENSHOTS (the user guide's docs/images) when set.
void screenshot(QWidget* w, const QString& name) {
    const QByteArray dir = qgetenv("DACW_SCREENSHOTS");
    if (dir.isEmpty()) return;
    QDir().mkpath(QString::fromLocal8Bit(dir));
    QTest::qWait(50);
    w->grab().save(QDir(QString::fromLocal8Bit(dir)).filePath(name + ".png"));
}

int seriesPoints(QChart* chart) {
    int n = 0;
    for (auto* s : chart->series())
        if (auto* l = qobject_cast<QLineSeries*>(s)) n += int(l->count());
    return n;
}

/// The tiny configuration of the tests: 64 px (as the issue asks), width 0.25, batch 2, one thread.
void tinyOptions(TrainWizard& w, int iterations) {
    w.setTrainOption("size", "64");
    w.setTrainOption("width", "0.25");
    w.setTrainOption("iterations", QString::number(iterations));
    w.setTrainOption("labeled-batch", "2");
    w.setTrainOption("unlabeled-batch", "2");
    w.setTrainOption("validation-interval", "8");
    w.setTrainOption("checkpoint-interval", "8");
    w.setTrainOption("threads", "1");
}

}  // namespace

class TestTraining : public QObject {
    Q_OBJECT
private:
    QTemporaryDir tmp_;
    test::DemoProject demo_;
    Project project_;

    /// Drives every page of the wizard; returns the request it builds.
    void driveWizard(TrainWizard& w, int iterations, bool shots, RunRequest* out) {
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto* next = w.button(QWizard::NextButton);
        // Task: a custom task without labels is refused on the page.
        auto* task = w.findChild<QComboBox*>("taskCombo");
        task->setCurrentIndex(task->findData("custom"));
        QVERIFY(!w.pageError(TrainWizard::TaskPage).isEmpty());
        QVERIFY(!next->isEnabled());
        task->setCurrentIndex(task->findData("fundus"));
        QVERIFY(next->isEnabled());
        if (shots) screenshot(&w, "wizard-1-task");
        w.next();
        // Labeled cases: none ticked blocks Next with a reason.
        QCOMPARE(w.currentId(), int(TrainWizard::LabeledPage));
        auto* cases = w.findChild<QListWidget*>("labeledCases");
        QVERIFY(cases->count() > 0);
        for (int i = 0; i < cases->count(); ++i) cases->item(i)->setCheckState(Qt::Unchecked);
        QVERIFY(w.pageError(TrainWizard::LabeledPage).contains("No labeled case"));
        QVERIFY(!next->isEnabled());
        for (int i = 0; i < 6 && i < cases->count(); ++i) cases->item(i)->setCheckState(Qt::Checked);
        QVERIFY(next->isEnabled());
        if (shots) screenshot(&w, "wizard-2-labeled");
        w.next();
        // Unlabeled folders: start from none (the wizard may have listed the last run's).
        while (w.findChild<QListWidget*>("unlabeledFolders")->count() > 0) w.removeUnlabeledFolder(0);
        // An unreadable folder and the labeled folder itself are refused.
        QVERIFY(!w.addUnlabeledFolder(tmp_.filePath("no-such-folder")));
        QVERIFY(w.pageError(TrainWizard::UnlabeledPage).contains("no-such-folder"));
        QVERIFY(!next->isEnabled());
        w.removeUnlabeledFolder(0);
        QVERIFY(!w.addUnlabeledFolder(QString::fromStdString(project_.resolve(project_.domains[0].root).string())));
        QVERIFY(!next->isEnabled());
        w.removeUnlabeledFolder(0);
        QSignalSpy checked(&w, &TrainWizard::unlabeledFolderChecked);
        QVERIFY(w.addUnlabeledFolder(QString::fromStdString(project_.resolve(project_.domains[1].root).string())));
        QVERIFY(next->isEnabled());  // the images are checked off the GUI thread, without blocking Next
        QVERIFY(checked.count() == 1 || checked.wait(60000));
        QVERIFY2(w.findChild<QListWidget*>("unlabeledFolders")->item(0)->text().contains("images readable"),
                 qPrintable(w.findChild<QListWidget*>("unlabeledFolders")->item(0)->text()));
        // "Add project domain" offers neither the labeled domain nor one listed already.
        auto* toAdd = w.findChild<QComboBox*>("projectDomainToAdd");
        const auto offered = [toAdd] {
            QStringList names;
            for (int i = 0; i < toAdd->count(); ++i) names << toAdd->itemText(i);
            return names;
        };
        QStringList others;
        for (size_t i = 2; i < project_.domains.size(); ++i) others << QString::fromStdString(project_.domains[i].name);
        QCOMPARE(offered(), others);
        w.removeUnlabeledFolder(0);
        QCOMPARE(offered(), QStringList(QString::fromStdString(project_.domains[1].name)) + others);
        QVERIFY(w.addUnlabeledFolder(QString::fromStdString(project_.resolve(project_.domains[1].root).string())));
        QCOMPARE(offered(), others);
        // With every other domain listed the choice is empty and says so; removing one offers it
        // again, chosen (not hidden behind the placeholder).
        for (const auto& name : others) {
            QCOMPARE(toAdd->currentText(), name);
            QVERIFY(w.addUnlabeledFolder(toAdd->currentData().toString()));
        }
        QCOMPARE(toAdd->count(), 0);
        QVERIFY(!toAdd->isEnabled());
        QVERIFY(toAdd->placeholderText().contains("every other project domain"));
        if (!others.isEmpty()) {
            w.removeUnlabeledFolder(w.findChild<QListWidget*>("unlabeledFolders")->count() - 1);
            QCOMPARE(toAdd->currentIndex(), 0);
            QCOMPARE(toAdd->currentText(), others.last());
            QVERIFY(toAdd->isEnabled());
            while (w.findChild<QListWidget*>("unlabeledFolders")->count() > 1)
                w.removeUnlabeledFolder(w.findChild<QListWidget*>("unlabeledFolders")->count() - 1);
        }
        if (shots) screenshot(&w, "wizard-3-unlabeled");
        w.next();
        // Test domains: the labeled domain is not allowed as a test domain.
        auto* tests = w.findChild<QListWidget*>("testDomains");
        QListWidgetItem *labeledItem = nullptr, *testItem = nullptr;
        for (int i = 0; i < tests->count(); ++i) {
            if (tests->item(i)->text() == "centre-a") labeledItem = tests->item(i);
            if (tests->item(i)->text() == "centre-c") testItem = tests->item(i);
        }
        QVERIFY(labeledItem && testItem);
        QCOMPARE(testItem->checkState(), Qt::Checked);
        labeledItem->setCheckState(Qt::Checked);
        QVERIFY(w.pageError(TrainWizard::TestPage).contains("held out"));
        QVERIFY(!next->isEnabled());
        labeledItem->setCheckState(Qt::Unchecked);
        QVERIFY(next->isEnabled());
        if (shots) screenshot(&w, "wizard-4-test");
        w.next();
        QCOMPARE(w.methodName(), QString("dac"));
        if (shots) screenshot(&w, "wizard-5-method");
        w.next();
        // Preset: every option is editable; a bad value is explained.
        QCOMPARE(w.currentId(), int(TrainWizard::PresetPage));
        w.setTrainOption("size", "30");
        QVERIFY(w.pageError(TrainWizard::PresetPage).contains("size"));
        QVERIFY(!next->isEnabled());
        tinyOptions(w, iterations);
        QVERIFY2(w.pageError(TrainWizard::PresetPage).isEmpty(), qPrintable(w.pageError(TrainWizard::PresetPage)));
        if (shots) {
            w.findChild<QGroupBox*>()->setChecked(true);
            screenshot(&w, "wizard-6-preset");
        }
        w.next();
        QCOMPARE(w.currentId(), int(TrainWizard::SummaryPage));
        QSignalSpy estimate(&w, &TrainWizard::estimateReady);
        QVERIFY(estimate.wait(120000));
        const double seconds = estimate.takeFirst().at(0).toDouble();
        qInfo("ESTIMATE wizard estimated %.1f s for %d iterations", seconds, iterations);
        QVERIFY(seconds > 0);
        if (shots) screenshot(&w, "wizard-7-summary");
        *out = w.buildRequest();
        w.accept();
    }

private Q_SLOTS:
    void initTestCase() {
        test::isolateUserFolders();
        QVERIFY(tmp_.isValid());
        demo_ = test::makeDemoProject(tmp_.path().toStdString());
        project_ = Project::load(demo_.file);
    }

    void wizardRunDashboardHistory() {
        TrainWizard wizard(project_);
        RunRequest req;
        driveWizard(wizard, 24, true, &req);
        if (QTest::currentTestFailed()) return;
        QCOMPARE(req.labeledCount, 6);
        QCOMPARE(int(req.unlabeledDirs.size()), 1);
        QCOMPARE(int(req.testDirs.size()), 1);

        RunController controller;
        Dashboard dash(&controller);
        int saves = 0;
        dash.setProject(&project_, [&] {
            project_.save();
            ++saves;
        });
        dash.resize(1100, 760);
        dash.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dash));
        dash.setPendingRunName(wizard.runName(), wizard.methodName());
        QSignalSpy finished(&controller, &RunController::finished);
        test::StallMeter stall;
        QElapsedTimer clock;
        clock.start();
        QVERIFY(controller.start(req));
        QVERIFY(finished.wait(300000));
        const double worst = stall.worstMs();
        qInfo("STALL longest event-loop stall during a training run: %.1f ms (goal <= 50 ms), run took %.1f s", worst,
              clock.elapsed() / 1000.0);
        QCOMPARE(finished.at(0).at(1).toString(), QString("finished"));
        QVERIFY(dash.progressCount() >= 24);
        QVERIFY(seriesPoints(dash.lossChart()) >= 24);
        QVERIFY(seriesPoints(dash.diceChart()) > 0);
        QVERIFY(dash.findChild<QLabel*>("dashboardFigures")->text().contains("ETA"));
        // Every loss series is told apart by colour or line style; the x axes span the run.
        {
            QSet<QString> looks;
            for (auto* series : dash.lossChart()->series()) {
                const QPen pen = static_cast<QLineSeries*>(series)->pen();
                looks.insert(pen.color().name() + QString::number(int(pen.style())));
            }
            QCOMPARE(looks.size(), int(dash.lossChart()->series().size()));
            auto* x = qobject_cast<QValueAxis*>(dash.diceChart()->axes(Qt::Horizontal).value(0));
            QVERIFY(x && x->max() >= 20);
            // The log scale moves every loss series onto a logarithmic axis, and back.
            auto* logBox = dash.findChild<QCheckBox*>("lossLogScale");
            logBox->setChecked(true);
            QVERIFY(qobject_cast<QLogValueAxis*>(dash.lossChart()->axes(Qt::Vertical).value(0)));
            for (auto* series : dash.lossChart()->series())
                QVERIFY(qobject_cast<QLogValueAxis*>(series->attachedAxes().value(1)) ||
                        qobject_cast<QLogValueAxis*>(series->attachedAxes().value(0)));
            logBox->setChecked(false);
            QVERIFY(qobject_cast<QValueAxis*>(dash.lossChart()->axes(Qt::Vertical).value(0)));
        }
        screenshot(&dash, "dashboard");
        // History: the run is in the project (saved) with its final metrics.
        QVERIFY(saves >= 2);
        const Project reloaded = Project::load(demo_.file);
        QCOMPARE(int(reloaded.runs.size()), 1);
        QCOMPARE(QString::fromStdString(reloaded.runs[0].status), QString("finished"));
        QCOMPARE(QString::fromStdString(reloaded.runs[0].method), QString("dac"));
        QCOMPARE(dash.history()->rowCount(), 1);
        QVERIFY(dash.history()->item(0, 6)->text().contains("disc"));
        // Notes on the run: kept in its folder, shown in the history (first line; all in the tip).
        dash.history()->selectRow(0);
        QVERIFY(dash.notesButton()->isEnabled());
        QVERIFY(dash.setRunNotes(QString::fromStdString(req.outDir.string()), "baseline for centre C\nseed 0"));
        QCOMPARE(dash.history()->item(0, 7)->text(), QString("baseline for centre C"));
        QCOMPARE(dash.history()->item(0, 7)->toolTip(), QString("baseline for centre C\nseed 0"));
        namespace fs = std::filesystem;
        QVERIFY(fs::exists(req.outDir / "metrics.json"));
        QVERIFY(fs::exists(req.outDir / "predictions" / "centre-c"));
        QVERIFY(fs::exists(req.outDir / "request.json"));
        // A dashboard opened later draws the finished run's curves when it is selected in the
        // history: the same loss terms, and the same validation curves, as the live one drew.
        Dashboard later(&controller);
        later.setProject(&project_, [] {});
        later.resize(1100, 760);
        later.show();
        QVERIFY(QTest::qWaitForWindowExposed(&later));
        QCOMPARE(later.lossChart()->series().size(), 0);
        auto names = [](QChart* chart) {
            QStringList out;
            for (auto* series : chart->series()) out << series->name();
            out.sort();
            return out;
        };
        later.history()->selectRow(0);
        QCOMPARE(names(later.lossChart()), names(dash.lossChart()));
        QCOMPARE(names(later.diceChart()), names(dash.diceChart()));
        QVERIFY(seriesPoints(later.diceChart()) > 0);
        QVERIFY2(later.statusLabel()->text().contains(QString::fromStdString(req.outDir.filename().string())),
                 qPrintable(later.statusLabel()->text()));
        // The bar says how far that run got (here: finished, every planned iteration).
        auto* bar = later.findChild<QProgressBar*>();
        QVERIFY(bar);
        QCOMPARE(bar->maximum(), 24);
        QCOMPARE(bar->value(), 24);
        screenshot(&later, "dashboard-history");
    }

    void cancelWithinOneIterationAndResume() {
        TrainWizard wizard(project_);
        // The wizard starts from the last run's choices.
        QCOMPARE(wizard.rememberedRun(), QString::fromStdString(project_.runs.back().name));
        QCOMPARE(wizard.findChild<QListWidget*>("unlabeledFolders")->count(), 1);
        QCOMPARE(wizard.methodName(), QString("dac"));
        RunRequest req;
        driveWizard(wizard, 40, false, &req);
        if (QTest::currentTestFailed()) return;
        RunController controller;
        Dashboard dash(&controller);
        dash.setProject(&project_, [&] { project_.save(); });
        dash.show();
        QSignalSpy finished(&controller, &RunController::finished);
        QSignalSpy progress(&controller, &RunController::progress);
        QVERIFY(controller.start(req));
        // Pause holds the worker: no progress arrives while paused.
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 3, 120000);
        controller.pause();
        QTest::qWait(300);
        const int heldAt = progress.count();
        QTest::qWait(600);
        QVERIFY(progress.count() <= heldAt + 1);
        controller.resume();
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= heldAt + 3, 60000);
        controller.cancel();
        const qint64 askedAt = controller.cancelRequestedAt();
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.at(0).at(1).toString(), QString("cancelled"));
        const qint64 stoppedAt = finished.at(0).at(2).toLongLong();
        qInfo("CANCEL asked at iteration %lld, stopped at %lld", askedAt, stoppedAt);
        QVERIFY(stoppedAt <= askedAt + 1);
        QVERIFY(stoppedAt < 40);
        QVERIFY(std::filesystem::exists(req.outDir / "checkpoint.pt"));
        QCOMPARE(QString::fromStdString(Project::load(demo_.file).runs.back().status), QString("cancelled"));

        // Resume from the run folder alone, as after a restart.
        progress.clear();
        finished.clear();
        QVERIFY(dash.resumeRun(QString::fromStdString(req.outDir.string())));
        QVERIFY(finished.wait(300000));
        QCOMPARE(finished.at(0).at(1).toString(), QString("finished"));
        QVERIFY(!progress.isEmpty());
        const auto first = progress.first().at(0).value<ProgressSnapshot>();
        qInfo("RESUME first iteration after resume: %lld", first.iteration);
        QCOMPARE(first.iteration, stoppedAt + 1);
        QCOMPARE(finished.at(0).at(2).toLongLong(), qint64(40));
        QCOMPARE(QString::fromStdString(Project::load(demo_.file).runs.back().status), QString("finished"));

        // Two runs' curves overlaid.
        const Project p = Project::load(demo_.file);
        QCOMPARE(int(p.runs.size()), 2);
        QCOMPARE(dash.history()->rowCount(), 2);
        QVERIFY(dash.compareRuns(QString::fromStdString(p.resolve(p.runs[0].folder).string()),
                                 QString::fromStdString(p.resolve(p.runs[1].folder).string())));
        QVERIFY(dash.compareChart()->series().size() >= 4);  // loss and validation of each run
        // Losses on the left axis, Dice on the right: never one axis for both units.
        for (auto* series : dash.compareChart()->series()) {
            const bool dice = series->name().endsWith("validation Dice");
            bool right = false;
            for (auto* axis : series->attachedAxes()) right |= axis->alignment() == Qt::AlignRight;
            QCOMPARE(right, dice);
        }
        // The history says which test domains each score is on.
        const QString scores = dash.history()->item(0, 6)->text();
        QVERIFY2(scores == "-" || scores.contains(" on "), qPrintable(scores));
    }

    void predictionsOverlayAcceptAndLabelNext() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openProject(QString::fromStdString(demo_.file.string())));
        const QString run = w.training()->latestRun();
        QVERIFY(!run.isEmpty());
        // The current run follows the newest finished run until another one is chosen.
        const auto runs = w.training()->finishedRuns();
        QVERIFY(runs.size() >= 2);
        QCOMPARE(runs.front().second, run);
        QCOMPARE(w.training()->currentRun(), run);
        QVERIFY(w.training()->setCurrentRun(runs.back().second));
        QCOMPARE(w.training()->currentRun(), runs.back().second);
        QVERIFY(!w.training()->setCurrentRun("/no/such/run"));
        QCOMPARE(w.training()->currentRun(), runs.back().second);
        QVERIFY(w.training()->setCurrentRun(run));
        // A case of the unlabeled centre: no prediction yet.
        const Project& p = *w.project();
        const Domain centreB = scanDomain(p.resolve(p.domains[1].root));
        const QString domain = QString::fromStdString(p.domains[1].name), id = QString::fromStdString(centreB.cases[0].id);
        QVERIFY(w.openCase(domain, id));
        QVERIFY(!w.currentCase()->prediction);
        QTest::qWait(100);
        const QImage before = test::grabView(w.view());

        QSignalSpy predicted(w.training(), &TrainingCentre::predictionsDone);
        test::StallMeter stall;
        QVERIFY(w.training()->predict(run, {domain}));
        QVERIFY(predicted.wait(120000));
        qInfo("STALL longest event-loop stall while predicting a domain: %.1f ms", stall.worstMs());
        QVERIFY2(predicted.at(0).at(1).toString().isEmpty(), qPrintable(predicted.at(0).at(1).toString()));
        QCOMPARE(predicted.at(0).at(0).toInt(), int(centreB.cases.size()));
        QVERIFY(w.currentCase()->prediction);
        QVERIFY(w.browser()->caseState(domain, id).predicted);
        QTest::qWait(100);
        const QImage after = test::grabView(w.view());
        // The message bar may have changed the view's size: compare with the overlay hidden.
        w.action("showPrediction")->setChecked(false);
        QTest::qWait(100);
        const QImage hidden = test::grabView(w.view());
        w.action("showPrediction")->setChecked(true);
        Q_UNUSED(before);
        // The legend says how labels and the prediction are drawn; the prediction is dashed.
        QVERIFY(w.findChild<QLabel*>("overlayLegend")->isVisible());
        QVERIFY(w.findChild<QLabel*>("overlayLegend")->toolTip().contains("dashed outline"));
        QCOMPARE(w.view()->pipeline().predictionOverlayStyle(), OverlayStyle::DashedOutline);
        const long changed = test::countDifferent(hidden, after);
        qInfo("OVERLAY %ld pixels changed when the prediction was overlaid", changed);
        QVERIFY(changed > 0);
        screenshot(&w, "prediction-overlay");

        // One chosen case of another domain.
        predicted.clear();
        const QString domainA = QString::fromStdString(p.domains[0].name);
        const std::string caseA = scanDomain(p.resolve(p.domains[0].root)).cases[1].id;
        QVERIFY(w.training()->predictCases(run, {{domainA, QString::fromStdString(caseA)}}));
        QVERIFY(predicted.wait(120000));
        QCOMPARE(predicted.at(0).at(0).toInt(), 1);
        QVERIFY(!findPrediction(p, domainA.toStdString(), caseA).empty());

        // Accept the prediction as the starting label, then undo it.
        const LabelMap original = *w.editor().labels();
        const LabelMap prediction = *w.currentCase()->prediction;
        QVERIFY(w.acceptPrediction(MainWindow::AcceptChoice::Replace));
        QVERIFY(*w.editor().labels() == prediction || w.editor().labels()->data() == prediction.data());
        QVERIFY(w.action("undo")->isEnabled());
        w.action("undo")->trigger();
        QVERIFY(w.editor().labels()->data() == original.data());
        w.action("redo")->trigger();
        QVERIFY(w.editor().labels()->data() == prediction.data());

        // Suggest what to label next: the unlabeled centre's cases ranked in the browser.
        QSignalSpy ranked(w.training(), &TrainingCentre::rankingDone);
        QVERIFY(w.training()->suggestLabelNext(run));
        QVERIFY(ranked.wait(120000));
        QVERIFY2(ranked.at(0).at(1).toString().isEmpty(), qPrintable(ranked.at(0).at(1).toString()));
        QVERIFY(ranked.at(0).at(0).toInt() > 0);
        int ranks = 0;
        for (const auto& c : centreB.cases) ranks += w.browser()->labelNextRank(domain, QString::fromStdString(c.id)) > 0;
        QVERIFY(ranks > 0);
        QCOMPARE(w.browser()->tree()->columnCount(), 3);

        // The ranking wrote each ranked case's disagreement map into the project; View >
        // Disagreement map draws it over the image (off until asked for).
        QString rankedId;
        for (const auto& c : centreB.cases)
            if (rankedId.isEmpty() && w.browser()->labelNextRank(domain, QString::fromStdString(c.id)) > 0)
                rankedId = QString::fromStdString(c.id);
        QVERIFY(!findDisagreementMap(p, domain.toStdString(), rankedId.toStdString()).empty());
        QVERIFY(w.openCase(domain, rankedId));
        QVERIFY(w.currentCase()->disagreement);
        QVERIFY(w.currentCase()->disagreement->geometry().sameSize(w.currentCase()->image->geometry()));
        const auto& heat = w.currentCase()->disagreement->data();
        const int heatMax = *std::max_element(heat.begin(), heat.end());
        qInfo("HEAT disagreement map of %s: max %d / 255", qPrintable(rankedId), heatMax);
        QVERIFY(heatMax > 0);
        QVERIFY(!w.view()->pipeline().heatMapShown());
        QTest::qWait(100);
        const QImage noHeat = test::grabView(w.view());
        w.action("showDisagreement")->setChecked(true);
        QVERIFY(w.view()->pipeline().heatMapShown());
        QVERIFY(w.findChild<QLabel*>("overlayLegend")->text().contains("disagreement"));
        QTest::qWait(100);
        QVERIFY(test::countDifferent(noHeat, test::grabView(w.view())) > 0);
        screenshot(&w, "disagreement-map");
        w.action("showDisagreement")->setChecked(false);
        QVERIFY(!w.view()->pipeline().heatMapShown());
        if (auto* dock = w.findChild<QDockWidget*>("projectDock")) w.resizeDocks({dock}, {420}, Qt::Horizontal);
        screenshot(&w, "label-next");
        w.flushSaves();
    }

    void reviewTableFlagsAndReport() {
        Project project = Project::load(demo_.file);
        QVERIFY(project.runs.size() >= 2);
        const QString runA = QString::fromStdString(project.resolve(project.runs[0].folder).string());
        const QString runB = QString::fromStdString(project.resolve(project.runs[1].folder).string());
        // A colour the user chose in the label table is the review's colour too.
        project.task.labels.at(0).color = {12, 34, 56};
        ReviewWindow review(&project, [&] { project.save(); });
        QVERIFY2(review.load(runA, runB), qPrintable(review.lastError()));
        for (int v = 1; v <= 3; ++v)
            QCOMPARE(review.views()[v]->pipeline().labelStyle(project.task.labels.at(0).value).color,
                     (std::array<std::uint8_t, 3>{12, 34, 56}));
        review.show();
        QVERIFY(QTest::qWaitForWindowExposed(&review));
        QTableWidget* t = review.table();
        QVERIFY(t->rowCount() > 0);
        // Worst first: the mean Dice of A does not decrease down the table.
        auto column = [t](const QString& name) {
            for (int c = 0; c < t->columnCount(); ++c)
                if (t->horizontalHeaderItem(c)->text() == name) return c;
            return -1;
        };
        const int mean = column("Mean Dice A");
        QVERIFY(mean >= 0);
        auto sortedWorstFirst = [&] {
            for (int r = 1; r < t->rowCount(); ++r)
                if (t->item(r, mean)->text().toDouble() < t->item(r - 1, mean)->text().toDouble()) return false;
            return true;
        };
        QVERIFY(sortedWorstFirst());
        t->sortByColumn(1, Qt::AscendingOrder);
        t->sortByColumn(mean, Qt::AscendingOrder);
        QVERIFY(sortedWorstFirst());
        // Filter by domain.
        review.setDomainFilter("centre-c");
        int visible = 0;
        for (int r = 0; r < t->rowCount(); ++r) visible += !t->isRowHidden(r);
        QCOMPARE(visible, t->rowCount());
        review.setDomainFilter("no-such-domain");
        review.setDomainFilter("");
        // The grid shows the worst case; its error map has labels.
        review.showRow(0);
        QCOMPARE(review.views().size(), 5);
        QVERIFY(review.views()[2]->pipeline().labels());
        QVERIFY(review.views()[3]->pipeline().labels());
        QVERIFY(review.views()[4]->pipeline().labels());
        QTest::qWait(150);
        screenshot(&review, "review-grid");
        // Flag and note go into the project file.
        const QString key = review.shownCase();
        review.setFlag("model failure");
        review.setNote("cup missed");
        const Project saved = Project::load(demo_.file);
        QCOMPARE(QString::fromStdString(saved.annotations.at(key.toStdString()).flag), QString("model failure"));
        QCOMPARE(QString::fromStdString(saved.annotations.at(key.toStdString()).note), QString("cup missed"));
        // Exports.
        const QString csv = tmp_.filePath("review.csv"), html = tmp_.filePath("review.html");
        QVERIFY(review.exportCsv(csv));
        QVERIFY2(review.exportHtml(html, 3), qPrintable(review.lastError()));
        const QString csvText = QString::fromStdString(readText(csv.toStdString()));
        QCOMPARE(csvText.count('\n'), t->rowCount() + 1);
        QVERIFY(csvText.contains("model failure"));
        const QString report = QString::fromStdString(readText(html.toStdString()));
        QVERIFY(report.contains("id=\"per-domain\""));
        QVERIFY(report.contains("<td class=\"l\">centre-c</td>"));
        QVERIFY(report.contains("<svg"));
        QVERIFY(report.count("data:image/png;base64,") >= 3 * 4);
        QVERIFY(!report.contains("src=\"file:"));
        qInfo("REPORT %s: %lld bytes", qPrintable(html), qint64(report.size()));
    }

    /// Few-shot calibration from the wizard: a few labeled cases of another centre fine-tune a
    /// model the project trained, with the calibration recipe and the source run's own labeled
    /// cases replayed (what `dacw train --init-model RUNDIR` does).
    void calibrateTrainedModelFromWizard() {
        Project project = Project::load(demo_.file);
        QVERIFY(!project.runs.empty());
        TrainWizard w(project);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto* task = w.findChild<QComboBox*>("taskCombo");
        task->setCurrentIndex(task->findData("fundus"));
        w.next();
        // The labeled cases: three of centre C, the centre the model is to work on.
        auto* domain = w.findChild<QComboBox*>("labeledDomain");
        QVERIFY(domain);
        domain->setCurrentIndex(domain->findText("centre-c"));
        auto* cases = w.findChild<QListWidget*>("labeledCases");
        for (int i = 0; i < cases->count(); ++i) cases->item(i)->setCheckState(i < 3 ? Qt::Checked : Qt::Unchecked);
        w.next();
        // An unlabeled folder (the last run's, or one added here) is not read by a calibration.
        if (w.findChild<QListWidget*>("unlabeledFolders")->count() == 0)
            QVERIFY(w.addUnlabeledFolder(QString::fromStdString(project.resolve(project.domains[1].root).string())));
        w.next();
        auto* tests = w.findChild<QListWidget*>("testDomains");
        for (int i = 0; i < tests->count(); ++i) tests->item(i)->setCheckState(Qt::Unchecked);
        // The centre's own score: its cases that are not ticked are tested.
        int unticked = 0;
        for (int i = 0; i < cases->count(); ++i) unticked += cases->item(i)->checkState() != Qt::Checked;
        QVERIFY(unticked >= 1);
        auto* testUnticked = w.findChild<QCheckBox*>("testUnticked");
        QVERIFY(testUnticked && testUnticked->isEnabled());
        QVERIFY2(testUnticked->text().contains(QString("%1 case").arg(unticked)) && testUnticked->text().contains("centre-c"),
                 qPrintable(testUnticked->text()));
        testUnticked->click();
        QVERIFY2(w.pageError(TrainWizard::TestPage).isEmpty(), qPrintable(w.pageError(TrainWizard::TestPage)));
        w.next();
        QCOMPARE(w.currentId(), int(TrainWizard::MethodPage));
        auto* calibrate = w.findChild<QRadioButton*>("method-calibrate");
        auto* from = w.findChild<QComboBox*>("calibrateFrom");
        QVERIFY(calibrate && from && !from->isEnabled());
        QVERIFY(from->count() >= 1);
        calibrate->click();
        QVERIFY(from->isEnabled());
        QVERIFY2(w.pageError(TrainWizard::MethodPage).isEmpty(), qPrintable(w.pageError(TrainWizard::MethodPage)));
        QCOMPARE(w.methodName(), QString("supervised"));
        const std::filesystem::path source = from->currentData().toString().toStdString();
        screenshot(&w, "wizard-calibrate");
        w.next();
        // The recipe replaces the preset; every option stays editable.
        QCOMPARE(w.currentId(), int(TrainWizard::PresetPage));
        QVERIFY(!w.findChild<QComboBox*>("presetCombo")->isEnabled());
        QCOMPARE(w.findChild<QComboBox*>("presetCombo")->currentText(), QString("calibrate"));
        w.setTrainOption("iterations", "4");
        w.setTrainOption("threads", "1");
        w.setTrainOption("validation-interval", "4");
        QVERIFY2(w.pageError(TrainWizard::PresetPage).isEmpty(), qPrintable(w.pageError(TrainWizard::PresetPage)));
        w.next();
        QCOMPARE(w.currentId(), int(TrainWizard::SummaryPage));
        const QString summary = w.findChild<QLabel*>("summary")->text();
        QVERIFY2(summary.contains("calibration") && summary.contains(QString("centre-c's %1 unticked cases").arg(unticked)),
                 qPrintable(summary));
        const RunRequest req = w.buildRequest();
        w.reject();
        QCOMPARE(req.preset, std::string("calibrate"));
        QVERIFY(req.unlabeledDirs.empty());  // a calibration reads labeled cases only
        QVERIFY(req.config.method == train::Method::Supervised);
        QCOMPARE(req.config.lr, 1e-4);  // the recipe's learning rate
        QVERIFY(std::filesystem::equivalent(req.config.initModel, RunFolder::modelIn(source)));
        const RunConfigFile sourceConfig = readRunConfig(RunFolder(source));
        QVERIFY(!req.replayDir.empty());
        QVERIFY(req.replayCases == sourceConfig.labeledCases);
        // The unticked cases are one test folder of links, and validate nothing.
        QVERIFY(req.validationDirs.empty());
        QCOMPARE(req.testDirs.size(), std::size_t(1));
        QCOMPARE(req.testDirs[0].filename().string(), std::string("centre-c-held-out"));
        QCOMPARE(int(scanDomain(req.testDirs[0]).cases.size()), unticked);

        RunController controller;
        QSignalSpy finished(&controller, &RunController::finished);
        QVERIFY(controller.start(req));
        QVERIFY(finished.wait(300000));
        QCOMPARE(finished.at(0).at(1).toString(), QString("finished"));
        const std::string log = readText(req.outDir / "log.txt");
        QVERIFY2(log.find("replay: ") != std::string::npos, log.c_str());
        const auto config = nlohmann::json::parse(readText(RunFolder(req.outDir).config()));
        QVERIFY(config["train"]["init-model"].get<std::string>().find(source.filename().string()) != std::string::npos);
        const auto metrics = nlohmann::json::parse(readText(RunFolder(req.outDir).evaluation()));
        QCOMPARE(metrics["domains"]["centre-c-held-out"]["cases"].get<int>(), unticked);
        // A wizard opened on a project whose newest run is this one starts from the same choice.
        Project withRun = Project::load(demo_.file);
        withRun.runs.push_back({req.outDir.filename().string(), req.outDir, "supervised", "finished"});
        TrainWizard again(withRun);
        again.show();
        QVERIFY(QTest::qWaitForWindowExposed(&again));
        QCOMPARE(again.rememberedRun(), QString::fromStdString(req.outDir.filename().string()));
        for (int page = 0; page < int(TrainWizard::TestPage); ++page) again.next();
        QCOMPARE(again.currentId(), int(TrainWizard::TestPage));
        QVERIFY(again.findChild<QCheckBox*>("testUnticked")->isChecked());
        QVERIFY(again.findChild<QRadioButton*>("method-calibrate")->isChecked());
    }
};

QTEST_MAIN(TestTraining)
#include "tst_training.moc"
