// MainWindow, images opened outside a project (image files, DICOM folders) and their labels:
// Save label map as, the question before unsaved ones would be dropped, the recovery copy that
// autosave keeps meanwhile and its menu. The File menu that reaches them is in MainWindowFiles.cpp.
#include <algorithm>
#include <array>

#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QTime>

#include "core/image/ImageIO.h"
#include "core/util/Paths.h"
#include "ui/LabelTable.h"
#include "ui/MainWindow.h"
#include "ui/MainWindowPrivate.h"
#include "ui/MessageBar.h"
#include "ui/ProjectBrowser.h"
#include "ui/ToolInteractor.h"
#include "ui/model/DroppedPath.h"
#include "ui/model/LabelDescription.h"
#include "viewers/SliceView.h"

namespace dacw {

namespace fs = std::filesystem;

namespace {
// How many DICOM files sit beside `file` (itself included); stops counting at `cap`.
int dicomFilesBeside(const fs::path& file, int cap = 10000) {
    int n = 0;
    std::error_code ec;
    for (fs::directory_iterator it(file.parent_path(), ec), end; !ec && it != end && n < cap; it.increment(ec))
        if (it->is_regular_file(ec) && looksLikeDicomFile(it->path())) ++n;
    return n;
}
}  // namespace

bool MainWindow::openImageFile(const QString& file) { return openLooseImage(file, {}); }

bool MainWindow::openDicomFolder(const QString& dir, const QString& uid) {
    std::vector<DicomSeries> series;
    try {
        loadOffThread(tr("Reading the DICOM folder %1...").arg(QFileInfo(dir).fileName()),
                      [&] { series = listDicomSeries(toPath(dir)); });
    } catch (const std::exception& e) {
        showError(tr("Could not read the DICOM folder %1: %2").arg(dir, QString::fromUtf8(e.what())));
        return false;
    }
    if (series.empty()) {
        showError(tr("%1 holds no DICOM series (no readable DICOM file directly in it).").arg(dir));
        return false;
    }
    QString chosen = uid;
    if (chosen.isEmpty() && series.size() == 1) chosen = QString::fromStdString(series.front().uid);
    if (chosen.isEmpty()) {
        QStringList items;
        for (const auto& s : series)
            items << tr("%1 (%2 slices)")
                         .arg(s.description.empty() ? QString::fromStdString(s.uid) : QString::fromStdString(s.description))
                         .arg(s.files.size());
        bool picked = false;
        const QString item = QInputDialog::getItem(
            this, tr("Open DICOM series"), tr("%1 holds %2 series. Open:").arg(QFileInfo(dir).fileName()).arg(series.size()),
            items, 0, false, &picked);
        if (!picked) return false;
        chosen = QString::fromStdString(series.at(std::size_t(items.indexOf(item))).uid);
    }
    if (std::none_of(series.begin(), series.end(), [&](const DicomSeries& s) { return s.uid == chosen.toStdString(); })) {
        showError(tr("%1 holds no DICOM series %2.").arg(dir, chosen));
        return false;
    }
    return openLooseImage(dir, chosen);
}

bool MainWindow::openLooseImage(const QString& path, const QString& dicomUid) {
    if (keepUnsaved() || !settleLooseLabels()) return false;
    std::shared_ptr<Image> image;
    const fs::path p = toPath(path);
    const QString name = QFileInfo(path).fileName();
    try {
        loadOffThread(tr("Loading %1...").arg(name), [&] {
            image =
                std::make_shared<Image>(dicomUid.isEmpty() ? readImageOrSeries(p) : readDicomSeries(p, dicomUid.toStdString()));
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
    d->view->setHeatMap(nullptr);
    d->view->fit();
    d->readout->clear();
    updateLegend();
    d->palette.manager().imageChanged(*image);
    if (d->labels->labels().empty()) {
        // Outside a project nothing says what the labels mean: neutral names (editable).
        Task generic = Task::fundus();
        generic.labels.clear();
        const std::array<std::uint8_t, 3> colours[] = {{230, 60, 50}, {50, 160, 230}, {250, 200, 40}};
        for (int v = 1; v <= 3; ++v) generic.labels.push_back({"label " + std::to_string(v), std::uint8_t(v), colours[v - 1]});
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

bool MainWindow::saveLabelsAs(const QString& file) {
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
    d->messages->showMessage(
        tr("Label map saved to %1, with its label descriptions (%2.labels.txt for ITK-SNAP, %2.ctbl for 3D Slicer).")
            .arg(file, QFileInfo(base).fileName()),
        MessageBar::Level::Info);
    return true;
}

bool MainWindow::hasUnsavedLooseLabels() const { return d->standalone && d->looseDirty; }

void MainWindow::setUnsavedPrompt(std::function<UnsavedChoice(const QString&)> prompt) { d->unsavedPrompt = std::move(prompt); }

bool MainWindow::settleLooseLabels() {
    if (!hasUnsavedLooseLabels()) return true;
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
        choice = r == QMessageBox::Save      ? UnsavedChoice::Save
                 : r == QMessageBox::Discard ? UnsavedChoice::Discard
                                             : UnsavedChoice::Cancel;
    }
    switch (choice) {
    case UnsavedChoice::Cancel: return false;
    case UnsavedChoice::Discard:
        d->looseDirty = false;
        d->recovery.discard(d->looseImage);
        refreshRecoveryMenu();
        return true;
    case UnsavedChoice::Save:
        if (d->looseSaveFile.empty()) d->actions["saveAs"]->trigger();
        else saveLabelsAs(QString::fromStdString(d->looseSaveFile.string()));
        return !hasUnsavedLooseLabels();
    }
    return false;
}

QStringList MainWindow::recoverableImages() const {
    QStringList out;
    for (const auto& e : d->recovery.entries()) out << QString::fromStdString(e.image.string());
    return out;
}

void MainWindow::refreshRecoveryMenu() {
    if (!d->recoverMenu) return;
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
                if (!(d->standalone && d->looseDirty && e.image == d->looseImage)) d->recovery.discard(e.image);
            refreshRecoveryMenu();
        });
    }
}

bool MainWindow::recoverLabels(const QString& image) {
    const auto entries = d->recovery.entries();
    const auto it =
        std::find_if(entries.begin(), entries.end(), [&](const RecoveredLabels& e) { return e.image == toPath(image); });
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
    if (!openImageFile(image)) return false;
    if (labels.geometry().size != d->doc->labels->geometry().size) {
        showError(tr("The recovered labels of %1 have another size than the image now has; they are kept in %2.")
                      .arg(image, QString::fromStdString(entry.labels.string())));
        return false;
    }
    d->doc->labels->data() = labels.data();
    d->looseDirty = true;
    d->view->labelsChanged();
    d->saveInfo->setText(tr("Recovered, not saved"));
    d->messages->showMessage(
        tr("The labels of %1 are recovered. Save them (File > Save label map as) to keep them.").arg(QFileInfo(image).fileName()),
        MessageBar::Level::Warning);
    return true;
}

}  // namespace dacw
