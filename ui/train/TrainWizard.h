#pragma once
// The training wizard: task, labeled cases, unlabeled multi-centre folders, test and validation
// domains, method, preset (every option editable under "advanced"), and a summary with a
// duration measured by timing a few iterations on this machine. A bad choice is explained on
// its page and keeps "Next" disabled. The wizard only builds a RunRequest: the caller launches.
#include <filesystem>
#include <memory>

#include <QWizard>

#include "core/pipeline/Run.h"
#include "core/dataset/Domain.h"
#include "core/project/Project.h"

class QLabel;

namespace dacw {

class TrainWizard : public QWizard {
    Q_OBJECT
public:
    enum PageId { TaskPage, LabeledPage, UnlabeledPage, TestPage, MethodPage, PresetPage, SummaryPage };

    /// `runsRoot`: where run folders go (default <project>/runs).
    explicit TrainWizard(const Project& project, const QString& runsRoot = {}, QWidget* parent = nullptr);
    ~TrainWizard() override;

    /// Adds an unlabeled folder (what "Add folder..." does after its dialog). False when it was
    /// refused (it stays listed with the reason, and Next stays disabled until it is removed).
    bool addUnlabeledFolder(const QString& folder);
    void removeUnlabeledFolder(int row);
    /// Sets an option under "advanced" (a key of train::toKeyValues), as typing it would.
    void setTrainOption(const QString& key, const QString& value);

    /// The request for the run, with its folder; builds the labeled-case folder (links) when a
    /// subset of cases or workbench labels was chosen. Call after the wizard was accepted.
    /// `outDir` replaces the run folder (the duration estimate runs in a temporary one).
    RunRequest buildRequest(const QString& outDir = {});
    QString runName() const;
    QString methodName() const;
    /// The estimate of the summary page (seconds; negative while measuring or when it failed).
    double estimatedSeconds() const;
    /// The run whose choices the wizard started from (the newest run of the project with a
    /// readable request), "" when none.
    QString rememberedRun() const;
    /// The explanation shown on a page ("" when the page is valid).
    QString pageError(int id) const;

Q_SIGNALS:
    void estimateReady(double seconds);
    /// The images of an added unlabeled folder were checked (off the GUI thread); its summary shows
    /// the result.
    void unlabeledFolderChecked(const QString& folder);

private:
    void rememberLastRun();
    void validateUnlabeledFolder(const Domain& dom, const std::filesystem::path& listed);
    struct Private;
    std::unique_ptr<Private> d;
};

}  // namespace dacw
