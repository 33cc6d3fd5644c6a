// MainWindow, files: new projects, domain folders, recent projects, drag and drop, images opened
// outside a project and their labels (Save label map as, the question before they would be
// dropped, the recovery copy). The window is in MainWindow.cpp, the open case in
// MainWindowCase.cpp.
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
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

fs::path toPath(const QString& s) { return fs::path(s.toStdString()); }

// "name.nii.gz" -> "name": the base of the label description files written beside a label map.
QString labelFileBase(const QString& file)
{
    QString base = file;
    for (const char* ext : {".nii.gz", ".nii", ".nrrd", ".png"})
        if (base.endsWith(ext, Qt::CaseInsensitive)) {
            base.chop(int(qstrlen(ext)));
            break;
        }
    return base;
}

// How many DICOM files sit beside `file` (itself included); stops counting at `cap`.
int dicomFilesBeside(const fs::path& file, int cap = 10000)
{
    int n = 0;
    std::error_code ec;
    for (fs::directory_iterator it(file.parent_path(), ec), end; !ec && it != end && n < cap; it.increment(ec))
        if (it->is_regular_file(ec) && looksLikeDicomFile(it->path()))
            ++n;
    return n;
}
}  // namespace

void MainWindow::buildFileActions()
{
    auto* newProj = d->add(this, "newProject", tr("&New project..."), QKeySequence::New);
    connect(newProj, &QAction::triggered, this, [this] {
        QSettings settings;
        NewProjectDialog dialog(settings.value(kLocationKey, QDir::homePath()).toString(), this);
        if (dialog.exec() != QDialog::Accepted)
            return;
        settings.setValue(kLocationKey, dialog.location());
        newProject(dialog.location(), dialog.name(), dialog.task());
    });
    auto* open = d->add(this, "openProject", tr("&Open project..."), QKeySequence::Open);
    connect(open, &QAction::triggered, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Open project"), {}, tr("DAC Workbench projects (*.dacproj)"));
        if (!f.isEmpty())
            openProject(f);
    });
    auto* addDomain = d->add(this, "addDomain", tr("&Add domain folder..."));
    addDomain->setToolTip(tr("Add a folder of images (one acquisition centre; masks in masks/ if it has any) to the project"));
    connect(addDomain, &QAction::triggered, this, [this] {
        if (!d->project)
            return showError(tr("Open or create a project first (File > New project)."));
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Add a folder of images as a domain"),
                                                              QString::fromStdString(d->project->folder().string()));
        if (!dir.isEmpty())
            addDomainFolder(dir);
    });
    auto* openImage = d->add(this, "openImage", tr("Open &image..."), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    connect(openImage, &QAction::triggered, this, [this] {
        const QString f = QFileDialog::getOpenFileName(
            this, tr("Open image"), {},
            tr("Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.nii *.nii.gz *.nrrd *.nhdr *.mha *.mhd *.dcm *.ima);;All files (*)"));
        if (!f.isEmpty())
            openImageFile(f);
    });
    auto* openDicom = d->add(this, "openDicomFolder", tr("Open &DICOM folder..."));
    connect(openDicom, &QAction::triggered, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a folder holding a DICOM series"));
        if (!dir.isEmpty())
            openDicomFolder(dir);
    });
    auto* save = d->add(this, "save", tr("&Save labels"), QKeySequence::Save);
    connect(save, &QAction::triggered, this, [this] {
        if (d->standalone) {
            if (!d->looseSaveFile.empty())
                saveLabelsAs(QString::fromStdString(d->looseSaveFile.string()));
            else
                d->actions["saveAs"]->trigger();
            return;
        }
        d->autosaver->editFinished();
        flushSaves();
    });
    auto* saveAs = d->add(this, "saveAs", tr("Save label &map as..."), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    connect(saveAs, &QAction::triggered, this, [this] {
        if (!d->doc || !d->editor.labels())
            return showError(tr("Open an image or a case first."));
        const bool volume = d->doc->isVolume();
        QString suggested = d->looseSaveFile.empty() ? QFileInfo(QString::fromStdString(d->doc->caseId)).completeBaseName() + "-labels"
                                                     : labelFileBase(QString::fromStdString(d->looseSaveFile.string()));
        if (!d->looseImage.empty() && d->looseSaveFile.empty())
            suggested = QString::fromStdString((d->looseImage.parent_path() / suggested.toStdString()).string());
        QString filter = tr("NIfTI (*.nii.gz);;NRRD (*.nrrd)");
        if (!volume)
            filter = tr("PNG (*.png);;") + filter;
        QString chosen;
        QString f = QFileDialog::getSaveFileName(this, tr("Save label map as"), suggested, filter, &chosen);
        if (f.isEmpty())
            return;
        if (QFileInfo(f).suffix().isEmpty() || labelFileBase(f) == f)
            f += chosen.contains("png") ? ".png" : chosen.contains("nrrd") ? ".nrrd" : ".nii.gz";
        saveLabelsAs(f);
    });
    auto* quit = d->add(this, "quit", tr("&Quit"), QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);
}

void MainWindow::buildFileMenu()
{
    auto* file = menuBar()->addMenu(tr("&File"));
    file->addAction(d->actions["newProject"]);
    file->addAction(d->actions["openProject"]);
    d->recentMenu = file->addMenu(tr("Open &recent"));
    d->recentMenu->setObjectName("recentMenu");
    connect(d->recentMenu, &QMenu::aboutToShow, this, [this] {
        d->recentMenu->clear();
        const auto files = d->recent.existing();
        if (files.empty())
            d->recentMenu->addAction(tr("(no recent project)"))->setEnabled(false);
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
    for (const auto& f : stored)
        files.push_back(f.toStdString());
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

void MainWindow::rememberRecent(const QString& file)
{
    d->recent.add(file.toStdString());
    QStringList list;
    for (const auto& f : d->recent.all())
        list << QString::fromStdString(f);
    QSettings().setValue(kRecentKey, list);
}

QStringList MainWindow::recentProjects() const
{
    QStringList out;
    for (const auto& f : d->recent.existing())
        out << QString::fromStdString(f);
    return out;
}

bool MainWindow::keepUnsaved()
{
    flushSaves();
    if (!d->autosaver->failing() || !d->doc)
        return false;
    QString reason = d->autosaver->lastError();
    while (reason.endsWith('.'))
        reason.chop(1);
    showError(tr("The labels of %1 are not saved (%2). They stay open here until they are: free space "
                 "or make the folder writable; the workbench tries again every %3 s.")
                  .arg(QString::fromStdString(d->doc->caseId), reason)
                  .arg(d->autosaver->retryDelay() / 1000.0));
    return true;
}

bool MainWindow::openProject(const QString& file)
{
    if (keepUnsaved() || !settleLooseLabels())
        return false;
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
    if (!reopen)
        outcome = lock.tryLock(p.file(), &holder);
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
    d->labels->setLabels(labelDisplayOf(d->project->task));
    applyLabelStyles();
    populateBrowser();
    d->training->dashboard()->setProject(&*d->project, [this] {
        flushSaves();
        if (!d->readOnly)
            d->project->save();
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

bool MainWindow::newProject(const QString& location, const QString& name, const QString& task)
{
    if (keepUnsaved() || !settleLooseLabels())
        return false;
    Project p;
    try {
        p = createProject(toPath(location), name.toStdString(), Task::byName(task.toStdString()));
    } catch (const std::exception& e) {
        showError(tr("Could not create the project: %1").arg(QString::fromUtf8(e.what())));
        return false;
    }
    if (!openProject(QString::fromStdString(p.file().string())))
        return false;
    d->messages->showMessage(tr("Project %1 created in %2. Add your images: File > Add domain folder, or drop folders on "
                                "this window (one folder per centre; masks in a masks/ folder beside images/ when there are any).")
                                 .arg(name, QString::fromStdString(p.folder().string())),
                             MessageBar::Level::Info);
    return true;
}

bool MainWindow::addDomainFolder(const QString& dir)
{
    if (!d->project) {
        showError(tr("Open or create a project first (File > New project), then add %1 as a domain.").arg(dir));
        return false;
    }
    if (d->readOnly) {
        showError(tr("The project is open read-only (another workbench has it): domains cannot be added here."));
        return false;
    }
    if (keepUnsaved())
        return false;
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

bool MainWindow::openDropped(const QStringList& paths)
{
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
        case DroppedKind::DomainFolder:
            ok = addDomainFolder(p) && ok;
            break;
        case DroppedKind::Unsupported:
            showError(tr("Cannot open %1: %2.").arg(QFileInfo(p).fileName(), QString::fromStdString(dropped.reason)));
            ok = false;
            break;
        }
    }
    return ok;
}

void MainWindow::dragEnterEvent(QDragEnterEvent* e)
{
    const auto urls = e->mimeData()->urls();
    if (!urls.isEmpty() && std::all_of(urls.begin(), urls.end(), [](const QUrl& u) { return u.isLocalFile(); }))
        e->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* e)
{
    QStringList paths;
    for (const QUrl& u : e->mimeData()->urls())
        paths << u.toLocalFile();
    e->acceptProposedAction();
    // Opening may ask a question (unsaved labels): not inside the drag and drop's own event.
    QMetaObject::invokeMethod(this, [this, paths] { openDropped(paths); }, Qt::QueuedConnection);
}

bool MainWindow::openImageFile(const QString& file) { return openLooseImage(file, {}); }

bool MainWindow::openDicomFolder(const QString& dir, const QString& uid)
{
    std::vector<DicomSeries> series;
    try {
        loadOffThread(tr("Reading the DICOM folder %1...").arg(QFileInfo(dir).fileName()), [&] { series = listDicomSeries(toPath(dir)); });
    } catch (const std::exception& e) {
        showError(tr("Could not read the DICOM folder %1: %2").arg(dir, QString::fromUtf8(e.what())));
        return false;
    }
    if (series.empty()) {
        showError(tr("%1 holds no DICOM series (no readable DICOM file directly in it).").arg(dir));
        return false;
    }
    QString chosen = uid;
    if (chosen.isEmpty() && series.size() == 1)
        chosen = QString::fromStdString(series.front().uid);
    if (chosen.isEmpty()) {
        QStringList items;
        for (const auto& s : series)
            items << tr("%1 (%2 slices)").arg(s.description.empty() ? QString::fromStdString(s.uid) : QString::fromStdString(s.description))
                         .arg(s.files.size());
        bool picked = false;
        const QString item = QInputDialog::getItem(this, tr("Open DICOM series"),
                                                   tr("%1 holds %2 series. Open:").arg(QFileInfo(dir).fileName()).arg(series.size()),
                                                   items, 0, false, &picked);
        if (!picked)
            return false;
        chosen = QString::fromStdString(series.at(std::size_t(items.indexOf(item))).uid);
    }
    if (std::none_of(series.begin(), series.end(), [&](const DicomSeries& s) { return s.uid == chosen.toStdString(); })) {
        showError(tr("%1 holds no DICOM series %2.").arg(dir, chosen));
        return false;
    }
    return openLooseImage(dir, chosen);
}

bool MainWindow::openLooseImage(const QString& path, const QString& dicomUid)
{
    if (keepUnsaved() || !settleLooseLabels())
        return false;
    std::shared_ptr<Image> image;
    const fs::path p = toPath(path);
    const QString name = QFileInfo(path).fileName();
    try {
        loadOffThread(tr("Loading %1...").arg(name), [&] {
            image = std::make_shared<Image>(dicomUid.isEmpty() ? readImageOrSeries(p) : readDicomSeries(p, dicomUid.toStdString()));
        });
    } catch (const std::exception& e) {
        showError(tr("Could not open %1: %2").arg(name, QString::fromUtf8(e.what())));
        return false;
    }
    flushSaves();
    d->interactor->cancel(*d->view);
    d->doc = CaseDocument{};
    d->doc->caseId = name.toStdString();
    d->doc->image = image;
    d->doc->labels = std::make_shared<LabelMap>(image->geometry());
    d->standalone = true;
    d->looseImage = fs::weakly_canonical(fs::absolute(p));
    d->looseSaveFile.clear();
    d->looseDirty = false;
    d->editor.setData(d->doc->image, d->doc->labels);
    d->view->setImage(image);
    d->view->setLabels(d->doc->labels);
    d->view->setPrediction(nullptr);
    d->view->fit();
    d->readout->clear();
    updateLegend();
    d->palette.manager().imageChanged(*image);
    if (d->labels->labels().empty()) {
        // Outside a project nothing says what the labels mean: neutral names (editable).
        Task generic = Task::fundus();
        generic.labels.clear();
        const std::array<std::uint8_t, 3> colours[] = {{230, 60, 50}, {50, 160, 230}, {250, 200, 40}};
        for (int v = 1; v <= 3; ++v)
            generic.labels.push_back({"label " + std::to_string(v), std::uint8_t(v), colours[v - 1]});
        d->labels->setLabels(labelDisplayOf(generic));
        applyLabelStyles();  // the view draws the table's colours
    }
    d->browser->clearSelection();
    d->saveInfo->setText(tr("New label"));
    QString note = tr("%1 is open outside a project: its labels are kept in a recovery copy until you save them "
                      "(File > Save label map as, Ctrl+Shift+S).")
                       .arg(name);
    auto level = MessageBar::Level::Info;
    std::error_code ec;
    if (!fs::is_directory(p, ec) && looksLikeDicomFile(p)) {
        if (const int n = dicomFilesBeside(p); n > 1) {
            note = tr("%1 is one file of a folder holding %2 DICOM files: it opened alone, as %3 slice(s). To open the series "
                      "as a volume use File > Open DICOM folder, or drop the folder on the window.")
                       .arg(name)
                       .arg(n)
                       .arg(image->depth());
            level = MessageBar::Level::Warning;
        }
    }
    d->messages->showMessage(note, level);
    updateTitle();
    updateUndoActions();
    return true;
}

bool MainWindow::saveLabelsAs(const QString& file)
{
    if (!d->doc || !d->editor.labels()) {
        showError(tr("Open an image or a case first."));
        return false;
    }
    const QString base = labelFileBase(file);
    if (base == file) {
        showError(tr("Save the label map as .nii.gz, .nii, .nrrd or .png (not %1).").arg(QFileInfo(file).fileName()));
        return false;
    }
    if (file.endsWith(".png", Qt::CaseInsensitive) && d->doc->isVolume()) {
        showError(tr("A volume's label map cannot be a PNG: save it as .nii.gz or .nrrd."));
        return false;
    }
    d->interactor->cancel(*d->view);
    try {
        writeLabelMap(*d->doc->labels, toPath(file));
        writeTextAtomically(toPath(base + ".labels.txt"), itkSnapLabelDescription(d->labels->labels()));
        writeTextAtomically(toPath(base + ".ctbl"), slicerColorTable(d->labels->labels()));
    } catch (const std::exception& e) {
        showError(tr("Could not save the label map: %1 The labels stay open here.").arg(QString::fromUtf8(e.what())));
        return false;
    }
    if (d->standalone) {
        d->looseSaveFile = toPath(file);
        d->looseDirty = false;
        d->recovery.discard(d->looseImage);
        refreshRecoveryMenu();
    }
    d->saveInfo->setText(tr("Saved %1").arg(QTime::currentTime().toString("HH:mm:ss")));
    d->messages->showMessage(tr("Label map saved to %1, with its label descriptions (%2.labels.txt for ITK-SNAP, %2.ctbl for 3D Slicer).")
                                 .arg(file, QFileInfo(base).fileName()),
                             MessageBar::Level::Info);
    return true;
}

bool MainWindow::hasUnsavedLooseLabels() const { return d->standalone && d->looseDirty; }

void MainWindow::setUnsavedPrompt(std::function<UnsavedChoice(const QString&)> prompt) { d->unsavedPrompt = std::move(prompt); }

bool MainWindow::settleLooseLabels()
{
    if (!hasUnsavedLooseLabels())
        return true;
    d->interactor->cancel(*d->view);
    flushSaves();  // the recovery copy is current whatever is chosen
    const QString name = QString::fromStdString(d->doc->caseId);
    UnsavedChoice choice = UnsavedChoice::Cancel;
    if (d->unsavedPrompt) {
        choice = d->unsavedPrompt(name);
    } else {
        QMessageBox box(QMessageBox::Warning, tr("Unsaved labels"),
                        tr("The labels painted on %1 are not saved. Save them before going on?").arg(name),
                        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, this);
        box.setInformativeText(tr("%1 is open outside a project, so its labels have no file yet.").arg(name));
        box.setDefaultButton(QMessageBox::Save);
        const int r = box.exec();
        choice = r == QMessageBox::Save ? UnsavedChoice::Save : r == QMessageBox::Discard ? UnsavedChoice::Discard : UnsavedChoice::Cancel;
    }
    switch (choice) {
    case UnsavedChoice::Cancel:
        return false;
    case UnsavedChoice::Discard:
        d->looseDirty = false;
        d->recovery.discard(d->looseImage);
        refreshRecoveryMenu();
        return true;
    case UnsavedChoice::Save:
        if (d->looseSaveFile.empty())
            d->actions["saveAs"]->trigger();
        else
            saveLabelsAs(QString::fromStdString(d->looseSaveFile.string()));
        return !hasUnsavedLooseLabels();
    }
    return false;
}

QStringList MainWindow::recoverableImages() const
{
    QStringList out;
    for (const auto& e : d->recovery.entries())
        out << QString::fromStdString(e.image.string());
    return out;
}

void MainWindow::refreshRecoveryMenu()
{
    if (!d->recoverMenu)
        return;
    d->recoverMenu->clear();
    const auto entries = d->recovery.entries();
    d->recoverMenu->setEnabled(!entries.empty());
    for (const auto& e : entries) {
        const QString image = QString::fromStdString(e.image.string());
        connect(d->recoverMenu->addAction(tr("Labels of %1").arg(image)), &QAction::triggered, this,
                [this, image] { recoverLabels(image); });
    }
    if (!entries.empty()) {
        d->recoverMenu->addSeparator();
        connect(d->recoverMenu->addAction(tr("Discard all recovered labels")), &QAction::triggered, this, [this] {
            for (const auto& e : d->recovery.entries())
                if (!(d->standalone && d->looseDirty && e.image == d->looseImage))
                    d->recovery.discard(e.image);
            refreshRecoveryMenu();
        });
    }
}

bool MainWindow::recoverLabels(const QString& image)
{
    const auto entries = d->recovery.entries();
    const auto it = std::find_if(entries.begin(), entries.end(), [&](const RecoveredLabels& e) { return e.image == toPath(image); });
    if (it == entries.end()) {
        showError(tr("No recovered labels for %1.").arg(image));
        return false;
    }
    const RecoveredLabels entry = *it;
    LabelMap labels;
    try {
        labels = readLabelMap(entry.labels);
    } catch (const std::exception& e) {
        showError(tr("The recovered labels of %1 cannot be read: %2").arg(image, QString::fromUtf8(e.what())));
        return false;
    }
    std::error_code ec;
    if (!fs::exists(entry.image, ec)) {
        showError(tr("The image %1 is gone, so its labels cannot be shown on it; they are kept in %2.")
                      .arg(image, QString::fromStdString(entry.labels.string())));
        return false;
    }
    if (!openImageFile(image))
        return false;
    if (labels.geometry().size != d->doc->labels->geometry().size) {
        showError(tr("The recovered labels of %1 have another size than the image now has; they are kept in %2.")
                      .arg(image, QString::fromStdString(entry.labels.string())));
        return false;
    }
    d->doc->labels->data() = labels.data();
    d->looseDirty = true;
    d->view->labelsChanged();
    d->saveInfo->setText(tr("Recovered, not saved"));
    d->messages->showMessage(tr("The labels of %1 are recovered. Save them (File > Save label map as) to keep them.")
                                 .arg(QFileInfo(image).fileName()),
                             MessageBar::Level::Warning);
    return true;
}

}  // namespace dacw
