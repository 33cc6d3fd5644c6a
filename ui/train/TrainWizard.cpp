#include "ui/train/TrainWizard.h"
#include "ui/train/wizard/WizardPages.h"

#include <QMetaObject>

#include <chrono>
#include <cmath>
#include <set>
#include <thread>

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QApplication>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPointer>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QAbstractButton>
#include <QButtonGroup>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QVBoxLayout>
#include <QWizardPage>

#include "core/train/Errors.h"
#include "core/train/Presets.h"
#include "core/train/Progress.h"
#include "core/train/TrainConfig.h"
#include "core/dataset/Domain.h"
#include "core/image/ImageIO.h"
#include "core/pipeline/LabeledSubset.h"
#include "core/pipeline/RunFolder.h"
#include "core/util/Errors.h"

namespace fs = std::filesystem;

namespace dacw {

struct TrainWizard::Private : WizardState {};

TrainWizard::TrainWizard(const Project& project, const QString& runsRoot, QWidget* parent)
    : QWizard(parent), d(std::make_unique<Private>()) {
    d->project = project;
    d->runsRoot = runsRoot.isEmpty() ? QString::fromStdString((project.folder() / "runs").string()) : runsRoot;
    setWindowTitle(tr("New training run"));
    setWizardStyle(QWizard::ClassicStyle);
    setOption(QWizard::NoBackButtonOnStartPage);
    setButtonText(QWizard::FinishButton, tr("Launch"));
    for (const auto& pd : project.domains) {
        Domain dom;
        try {
            dom = scanDomain(project.resolve(pd.root));
        } catch (const std::exception&) {
            dom.root = project.resolve(pd.root);
        }
        dom.name = pd.name;
        d->domains.push_back(std::move(dom));
    }

    auto* taskPage = makeTaskPage(this, d.get());
    auto* labeledPage = makeLabeledPage(this, d.get());
    auto* unlabeledPage = makeUnlabeledPage(this, d.get());
    auto* testPage = makeTestPage(this, d.get());
    auto* methodPage = makeMethodPage(this, d.get());
    auto* presetPage = makePresetPage(this, d.get());
    auto* summaryPage = makeSummaryPage(this, d.get());

    d->pages = {taskPage, labeledPage, unlabeledPage, testPage, methodPage, presetPage, summaryPage};
    for (int i = 0; i < d->pages.size(); ++i) setPage(i, d->pages[i]);
    rememberLastRun();
    resize(760, 560);
}

void TrainWizard::rememberLastRun() {
    // A researcher changes one thing between runs: start from the newest run whose request can be
    // read (its method, preset, labeled domain, unlabeled folders and test domains).
    for (auto it = d->project.runs.rbegin(); it != d->project.runs.rend(); ++it) {
        RunRequest last;
        try {
            last = readRunRequest(d->project.resolve(it->folder));
        } catch (const std::exception&) {
            continue;
        }
        d->rememberedRun = QString::fromStdString(it->name);
        const QString method = QString::fromStdString(train::toString(last.config.method));
        if (last.preset == "calibrate") {
            // A calibration again: the same source run, when it is still listed.
            d->calibrate->setChecked(true);
            const fs::path source = fs::path(last.config.initModel).parent_path();
            for (int i = 0; i < d->calibrateFrom->count(); ++i)
                if (sameFolder(d->calibrateFrom->itemData(i).toString().toStdString(), source))
                    d->calibrateFrom->setCurrentIndex(i);
        } else {
            for (QAbstractButton* b : d->method->buttons())
                if (b != d->calibrate && b->property("method").toString() == method) {
                    b->setChecked(true);
                    break;
                }
        }
        if (const int i = d->preset->findText(QString::fromStdString(last.preset)); i >= 0) d->preset->setCurrentIndex(i);
        d->processes->setValue(std::min(last.localProcesses, d->processes->maximum()));
        for (int i = 0; i < int(d->project.domains.size()); ++i)
            if (sameFolder(d->project.resolve(d->project.domains[std::size_t(i)].root), last.labeledDir))
                d->labeledDomain->setCurrentIndex(i);
        std::error_code ec;
        for (const auto& u : last.unlabeledDirs)
            if (fs::is_directory(u, ec)) addUnlabeledFolder(QString::fromStdString(u.string()));
        d->rememberedTests = last.testDirs;
        // Its labeled centre's unticked cases were tested (buildRequest links them as a test folder).
        d->rememberedTestUnticked = std::any_of(last.testDirs.begin(), last.testDirs.end(), isHeldOutSubset);
        return;
    }
}

QString TrainWizard::rememberedRun() const { return d->rememberedRun; }

TrainWizard::~TrainWizard() {
    d->estimator.reset();  // cancels and joins a measurement under way
}

bool TrainWizard::addUnlabeledFolder(const QString& folder) {
    UnlabeledFolder u;
    u.dir = fs::absolute(folder.toStdString());
    u.name = QFileInfo(folder).fileName();
    QIcon icon;
    try {
        std::error_code ec;
        if (!fs::is_directory(u.dir, ec))
            throw std::runtime_error(tr("the folder does not exist or cannot be read").toStdString());
        Domain dom = scanDomain(u.dir);
        u.cases = int(dom.cases.size());
        if (dom.cases.empty()) throw std::runtime_error(tr("the folder holds no image").toStdString());
        if (sameFolder(u.dir, d->labeledDir())) throw std::runtime_error(tr("it is the labeled domain").toStdString());
        for (const auto& o : d->unlabeled)
            if (sameFolder(o.dir, u.dir)) throw std::runtime_error(tr("it is listed already").toStdString());
        u.summary = tr("checking the images...");
        validateUnlabeledFolder(dom, u.dir);
        QImage thumb(QString::fromStdString(dom.cases.front().image.string()));
        if (!thumb.isNull())
            icon = QIcon(QPixmap::fromImage(thumb.scaled(48, 48, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
    } catch (const std::exception& e) {
        u.problem = QString::fromUtf8(e.what());
    }
    auto* item = new QListWidgetItem(icon, u.problem.isEmpty() ? tr("%1 - %2 cases - %3").arg(u.name).arg(u.cases).arg(u.summary)
                                                               : tr("%1 - refused: %2").arg(u.name, u.problem));
    item->setToolTip(QString::fromStdString(u.dir.string()));
    if (!u.problem.isEmpty()) item->setForeground(QColor(176, 0, 32));
    d->unlabeledList->addItem(item);
    const bool ok = u.problem.isEmpty();
    d->unlabeled.push_back(std::move(u));
    d->pages[UnlabeledPage]->recheck();
    if (d->unlabeledChanged) d->unlabeledChanged();
    return ok;
}

void TrainWizard::validateUnlabeledFolder(const Domain& dom, const std::filesystem::path& listed) {
    // Reading every header of a folder takes a while: off the GUI thread; the result replaces the
    // folder's summary if it is still listed (problems are reported, not refused).
    QPointer<TrainWizard> self(this);
    std::thread([self, dom, listed, task = d->taskValue()] {
        QString summary;
        try {
            const ValidationReport rep = validateDomain(dom, task);
            summary =
                rep.ok()
                    ? tr("all %1 images readable").arg(rep.cases)
                    : tr("%1 problem(s), e.g. %2").arg(rep.issues.size()).arg(QString::fromStdString(rep.issues.front().message));
            // Masks in an unlabeled folder are not used: say so rather than refuse.
            if (rep.labeled > 0) summary += tr("; its %1 masks are ignored here").arg(rep.labeled);
        } catch (const std::exception& e) {
            summary = tr("could not be checked: %1").arg(QString::fromUtf8(e.what()));
        }
        QMetaObject::invokeMethod(
            qApp,
            [self, dir = listed, summary] {
                if (!self) return;
                auto& list = self->d->unlabeled;
                for (std::size_t i = 0; i < list.size(); ++i)
                    if (list[i].dir == dir && list[i].problem.isEmpty()) {
                        list[i].summary = summary;
                        self->d->unlabeledList->item(int(i))->setText(
                            tr("%1 - %2 cases - %3").arg(list[i].name).arg(list[i].cases).arg(summary));
                    }
                Q_EMIT self->unlabeledFolderChecked(QString::fromStdString(dir.string()));
            },
            Qt::QueuedConnection);
    }).detach();
}

void TrainWizard::removeUnlabeledFolder(int row) {
    if (row < 0 || row >= int(d->unlabeled.size())) return;
    d->unlabeled.erase(d->unlabeled.begin() + row);
    delete d->unlabeledList->takeItem(row);
    d->pages[UnlabeledPage]->recheck();
    if (d->unlabeledChanged) d->unlabeledChanged();
}

void TrainWizard::setTrainOption(const QString& key, const QString& value) {
    d->overrides[key] = value;
    for (int r = 0; r < d->options->rowCount(); ++r)
        if (d->options->item(r, 0)->text() == key) {
            d->fillingOptions = true;
            d->options->item(r, 1)->setText(value);
            d->fillingOptions = false;
        }
    d->pages[PresetPage]->recheck();
}

QString TrainWizard::runName() const { return d->runName->text().trimmed(); }
QString TrainWizard::methodName() const { return QString::fromStdString(train::toString(d->methodValue())); }
double TrainWizard::estimatedSeconds() const { return d->estimateSeconds; }
QString TrainWizard::pageError(int id) const {
    return id >= 0 && id < d->pages.size() ? d->pages[id]->currentError() : QString();
}

RunRequest TrainWizard::buildRequest(const QString& outDir) {
    RunRequest r;
    r.task = d->taskValue();
    r.config = d->config();
    r.preset = d->calibrating() ? "calibrate" : d->preset->currentText().toStdString();
    r.localProcesses = d->processes->value();
    r.outDir = outDir.isEmpty() ? fs::path(d->runsRoot.toStdString()) / runName().toStdString() : fs::path(outDir.toStdString());
    // A calibration trains on labeled cases only: unlabeled folders would be read for nothing.
    if (!d->calibrating())
        for (const auto& u : d->unlabeled) r.unlabeledDirs.push_back(u.dir);
    r.testDirs = d->checkedDirs(d->testList);
    r.validationDirs = d->checkedDirs(d->validationList);
    const Domain* dom = d->domainNamed(d->labeledDomain->currentText());
    if (!dom) throw InputError("No labeled domain chosen");
    // Every dataset-masked case chosen: train on the folder itself. Otherwise a folder of links
    // holds the chosen images with their dataset masks or workbench labels.
    bool whole = d->checkedCases() == int(dom->labeledCount());
    for (int i = 0; i < d->labeledCases->count(); ++i)
        whole = whole && d->labeledCases->item(i)->checkState() == Qt::Checked &&
                !d->labeledCases->item(i)->data(Qt::UserRole + 1).toBool();
    if (whole) {
        r.labeledDir = dom->root;
        r.labeledCount = 0;
        if (d->calibrating()) replaySourceCases(r, d->calibrationRun());
        return r;
    }
    std::vector<SubsetCase> chosen;
    std::vector<std::string> leftOut;
    for (int i = 0; i < d->labeledCases->count(); ++i) {
        const auto* item = d->labeledCases->item(i);
        const std::string id = item->data(Qt::UserRole).toString().toStdString();
        if (item->checkState() != Qt::Checked) {
            leftOut.push_back(id);
            continue;
        }
        // A workbench label trains instead of the dataset mask (if it went away since the page
        // listed it, the dataset mask, or nothing).
        chosen.push_back({id, item->data(Qt::UserRole + 1).toBool() ? d->project.workbenchLabel(dom->name, id) : fs::path()});
    }
    // Tested: every masked case left out is linked, and scored as a test domain. Otherwise,
    // without validation domains, up to 16 of them validate (as executeRun does).
    const bool testLeftOut = d->testingUnticked();
    const int held = testLeftOut ? int(leftOut.size()) : r.validationDirs.empty() ? 16 : 0;
    const LabeledSubset subset = linkLabeledSubset(*dom, chosen, leftOut, r.outDir, held);
    r.labeledDir = subset.labeledDir;
    r.labeledCount = subset.count;
    if (!subset.heldOutDir.empty()) (testLeftOut ? r.testDirs : r.validationDirs).push_back(subset.heldOutDir);
    if (d->calibrating()) replaySourceCases(r, d->calibrationRun());
    return r;
}

}  // namespace dacw
