#pragma once
// MainWindow's state, shared by its implementation files (MainWindow.cpp: the window, its docks,
// actions and menus; MainWindowCase.cpp: the case being edited, its undo, prediction and label
// display; MainWindowFiles.cpp: projects, domains, recent files, drops; MainWindowLoose.cpp:
// images outside a project and their labels; MainWindowTraining.cpp: the training dock, the
// actions on the current run and the Training menu). Not read by moc; no torch.
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include <QAction>
#include <QKeySequence>
#include <QString>

#include "core/project/ProjectLock.h"
#include "ui/MainWindow.h"
#include "ui/model/LabelEditor.h"
#include "ui/model/LabelRecovery.h"
#include "ui/model/RecentProjects.h"
#include "ui/tools/ToolPalette.h"

class QActionGroup;
class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QSlider;
class QStackedWidget;

namespace dacw {

class OrthoViews;
class ToolInteractor;

inline std::filesystem::path toPath(const QString& s) { return std::filesystem::path(s.toStdString()); }

// "name.nii.gz" -> "name": the base of the label description files written beside a label map.
inline QString labelFileBase(const QString& file) {
    QString base = file;
    for (const char* ext : {".nii.gz", ".nii", ".nrrd", ".png"})
        if (base.endsWith(ext, Qt::CaseInsensitive)) {
            base.chop(int(qstrlen(ext)));
            break;
        }
    return base;
}

struct MainWindow::Private {
    // Document state.
    std::optional<Project> project;
    std::vector<Domain> domains;
    std::optional<CaseDocument> doc;
    bool standalone = false;  // an image opened outside a project: its labels have no home
    // Labels on a loose image (standalone): the image's path, where "Save label map as" last
    // wrote them, whether they changed since, and the recovery copy autosave keeps meanwhile.
    std::filesystem::path looseImage;
    std::filesystem::path looseSaveFile;
    bool looseDirty = false;
    LabelRecovery recovery;
    std::function<UnsavedChoice(const QString&)> unsavedPrompt;
    std::function<AcceptChoice(std::size_t)> acceptPrompt;
    RecentProjects recent;
    QMenu* recentMenu = nullptr;
    QMenu* recoverMenu = nullptr;
    // A domain just added: its validation result is announced (also when it finds nothing).
    QString announceDomain;
    // The open project's lock (project/ProjectLock.h). When another workbench holds it, the
    // project is open read-only: nothing is written into it (labels, definitions, runs, flags).
    ProjectLock projectLock;
    bool readOnly = false;
    // Closing once more quits although the open case's labels could not be saved (keepUnsaved).
    bool closeDespiteUnsaved = false;
    bool saveFailed = false;  // the last autosave failed (its retries run)
    std::shared_ptr<std::atomic<int>> validationGeneration = std::make_shared<std::atomic<int>>(0);
    int pendingValidations = 0;

    // Models.
    LabelEditor editor;
    ToolPalette palette{editor};

    // Widgets.
    SliceView* view = nullptr;
    OrthoViews* ortho = nullptr;  // holds view; with three views on, two more beside it
    ToolInteractor* interactor = nullptr;
    ProjectBrowser* browser = nullptr;
    LabelTable* labels = nullptr;
    MessageBar* messages = nullptr;
    Autosaver* autosaver = nullptr;
    QLabel* readout = nullptr;
    QLabel* sliceInfo = nullptr;
    QLabel* saveInfo = nullptr;
    QProgressBar* loadingBar = nullptr;  // status bar: busy while a file loads off the GUI thread
    bool loading = false;
    QLabel* legend = nullptr;      // status bar: how labels and the prediction are drawn
    QLabel* zoomInfo = nullptr;    // status bar: zoom (100% = one screen pixel per image pixel)
    QLabel* windowInfo = nullptr;  // status bar: window / level
    // The active tool's options (one page per tool; an empty one for tools without options).
    QStackedWidget* toolOptions = nullptr;
    std::map<std::string, QWidget*> optionPages;
    QSlider* labelOpacity = nullptr;
    QSlider* predictionOpacity = nullptr;
    QMenu* presetMenu = nullptr;
    QActionGroup* toolGroup = nullptr;
    TrainingCentre* training = nullptr;
    QDockWidget* dashboardDock = nullptr;
    std::map<QString, QAction*> actions;

    QAction* add(QObject* parent, const QString& name, const QString& text, const QKeySequence& key = {}) {
        auto* a = new QAction(text, parent);
        a->setObjectName(name);
        if (!key.isEmpty()) {
            a->setShortcut(key);
            a->setToolTip(QString("%1 (%2)").arg(text, key.toString(QKeySequence::NativeText)));
        }
        actions[name] = a;
        return a;
    }
};

}  // namespace dacw
