#include "ui/train/Dashboard.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include <QChart>
#include <QChartView>
#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QCheckBox>
#include <QPen>
#include <QMap>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>

#include "core/pipeline/RunFolder.h"
#include "core/project/Project.h"

namespace fs = std::filesystem;

namespace dacw {

namespace {

QString duration(double s) {
    if (!std::isfinite(s) || s < 0) return "--:--";
    const long t = std::lround(s);
    return t >= 3600 ? QString("%1:%2:%3").arg(t / 3600).arg((t / 60) % 60, 2, 10, QChar('0')).arg(t % 60, 2, 10, QChar('0'))
                     : QString("%1:%2").arg(t / 60, 2, 10, QChar('0')).arg(t % 60, 2, 10, QChar('0'));
}

/// Distinct colours (Okabe-Ito's colour-blind-safe set, then darker variants); past them a
/// series is dashed, so that no two series of a chart look alike.
QPen seriesPen(int index, bool emphasised) {
    static const QColor colours[] = {QColor(0, 114, 178),  QColor(230, 159, 0), QColor(0, 158, 115),  QColor(204, 121, 167),
                                     QColor(86, 180, 233), QColor(213, 94, 0),  QColor(240, 228, 66), QColor(120, 60, 150),
                                     QColor(90, 90, 90),   QColor(140, 86, 75)};
    constexpr int n = int(sizeof(colours) / sizeof(colours[0]));
    QPen pen(emphasised ? QColor(0, 0, 0) : colours[index % n]);
    pen.setWidthF(emphasised ? 2.5 : 1.5);
    if (!emphasised && index >= n) pen.setStyle(index / n == 1 ? Qt::DashLine : Qt::DotLine);
    return pen;
}

/// A chart whose axes grow to fit the points added: the left axis linear or logarithmic, and an
/// optional right axis for a second unit (Dice beside losses), so that no axis mixes units.
struct Plot {
    QChart* chart = new QChart;
    QValueAxis* x = new QValueAxis;
    QValueAxis* y = new QValueAxis;
    QLogValueAxis* yLog = nullptr;  // in use instead of y when the log scale is on
    QValueAxis* y2 = nullptr;       // the right axis, when the plot has one
    QMap<QString, QLineSeries*> series;
    QMap<QString, bool> onRight;
    QString emphasised;  // drawn black and thick (the total loss)
    double xMax = 1, yMin = 0, yMax = 1, yPositiveMin = 1;
    bool empty = true;

    Plot(const QString& title, const QString& yTitle, const QString& rightTitle = {}) {
        chart->setTitle(title);
        x->setTitleText(QObject::tr("iteration"));
        x->setLabelFormat("%.0f");
        y->setTitleText(yTitle);
        chart->addAxis(x, Qt::AlignBottom);
        chart->addAxis(y, Qt::AlignLeft);
        if (!rightTitle.isEmpty()) {
            y2 = new QValueAxis;
            y2->setTitleText(rightTitle);
            y2->setRange(0, 1);
            chart->addAxis(y2, Qt::AlignRight);
        }
        // Below the plot, where a long list of series wraps instead of being cut.
        chart->legend()->setAlignment(Qt::AlignBottom);
    }
    QAbstractAxis* left() const { return yLog ? static_cast<QAbstractAxis*>(yLog) : y; }
    void clear() {
        chart->removeAllSeries();
        series.clear();
        onRight.clear();
        xMax = 1;
        yMin = 0;
        yMax = 1;
        yPositiveMin = 1;
        empty = true;
        x->setRange(0, 1);
        y->setRange(0, 1);
    }
    /// The x axis spans the whole run from its start (not 0..1 until points arrive).
    void setIterations(double total) {
        xMax = std::max(xMax, total);
        x->setRange(0, xMax);
    }
    QLineSeries* line(const QString& name, bool right = false) {
        auto it = series.find(name);
        if (it != series.end()) return *it;
        auto* s = new QLineSeries;
        s->setName(name);
        s->setPen(seriesPen(int(series.size()), name == emphasised));
        chart->addSeries(s);
        s->attachAxis(x);
        s->attachAxis(right && y2 ? static_cast<QAbstractAxis*>(y2) : left());
        series.insert(name, s);
        onRight.insert(name, right && y2);
        return s;
    }
    void add(const QString& name, double ix, double v, bool right = false) {
        if (!std::isfinite(v)) return;
        // A log axis cannot show 0: such points sit at the axis' floor (invisible on a linear one).
        line(name, right)->append(ix, right ? v : std::max(v, 1e-6));
        xMax = std::max(xMax, ix);
        if (right && y2) return;
        if (empty) {
            yMin = std::min(0.0, v);
            yMax = v;
            empty = false;
        }
        yMin = std::min(yMin, v);
        yMax = std::max(yMax, v);
        if (v > 0) yPositiveMin = std::min(yPositiveMin, v);
    }
    void fitAxes() {
        x->setRange(0, xMax);
        if (yLog) yLog->setRange(std::max(yPositiveMin * 0.8, 1e-6), std::max(yMax * 1.25, yPositiveMin * 10));
        else y->setRange(yMin, yMax > yMin ? yMax * 1.05 : yMin + 1);
    }
    /// Switches the left axis between linear and logarithmic (losses span decades).
    void setLogScale(bool on) {
        if (on == (yLog != nullptr)) return;
        QAbstractAxis* from = left();
        QAbstractAxis* to = nullptr;
        if (on) {
            yLog = new QLogValueAxis;
            yLog->setTitleText(y->titleText());
            yLog->setLabelFormat("%.3g");
            yLog->setBase(10);
            to = yLog;
        } else {
            yLog = nullptr;
            y = new QValueAxis;
            y->setTitleText(static_cast<QLogValueAxis*>(from)->titleText());
            to = y;
        }
        chart->addAxis(to, Qt::AlignLeft);
        for (auto it = series.begin(); it != series.end(); ++it)
            if (!onRight.value(it.key())) {
                (*it)->detachAxis(from);
                (*it)->attachAxis(to);
            }
        chart->removeAxis(from);
        from->deleteLater();
        fitAxes();
    }
};

// The history's columns: the folder is last (it stretches) and is what the buttons act on.
constexpr int kNotesColumn = 7, kFolderColumn = 8;

RunFolder runFolder(const QString& folder) { return RunFolder(folder.toStdString()); }

QString qs(const std::string& s) { return QString::fromStdString(s); }

}  // namespace

struct Dashboard::Private {
    RunController* controller = nullptr;
    Project* project = nullptr;
    std::function<void()> save;
    Plot loss{QObject::tr("Losses"), QObject::tr("loss")};
    Plot dice{QObject::tr("Validation Dice per domain"), QObject::tr("Dice")};
    Plot compare{QObject::tr("Compare runs"), QObject::tr("total loss"), QObject::tr("validation Dice")};
    QCheckBox* logScale = nullptr;
    QProgressBar* bar = nullptr;
    QLabel* status = nullptr;
    QLabel* figures = nullptr;
    QPushButton* pause = nullptr;
    QPushButton* cancel = nullptr;
    QPushButton* resume = nullptr;
    QSpinBox* resumeProcesses = nullptr;
    QPushButton* compareButton = nullptr;
    QPushButton* notes = nullptr;
    QTableWidget* history = nullptr;
    QTabWidget* tabs = nullptr;
    QPlainTextEdit* log = nullptr;
    int progressCount = 0;
    qint64 plotEvery = 1;
    QString pendingName, pendingMethod;
};

Dashboard::Dashboard(RunController* controller, QWidget* parent) : QWidget(parent), d(std::make_unique<Private>()) {
    d->controller = controller;
    auto* layout = new QVBoxLayout(this);
    auto* top = new QHBoxLayout;
    d->status = new QLabel(tr("No run"));
    d->status->setObjectName("dashboardStatus");
    d->status->setMinimumWidth(1);  // a long message is cut (its whole text in the tooltip), not widening the window
    d->bar = new QProgressBar;
    d->bar->setRange(0, 1);
    d->figures = new QLabel;
    d->figures->setObjectName("dashboardFigures");
    d->pause = new QPushButton(tr("Pause"));
    d->cancel = new QPushButton(tr("Cancel"));
    d->resume = new QPushButton(tr("Resume selected run"));
    d->resume->setToolTip(tr("Continue the run selected in the history from its last checkpoint"));
    top->addWidget(d->status);
    top->addWidget(d->bar, 1);
    top->addWidget(d->pause);
    top->addWidget(d->cancel);
    layout->addLayout(top);
    layout->addWidget(d->figures);

    d->tabs = new QTabWidget;
    auto view = [](QChart* c) {
        auto* v = new QChartView(c);
        v->setRenderHint(QPainter::Antialiasing);
        v->setMinimumHeight(170);
        v->setMinimumWidth(240);  // a long legend wraps rather than squeezing the other chart
        return v;
    };
    d->loss.emphasised = "total";
    // Eleven loss terms: a column beside the plot, in a smaller font, keeps every name whole.
    d->loss.chart->legend()->setAlignment(Qt::AlignRight);
    QFont small = d->loss.chart->legend()->font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    d->loss.chart->legend()->setFont(small);
    d->compare.emphasised = "";
    auto* curves = new QSplitter(Qt::Horizontal);
    curves->addWidget(view(d->loss.chart));
    // Beside the tabs rather than under the loss chart: below it, it took the height the chart's
    // axis labels need in a short dock, and they were cut to "...".
    d->logScale = new QCheckBox(tr("Logarithmic loss axis"));
    d->logScale->setObjectName("lossLogScale");
    curves->addWidget(view(d->dice.chart));
    curves->setChildrenCollapsible(false);
    curves->setStretchFactor(0, 3);  // the losses have many series; the Dice chart a few
    curves->setStretchFactor(1, 2);
    curves->setSizes({600, 400});
    d->tabs->addTab(curves, tr("Curves"));
    d->tabs->setCornerWidget(d->logScale, Qt::TopRightCorner);
    connect(d->logScale, &QCheckBox::toggled, this, [this](bool on) { d->loss.setLogScale(on); });
    d->tabs->addTab(view(d->compare.chart), tr("Compare"));
    d->log = new QPlainTextEdit;
    d->log->setReadOnly(true);
    d->log->setMaximumBlockCount(2000);
    d->tabs->addTab(d->log, tr("Log"));
    layout->addWidget(d->tabs, 3);

    d->history = new QTableWidget(0, kFolderColumn + 1);
    d->history->setObjectName("runHistory");
    d->history->setHorizontalHeaderLabels({tr("Run"), tr("Method"), tr("Status"), tr("Iterations"), tr("Preset"), tr("Size"),
                                           tr("Mean Dice (test domains)"), tr("Notes"), tr("Folder")});
    d->history->setSelectionBehavior(QAbstractItemView::SelectRows);
    d->history->setEditTriggers(QAbstractItemView::NoEditTriggers);
    d->history->horizontalHeader()->setStretchLastSection(true);
    auto* historyBox = new QVBoxLayout;
    auto* historyButtons = new QHBoxLayout;
    d->compareButton = new QPushButton(tr("Compare two selected runs"));
    d->notes = new QPushButton(tr("Notes..."));
    d->notes->setObjectName("runNotes");
    d->notes->setToolTip(tr("Write notes on the selected run (kept in its folder as notes.txt)"));
    historyButtons->addWidget(new QLabel(tr("Run history")));
    historyButtons->addStretch();
    historyButtons->addWidget(d->notes);
    historyButtons->addWidget(d->resume);
    d->resumeProcesses = new QSpinBox;
    d->resumeProcesses->setObjectName("resumeProcesses");
    d->resumeProcesses->setRange(1, std::max(1, int(std::thread::hardware_concurrency())));
    d->resumeProcesses->setPrefix(tr("on "));
    d->resumeProcesses->setSuffix(tr(" process(es)"));
    d->resumeProcesses->setToolTip(
        tr("Processes on this machine for the resumed run (it starts with the number the run "
           "was started on). Another number works: the batches and the data stay the same, "
           "each process's BatchNorm batch changes"));
    historyButtons->addWidget(d->resumeProcesses);
    historyButtons->addWidget(d->compareButton);
    historyBox->addLayout(historyButtons);
    historyBox->addWidget(d->history);
    layout->addLayout(historyBox, 2);

    connect(d->pause, &QPushButton::clicked, this, [this] {
        if (d->controller->state() == RunController::State::Paused) d->controller->resume();
        else d->controller->pause();
    });
    connect(d->cancel, &QPushButton::clicked, d->controller, &RunController::cancel);
    connect(d->resume, &QPushButton::clicked, this, [this] {
        const int row = d->history->currentRow();
        if (row >= 0) resumeRun(d->history->item(row, kFolderColumn)->text(), d->resumeProcesses->value());
    });
    connect(d->notes, &QPushButton::clicked, this, [this] {
        const int row = d->history->currentRow();
        if (row < 0) return;
        const QString folder = d->history->item(row, kFolderColumn)->text();
        bool ok = false;
        const QString text =
            QInputDialog::getMultiLineText(this, tr("Notes on %1").arg(d->history->item(row, 0)->text()),
                                           tr("Notes (saved in the run folder):"), qs(readRunNotes(runFolder(folder))), &ok);
        if (ok) setRunNotes(folder, text);
    });
    connect(d->compareButton, &QPushButton::clicked, this, [this] {
        const auto sel = d->history->selectionModel()->selectedRows();
        if (sel.size() == 2)
            compareRuns(d->history->item(sel[0].row(), kFolderColumn)->text(),
                        d->history->item(sel[1].row(), kFolderColumn)->text());
        else d->status->setText(tr("Select two runs in the history to compare them"));
    });
    connect(d->history, &QTableWidget::itemSelectionChanged, this, [this] {
        // The resumed run starts on as many processes as the selected one was started on.
        const int row = d->history->currentRow();
        if (row >= 0) d->resumeProcesses->setValue(startedProcesses(d->history->item(row, kFolderColumn)->text()));
        // One run selected while none is live: its curves, as they were drawn during the run.
        const auto selected = d->history->selectionModel()->selectedRows();
        if (selected.size() == 1 && !d->controller->busy()) showRun(d->history->item(selected[0].row(), kFolderColumn)->text());
        updateButtons();
    });
    connect(controller, &RunController::started, this, &Dashboard::onStarted);
    connect(controller, &RunController::progress, this, &Dashboard::onProgress);
    connect(controller, &RunController::finished, this, &Dashboard::onFinished);
    connect(controller, &RunController::message, this, [this](const QString& m) { d->log->appendPlainText(m); });
    connect(controller, &RunController::stateChanged, this, &Dashboard::updateButtons);
    updateButtons();
}

Dashboard::~Dashboard() = default;

void Dashboard::setProject(Project* project, std::function<void()> save) {
    d->project = project;
    d->save = std::move(save);
    refreshHistory();
}

void Dashboard::setPendingRunName(const QString& name, const QString& method) {
    d->pendingName = name;
    d->pendingMethod = method;
}

void Dashboard::updateButtons() {
    const auto s = d->controller->state();
    const bool live = s == RunController::State::Running || s == RunController::State::Paused;
    d->pause->setEnabled(live && d->controller->canPause());
    d->pause->setToolTip(d->controller->canPause() ? QString()
                                                   : tr("A run on several processes cannot pause (its processes would give "
                                                        "up on each other): cancel it and resume it later"));
    d->pause->setText(s == RunController::State::Paused ? tr("Continue") : tr("Pause"));
    d->cancel->setEnabled(s == RunController::State::Running || s == RunController::State::Paused);
    const int row = d->history->currentRow();
    d->resume->setEnabled(!d->controller->busy() && row >= 0 && d->history->item(row, 2)->text() != "finished");
    d->resumeProcesses->setEnabled(d->resume->isEnabled() && d->resumeProcesses->maximum() > 1);
    d->notes->setEnabled(row >= 0);
    if (s == RunController::State::Paused) d->status->setText(tr("Paused"));
}

void Dashboard::recordRun(const QString& folder, const QString& status) {
    if (!d->project) return;
    const fs::path abs = folder.toStdString();
    std::error_code ec;
    fs::path stored = abs;
    const fs::path rel = fs::relative(abs, d->project->folder(), ec);
    if (!ec && !rel.empty() && rel.native().rfind("..", 0) != 0) stored = rel;
    ProjectRun* run = nullptr;
    for (auto& r : d->project->runs)
        if (fs::equivalent(d->project->resolve(r.folder), abs, ec)) run = &r;
    if (!run) {
        ProjectRun r;
        r.name = d->pendingName.isEmpty() ? QFileInfo(folder).fileName().toStdString() : d->pendingName.toStdString();
        r.folder = stored;
        r.method = d->pendingMethod.toStdString();
        if (r.method.empty()) {
            try {
                r.method = train::toString(readRunRequest(abs).config.method);
            } catch (const std::exception&) {
            }
        }
        d->project->runs.push_back(r);
        run = &d->project->runs.back();
    }
    run->status = status.toStdString();
    if (d->save) d->save();
    refreshHistory();
}

void Dashboard::onStarted(const QString& folder, bool resumed) {
    d->loss.clear();
    d->dice.clear();
    d->dice.chart->setTitle(tr("Validation Dice per domain"));
    d->progressCount = 0;
    d->bar->setRange(0, 1);
    d->bar->setValue(0);
    d->status->setText(resumed ? tr("Resuming %1").arg(QFileInfo(folder).fileName())
                               : tr("Starting %1").arg(QFileInfo(folder).fileName()));
    if (resumed) {
        // The curve so far, from the run folder, so that the resumed run stays one curve.
        for (const RunCurve& curve : lossCurves(readRunTable(runFolder(folder).metricsCsv())))
            for (const auto& [x, y] : curve.points) d->loss.add(QString::fromStdString(curve.name), x, y);
        d->loss.fitAxes();
    }
    recordRun(folder, "running");
    d->pendingName.clear();
    d->pendingMethod.clear();
    updateButtons();
}

bool Dashboard::showRun(const QString& folder) {
    if (d->controller->busy()) return false;
    const RunFolder run = runFolder(folder);
    d->loss.clear();
    d->dice.clear();
    double last = 1;
    for (const RunCurve& curve : lossCurves(readRunTable(run.metricsCsv())))
        if (curve.name != "ramp")
            for (const auto& [x, y] : curve.points) {
                d->loss.add(QString::fromStdString(curve.name), x, y);
                last = std::max(last, x);
            }
    for (const RunCurve& curve : validationCurves(readRunTable(run.validationCsv())))
        for (const auto& [x, y] : curve.points) {
            d->dice.add(QString::fromStdString(curve.name), x, y);
            last = std::max(last, x);
        }
    d->loss.setIterations(last);
    d->dice.setIterations(last);
    d->loss.fitAxes();
    d->dice.fitAxes();
    d->dice.y->setRange(0, 1);
    d->dice.chart->setTitle(d->dice.series.isEmpty() ? tr("Validation Dice per domain (none: the run did not validate)")
                                                     : tr("Validation Dice per domain"));
    // The bar shows how far the shown run got (done / planned), not an idle empty bar.
    const RunSummary summary = summariseRun(run);
    bool doneOk = false, plannedOk = false;
    const int done = QString::fromStdString(summary.iterationsDone).toInt(&doneOk);
    const int planned = QString::fromStdString(summary.iterationsPlanned).toInt(&plannedOk);
    d->bar->setRange(0, plannedOk && planned > 0 ? planned : std::max(1, doneOk ? done : 0));
    d->bar->setValue(doneOk ? std::min(done, d->bar->maximum()) : 0);
    const bool any = !d->loss.series.isEmpty() || !d->dice.series.isEmpty();
    d->status->setText(any ? tr("Curves of %1").arg(QFileInfo(folder).fileName())
                           : tr("%1 has no curves yet (no metrics.csv rows)").arg(QFileInfo(folder).fileName()));
    return any;
}

void Dashboard::onProgress(const ProgressSnapshot& p) {
    ++d->progressCount;
    if (d->bar->maximum() != int(p.total)) d->bar->setRange(0, int(p.total));
    d->bar->setValue(int(p.iteration));
    d->plotEvery = std::max<qint64>(1, p.total / 400);
    if (d->progressCount == 1) {
        d->loss.setIterations(double(p.total));
        d->dice.setIterations(double(p.total));
    }
    if (p.iteration % d->plotEvery == 0 || p.iteration == p.total) {
        for (auto it = p.losses.begin(); it != p.losses.end(); ++it)
            if (it.key() != "ramp") d->loss.add(it.key(), double(p.iteration), it.value());
        d->loss.fitAxes();
    }
    if (p.validated) {
        for (auto it = p.validationDice.begin(); it != p.validationDice.end(); ++it)
            d->dice.add(it.key(), double(p.iteration), it.value());
        d->dice.fitAxes();
        d->dice.y->setRange(0, 1);
    }
    if (d->controller->state() != RunController::State::Paused)
        d->status->setText(tr("Iteration %1 / %2").arg(p.iteration).arg(p.total));
    d->figures->setText(tr("%1 images/s   %2 s/iteration   ETA %3   learning rate %4   loss %5")
                            .arg(p.imagesPerSecond, 0, 'f', 1)
                            .arg(p.secondsPerIteration, 0, 'f', 3)
                            .arg(duration(p.etaSeconds))
                            .arg(p.lr, 0, 'g', 3)
                            .arg(p.losses.value("total", NAN), 0, 'f', 4));
}

void Dashboard::onFinished(const QString& folder, const QString& status, qint64 iterations, const QString& error) {
    d->status->setText(status == "failed"      ? tr("Failed: %1").arg(error)
                       : status == "cancelled" ? tr("Cancelled at iteration %1; resume it from the history").arg(iterations)
                                               : tr("Finished %1 iterations").arg(iterations));
    d->status->setToolTip(error);
    if (!error.isEmpty()) d->log->appendPlainText(error);
    recordRun(folder, status);
    updateButtons();
    Q_EMIT runFinished(folder, status);
}

void Dashboard::refreshHistory() {
    d->history->setSortingEnabled(false);
    d->history->setRowCount(0);
    if (!d->project) return;
    for (const auto& r : d->project->runs) {
        const QString folder = QString::fromStdString(d->project->resolve(r.folder).string());
        const RunSummary s = summariseRun(runFolder(folder));
        QStringList dice;
        for (const auto& [region, value] : s.meanDice)
            dice << QString("%1 %2").arg(qs(region), std::isfinite(value) ? QString::number(value, 'f', 3) : QString("-"));
        const int row = d->history->rowCount();
        d->history->insertRow(row);
        // Which centres the scores are on: runs scored on different test domains are not comparable.
        QStringList on;
        for (const auto& t : s.testDomains) on << qs(t);
        const QString scores =
            dice.isEmpty() ? QString("-") : dice.join("  ") + (on.isEmpty() ? QString() : tr("  on ") + on.join(", "));
        const QString iterations =
            s.iterationsPlanned.empty() ? qs(s.iterationsDone) : qs(s.iterationsDone) + " / " + qs(s.iterationsPlanned);
        const QStringList cells = {qs(r.name),   qs(r.method), qs(r.status), iterations,
                                   qs(s.preset), qs(s.size),   scores,       qs(s.notes).section('\n', 0, 0),
                                   folder};
        QStringList tip;
        for (const auto& [key, value] : s.train) tip << qs(key) + " = " + qs(value);
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            item->setToolTip(c == kNotesColumn && !s.notes.empty() ? qs(s.notes) : tip.join("\n"));
            d->history->setItem(row, c, item);
        }
    }
    d->history->resizeColumnsToContents();
    updateButtons();
}

bool Dashboard::compareRuns(const QString& runA, const QString& runB) {
    d->compare.clear();
    bool any = false;
    for (const QString& folder : {runA, runB}) {
        const QString name = QFileInfo(folder).fileName();
        const RunCurve total = metricsColumn(readRunTable(runFolder(folder).metricsCsv()), "total");
        for (const auto& [x, y] : total.points) {
            d->compare.add(name + " total loss", x, y);
            any = true;
        }
        // Validation: mean over classes and domains of the sub-model seen first, per iteration.
        for (const auto& [x, y] : validationMeanCurve(readRunTable(runFolder(folder).validationCsv())).points)
            d->compare.add(name + " validation Dice", x, y, true);
    }
    d->compare.fitAxes();
    d->tabs->setCurrentIndex(1);
    return any;
}

bool Dashboard::setRunNotes(const QString& folder, const QString& text) {
    try {
        writeRunNotes(runFolder(folder), text.toStdString());
    } catch (const std::exception& e) {
        d->status->setText(tr("Cannot save the notes: %1").arg(QString::fromUtf8(e.what())));
        return false;
    }
    refreshHistory();
    return true;
}

bool Dashboard::resumeRun(const QString& runFolder, int processes) {
    if (d->controller->busy()) return false;
    try {
        RunRequest req = readRunRequest(runFolder.toStdString());
        req.resume = true;
        const int before = req.localProcesses;
        if (processes > 0) req.localProcesses = processes;
        if (!d->controller->start(req)) return false;
        if (req.localProcesses != before) d->log->appendPlainText(worldSizeChangeNote(before, req.localProcesses));
        return true;
    } catch (const std::exception& e) {
        d->status->setText(tr("Cannot resume: %1").arg(QString::fromUtf8(e.what())));
        return false;
    }
}

int Dashboard::progressCount() const { return d->progressCount; }
QChart* Dashboard::lossChart() const { return d->loss.chart; }
QChart* Dashboard::diceChart() const { return d->dice.chart; }
QChart* Dashboard::compareChart() const { return d->compare.chart; }
QTableWidget* Dashboard::history() const { return d->history; }
QLabel* Dashboard::statusLabel() const { return d->status; }
QPushButton* Dashboard::pauseButton() const { return d->pause; }
QPushButton* Dashboard::cancelButton() const { return d->cancel; }
QPushButton* Dashboard::resumeButton() const { return d->resume; }
QSpinBox* Dashboard::resumeProcesses() const { return d->resumeProcesses; }
QPushButton* Dashboard::notesButton() const { return d->notes; }
QTabWidget* Dashboard::tabs() const { return d->tabs; }

}  // namespace dacw
