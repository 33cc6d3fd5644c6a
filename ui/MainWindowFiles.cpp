// MainWindow, files: new projects, domain folders, recent projects, drag and drop, the File menu.
// Images opened outside a project and their labels are in MainWindowLoose.cpp, the window in
// MainWindow.cpp, the open case in MainWindowCase.cpp.
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QUrl>

#include "core/project/NewProject.h"
#include "core/util/Paths.h"
#include "ui/Autosaver.h"
#include "ui/LabelTable.h"
#include "ui/MainWindow.h"
#include "ui/MainWindowPrivate.h"
#include "ui/MessageBar.h"
#include "ui/NewProjectDialog.h"
#include "ui/ProjectBrowser.h"
#include "ui/ToolInteractor.h"
#include "ui/model/DroppedPath.h"
#include "ui/model/LabelDescription.h"
#include "ui/train/Dashboard.h"
#include "ui/train/TrainingCentre.h"
#include "viewers/SliceView.h"

namespace dacw {

namespace fs = std::filesystem;

namespace {
const char* kRecentKey = "recentProjects";
const char* kLocationKey = "newProjectLocation";
}  // namespace

void MainWindow::buildFileActions() {
    auto* newProj = d->add(this, "newProject", tr("&New project..."), QKeySequence::New);
    connect(newProj, &QAction::triggered, this, [this] {
        QSettings settings;
        NewProjectDialog dialog(settings.value(kLocationKey, QDir::homePath()).toString(), this);
        if (dialog.exec() != QDialog::Accepted) return;
        settings.setValue(kLocationKey, dialog.location());
        newProject(dialog.location(), dialog.name(), dialog.task());
    });
    auto* open = d->add(this, "openProject", tr("&Open project..."), QKeySequence::Open);
    connect(open, &QAction::triggered, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Open project"), {}, tr("DAC Workbench projects (*.dacproj)"));
        if (!f.isEmpty()) openProject(f);
    });
    auto* addDomain = d->add(this, "addDomain", tr("&Add domain folder..."));
    addDomain->setToolTip(tr("Add a folder of images (one acquisition centre; masks in masks/ if it has any) to the project"));
    connect(addDomain, &QAction::triggered, this, [this] {
        if (!d->project) return showError(tr("Open or create a project first (File > New project)."));
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Add a folder of images as a domain"),
                                                              QString::fromStdString(d->project->folder().string()));
        if (!dir.isEmpty()) addDomainFolder(dir);
    });
    auto* openImage = d->add(this, "openImage", tr("Open &image..."), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    connect(openImage, &QAction::triggered, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Open image"), {},
                                                       tr("Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.nii *.nii.gz *.nrrd "
                                                          "*.nhdr *.mha *.mhd *.dcm *.ima);;All files (*)"));
        if (!f.isEmpty()) openImageFile(f);
    });
    auto* openDicom = d->add(this, "openDicomFolder", tr("Open &DICOM folder..."));
    connect(openDicom, &QAction::triggered, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a folder holding a DICOM series"));
        if (!dir.isEmpty()) openDicomFolder(dir);
    });
    auto* save = d->add(this, "save", tr("&Save labels"), QKeySequence::Save);
    connect(save, &QAction::triggered, this, [this] {
        if (d->standalone) {
            if (!d->looseSaveFile.empty()) saveLabelsAs(QString::fromStdString(d->looseSaveFile.string()));
            else d->actions["saveAs"]->trigger();
            return;
        }
        d->autosaver->editFinished();
        flushSaves();
    });
    auto* saveAs = d->add(this, "saveAs", tr("Save label &map as..."), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    connect(saveAs, &QAction::triggered, this, [this] {
        if (!d->doc || !d->editor.labels()) return showError(tr("Open an image or a case first."));
        const bool volume = d->doc->isVolume();
        QString suggested = d->looseSaveFile.empty()
                                ? QFileInfo(QString::fromStdString(d->doc->caseId)).completeBaseName() + "-labels"
                                : labelFileBase(QString::fromStdString(d->looseSaveFile.string()));
        if (!d->looseImage.empty() && d->looseSaveFile.empty())
            suggested = QString::fromStdString((d->looseImage.parent_path() / suggested.toStdString()).string());
        QString filter = tr("NIfTI (*.nii.gz);;NRRD (*.nrrd)");
        if (!volume) filter = tr("PNG (*.png);;") + filter;
        QString chosen;
        QString f = QFileDialog::getSaveFileName(this, tr("Save label map as"), suggested, filter, &chosen);
        if (f.isEmpty()) return;
        if (QFileInfo(f).suffix().isEmpty() || labelFileBase(f) == f)
            f += chosen.contains("png") ? ".png" : chosen.contains("nrrd") ? ".nrrd" : ".nii.gz";
        saveLabelsAs(f);
    });
    auto* quit = d->add(this, "quit", tr("&Quit"), QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);
}

void MainWindow::buildFileMenu() {
    auto* file = menuBar()->addMenu(tr("&File"));
    file->addAction(d->actions["newProject"]);
    file->addAction(d->actions["openProject"]);
    d->recentMenu = file->addMenu(tr("Open &recent"));
    d->recentMenu->setObjectName("recentMenu");
    connect(d->recentMenu, &QMenu::aboutToShow, this, [this] {
        d->recentMenu->clear();
        const auto files = d->recent.existing();
        if (files.empty()) d->recentMenu->addAction(tr("(no recent project)"))->setEnabled(false);
        for (const auto& f : files) {
            const QString file = QString::fromStdString(f);
            QAction* a = d->recentMenu->addAction(QFileInfo(file).completeBaseName() + "  -  " + QFileInfo(file).absolutePath());
            connect(a, &QAction::triggered, this, [this, file] { openProject(file); });
        }
        d->recentMenu->addSeparator();
        connect(d->recentMenu->addAction(tr("Clear the list")), &QAction::triggered, this, [this] {
            d->recent = RecentProjects();
            QSettings().remove(kRecentKey);
        });
    });
    file->addAction(d->actions["addDomain"]);
    file->addSeparator();
    file->addAction(d->actions["openImage"]);
    file->addAction(d->actions["openDicomFolder"]);
    file->addSeparator();
    file->addAction(d->actions["save"]);
    file->addAction(d->actions["saveAs"]);
    d->recoverMenu = file->addMenu(tr("Recover unsaved labels"));
    d->recoverMenu->setObjectName("recoverMenu");
    file->addSeparator();
    file->addAction(d->actions["quit"]);

    QStringList stored = QSettings().value(kRecentKey).toStringList();
    std::vector<std::string> files;
    for (const auto& f : stored) files.push_back(f.toStdString());
    d->recent = RecentProjects(files);

    const QByteArray root = qgetenv("DACW_RECOVERY_DIR");
    d->recovery.setRoot(!root.isEmpty() ? fs::path(root.toStdString())
                                        : toPath(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)) / "recovery");
    refreshRecoveryMenu();
    if (const int n = recoverableImages().size())
        d->messages->showMessage(tr("Labels painted on %n image(s) outside a project were not saved when the workbench last "
                                    "stopped. They are kept: File > Recover unsaved labels.",
                                    nullptr, n),
                                 MessageBar::Level::Warning);
}

void MainWindow::rememberRecent(const QString& file) {
    d->recent.add(file.toStdString());
    QStringList list;
    for (const auto& f : d->recent.all()) list << QString::fromStdString(f);
    QSettings().setValue(kRecentKey, list);
}

QStringList MainWindow::recentProjects() const {
    QStringList out;
    for (const auto& f : d->recent.existing()) out << QString::fromStdString(f);
    return out;
}

bool MainWindow::keepUnsaved() {
    flushSaves();
    if (!d->autosaver->failing() || !d->doc) return false;
    QString reason = d->autosaver->lastError();
    while (reason.endsWith('.')) reason.chop(1);
    showError(tr("The labels of %1 are not saved (%2). They stay open here until they are: free space "
                 "or make the folder writable; the workbench tries again every %3 s.")
                  .arg(QString::fromStdString(d->doc->caseId), reason)
                  .arg(d->autosaver->retryDelay() / 1000.0));
    return true;
}

bool MainWindow::openProject(const QString& file) {
    if (keepUnsaved() || !settleLooseLabels()) return false;
    Project p;
    try {
        p = Project::load(file.toStdString());
    } catch (const std::exception& e) {
        showError(tr("Could not open project: %1").arg(QString::fromUtf8(e.what())));
        return false;
    }
    // Another workbench (another process, or another window of this one) may have it open: then
    // it is opened read-only here. Reopening the project this window holds keeps its lock.
    ProjectLock lock;
    std::string holder;
    auto outcome = ProjectLock::Outcome::Acquired;
    const bool reopen = d->projectLock.locked() && d->projectLock.projectFile() == fs::weakly_canonical(p.file());
    if (!reopen) outcome = lock.tryLock(p.file(), &holder);
    flushSaves();
    d->messages->hide();
    if (!reopen) {
        d->projectLock = std::move(lock);  // releases the previous project's lock
        d->readOnly = outcome == ProjectLock::Outcome::HeldByOther;
    }
    d->project = std::move(p);
    d->standalone = false;
    d->looseDirty = false;
    d->doc.reset();
    d->editor.setData(nullptr, nullptr);
    d->view->setImage(nullptr);
    d->view->setLabels(nullptr);
    d->view->setPrediction(nullptr);
    d->view->setHeatMap(nullptr);
    d->labels->setLabels(labelDisplayOf(d->project->task));
    applyLabelStyles();
    populateBrowser();
    d->training->dashboard()->setProject(&*d->project, [this] {
        flushSaves();
        if (!d->readOnly) d->project->save();
    });
    updateProjectActions();
    const QString projectName = QString::fromStdString(d->project->file().filename().string());
    if (outcome == ProjectLock::Outcome::HeldByOther)
        d->messages->showMessage(tr("%1 is already open in another DAC Workbench (%2). It is open here read-only: labels, "
                                    "label definitions, review flags and training runs are not saved. Close it there, "
                                    "then open it again here to edit.")
                                     .arg(projectName, QString::fromStdString(holder)),
                                 MessageBar::Level::Warning);
    else if (outcome == ProjectLock::Outcome::NotLockable)
        d->messages->showMessage(tr("%1 could not be locked (%2): another DAC Workbench that opens it will not be warned.")
                                     .arg(projectName, QString::fromStdString(holder)),
                                 MessageBar::Level::Warning);
    rememberRecent(QString::fromStdString(d->project->file().string()));
    startValidation();
    updateTitle();
    updateUndoActions();
    return true;
}

bool MainWindow::newProject(const QString& location, const QString& name, const QString& task) {
    if (keepUnsaved() || !settleLooseLabels()) return false;
    Project p;
    try {
        p = createProject(toPath(location), name.toStdString(), Task::byName(task.toStdString()));
    } catch (const std::exception& e) {
        showError(tr("Could not create the project: %1").arg(QString::fromUtf8(e.what())));
        return false;
    }
    if (!openProject(QString::fromStdString(p.file().string()))) return false;
    d->messages->showMessage(
        tr("Project %1 created in %2. Add your images: File > Add domain folder, or drop folders on "
           "this window (one folder per centre; masks in a masks/ folder beside images/ when there are any).")
            .arg(name, QString::fromStdString(p.folder().string())),
        MessageBar::Level::Info);
    return true;
}

bool MainWindow::addDomainFolder(const QString& dir) {
    if (!d->project) {
        showError(tr("Open or create a project first (File > New project), then add %1 as a domain.").arg(dir));
        return false;
    }
    if (d->readOnly) {
        showError(tr("The project is open read-only (another workbench has it): domains cannot be added here."));
        return false;
    }
    if (keepUnsaved()) return false;
    Project changed = *d->project;
    AddedDomain added;
    try {
        added = dacw::addDomainFolder(changed, toPath(dir));
        flushSaves();
        changed.save();
    } catch (const std::exception& e) {
        showError(tr("Could not add %1: %2").arg(dir, QString::fromUtf8(e.what())));
        return false;
    }
    // The case being edited stays open: only the browser and the domain list are rebuilt.
    d->project = std::move(changed);
    populateBrowser();
    const QString name = QString::fromStdString(added.domain.name);
    d->announceDomain = name;
    d->messages->showMessage(tr("Domain %1 added: %2 case(s), %3 with a mask (layout: %4). Checking every image...")
                                 .arg(name)
                                 .arg(added.cases)
                                 .arg(added.labeled)
                                 .arg(QString::fromStdString(toString(added.layout))),
                             MessageBar::Level::Info);
    if (d->doc && !d->standalone)
        d->browser->selectCase(QString::fromStdString(d->doc->domain), QString::fromStdString(d->doc->caseId));
    startValidation();
    return true;
}

bool MainWindow::openDropped(const QStringList& paths) {
    bool ok = true, opened = false;
    for (const QString& p : paths) {
        const DroppedPath dropped = classifyDropped(toPath(p));
        switch (dropped.kind) {
        case DroppedKind::Project:
        case DroppedKind::Image:
        case DroppedKind::DicomFolder:
            if (opened) {  // one thing opens; say what was left
                d->messages->showMessage(tr("Only one project or image opens at a time: %1 was not opened.").arg(p),
                                         MessageBar::Level::Warning);
                ok = false;
                break;
            }
            opened = true;
            ok = (dropped.kind == DroppedKind::Project       ? openProject(p)
                  : dropped.kind == DroppedKind::DicomFolder ? openDicomFolder(p)
                                                             : openImageFile(p)) &&
                 ok;
            break;
        case DroppedKind::DomainFolder: ok = addDomainFolder(p) && ok; break;
        case DroppedKind::Unsupported:
            showError(tr("Cannot open %1: %2.").arg(QFileInfo(p).fileName(), QString::fromStdString(dropped.reason)));
            ok = false;
            break;
        }
    }
    return ok;
}

void MainWindow::dragEnterEvent(QDragEnterEvent* e) {
    const auto urls = e->mimeData()->urls();
    if (!urls.isEmpty() && std::all_of(urls.begin(), urls.end(), [](const QUrl& u) { return u.isLocalFile(); }))
        e->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* e) {
    QStringList paths;
    for (const QUrl& u : e->mimeData()->urls()) paths << u.toLocalFile();
    e->acceptProposedAction();
    // Opening may ask a question (unsaved labels): not inside the drag and drop's own event.
    QMetaObject::invokeMethod(
        this, [this, paths] { openDropped(paths); }, Qt::QueuedConnection);
}

}  // namespace dacw
