// MainWindow, the case being edited: opening a case (read off the GUI thread), accepting its
// prediction, undo and redo, how its labels and prediction are drawn (label styles, the legend)
// and the label definitions. The window itself is in MainWindow.cpp, files in MainWindowFiles.cpp.
#include <atomic>
#include <thread>

#include <QColor>
#include <QEventLoop>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QStatusBar>

#include "core/util/Errors.h"
#include "ui/Autosaver.h"
#include "ui/LabelTable.h"
#include "ui/MainWindow.h"
#include "ui/MainWindowPrivate.h"
#include "ui/MessageBar.h"
#include "ui/ProjectBrowser.h"
#include "ui/ToolInteractor.h"
#include "ui/model/AcceptPrediction.h"
#include "ui/model/LabelDescription.h"
#include "viewers/SliceView.h"

namespace dacw {

bool MainWindow::openCase(const QString& domain, const QString& caseId) {
    if (!d->project) {
        showError(tr("Open a project first."));
        return false;
    }
    const bool same = d->doc && d->doc->domain == domain.toStdString() && d->doc->caseId == caseId.toStdString();
    if (!same && !settleLooseLabels()) return false;
    if (!same && keepUnsaved()) {
        d->browser->selectCase(QString::fromStdString(d->doc->domain), QString::fromStdString(d->doc->caseId));
        return false;
    }
    const Domain* dom = nullptr;
    for (const auto& x : d->domains)
        if (x.name == domain.toStdString()) dom = &x;
    const Case* c = dom ? dom->find(caseId.toStdString()) : nullptr;
    if (!c) {
        showError(tr("No case %1 in domain %2.").arg(caseId, domain));
        return false;
    }
    CaseDocument doc;
    try {
        // The worker reads copies: the window may change its project meanwhile (a run finishing).
        flushSaves();
        const Project project = *d->project;
        const Domain domainCopy = *dom;
        const Case theCase = *c;
        loadOffThread(tr("Loading %1...").arg(caseId), [&] { doc = CaseDocument::open(project, domainCopy, theCase); });
    } catch (const std::exception& e) {
        const QString reason = QString::fromUtf8(e.what());
        auto s = d->browser->caseState(domain, caseId);
        s.problem = reason;
        d->browser->setCaseState(domain, caseId, s);
        showError(tr("Could not open case %1: %2").arg(caseId, reason));
        if (d->doc) d->browser->selectCase(QString::fromStdString(d->doc->domain), QString::fromStdString(d->doc->caseId));
        return false;
    }
    flushSaves();
    d->interactor->cancel(*d->view);
    d->doc = std::move(doc);
    d->standalone = false;
    d->editor.setData(d->doc->image, d->doc->labels);
    d->view->setImage(d->doc->image);
    d->view->setLabels(d->doc->labels);
    d->view->setPrediction(d->doc->prediction);
    d->view->setHeatMap(d->doc->disagreement);
    d->view->fit();
    d->readout->clear();  // the previous image's voxel is not this one's
    updateLegend();
    d->actions["axial"]->setChecked(true);
    d->browser->selectCase(domain, caseId);
    if (!d->doc->warning.empty()) d->messages->showMessage(QString::fromStdString(d->doc->warning), MessageBar::Level::Warning);
    d->palette.manager().imageChanged(*d->doc->image);
    for (const auto& [id, page] : d->optionPages)
        if (auto* options = dynamic_cast<ToolOptions*>(page)) options->refresh();
    d->saveInfo->setText(d->doc->source == CaseDocument::LabelSource::Workbench ? tr("Saved labels loaded")
                         : d->doc->source == CaseDocument::LabelSource::Dataset ? tr("Labels from the dataset mask")
                                                                                : tr("New label"));
    updateTitle();
    updateUndoActions();
    Q_EMIT caseOpened(domain, caseId);
    return true;
}

void MainWindow::loadOffThread(const QString& what, const std::function<void()>& work) {
    if (d->loading) throw InputError("another file is still loading; try again when it is open");
    d->loading = true;
    statusBar()->showMessage(what);
    d->loadingBar->show();
    std::exception_ptr failure;
    QEventLoop loop;
    std::atomic<bool> done{false};
    std::thread worker([&] {
        try {
            work();
        } catch (...) {
            failure = std::current_exception();
        }
        done = true;
        QMetaObject::invokeMethod(&loop, "quit", Qt::QueuedConnection);
    });
    // Input that would start other work waits (ExcludeUserInputEvents); painting and timers run.
    while (!done) loop.exec(QEventLoop::ExcludeUserInputEvents);
    worker.join();
    d->loadingBar->hide();
    statusBar()->clearMessage();
    d->loading = false;
    if (failure) std::rethrow_exception(failure);
}

void MainWindow::flushSaves() { d->autosaver->flush(); }

void MainWindow::setAcceptPrompt(std::function<AcceptChoice(std::size_t)> prompt) { d->acceptPrompt = std::move(prompt); }

bool MainWindow::acceptPrediction(AcceptChoice how) {
    if (!d->doc || !d->doc->prediction || !d->editor.hasData()) {
        showError(tr("This case has no prediction to accept: predict it with a run first (Training menu)"));
        return false;
    }
    d->interactor->cancel(*d->view);
    std::size_t overwritten = 0;
    try {
        overwritten = overwrittenPixels(*d->doc->labels, *d->doc->prediction);
    } catch (const std::exception& e) {
        showError(tr("Cannot accept the prediction: %1").arg(QString::fromUtf8(e.what())));
        return false;
    }
    if (how == AcceptChoice::Ask)
        how = overwritten == 0 ? AcceptChoice::Replace : d->acceptPrompt ? d->acceptPrompt(overwritten) : askAccept(overwritten);
    if (how == AcceptChoice::Cancel || how == AcceptChoice::Ask) return false;
    d->autosaver->editStarting();
    std::size_t slices = 0;
    try {
        slices = dacw::acceptPrediction(d->editor, *d->doc->prediction,
                                        how == AcceptChoice::FillUnlabeled ? AcceptMode::FillUnlabeled : AcceptMode::Replace);
    } catch (const std::exception& e) {
        showError(tr("Cannot accept the prediction: %1").arg(QString::fromUtf8(e.what())));
        return false;
    }
    d->view->labelsChanged();
    if (slices && d->standalone) d->looseDirty = true;
    if (slices) d->autosaver->editFinished();
    updateUndoActions();
    const QString what = how == AcceptChoice::FillUnlabeled
                             ? tr("The prediction filled the unlabeled pixels (%1 slice(s) changed); your labels stayed")
                             : tr("The prediction is now the label (%1 slice(s) changed)");
    d->messages->showMessage(slices ? what.arg(slices) + tr("; correct it, or undo (Ctrl+Z)")
                                    : tr("Nothing changed: the label already holds the prediction there"),
                             MessageBar::Level::Info);
    Q_EMIT editFinished();
    return true;
}

MainWindow::AcceptChoice MainWindow::askAccept(std::size_t overwritten) {
    QMessageBox box(QMessageBox::Question, tr("Accept prediction"),
                    tr("This case has labels already: replacing them by the prediction changes %n labeled pixel(s).", nullptr,
                       int(std::min<std::size_t>(overwritten, 1u << 30))),
                    QMessageBox::Cancel, this);
    QPushButton* fill = box.addButton(tr("Fill unlabeled pixels only"), QMessageBox::AcceptRole);
    QPushButton* replace = box.addButton(tr("Replace"), QMessageBox::DestructiveRole);
    box.setInformativeText(tr("Either way it is one step to undo."));
    box.setDefaultButton(fill);
    box.exec();
    return box.clickedButton() == fill      ? AcceptChoice::FillUnlabeled
           : box.clickedButton() == replace ? AcceptChoice::Replace
                                            : AcceptChoice::Cancel;
}

void MainWindow::undoRedo(bool redo) {
    d->interactor->cancel(*d->view);
    SliceFrame touched;
    const bool done = redo ? d->editor.redo(&touched) : d->editor.undo(&touched);
    if (!done) return;
    // Show the slice the step touched, so that the user sees what was undone.
    if (touched.axis != d->view->pipeline().axis()) d->view->setAxis(touched.axis);
    if (touched.slice != d->view->pipeline().slice()) d->view->setSlice(touched.slice);
    d->view->labelsChanged();
    updateUndoActions();
    if (d->standalone) {
        d->looseDirty = true;
        d->autosaver->editFinished();
        return;
    }
    // Every edit undone on a case that had no workbench label: the labels are the dataset mask
    // (or empty) again, so the case is no longer "annotated" and its label file goes.
    const auto& history = d->editor.history();
    if (!redo && d->doc && d->project && !d->readOnly && d->doc->source != CaseDocument::LabelSource::Workbench &&
        !history.canUndo() && history.droppedCount() == 0) {
        flushSaves();
        try {
            if (d->doc->forgetAnnotation(*d->project)) d->project->save();
        } catch (const std::exception& e) {
            showError(tr("Could not update the project: %1").arg(QString::fromUtf8(e.what())));
        }
        const QString dom = QString::fromStdString(d->doc->domain), id = QString::fromStdString(d->doc->caseId);
        auto s = d->browser->caseState(dom, id);
        s.annotated = false;
        d->browser->setCaseState(dom, id, s);
        d->saveInfo->setText(d->doc->source == CaseDocument::LabelSource::Dataset ? tr("Back to the dataset mask")
                                                                                  : tr("No label"));
        return;
    }
    d->autosaver->editFinished();
}

void MainWindow::updateUndoActions() {
    d->actions["undo"]->setEnabled(d->editor.history().canUndo());
    d->actions["redo"]->setEnabled(d->editor.history().canRedo());
}

void MainWindow::applyLabelStyles() {
    auto& p = d->view->pipeline();
    for (int v = 1; v < 256; ++v) {
        LabelStyle s;
        if (const LabelDisplay* l = d->labels->label(v)) {
            s.color = l->info.color;
            s.opacity = l->opacity;
            s.visible = l->visible;
        } else {
            s = p.labelStyle(static_cast<std::uint8_t>(v));
        }
        p.setLabelStyle(static_cast<std::uint8_t>(v), s);
    }
    d->view->requestRender();
}

void MainWindow::onDefinitionsChanged() {
    applyLabelStyles();
    if (!d->project || d->standalone) return;
    if (d->readOnly) {
        d->messages->showMessage(tr("The project is open read-only: label definition changes are shown but not saved."),
                                 MessageBar::Level::Warning);
        return;
    }
    d->project->task.labels.clear();
    for (const auto& l : d->labels->labels()) d->project->task.labels.push_back(l.info);
    try {
        flushSaves();
        d->project->save();
        writeLabelDescriptions(d->project->folder() / "labels", d->labels->labels());
    } catch (const std::exception& e) {
        showError(tr("Could not save the label definitions: %1").arg(QString::fromUtf8(e.what())));
    }
}

void MainWindow::updateLegend() {
    // What each overlay is, in the label table's colour of the first label drawn.
    const bool shown = d->doc && d->doc->prediction && d->actions["showPrediction"]->isChecked();
    const bool heat = d->view->pipeline().heatMapShown();
    if (!shown && !heat) {
        d->legend->clear();
        d->legend->hide();
        return;
    }
    QString colour = "#d00000";
    if (!d->labels->labels().empty()) {
        const auto& c = d->labels->labels().front().info.color;
        colour = QColor(c[0], c[1], c[2]).name();
    }
    const bool filled = d->actions["predictionFill"]->isChecked();
    const bool outlined = d->actions["outline"]->isChecked();
    QStringList parts, tips;
    parts << tr("<span style='color:%1'>%2</span> label").arg(colour, outlined ? QString("&#9633;") : QString("&#9632;"));
    tips << tr("Labels: %1.").arg(outlined ? tr("solid outline") : tr("filled"));
    if (shown) {
        parts << tr("<span style='color:%1'>%2</span> prediction")
                     .arg(colour, filled ? QString("&#9638;") : QString("&#9476;&#9476;"));
        tips << tr("Prediction of the current run: %1 (View menu).").arg(filled ? tr("filled") : tr("dashed outline"));
    }
    if (heat) {
        parts << tr(
            "<span style='color:#8c0000'>&#9632;</span><span style='color:#ff9900'>&#9632;</span>"
            "<span style='color:#ffff1a'>&#9632;</span> disagreement");
        tips << tr(
            "Disagreement of the two sub-models, from the last Suggest what to label next: dark red (a little) "
            "to yellow (opposite answers).");
    }
    d->legend->setText(parts.join(" &nbsp; "));
    d->legend->setToolTip(tips.join(' '));
    d->legend->show();
}

}  // namespace dacw
