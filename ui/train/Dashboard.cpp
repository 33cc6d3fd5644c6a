#include "ui/train/Dashboard.h"

#include <cmath>

#include <QChart>
#include <QChartView>
#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineSeries>
#include <QMap>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
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

QString duration(double s)
{
    if (!std::isfinite(s) || s < 0)
        return "--:--";
    const long t = std::lround(s);
    return t >= 3600 ? QString("%1:%2:%3").arg(t / 3600).arg((t / 60) % 60, 2, 10, QChar('0')).arg(t % 60, 2, 10, QChar('0'))
                     : QString("%1:%2").arg(t / 60, 2, 10, QChar('0')).arg(t % 60, 2, 10, QChar('0'));
}

/// A chart with two value axes that grow to fit the points added.
struct Plot {
    QChart* chart = new QChart;
    QValueAxis* x = new QValueAxis;
    QValueAxis* y = new QValueAxis;
    QMap<QString, QLineSeries*> series;
    double xMax = 1, yMin = 0, yMax = 1;
    bool empty = true;

    explicit Plot(const QString& title, const QString& yTitle)
    {
        chart->setTitle(title);
        x->setTitleText(QObject::tr("iteration"));
        x->setLabelFormat("%d");
        y->setTitleText(yTitle);
        chart->addAxis(x, Qt::AlignBottom);
        chart->addAxis(y, Qt::AlignLeft);
        chart->legend()->setAlignment(Qt::AlignRight);
    }
    void clear()
    {
        chart->removeAllSeries();
        series.clear();
        xMax = 1;
        yMin = 0;
        yMax = 1;
        empty = true;
        x->setRange(0, 1);
        y->setRange(0, 1);
    }
    QLineSeries* line(const QString& name)
    {
        auto it = series.find(name);
        if (it != series.end())
            return *it;
        auto* s = new QLineSeries;
        s->setName(name);
        chart->addSeries(s);
        s->attachAxis(x);
        s->attachAxis(y);
        series.insert(name, s);
        return s;
    }
    void add(const QString& name, double ix, double v)
    {
        if (!std::isfinite(v))
            return;
        line(name)->append(ix, v);
        if (empty) {
            yMin = std::min(0.0, v);
            yMax = v;
            empty = false;
        }
        xMax = std::max(xMax, ix);
        yMin = std::min(yMin, v);
        yMax = std::max(yMax, v);
    }
    void fitAxes()
    {
        x->setRange(0, xMax);
        y->setRange(yMin, yMax > yMin ? yMax * 1.05 : yMin + 1);
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
    Plot compare{QObject::tr("Compare runs"), QObject::tr("total loss / Dice")};
    QProgressBar* bar = nullptr;
    QLabel* status = nullptr;
    QLabel* figures = nullptr;
    QPushButton* pause = nullptr;
    QPushButton* cancel = nullptr;
    QPushButton* resume = nullptr;
    QPushButton* compareButton = nullptr;
    QPushButton* notes = nullptr;
    QTableWidget* history = nullptr;
    QTabWidget* tabs = nullptr;
    QPlainTextEdit* log = nullptr;
    int progressCount = 0;
    qint64 plotEvery = 1;
    QString pendingName, pendingMethod;
};

Dashboard::Dashboard(RunController* controller, QWidget* parent) : QWidget(parent), d(std::make_unique<Private>())
{
    d->controller = controller;
    auto* layout = new QVBoxLayout(this);
    auto* top = new QHBoxLayout;
    d->status = new QLabel(tr("No run"));
    d->status->setObjectName("dashboardStatus");
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
        v->setMinimumHeight(220);
        return v;
    };
    auto* curves = new QSplitter(Qt::Horizontal);
    curves->addWidget(view(d->loss.chart));
    curves->addWidget(view(d->dice.chart));
    d->tabs->addTab(curves, tr("Curves"));
    d->tabs->addTab(view(d->compare.chart), tr("Compare"));
    d->log = new QPlainTextEdit;
    d->log->setReadOnly(true);
    d->log->setMaximumBlockCount(2000);
    d->tabs->addTab(d->log, tr("Log"));
    layout->addWidget(d->tabs, 3);

    d->history = new QTableWidget(0, kFolderColumn + 1);
    d->history->setObjectName("runHistory");
    d->history->setHorizontalHeaderLabels({tr("Run"), tr("Method"), tr("Status"), tr("Iterations"), tr("Preset"), tr("Size"),
                                           tr("Mean Dice"), tr("Notes"), tr("Folder")});
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
    historyButtons->addWidget(d->compareButton);
    historyBox->addLayout(historyButtons);
    historyBox->addWidget(d->history);
    layout->addLayout(historyBox, 2);

    connect(d->pause, &QPushButton::clicked, this, [this] {
        if (d->controller->state() == RunController::State::Paused)
            d->controller->resume();
        else
            d->controller->pause();
    });
    connect(d->cancel, &QPushButton::clicked, d->controller, &RunController::cancel);
    connect(d->resume, &QPushButton::clicked, this, [this] {
        const int row = d->history->currentRow();
        if (row >= 0)
            resumeRun(d->history->item(row, kFolderColumn)->text());
    });
    connect(d->notes, &QPushButton::clicked, this, [this] {
        const int row = d->history->currentRow();
        if (row < 0)
            return;
        const QString folder = d->history->item(row, kFolderColumn)->text();
        bool ok = false;
        const QString text = QInputDialog::getMultiLineText(this, tr("Notes on %1").arg(d->history->item(row, 0)->text()),
                                                            tr("Notes (saved in the run folder):"),
                                                            qs(readRunNotes(runFolder(folder))), &ok);
        if (ok)
            setRunNotes(folder, text);
    });
    connect(d->compareButton, &QPushButton::clicked, this, [this] {
        const auto sel = d->history->selectionModel()->selectedRows();
        if (sel.size() == 2)
            compareRuns(d->history->item(sel[0].row(), kFolderColumn)->text(),
                        d->history->item(sel[1].row(), kFolderColumn)->text());
        else
            d->status->setText(tr("Select two runs in the history to compare them"));
    });
    connect(d->history, &QTableWidget::itemSelectionChanged, this, &Dashboard::updateButtons);
    connect(controller, &RunController::started, this, &Dashboard::onStarted);
    connect(controller, &RunController::progress, this, &Dashboard::onProgress);
    connect(controller, &RunController::finished, this, &Dashboard::onFinished);
    connect(controller, &RunController::message, this, [this](const QString& m) { d->log->appendPlainText(m); });
    connect(controller, &RunController::stateChanged, this, &Dashboard::updateButtons);
    updateButtons();
}

Dashboard::~Dashboard() = default;

void Dashboard::setProject(Project* project, std::function<void()> save)
{
    d->project = project;
    d->save = std::move(save);
    refreshHistory();
}

void Dashboard::setPendingRunName(const QString& name, const QString& method)
{
    d->pendingName = name;
    d->pendingMethod = method;
}

void Dashboard::updateButtons()
{
    const auto s = d->controller->state();
    d->pause->setEnabled(s == RunController::State::Running || s == RunController::State::Paused);
    d->pause->setText(s == RunController::State::Paused ? tr("Continue") : tr("Pause"));
    d->cancel->setEnabled(s == RunController::State::Running || s == RunController::State::Paused);
    const int row = d->history->currentRow();
    d->resume->setEnabled(!d->controller->busy() && row >= 0 && d->history->item(row, 2)->text() != "finished");
    d->notes->setEnabled(row >= 0);
    if (s == RunController::State::Paused)
        d->status->setText(tr("Paused"));
}

void Dashboard::recordRun(const QString& folder, const QString& status)
{
    if (!d->project)
        return;
    const fs::path abs = folder.toStdString();
    std::error_code ec;
    fs::path stored = abs;
    const fs::path rel = fs::relative(abs, d->project->folder(), ec);
    if (!ec && !rel.empty() && rel.native().rfind("..", 0) != 0)
        stored = rel;
    ProjectRun* run = nullptr;
    for (auto& r : d->project->runs)
        if (fs::equivalent(d->project->resolve(r.folder), abs, ec))
            run = &r;
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
    if (d->save)
        d->save();
    refreshHistory();
}

void Dashboard::onStarted(const QString& folder, bool resumed)
{
    d->loss.clear();
    d->dice.clear();
    d->progressCount = 0;
    d->bar->setRange(0, 1);
    d->bar->setValue(0);
    d->status->setText(resumed ? tr("Resuming %1").arg(QFileInfo(folder).fileName()) : tr("Starting %1").arg(QFileInfo(folder).fileName()));
    if (resumed) {
        // The curve so far, from the run folder, so that the resumed run stays one curve.
        for (const RunCurve& curve : lossCurves(readRunTable(runFolder(folder).metricsCsv())))
            for (const auto& [x, y] : curve.points)
                d->loss.add(QString::fromStdString(curve.name), x, y);
        d->loss.fitAxes();
    }
    recordRun(folder, "running");
    d->pendingName.clear();
    d->pendingMethod.clear();
    updateButtons();
}

void Dashboard::onProgress(const ProgressSnapshot& p)
{
    ++d->progressCount;
    if (d->bar->maximum() != int(p.total))
        d->bar->setRange(0, int(p.total));
    d->bar->setValue(int(p.iteration));
    d->plotEvery = std::max<qint64>(1, p.total / 400);
    if (p.iteration % d->plotEvery == 0 || p.iteration == p.total) {
        for (auto it = p.losses.begin(); it != p.losses.end(); ++it)
            if (it.key() != "ramp")
                d->loss.add(it.key(), double(p.iteration), it.value());
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

void Dashboard::onFinished(const QString& folder, const QString& status, qint64 iterations, const QString& error)
{
    d->status->setText(status == "failed" ? tr("Failed: %1").arg(error)
                       : status == "cancelled" ? tr("Cancelled at iteration %1; resume it from the history").arg(iterations)
                                               : tr("Finished %1 iterations").arg(iterations));
    if (!error.isEmpty())
        d->log->appendPlainText(error);
    recordRun(folder, status);
    updateButtons();
    Q_EMIT runFinished(folder, status);
}

void Dashboard::refreshHistory()
{
    d->history->setSortingEnabled(false);
    d->history->setRowCount(0);
    if (!d->project)
        return;
    for (const auto& r : d->project->runs) {
        const QString folder = QString::fromStdString(d->project->resolve(r.folder).string());
        const RunSummary s = summariseRun(runFolder(folder));
        QStringList dice;
        for (const auto& [region, value] : s.meanDice)
            dice << QString("%1 %2").arg(qs(region), std::isfinite(value) ? QString::number(value, 'f', 3) : QString("-"));
        const int row = d->history->rowCount();
        d->history->insertRow(row);
        const QStringList cells = {qs(r.name), qs(r.method), qs(r.status), qs(s.iterationsDone) + " / " + qs(s.iterationsPlanned),
                                   qs(s.preset), qs(s.size), dice.join("  "),
                                   qs(s.notes).section('\n', 0, 0), folder};
        QStringList tip;
        for (const auto& [key, value] : s.train)
            tip << qs(key) + " = " + qs(value);
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            item->setToolTip(c == kNotesColumn && !s.notes.empty() ? qs(s.notes) : tip.join("\n"));
            d->history->setItem(row, c, item);
        }
    }
    d->history->resizeColumnsToContents();
    updateButtons();
}

bool Dashboard::compareRuns(const QString& runA, const QString& runB)
{
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
            d->compare.add(name + " validation Dice", x, y);
    }
    d->compare.fitAxes();
    d->tabs->setCurrentIndex(1);
    return any;
}

bool Dashboard::setRunNotes(const QString& folder, const QString& text)
{
    try {
        writeRunNotes(runFolder(folder), text.toStdString());
    } catch (const std::exception& e) {
        d->status->setText(tr("Cannot save the notes: %1").arg(QString::fromUtf8(e.what())));
        return false;
    }
    refreshHistory();
    return true;
}

bool Dashboard::resumeRun(const QString& runFolder)
{
    if (d->controller->busy())
        return false;
    try {
        RunRequest req = readRunRequest(runFolder.toStdString());
        req.resume = true;
        return d->controller->start(req);
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
QPushButton* Dashboard::notesButton() const { return d->notes; }
QTabWidget* Dashboard::tabs() const { return d->tabs; }

}  // namespace dacw
