#include "ui/MainWindow.h"
#include "ui/MainWindowPrivate.h"

#include <atomic>
#include <thread>

#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDockWidget>
#include <QFileDialog>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QFile>
#include <QIcon>
#include <QProgressBar>
#include <QSettings>
#include <QPointer>
#include <QSlider>
#include <QStackedWidget>
#include <QStatusBar>
#include <QToolBar>
#include <QVBoxLayout>

#include "core/project/ProjectLock.h"
#include "ui/Autosaver.h"
#include "ui/OrthoViews.h"
#include "ui/LabelTable.h"
#include "ui/MessageBar.h"
#include "ui/ProjectBrowser.h"
#include "ui/ToolInteractor.h"
#include "ui/train/TrainingCentre.h"
#include "ui/model/LabelEditor.h"
#include "ui/tools/ToolPalette.h"
#include "viewers/SliceView.h"

namespace dacw {

namespace fs = std::filesystem;

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), d(std::make_unique<Private>()) {
    setObjectName("mainWindow");
    resize(1280, 800);
    addWorkbenchTools(d->palette);

    d->view = new SliceView;
    d->view->setObjectName("sliceView");
    d->interactor = new ToolInteractor(this);
    d->messages = new MessageBar;
    auto* central = new QWidget;
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(d->messages);
    d->ortho = new OrthoViews(d->view);  // the view alone, or with coronal and sagittal beside it
    layout->addWidget(d->ortho, 1);
    setCentralWidget(central);

    d->readout = new QLabel;
    d->readout->setObjectName("readout");
    d->sliceInfo = new QLabel;
    d->saveInfo = new QLabel;
    statusBar()->addWidget(d->readout, 1);
    d->loadingBar = new QProgressBar;
    d->loadingBar->setObjectName("loadingBar");
    d->loadingBar->setRange(0, 0);  // busy
    d->loadingBar->setMaximumWidth(140);
    d->loadingBar->hide();
    statusBar()->addPermanentWidget(d->loadingBar);
    d->legend = new QLabel;
    d->legend->setObjectName("overlayLegend");
    d->legend->setTextFormat(Qt::RichText);
    statusBar()->addPermanentWidget(d->legend);
    d->zoomInfo = new QLabel;
    d->zoomInfo->setObjectName("zoomInfo");
    d->windowInfo = new QLabel;
    d->windowInfo->setObjectName("windowInfo");
    statusBar()->addPermanentWidget(d->windowInfo);
    statusBar()->addPermanentWidget(d->zoomInfo);
    statusBar()->addPermanentWidget(d->sliceInfo);
    statusBar()->addPermanentWidget(d->saveInfo);

    // Autosave: the snapshot copies what must be written on the GUI thread; the job writes it.
    d->autosaver = new Autosaver(
        [this]() -> BackgroundWriter::Job {
            if (!d->doc || !d->editor.labels()) return {};
            if (d->standalone)  // a loose image's labels: to the recovery copy until saved
                return d->looseDirty ? d->recovery.saveJob(d->looseImage, *d->doc->labels) : BackgroundWriter::Job{};
            if (!d->project || d->readOnly) return {};
            return d->doc->saveJob(*d->project, d->labels->labels());
        },
        400, this);
    connect(d->autosaver, &Autosaver::saved, this, [this] {
        if (d->standalone) {
            d->saveInfo->setText(d->looseDirty ? tr("Unsaved (recovery copy %1)").arg(QTime::currentTime().toString("HH:mm:ss"))
                                               : tr("Saved"));
            return;
        }
        d->saveInfo->setText(tr("Saved %1").arg(QTime::currentTime().toString("HH:mm:ss")));
        if (d->closeDespiteUnsaved || d->saveFailed) {  // a retry got through
            d->messages->showMessage(tr("The labels are saved now."), MessageBar::Level::Info);
            d->closeDespiteUnsaved = d->saveFailed = false;
        }
        if (d->doc && d->project && !d->project->workbenchLabel(d->doc->domain, d->doc->caseId).empty()) {
            auto s = d->browser->caseState(QString::fromStdString(d->doc->domain), QString::fromStdString(d->doc->caseId));
            if (!s.annotated) {
                s.annotated = true;
                d->browser->setCaseState(QString::fromStdString(d->doc->domain), QString::fromStdString(d->doc->caseId), s);
            }
        }
    });
    connect(d->autosaver, &Autosaver::failed, this, [this](const QString& m) {
        d->saveFailed = true;
        d->saveInfo->setText(tr("Not saved"));
        showError(tr("%1 The labels stay open here; the workbench tries again every %2 s.")
                      .arg(m)
                      .arg(d->autosaver->retryDelay() / 1000.0));
    });

    buildDocks();
    buildActions();
    // Icons: resources/icons/actions/<action name>.png (drawn for the project; README there).
    for (auto& [name, a] : d->actions)
        if (const QString f = ":/icons/actions/" + name + ".png"; QFile::exists(f)) a->setIcon(QIcon(f));
    buildToolBar();
    buildMenus();

    connect(d->interactor, &ToolInteractor::editStarting, d->autosaver, &Autosaver::editStarting);
    connect(d->interactor, &ToolInteractor::editFinished, this, [this] {
        if (d->standalone) d->looseDirty = true;
        d->autosaver->editFinished();
        d->saveInfo->setText(tr("Unsaved changes"));
        updateUndoActions();
        Q_EMIT editFinished();
    });
    connect(d->interactor, &ToolInteractor::activeLabelPicked, this, [this](int v) { d->labels->setActiveLabel(v); });
    connect(d->view, &SliceView::statusChanged, d->readout, &QLabel::setText);
    connect(d->view, &SliceView::viewStateChanged, this, [this](const ViewState& s) {
        const auto n = d->view->pipeline().sliceCount();
        d->sliceInfo->setText(n > 1 ? tr("%1 slice %2 / %3").arg(toString(s.axis)).arg(s.slice + 1).arg(n) : QString());
        // Zoom: screen pixels per image pixel along the view's vertical axis (100% = one to one).
        const auto& image = d->view->pipeline().image();
        if (!image || s.parallelScale <= 0.0) {
            d->zoomInfo->clear();
            return;
        }
        const auto& spacing = image->geometry().spacing;
        const double rowSpacing = s.axis == SliceAxis::Axial ? spacing[1] : spacing[2];
        const double zoom = d->view->height() * rowSpacing / (2.0 * s.parallelScale);
        d->zoomInfo->setText(tr("zoom %1%").arg(QString::number(zoom * 100.0, 'f', 0)));
    });
    connect(d->view, &SliceView::windowLevelChanged, this, [this](double window, double level) {
        d->windowInfo->setText(tr("W %1  L %2").arg(window, 0, 'g', 4).arg(level, 0, 'g', 4));
    });
    connect(d->browser, &ProjectBrowser::caseActivated, this, [this](const QString& dom, const QString& id) {
        if (!d->doc || d->doc->domain != dom.toStdString() || d->doc->caseId != id.toStdString()) openCase(dom, id);
    });
    setTool("toolNavigate");
    setAcceptDrops(true);  // projects, images and folders dropped on the window (MainWindowFiles.cpp)
    QSettings settings;
    restoreGeometry(settings.value("window/geometry").toByteArray());
    if (!restoreState(settings.value("window/state").toByteArray()))
        if (auto* dock = findChild<QDockWidget*>("projectDock"))
            resizeDocks({dock}, {300}, Qt::Horizontal);  // room for the case name and status columns
    updateProjectActions();
    updateTitle();
    updateUndoActions();
}

MainWindow::~MainWindow() {
    d->autosaver->flush();
    d->view->setInteractor(nullptr);
}

void MainWindow::buildDocks() {
    d->browser = new ProjectBrowser;
    auto* left = new QDockWidget(tr("Project"), this);
    left->setObjectName("projectDock");
    left->setWidget(d->browser);
    addDockWidget(Qt::LeftDockWidgetArea, left);

    buildTrainingDock();

    d->labels = new LabelTable;
    auto* right = new QDockWidget(tr("Labels"), this);
    right->setObjectName("labelDock");
    auto* panel = new QWidget;
    auto* v = new QVBoxLayout(panel);
    v->setContentsMargins(0, 0, 0, 0);
    v->addWidget(d->labels, 1);
    auto addSlider = [&](const QString& text, int value) {
        auto* row = new QHBoxLayout;
        row->addWidget(new QLabel(text));
        auto* s = new QSlider(Qt::Horizontal);
        s->setRange(0, 100);
        s->setValue(value);
        row->addWidget(s, 1);
        v->addLayout(row);
        return s;
    };
    d->labelOpacity = addSlider(tr("Label opacity"), 50);
    d->predictionOpacity = addSlider(tr("Prediction opacity"), 80);
    right->setWidget(panel);
    addDockWidget(Qt::RightDockWidgetArea, right);

    connect(d->labelOpacity, &QSlider::valueChanged, this, [this](int v) {
        d->view->pipeline().setLabelOpacity(v / 100.0);
        d->view->requestRender();
    });
    connect(d->predictionOpacity, &QSlider::valueChanged, this, [this](int v) {
        d->view->pipeline().setPredictionOpacity(v / 100.0);
        d->view->requestRender();
    });
    connect(d->labels, &LabelTable::activeLabelChanged, this,
            [this](int v) { d->editor.setActiveLabel(static_cast<std::uint8_t>(v)); });
    connect(d->labels, &LabelTable::displayChanged, this, [this](int) { applyLabelStyles(); });
    connect(d->labels, &LabelTable::definitionsChanged, this, &MainWindow::onDefinitionsChanged);
}

void MainWindow::buildActions() {
    buildFileActions();

    auto* undo = d->add(this, "undo", tr("&Undo"), QKeySequence(Qt::CTRL | Qt::Key_Z));
    connect(undo, &QAction::triggered, this, [this] { undoRedo(false); });
    auto* redo = d->add(this, "redo", tr("&Redo"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z));
    redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    connect(redo, &QAction::triggered, this, [this] { undoRedo(true); });

    d->toolGroup = new QActionGroup(this);
    for (const auto& t : d->palette.manager().tools()) {
        const QString id = QString::fromStdString(t.id);
        auto* a = d->add(this, id, tr(t.text.c_str()), t.key ? QKeySequence(QChar(t.key)) : QKeySequence());
        a->setCheckable(true);
        d->toolGroup->addAction(a);
        connect(a, &QAction::triggered, this, [this, id] { setTool(id); });
    }

    auto* preserve = d->add(this, "preserve", tr("Preserve other labels"), QKeySequence(Qt::Key_K));
    preserve->setCheckable(true);
    connect(preserve, &QAction::toggled, this, [this](bool on) { d->editor.setPreserveOtherLabels(on); });

    auto* smaller = d->add(this, "brushSmaller", tr("Smaller brush"), QKeySequence(Qt::Key_BracketLeft));
    connect(smaller, &QAction::triggered, this, [this] { resizeTool(-1); });
    auto* larger = d->add(this, "brushLarger", tr("Larger brush"), QKeySequence(Qt::Key_BracketRight));
    connect(larger, &QAction::triggered, this, [this] { resizeTool(+1); });

    const struct {
        SliceAxis axis;
        const char* name;
        QString text;
        Qt::Key key;
    } axes[] = {{SliceAxis::Axial, "axial", tr("Axial"), Qt::Key_1},
                {SliceAxis::Coronal, "coronal", tr("Coronal"), Qt::Key_2},
                {SliceAxis::Sagittal, "sagittal", tr("Sagittal"), Qt::Key_3}};
    auto* axisGroup = new QActionGroup(this);
    for (const auto& ax : axes) {
        auto* a = d->add(this, ax.name, ax.text, QKeySequence(Qt::CTRL | ax.key));
        a->setCheckable(true);
        a->setChecked(ax.axis == SliceAxis::Axial);
        axisGroup->addAction(a);
        const SliceAxis axis = ax.axis;
        connect(a, &QAction::triggered, this, [this, axis] { d->view->setAxis(axis); });
    }
    auto* three = d->add(this, "threeViews", tr("Three views (axial, coronal, sagittal)"), QKeySequence(Qt::CTRL | Qt::Key_4));
    three->setCheckable(true);
    three->setToolTip(tr("Axial, coronal and sagittal views of a volume, linked by a crosshair"));
    connect(three, &QAction::triggered, this, [this](bool on) {
        d->ortho->setActive(on);
        if (on && !d->ortho->isActive())
            d->messages->showMessage(d->doc && d->doc->image ? tr("Three views need a volume: this image has a single slice.")
                                                             : tr("Three views need a volume: open one first."),
                                     MessageBar::Level::Info);
        d->actions["threeViews"]->setChecked(d->ortho->isActive());
    });
    connect(d->ortho, &OrthoViews::activeChanged, three, &QAction::setChecked);
    // An edit in any of the three views is redrawn in the two others.
    connect(d->interactor, &ToolInteractor::labelsChanged, d->ortho, [this](SliceView* v) { d->ortho->refreshLabels(v); });
    auto* fit = d->add(this, "fit", tr("Fit to window (F)"));
    connect(fit, &QAction::triggered, d->view, &SliceView::fit);
    auto* one = d->add(this, "oneToOne", tr("Actual pixels (1)"));
    connect(one, &QAction::triggered, d->view, &SliceView::oneToOne);
    auto* outline = d->add(this, "outline", tr("Labels as outlines"), QKeySequence(Qt::Key_O));
    outline->setCheckable(true);
    connect(outline, &QAction::toggled, this, [this](bool on) {
        d->view->pipeline().setLabelOverlayStyle(on ? OverlayStyle::Outline : OverlayStyle::Fill);
        d->view->requestRender();
        updateLegend();
    });
    auto* showPred = d->add(this, "showPrediction", tr("Show prediction"), QKeySequence(Qt::SHIFT | Qt::Key_P));
    showPred->setCheckable(true);
    showPred->setChecked(true);
    connect(showPred, &QAction::toggled, this, [this](bool on) {
        d->view->pipeline().setPredictionVisible(on);
        d->view->requestRender();
        updateLegend();
    });
    // The sub-models' disagreement from the last "Suggest what to label next", as a heat map.
    auto* showHeat = d->add(this, "showDisagreement", tr("Disagreement map"), QKeySequence(Qt::SHIFT | Qt::Key_D));
    showHeat->setCheckable(true);
    showHeat->setToolTip(tr("Where the two sub-models of the run disagree (written by Suggest what to label next)"));
    d->view->pipeline().setHeatMapVisible(false);
    connect(showHeat, &QAction::toggled, this, [this](bool on) {
        d->view->pipeline().setHeatMapVisible(on);
        d->view->requestRender();
        updateLegend();
    });
    auto* predFill = d->add(this, "predictionFill", tr("Prediction filled"));
    predFill->setCheckable(true);
    auto* accept = d->add(this, "acceptPrediction", tr("Accept prediction as starting label"),
                          QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    connect(accept, &QAction::triggered, this, [this] { acceptPrediction(); });
    buildTrainingActions();
    connect(predFill, &QAction::toggled, this, [this](bool on) {
        d->view->pipeline().setPredictionOverlayStyle(on ? OverlayStyle::Fill : OverlayStyle::DashedOutline);
        d->view->requestRender();
        updateLegend();
    });
    for (auto& [name, a] : d->actions) addAction(a);  // shortcuts work wherever the focus is in the window
}

void MainWindow::buildToolBar() {
    auto* tb = addToolBar(tr("Tools"));
    tb->setObjectName("toolBar");
    tb->setIconSize(QSize(24, 24));
    tb->setToolButtonStyle(Qt::ToolButtonIconOnly);  // names and keys in the tooltips
    for (const auto& t : d->palette.manager().tools()) tb->addAction(d->actions[QString::fromStdString(t.id)]);
    tb->addSeparator();
    d->toolOptions = new QStackedWidget;
    d->toolOptions->setObjectName("toolOptions");
    for (const auto& t : d->palette.manager().tools()) {
        QWidget* page = d->palette.createOptions(t.id);
        if (!page) page = new QWidget;
        d->optionPages[t.id] = page;
        d->toolOptions->addWidget(page);
    }
    tb->addWidget(d->toolOptions);
    tb->addSeparator();
    tb->addAction(d->actions["preserve"]);
    tb->addAction(d->actions["undo"]);
    tb->addAction(d->actions["redo"]);
}

void MainWindow::buildMenus() {
    buildFileMenu();
    auto* edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(d->actions["undo"]);
    edit->addAction(d->actions["redo"]);
    edit->addSeparator();
    edit->addAction(d->actions["preserve"]);
    edit->addAction(d->actions["brushSmaller"]);
    edit->addAction(d->actions["brushLarger"]);
    edit->addSeparator();
    edit->addAction(d->actions["acceptPrediction"]);
    auto* tools = menuBar()->addMenu(tr("&Tools"));
    tools->addActions(d->toolGroup->actions());
    auto* view = menuBar()->addMenu(tr("&View"));
    for (const char* n : {"axial", "coronal", "sagittal", "threeViews"}) view->addAction(d->actions[n]);
    view->addSeparator();
    view->addAction(d->actions["fit"]);
    view->addAction(d->actions["oneToOne"]);
    d->presetMenu = view->addMenu(tr("Window/level presets"));
    connect(d->presetMenu, &QMenu::aboutToShow, this, [this] {
        d->presetMenu->clear();
        for (const auto& p : d->view->windowLevelPresets()) {
            const double w = p.window, l = p.level;
            d->presetMenu->addAction(QString("%1  (W %2, L %3)").arg(p.name).arg(w, 0, 'g', 4).arg(l, 0, 'g', 4), this,
                                     [this, w, l] { d->view->setWindowLevel(w, l); });
        }
    });
    view->addSeparator();
    view->addAction(d->actions["outline"]);
    view->addAction(d->actions["showPrediction"]);
    view->addAction(d->actions["predictionFill"]);
    view->addAction(d->actions["showDisagreement"]);
    buildTrainingMenu();
    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("Mouse and keys"), this, [this] {
        d->messages->showMessage(
            tr("Wheel: zoom. Ctrl/Shift+wheel or Up/Down: slice. Right drag: window/level. Middle drag or Alt+drag: pan. "
               "F: fit, 1: actual pixels, R: reset window/level. Tools: N B E P L G T I; K preserve other labels; "
               "[ ] brush size; Shift while painting erases; Enter closes a polygon, Esc cancels."),
            MessageBar::Level::Info);
    });
}

bool MainWindow::setTool(const QString& id) {
    ToolManager& tools = d->palette.manager();
    if (!tools.entry(id.toStdString())) return false;
    if (tools.active() != id.toStdString()) d->interactor->cancel(*d->view);
    tools.setActive(id.toStdString());
    ToolModel* model = tools.activeModel();
    d->actions[id]->setChecked(true);
    d->interactor->setTool(model);
    d->view->setInteractor(model ? d->interactor : nullptr);
    QWidget* page = d->optionPages.at(tools.active());
    if (auto* options = dynamic_cast<ToolOptions*>(page)) options->refresh();
    d->toolOptions->setCurrentWidget(page);
    return true;
}

QString MainWindow::tool() const { return QString::fromStdString(d->palette.manager().active()); }

ToolManager& MainWindow::tools() const { return d->palette.manager(); }

void MainWindow::resizeTool(int delta) {
    ToolModel* model = d->palette.manager().activeModel();
    if (!model || !model->resize(delta)) return;
    if (auto* options = dynamic_cast<ToolOptions*>(d->optionPages.at(d->palette.manager().active()))) options->refresh();
}

void MainWindow::showError(const QString& text) {
    d->messages->showMessage(text, MessageBar::Level::Error);
    statusBar()->showMessage(text, 10000);
}

bool MainWindow::readOnly() const { return d->project && d->readOnly; }

void MainWindow::populateBrowser() {
    d->browser->clear();
    d->domains.clear();
    for (const auto& pd : d->project->domains) {
        const QString name = QString::fromStdString(pd.name);
        try {
            Domain dom = scanDomain(d->project->resolve(pd.root));
            dom.name = pd.name;
            d->browser->addDomain(name);
            for (const auto& c : dom.cases) {
                const CaseStatus status = caseStatus(*d->project, pd.name, c);
                ProjectBrowser::CaseState s;
                s.datasetMask = status.datasetMask;
                s.annotated = status.annotated();
                s.predicted = status.predicted();
                d->browser->addCase(name, QString::fromStdString(c.id), s);
            }
            d->domains.push_back(std::move(dom));
        } catch (const std::exception& e) {
            d->browser->addDomain(name, QString::fromUtf8(e.what()));
            showError(tr("Domain %1: %2").arg(name, QString::fromUtf8(e.what())));
        }
    }
}

void MainWindow::startValidation() {
    // Validation reads every header and mask: off the GUI thread, results posted back. A newer
    // project makes older results stale (generation counter).
    const int generation = ++*d->validationGeneration;
    d->pendingValidations = static_cast<int>(d->domains.size());
    if (d->pendingValidations == 0) {
        Q_EMIT validationFinished();
        return;
    }
    QPointer<MainWindow> self(this);
    auto gen = d->validationGeneration;
    for (const auto& dom : d->domains) {
        std::thread([self, gen, generation, dom, task = d->project->task] {
            ValidationReport report;
            try {
                report = validateDomain(dom, task);
            } catch (const std::exception& e) {
                report.issues.push_back({CaseIssue::Kind::Unreadable, "", dom.root, e.what()});
            }
            QMetaObject::invokeMethod(
                qApp,
                [self, gen, generation, report, name = dom.name] {
                    if (!self || *gen != generation) return;
                    const QString domain = QString::fromStdString(name);
                    QStringList problems;
                    for (const auto& issue : report.issues) {
                        if (issue.kind == CaseIssue::Kind::MissingMask) continue;  // an unlabeled case, not a bad one
                        const QString msg = QString::fromStdString(issue.message);
                        if (!issue.caseId.empty() && self->d->browser->hasCase(domain, QString::fromStdString(issue.caseId))) {
                            auto s = self->d->browser->caseState(domain, QString::fromStdString(issue.caseId));
                            s.problem = s.problem.isEmpty() ? msg : s.problem + "\n" + msg;
                            self->d->browser->setCaseState(domain, QString::fromStdString(issue.caseId), s);
                        }
                        problems << msg;
                    }
                    if (domain == self->d->announceDomain) {
                        self->d->announceDomain.clear();
                        if (problems.isEmpty())
                            self->d->messages->showMessage(tr("Domain %1: all %2 case(s) readable, %3 with a mask.")
                                                               .arg(domain)
                                                               .arg(report.cases)
                                                               .arg(report.labeled),
                                                           MessageBar::Level::Info);
                    }
                    if (!problems.isEmpty()) {
                        self->d->browser->addDomain(domain, problems.join("\n"));
                        self->d->messages->showMessage(tr("%1 problem(s) in domain %2, marked in the project browser. First: %3")
                                                           .arg(problems.size())
                                                           .arg(domain, problems.first()),
                                                       MessageBar::Level::Warning);
                    }
                    if (--self->d->pendingValidations == 0) Q_EMIT self->validationFinished();
                },
                Qt::QueuedConnection);
        }).detach();
    }
}

bool MainWindow::validationDone() const { return d->pendingValidations == 0; }

void MainWindow::updateTitle() {
    QString t = "DAC Workbench";
    if (d->project)
        t = QString::fromStdString(d->project->name.empty() ? d->project->file().stem().string() : d->project->name) +
            (d->readOnly ? tr(" [read-only]") : QString()) + " - " + t;
    if (d->doc)
        t = QString::fromStdString(d->doc->domain.empty() ? d->doc->caseId : d->doc->domain + "/" + d->doc->caseId) + " - " + t;
    setWindowTitle(t);
}

void MainWindow::closeEvent(QCloseEvent* e) {
    if (!d->closeDespiteUnsaved && keepUnsaved()) {
        d->closeDespiteUnsaved = true;
        d->messages->showMessage(d->messages->text() + tr(" Close the window again to quit without them."),
                                 MessageBar::Level::Error);
        e->ignore();
        return;
    }
    if (!settleLooseLabels()) {
        e->ignore();
        return;
    }
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    QMainWindow::closeEvent(e);
}

SliceView* MainWindow::view() const { return d->view; }
LabelEditor& MainWindow::editor() const { return d->editor; }
ProjectBrowser* MainWindow::browser() const { return d->browser; }
LabelTable* MainWindow::labelTable() const { return d->labels; }
MessageBar* MainWindow::messageBar() const { return d->messages; }
Autosaver* MainWindow::autosaver() const { return d->autosaver; }
TrainingCentre* MainWindow::training() const { return d->training; }
const Project* MainWindow::project() const { return d->project ? &*d->project : nullptr; }
const CaseDocument* MainWindow::currentCase() const { return d->doc ? &*d->doc : nullptr; }
QAction* MainWindow::action(const QString& name) const {
    auto it = d->actions.find(name);
    return it == d->actions.end() ? nullptr : it->second;
}

}  // namespace dacw
