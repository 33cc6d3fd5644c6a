#include "ui/train/TrainingCentre.h"

#include <atomic>
#include <thread>

#include <QCoreApplication>
#include <QFileInfo>
#include <QPointer>
#include <QWidget>

#include "core/pipeline/LabelNext.h"
#include "core/pipeline/Predict.h"
#include "core/pipeline/Run.h"
#include "core/pipeline/RunFolder.h"
#include "core/project/Project.h"
#include "ui/review/ReviewWindow.h"
#include "ui/train/Dashboard.h"
#include "ui/train/RunController.h"
#include "ui/train/TrainWizard.h"

namespace fs = std::filesystem;

namespace dacw {

struct TrainingCentre::Private {
    TrainingHost host;
    QPointer<QWidget> window;
    RunController* controller = nullptr;
    QPointer<Dashboard> dashboard;  // owned by a dock when the main window shows it
    std::thread job;                // prediction or ranking
    std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
    std::atomic<bool> jobRunning{false};
    QString chosenRun;  // "" = follow the newest finished run

    void joinJob() {
        if (job.joinable()) job.join();
    }
};

TrainingCentre::TrainingCentre(TrainingHost host, QWidget* window) : QObject(window), d(std::make_unique<Private>()) {
    d->host = std::move(host);
    d->window = window;
    d->controller = new RunController(this);
    d->dashboard = new Dashboard(d->controller);
    d->dashboard->setObjectName("dashboard");
    d->dashboard->setProject(d->host.project ? d->host.project() : nullptr, d->host.saveProject);
    connect(d->dashboard, &Dashboard::runFinished, this, [this](const QString&, const QString& status) {
        if (d->host.predictionsChanged) d->host.predictionsChanged();
        if (d->host.message) d->host.message(tr("Training run %1").arg(status), status == "failed");
    });
}

TrainingCentre::~TrainingCentre() {
    d->cancel->store(true);
    d->joinJob();
    if (d->dashboard && !d->dashboard->parent()) delete d->dashboard.data();
}

RunController* TrainingCentre::controller() const { return d->controller; }
Dashboard* TrainingCentre::dashboard() const { return d->dashboard; }
bool TrainingCentre::busy() const { return d->jobRunning.load(); }

bool TrainingCentre::refuseReadOnly() const {
    if (!d->host.readOnly || !d->host.readOnly()) return false;
    if (d->host.message)
        d->host.message(tr("The project is open read-only (another DAC Workbench has it open): no training or prediction here"),
                        true);
    return true;
}

bool TrainingCentre::newRun() {
    Project* p = d->host.project ? d->host.project() : nullptr;
    if (!p) {
        if (d->host.message) d->host.message(tr("Open a project before training"), true);
        return false;
    }
    if (refuseReadOnly()) return false;
    if (d->controller->busy()) {
        if (d->host.message) d->host.message(tr("A run is already training: pause or cancel it first"), true);
        return false;
    }
    TrainWizard wizard(*p, {}, d->window);
    if (wizard.exec() != QDialog::Accepted) return false;
    RunRequest req;
    try {
        req = wizard.buildRequest();
    } catch (const std::exception& e) {
        if (d->host.message) d->host.message(QString::fromUtf8(e.what()), true);
        return false;
    }
    d->dashboard->setProject(p, d->host.saveProject);
    d->dashboard->setPendingRunName(wizard.runName(), wizard.methodName());
    return d->controller->start(req);
}

QString TrainingCentre::latestRun(bool finishedOnly) const {
    Project* p = d->host.project ? d->host.project() : nullptr;
    if (!p) return {};
    for (auto it = p->runs.rbegin(); it != p->runs.rend(); ++it)
        if (!finishedOnly || it->status == "finished") return QString::fromStdString(p->resolve(it->folder).string());
    return {};
}

QList<QPair<QString, QString>> TrainingCentre::finishedRuns() const {
    QList<QPair<QString, QString>> out;
    Project* p = d->host.project ? d->host.project() : nullptr;
    if (!p) return out;
    for (auto it = p->runs.rbegin(); it != p->runs.rend(); ++it)
        if (it->status == "finished")
            out.append({QString::fromStdString(it->name + (it->method.empty() ? "" : " (" + it->method + ")")),
                        QString::fromStdString(p->resolve(it->folder).string())});
    return out;
}

QString TrainingCentre::currentRun() const {
    if (!d->chosenRun.isEmpty())
        for (const auto& run : finishedRuns())
            if (run.second == d->chosenRun) return d->chosenRun;
    return latestRun();
}

bool TrainingCentre::setCurrentRun(const QString& folder) {
    for (const auto& run : finishedRuns())
        if (run.second == folder) {
            d->chosenRun = folder;
            return true;
        }
    return false;
}

bool TrainingCentre::predict(const QString& runFolder, const QStringList& domains) {
    Project* p = d->host.project ? d->host.project() : nullptr;
    if (!p || d->jobRunning || runFolder.isEmpty()) return false;
    if (refuseReadOnly()) return false;
    std::vector<std::pair<fs::path, fs::path>> work;  // domain folder -> prediction folder
    for (const auto& pd : p->domains)
        if (domains.isEmpty() || domains.contains(QString::fromStdString(pd.name)))
            work.emplace_back(p->resolve(pd.root), p->predictionFolder() / pd.name);
    return startPrediction(runFolder, std::move(work));
}

bool TrainingCentre::predictCases(const QString& runFolder, const QList<QPair<QString, QString>>& cases) {
    Project* p = d->host.project ? d->host.project() : nullptr;
    if (!p || d->jobRunning || runFolder.isEmpty()) return false;
    if (refuseReadOnly()) return false;
    std::vector<std::pair<fs::path, fs::path>> work;  // image file -> prediction folder
    const std::vector<Domain> domains = d->host.domains ? d->host.domains() : std::vector<Domain>{};
    for (const auto& [domain, id] : cases)
        for (const auto& dom : domains)
            if (dom.name == domain.toStdString())
                if (const Case* c = dom.find(id.toStdString())) work.emplace_back(c->image, p->predictionFolder() / dom.name);
    if (work.empty()) return false;
    return startPrediction(runFolder, std::move(work));
}

bool TrainingCentre::startPrediction(const QString& runFolder, std::vector<std::pair<fs::path, fs::path>> work) {
    d->joinJob();
    d->jobRunning = true;
    d->cancel->store(false);
    QPointer<TrainingCentre> self(this);
    const fs::path model = RunFolder(runFolder.toStdString()).model();
    auto cancel = d->cancel;
    d->job = std::thread([self, work, model, cancel] {
        int files = 0;
        QString error;
        try {
            for (const auto& [in, out] : work) {
                if (cancel->load()) break;
                files += int(predictPath(model, in, out, 1).size());
            }
        } catch (const std::exception& e) {
            error = QString::fromUtf8(e.what());
        }
        QMetaObject::invokeMethod(
            qApp,
            [self, files, error] {
                if (!self) return;
                self->d->jobRunning = false;
                if (self->d->host.predictionsChanged) self->d->host.predictionsChanged();
                if (self->d->host.message)
                    self->d->host.message(error.isEmpty() ? tr("%1 predictions written").arg(files) : error, !error.isEmpty());
                Q_EMIT self->predictionsDone(files, error);
            },
            Qt::QueuedConnection);
    });
    return true;
}

bool TrainingCentre::suggestLabelNext(const QString& runFolder) {
    Project* p = d->host.project ? d->host.project() : nullptr;
    if (!p || d->jobRunning || runFolder.isEmpty()) return false;
    d->joinJob();
    // Candidates: cases nobody labeled in the workbench, in the unlabeled domains (their masks,
    // if any, are not used for training) and cases without a mask elsewhere; never test cases.
    auto labeled = [p](const std::string& domain, const std::string& id) { return !p->workbenchLabel(domain, id).empty(); };
    std::vector<Domain> domains;
    for (Domain dom : d->host.domains ? d->host.domains() : std::vector<Domain>{}) {
        std::string role;
        for (const auto& pd : p->domains)
            if (pd.name == dom.name) role = pd.role;
        if (role == "test") continue;
        std::vector<Case> keep;
        for (const auto& c : dom.cases)
            if ((role == "unlabeled" || !c.hasMask()) && !labeled(dom.name, c.id)) keep.push_back(c);
        dom.cases = keep;
        if (!dom.cases.empty()) domains.push_back(std::move(dom));
    }
    d->jobRunning = true;
    d->cancel->store(false);
    QPointer<TrainingCentre> self(this);
    auto cancel = d->cancel;
    const fs::path run = runFolder.toStdString();
    // The per-pixel maps go into the project (View > Disagreement map), unless it is read-only.
    const fs::path mapFolder = d->host.readOnly && d->host.readOnly() ? fs::path() : p->disagreementFolder();
    d->job = std::thread([self, domains, run, cancel, mapFolder] {
        std::vector<CaseDisagreement> ranking;
        QString error;
        DisagreementMaps maps;
        maps.folder = mapFolder;
        try {
            ranking = rankByDisagreement(run, domains, false, cancel.get(), mapFolder.empty() ? nullptr : &maps);
        } catch (const std::exception& e) {
            error = QString::fromUtf8(e.what());
        }
        const QString mapProblem = QString::fromStdString(maps.problem);
        const int mapsWritten = maps.written;
        QList<QPair<QString, QString>> cases;
        QList<double> scores;
        for (const auto& r : ranking) {
            cases.append({QString::fromStdString(r.domain), QString::fromStdString(r.caseId)});
            scores.append(r.score);
        }
        QMetaObject::invokeMethod(
            qApp,
            [self, cases, scores, error, mapProblem, mapsWritten] {
                if (!self) return;
                self->d->jobRunning = false;
                if (error.isEmpty() && self->d->host.showRanking) self->d->host.showRanking(cases, scores);
                if (mapsWritten > 0 && self->d->host.predictionsChanged)
                    self->d->host.predictionsChanged();  // the open case's disagreement map
                QString text = tr("%1 unlabeled cases ranked: label the first ones next").arg(cases.size());
                if (mapsWritten > 0) text += tr("; View > Disagreement map shows where the sub-models disagree");
                if (!mapProblem.isEmpty()) text += tr(" (the disagreement maps could not be written: %1)").arg(mapProblem);
                if (self->d->host.message)
                    self->d->host.message(error.isEmpty() ? text : error, !error.isEmpty() || !mapProblem.isEmpty());
                Q_EMIT self->rankingDone(int(cases.size()), error);
            },
            Qt::QueuedConnection);
    });
    return true;
}

QWidget* TrainingCentre::review(const QString& runA, const QString& runB) {
    Project* p = d->host.project ? d->host.project() : nullptr;
    if (!p || runA.isEmpty()) return nullptr;
    auto* w = new ReviewWindow(p, d->host.saveProject, d->window);
    w->setAttribute(Qt::WA_DeleteOnClose);
    w->setWindowFlag(Qt::Window);
    if (!w->load(runA, runB)) {
        if (d->host.message) d->host.message(w->lastError(), true);
        delete w;
        return nullptr;
    }
    w->show();
    return w;
}

}  // namespace dacw
