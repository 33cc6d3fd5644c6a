#pragma once
// The annotation workbench: project browser, slice view, label table, tools. Thin: file work is
// done by CaseDocument and the core, painting by the tool models, rendering by the viewers.
#include <functional>
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
    /// Opens an image (or a folder holding a DICOM series) outside any project. Its labels are
    /// kept in a recovery copy until saved with saveLabelsAs(); opening one .dcm of a series
    /// warns that it is a single slice.
    bool openImageFile(const QString& file);
    /// Opens a DICOM series of a folder as a volume; with several series, `uid` picks one (empty:
    /// ask the user, or the only one).
    bool openDicomFolder(const QString& dir, const QString& uid = {});

    /// File > New project: creates <location>/<name>/<name>.dacproj for the task and opens it.
    bool newProject(const QString& location, const QString& name, const QString& task);
    /// Adds a folder to the open project as a domain, saves the project and validates the folder
    /// (the result is shown in the message bar). False + message on error.
    bool addDomainFolder(const QString& dir);
    /// What dropping files and folders on the window does: a project opens, an image or DICOM
    /// folder opens outside the project, any other folder becomes a domain of the open project.
    bool openDropped(const QStringList& paths);
    /// Projects opened recently, newest first (those that still exist).
    QStringList recentProjects() const;

    /// Writes the open labels (NIfTI .nii/.nii.gz, NRRD, or PNG for 2D) with their label
    /// descriptions beside them (<name>.labels.txt for ITK-SNAP, <name>.ctbl for 3D Slicer).
    bool saveLabelsAs(const QString& file);
    /// Labels painted on a loose image and not saved since.
    bool hasUnsavedLooseLabels() const;
    enum class UnsavedChoice { Save, Discard, Cancel };
    /// Replaces the question asked before unsaved loose labels would be dropped (tests, scripts).
    void setUnsavedPrompt(std::function<UnsavedChoice(const QString& image)> prompt);
    /// Images whose loose labels a previous session left unsaved (in the recovery folder:
    /// $DACW_RECOVERY_DIR, else the application data folder's recovery/).
    QStringList recoverableImages() const;
    /// Opens such an image with its recovered labels (still unsaved: save them to keep them).
    bool recoverLabels(const QString& image);
    /// Writes pending labels now and waits for the write.
    void flushSaves();
    enum class AcceptChoice { Ask, Replace, FillUnlabeled, Cancel };
    /// Copies the open case's prediction into its labels (undoable); false + message without one.
    /// When that would change labeled pixels, Ask asks: replace them, fill only unlabeled
    /// pixels, or cancel.
    bool acceptPrediction(AcceptChoice how = AcceptChoice::Ask);
    /// Replaces that question (tests, scripts); it gets the number of labeled pixels that would change.
    void setAcceptPrompt(std::function<AcceptChoice(std::size_t overwritten)> prompt);

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
    void dragEnterEvent(QDragEnterEvent* e) override;
    void dropEvent(QDropEvent* e) override;

private:
    /// Writes pending labels; when the open case's labels could not be saved (full disk, read-only
    /// folder), says so and returns true: the caller keeps the case open instead of replacing it.
    bool keepUnsaved();
    /// Before loose labels would be replaced: asks to save, discard or cancel them; true when
    /// the caller may go on.
    bool settleLooseLabels();
    AcceptChoice askAccept(std::size_t overwritten);
    bool openLooseImage(const QString& path, const QString& dicomUid);
    /// Runs `work` (file reading) on a worker thread while the window keeps handling events and
    /// the status bar says what is loading; rethrows what `work` threw. Refuses (InputError) while
    /// another load runs, so that opening cannot be started twice.
    void loadOffThread(const QString& what, const std::function<void()>& work);
    void buildFileActions();
    void buildFileMenu();
    void refreshRecoveryMenu();
    void rememberRecent(const QString& file);

private:
    void buildActions();
    void buildToolBar();
    void buildMenus();
    void buildDocks();
    // MainWindowTraining.cpp: the training dock, the actions on the current run, the Training menu.
    void buildTrainingDock();
    void buildTrainingActions();
    void buildTrainingMenu();
    void populateBrowser();
    void startValidation();
    void applyLabelStyles();
    void updateTitle();
    void updateUndoActions();
    /// Project actions (training, prediction, review, add domain) need an open project.
    void updateProjectActions();
    /// The overlay legend in the status bar (shown while a prediction is).
    void updateLegend();
    void undoRedo(bool redo);
    void onDefinitionsChanged();
    void showError(const QString& text);
    /// [ and ]: the active tool's size (its options show the new value).
    void resizeTool(int delta);

    struct Private;
    std::unique_ptr<Private> d;
};

}  // namespace dacw
