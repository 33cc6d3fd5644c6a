// MainWindow, training: the training centre's dock and what it asks of the window (TrainingHost),
// the actions on the current run (new run, predict, label next, review) and the Training menu.
// The runs themselves are the training centre's (ui/train/TrainingCentre.h).
#include <functional>

#include <QActionGroup>
#include <QDockWidget>
#include <QMenu>
#include <QMenuBar>

#include "ui/MainWindow.h"
#include "ui/MainWindowPrivate.h"
#include "ui/MessageBar.h"
#include "ui/ProjectBrowser.h"
#include "ui/train/Dashboard.h"
#include "ui/train/RunController.h"
#include "ui/train/TrainingCentre.h"
#include "viewers/SliceView.h"

namespace dacw {

void MainWindow::buildTrainingDock() {
    TrainingHost host;
    host.project = [this]() -> Project* { return d->project ? &*d->project : nullptr; };
    host.saveProject = [this] {
        flushSaves();  // a pending autosave carries an older copy of the project
        if (d->project && !d->readOnly) d->project->save();
    };
    host.readOnly = [this] { return d->readOnly; };
    host.domains = [this] { return d->domains; };
    host.predictionsChanged = [this] {
        if (!d->project) return;
        for (const auto& dom : d->domains)
            for (const auto& c : dom.cases) {
                const QString dn = QString::fromStdString(dom.name), id = QString::fromStdString(c.id);
                auto s = d->browser->caseState(dn, id);
                s.predicted = !findPrediction(*d->project, dom.name, c.id).empty();
                d->browser->setCaseState(dn, id, s);
            }
        if (d->doc && !d->standalone) {
            const std::string problem = d->doc->loadPrediction(*d->project);
            if (!problem.empty()) showError(tr("Could not show the prediction: %1").arg(QString::fromStdString(problem)));
            d->view->setPrediction(d->doc->prediction);
            const std::string heatProblem = d->doc->loadDisagreement(*d->project);
            if (!heatProblem.empty())
                showError(tr("Could not show the disagreement map: %1").arg(QString::fromStdString(heatProblem)));
            d->view->setHeatMap(d->doc->disagreement);
            updateLegend();
        }
    };
    host.showRanking = [this](const QList<QPair<QString, QString>>& cases, const QList<double>& scores) {
        d->browser->setLabelNextRanking(cases, scores);
    };
    host.message = [this](const QString& text, bool error) {
        if (error) showError(text);
        else d->messages->showMessage(text, MessageBar::Level::Info);
    };
    d->training = new TrainingCentre(host, this);
    d->dashboardDock = new QDockWidget(tr("Training dashboard"), this);
    d->dashboardDock->setObjectName("dashboardDock");
    d->dashboardDock->setWidget(d->training->dashboard());
    addDockWidget(Qt::BottomDockWidgetArea, d->dashboardDock);
    d->dashboardDock->hide();
    connect(d->training->controller(), &RunController::started, this, [this] {
        if (d->dashboardDock->isVisible()) return;
        // A third of the window at most, so that the image stays the main thing on screen.
        d->dashboardDock->show();
        if (!d->dashboardDock->isFloating()) resizeDocks({d->dashboardDock}, {std::max(260, height() / 3)}, Qt::Vertical);
    });
}

void MainWindow::buildTrainingActions() {
    auto* newRun = d->add(this, "newRun", tr("New training run..."));
    connect(newRun, &QAction::triggered, this, [this] { d->training->newRun(); });
    // An action on the current run: says so when there is none yet.
    auto onCurrentRun = [this](QAction* a, std::function<void(const QString& run)> act) {
        connect(a, &QAction::triggered, this, [this, act] {
            const QString run = d->training->currentRun();
            if (run.isEmpty()) return showError(tr("No finished training run in this project"));
            act(run);
        });
    };
    onCurrentRun(d->add(this, "predictDomain", tr("Predict this domain with the current run")), [this](const QString& run) {
        d->training->predict(run, d->doc ? QStringList{QString::fromStdString(d->doc->domain)} : QStringList{});
    });
    onCurrentRun(d->add(this, "predictCase", tr("Predict this case with the current run")), [this](const QString& run) {
        if (!d->doc || d->standalone) return showError(tr("Open a case of the project first"));
        d->training->predictCases(run, {{QString::fromStdString(d->doc->domain), QString::fromStdString(d->doc->caseId)}});
    });
    onCurrentRun(d->add(this, "predictAll", tr("Predict every domain with the current run")),
                 [this](const QString& run) { d->training->predict(run, {}); });
    onCurrentRun(d->add(this, "labelNext", tr("Suggest what to label next")),
                 [this](const QString& run) { d->training->suggestLabelNext(run); });
    onCurrentRun(d->add(this, "reviewRun", tr("Review the current run")),
                 [this](const QString& run) { d->training->review(run); });
    auto* compare = d->add(this, "reviewCompare", tr("Review the current run beside the newest other run"));
    connect(compare, &QAction::triggered, this, [this] {
        const QString current = d->training->currentRun();
        QString other;
        for (const auto& run : d->training->finishedRuns())
            if (run.second != current) {
                other = run.second;
                break;
            }
        if (current.isEmpty() || other.isEmpty()) return showError(tr("Comparing needs two finished runs"));
        d->training->review(current, other);
    });
}

void MainWindow::buildTrainingMenu() {
    auto* training = menuBar()->addMenu(tr("T&raining"));
    training->addAction(d->actions["newRun"]);
    training->addAction(d->dashboardDock->toggleViewAction());
    training->addSeparator();
    // The run the actions below use; rebuilt each time from the project's finished runs.
    auto* runMenu = training->addMenu(tr("Current run"));
    connect(runMenu, &QMenu::aboutToShow, this, [this, runMenu] {
        runMenu->clear();
        const QString current = d->training->currentRun();
        const auto runs = d->training->finishedRuns();
        if (runs.isEmpty()) runMenu->addAction(tr("(no finished run)"))->setEnabled(false);
        auto* group = new QActionGroup(runMenu);
        for (const auto& run : runs) {
            QAction* a = runMenu->addAction(run.first);
            a->setCheckable(true);
            a->setChecked(run.second == current);
            a->setToolTip(run.second);
            group->addAction(a);
            const QString folder = run.second;
            connect(a, &QAction::triggered, this, [this, folder] { d->training->setCurrentRun(folder); });
        }
    });
    training->addAction(d->actions["predictCase"]);
    training->addAction(d->actions["predictDomain"]);
    training->addAction(d->actions["predictAll"]);
    training->addAction(d->actions["acceptPrediction"]);
    training->addAction(d->actions["labelNext"]);
    training->addSeparator();
    training->addAction(d->actions["reviewRun"]);
    training->addAction(d->actions["reviewCompare"]);
}

void MainWindow::updateProjectActions() {
    // Training and prediction write into the project; reviews and label-next read its runs.
    const bool open = d->project.has_value(), writable = open && !d->readOnly;
    for (const char* name : {"newRun", "predictCase", "predictDomain", "predictAll", "addDomain"})
        d->actions[name]->setEnabled(writable);
    for (const char* name : {"labelNext", "reviewRun", "reviewCompare"}) d->actions[name]->setEnabled(open);
}

}  // namespace dacw
