#pragma once
// The annotation workbench: project browser, slice view, label table, tools. Thin: file work is
// done by CaseDocument and the core, painting by the tool models, rendering by the viewers.
#include <memory>

#include <QMainWindow>

#include "core/project/Project.h"
#include "ui/model/CaseDocument.h"

class QAction;

namespace dacw {

class Autosaver;
class LabelEditor;
class LabelTable;
class MessageBar;
class ProjectBrowser;
class SliceView;
class ToolManager;
class TrainingCentre;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
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

    /// Makes a tool active by its id ("toolBrush", "toolSmooth", ...: ui/tools/WorkbenchTools.cpp);
    /// false for an unknown one.
    bool setTool(const QString& id);
    QString tool() const;
    /// The tools and their models (registered in ui/tools/WorkbenchTools.cpp).
    ToolManager& tools() const;

    // For tests and scripting.
    SliceView* view() const;
    LabelEditor& editor() const;
    ProjectBrowser* browser() const;
    LabelTable* labelTable() const;
    MessageBar* messageBar() const;
    Autosaver* autosaver() const;
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
    /// [ and ]: the active tool's size (its options show the new value).
    void resizeTool(int delta);

    struct Private;
    std::unique_ptr<Private> d;
};

}  // namespace dacw
