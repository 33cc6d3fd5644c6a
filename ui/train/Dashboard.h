#pragma once
// The live dashboard of a training run: loss curves, validation Dice per domain, throughput,
// ETA and learning rate; pause, cancel, resume from the last checkpoint; the project's run
// history with each run's configuration and final metrics; two runs' curves overlaid.
#include <functional>
#include <memory>

#include <QWidget>

#include "ui/train/RunController.h"

class QChart;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QTabWidget;

namespace dacw {

class Project;

class Dashboard : public QWidget {
    Q_OBJECT
public:
    explicit Dashboard(RunController* controller, QWidget* parent = nullptr);
    ~Dashboard() override;

    /// The project whose runs the history lists; `save` writes it (after a run starts or ends).
    void setProject(Project* project, std::function<void()> save);
    void refreshHistory();
    /// Draws a past run's curves (metrics.csv, validation.csv) on the curves tab, as they were drawn
    /// while it ran; refused (false) while a run is live. Selecting one run in the history does it.
    bool showRun(const QString& runFolder);
    /// Overlays the curves of two run folders (metrics.csv, validation.csv) on the compare tab.
    bool compareRuns(const QString& runA, const QString& runB);
    /// Resumes a stopped run from its folder (checkpoint.pt) on `processes` processes of this
    /// machine (0: as many as it was started on); false with a message otherwise.
    bool resumeRun(const QString& runFolder, int processes = 0);
    /// Writes the notes of a run (notes.txt in its folder; empty text removes them) and shows them
    /// in the history; false with a message when the folder cannot be written.
    bool setRunNotes(const QString& runFolder, const QString& text);
    /// Name for the run the controller starts next (recorded in the project).
    void setPendingRunName(const QString& name, const QString& method);

    // For tests.
    int progressCount() const;
    QChart* lossChart() const;
    QChart* diceChart() const;
    QChart* compareChart() const;
    QTableWidget* history() const;
    QLabel* statusLabel() const;
    QPushButton* pauseButton() const;
    QPushButton* cancelButton() const;
    QPushButton* resumeButton() const;
    QSpinBox* resumeProcesses() const;
    QPushButton* notesButton() const;
    QTabWidget* tabs() const;

Q_SIGNALS:
    void runFinished(const QString& runFolder, const QString& status);

private:
    void onStarted(const QString& folder, bool resumed);
    void onProgress(const ProgressSnapshot& p);
    void onFinished(const QString& folder, const QString& status, qint64 iterations, const QString& error);
    void updateButtons();
    void recordRun(const QString& folder, const QString& status);

    struct Private;
    std::unique_ptr<Private> d;
};

}  // namespace dacw
