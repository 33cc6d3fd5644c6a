#pragma once
// What the workbench does with training runs, behind its "Training" menu: the wizard, the run
// controller and dashboard, background prediction with a chosen run, the label-next ranking and
// the review window. The main window supplies the project and is told what changed (the host).
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include <QObject>
#include <QPair>
#include <QStringList>

#include "core/dataset/Domain.h"

class QWidget;

namespace dacw {

class Dashboard;
class Project;
class RunController;

struct TrainingHost {
    std::function<Project*()> project;             // null when none is open
    std::function<void()> saveProject;             // writes it (after pending label writes)
    std::function<std::vector<Domain>()> domains;  // scanned, with the project's names
    std::function<void()> predictionsChanged;      // refresh the browser and the open case (prediction, disagreement map)
    std::function<void(const QList<QPair<QString, QString>>&, const QList<double>&)> showRanking;
    std::function<void(const QString&, bool error)> message;
    std::function<bool()> readOnly;  // the project is open read-only: no runs, no predictions
};

class TrainingCentre : public QObject {
    Q_OBJECT
public:
    TrainingCentre(TrainingHost host, QWidget* window);
    ~TrainingCentre() override;

    RunController* controller() const;
    Dashboard* dashboard() const;

    /// Shows the wizard (modal) and launches what it built. False when cancelled.
    bool newRun();
    /// The newest run folder of the project (finished ones only with `finishedOnly`); "" if none.
    QString latestRun(bool finishedOnly = true) const;
    /// The finished runs of the project, newest first, as (label, folder).
    QList<QPair<QString, QString>> finishedRuns() const;
    /// The run that prediction, label-next and review act on: the one chosen with setCurrentRun
    /// while it is still a finished run of the project, else the newest finished run.
    QString currentRun() const;
    /// Chooses the current run; false (and no change) when `folder` is not a finished run.
    bool setCurrentRun(const QString& folder);
    /// Predicts every case of the named project domains with a run's model.pt in the background,
    /// into <project>/predictions/<domain>/ (where the viewers look first).
    bool predict(const QString& runFolder, const QStringList& domains);
    /// The same for chosen cases ("domain", "case id").
    bool predictCases(const QString& runFolder, const QList<QPair<QString, QString>>& cases);
    /// Ranks the cases without labels of every project domain by sub-model disagreement, in the
    /// background; the ranking goes to the browser (host.showRanking), the per-pixel maps to
    /// <project>/disagreement/ (host.predictionsChanged then).
    bool suggestLabelNext(const QString& runFolder);
    /// Opens the review window for one run (or two: A and B) on its test domains.
    QWidget* review(const QString& runA, const QString& runB = {});
    bool busy() const;

Q_SIGNALS:
    void predictionsDone(int files, const QString& error);
    void rankingDone(int cases, const QString& error);

private:
    bool refuseReadOnly() const;
    bool startPrediction(const QString& runFolder, std::vector<std::pair<std::filesystem::path, std::filesystem::path>> work);
    struct Private;
    std::unique_ptr<Private> d;
};

}  // namespace dacw
