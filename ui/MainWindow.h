#pragma once
// The annotation workbench: project browser, slice view, label table, tools. Thin: file work is
// done by CaseDocument and the core, painting by the tool models, rendering by the viewers.
#include <memory>

#include <QMainWindow>

#include "project/Project.h"
#include "ui/model/CaseDocument.h"

class QAction;

namespace dacw {

class Autosaver;
class BrushTool;
class FloodFillTool;
class LabelEditor;
class LabelTable;
class MessageBar;
class ProjectBrowser;
class SliceView;
class ThresholdBoxTool;
class TrainingCentre;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum class Tool { Navigate, Brush, Eraser, Polygon, Lasso, FloodFill, ThresholdBox, PickLabel };

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Opens a .dacproj; on failure shows the reason in the message bar, keeps the current state
    /// and returns false. Holds the project's lock (project/ProjectLock.h) while it is open; when
    /// another workbench holds it, warns in the message bar, naming the holder, and opens it
    /// read-only (see readOnly()).
    bool openProject(const QString& file);
    /// The open project is read-only here because another workbench had it open: autosave, label
    /// definition changes, review flags and runs are not written, training and prediction are off.
    bool readOnly() const;
    /// Opens a case of the open project (saving the current one first). False + message on error.
    bool openCase(const QString& domain, const QString& caseId);
    /// Opens an image outside any project (labels are not saved).
    bool openImageFile(const QString& file);
    /// Writes pending labels now and waits for the write.
    void flushSaves();
    /// Copies the open case's prediction into its labels (undoable); false + message without one.
    bool acceptPrediction();

    void setTool(Tool tool);
    Tool tool() const;

    // For tests and scripting.
    SliceView* view() const;
    LabelEditor& editor() const;
    ProjectBrowser* browser() const;
    LabelTable* labelTable() const;
    MessageBar* messageBar() const;
    Autosaver* autosaver() const;
    BrushTool& brushTool() const;
    FloodFillTool& floodFillTool() const;
    ThresholdBoxTool& thresholdTool() const;
    /// Training runs, dashboard, predictions, label-next ranking and review.
    TrainingCentre* training() const;
    const Project* project() const;
    const CaseDocument* currentCase() const;
    /// Actions by object name ("undo", "redo", "toolBrush", ...).
    QAction* action(const QString& name) const;
    /// Finished asynchronous validation of the project's domains.
    bool validationDone() const;

Q_SIGNALS:
    void caseOpened(const QString& domain, const QString& caseId);
    void editFinished();
    void validationFinished();

protected:
    void closeEvent(QCloseEvent* e) override;

private:
    /// Writes pending labels; when the open case's labels could not be saved (full disk, read-only
    /// folder), says so and returns true: the caller keeps the case open instead of replacing it.
    bool keepUnsaved();

private:
    void buildActions();
    void buildToolBar();
    void buildMenus();
    void buildDocks();
    void populateBrowser();
    void startValidation();
    void applyLabelStyles();
    void updateTitle();
    void updateUndoActions();
    void undoRedo(bool redo);
    void onDefinitionsChanged();
    void showError(const QString& text);

    struct Private;
    std::unique_ptr<Private> d;
};

}  // namespace dacw
