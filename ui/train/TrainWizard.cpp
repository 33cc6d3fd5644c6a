#include "ui/train/TrainWizard.h"

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
#include <QTableWidget>
#include <QTemporaryDir>
#include <QVBoxLayout>
#include <QWizardPage>

#include "core/train/Errors.h"
#include "core/train/Presets.h"
#include "core/train/Progress.h"
#include "core/train/TrainConfig.h"
#include "dataset/Domain.h"
#include "image/ImageIO.h"
#include "pipeline/LabeledSubset.h"
#include "util/Errors.h"

namespace fs = std::filesystem;

namespace dacw {

namespace {

/// A page whose validity is a function: the reason it is invalid is shown on the page and
/// keeps Next disabled.
class CheckedPage : public QWizardPage {
public:
    std::function<QString()> check;
    std::function<void()> onEnter;
    QLabel* error = nullptr;

    CheckedPage(const QString& title, const QString& subTitle)
    {
        setTitle(title);
        setSubTitle(subTitle);
        auto* layout = new QVBoxLayout(this);
        error = new QLabel;
        error->setObjectName("pageError");
        error->setWordWrap(true);
        error->setStyleSheet("QLabel { color: #b00020; font-weight: bold; }");
        error->hide();
        layout->addStretch();
        layout->addWidget(error);
    }
    /// Adds content above the error line.
    void addContent(QWidget* w, int stretch = 0)
    {
        auto* layout = static_cast<QVBoxLayout*>(this->layout());
        layout->insertWidget(layout->count() - 2, w, stretch);
    }
    QString currentError() const { return check ? check() : QString(); }
    bool isComplete() const override
    {
        const QString e = currentError();
        error->setText(e);
        error->setVisible(!e.isEmpty());
        return e.isEmpty();
    }
    void recheck() { Q_EMIT completeChanged(); }
    void initializePage() override
    {
        if (onEnter)
            onEnter();
        recheck();
    }
};

bool sameFolder(const fs::path& a, const fs::path& b)
{
    std::error_code ec;
    return fs::equivalent(a, b, ec);
}

QString duration(double s)
{
    if (s < 90)
        return QObject::tr("%1 s").arg(std::lround(s));
    if (s < 5400)
        return QObject::tr("%1 min").arg(std::lround(s / 60));
    return QObject::tr("%1 h %2 min").arg(long(s / 3600)).arg(std::lround(std::fmod(s, 3600) / 60));
}

struct UnlabeledFolder {
    fs::path dir;
    QString name;
    int cases = 0;
    QString problem;   // non-empty: refused
    QString summary;   // validation summary
};

}  // namespace

struct TrainWizard::Private {
    Project project;
    QString runsRoot;
    QList<CheckedPage*> pages;
    std::vector<Domain> domains;           // scanned project domains (empty cases when unreadable)
    // task
    QComboBox* task = nullptr;
    QLineEdit* customLabels = nullptr;
    QSpinBox* customChannels = nullptr;
    // labeled
    QComboBox* labeledDomain = nullptr;
    QListWidget* labeledCases = nullptr;
    // unlabeled
    std::vector<UnlabeledFolder> unlabeled;
    QListWidget* unlabeledList = nullptr;
    QComboBox* projectDomainToAdd = nullptr;
    // test and validation
    QListWidget* testList = nullptr;
    QListWidget* validationList = nullptr;
    // method
    QButtonGroup* method = nullptr;
    // preset and options
    QComboBox* preset = nullptr;
    QLineEdit* runName = nullptr;
    QGroupBox* advanced = nullptr;
    QTableWidget* options = nullptr;
    QMap<QString, QString> overrides;
    bool fillingOptions = false;
    // summary
    QLabel* summary = nullptr;
    QLabel* estimate = nullptr;
    double estimateSeconds = -1;
    std::shared_ptr<std::atomic<bool>> estimateCancel;
    std::thread estimateThread;
    std::unique_ptr<QTemporaryDir> estimateDir;

    Task taskValue() const
    {
        const QString name = task->currentData().toString();
        if (name != "custom")
            return Task::byName(name.toStdString());
        Task t;
        t.name = "custom";
        t.description = "custom labels";
        t.channels = customChannels->value();
        std::uint8_t v = 1;
        for (const QString& n : customLabels->text().split(',', Qt::SkipEmptyParts)) {
            const QString s = n.trimmed();
            if (s.isEmpty())
                continue;
            t.labels.push_back({s.toStdString(), v, {255, 0, 0}});
            t.regions.push_back({s.toStdString(), {v}});
            ++v;
        }
        return t;
    }
    const Domain* domainNamed(const QString& name) const
    {
        for (const auto& dom : domains)
            if (QString::fromStdString(dom.name) == name)
                return &dom;
        return nullptr;
    }
    fs::path labeledDir() const
    {
        const Domain* dom = domainNamed(labeledDomain->currentText());
        return dom ? dom->root : fs::path();
    }
    std::vector<fs::path> checkedDirs(QListWidget* list) const
    {
        std::vector<fs::path> out;
        for (int i = 0; i < list->count(); ++i)
            if (list->item(i)->checkState() == Qt::Checked)
                out.push_back(list->item(i)->data(Qt::UserRole).toString().toStdString());
        return out;
    }
    int checkedCases() const
    {
        int n = 0;
        for (int i = 0; i < labeledCases->count(); ++i)
            n += labeledCases->item(i)->checkState() == Qt::Checked;
        return n;
    }
    train::Method methodValue() const
    {
        auto* b = method->checkedButton();
        return train::parseMethod(b ? b->property("method").toString().toStdString() : "dac");
    }
    /// The configuration: preset, then the edits made under "advanced". Throws ConfigError.
    train::TrainConfig config() const
    {
        train::TrainConfig c;
        train::applyPreset(c, preset->currentText().toStdString());
        c.method = methodValue();
        for (auto it = overrides.begin(); it != overrides.end(); ++it)
            train::applyOption(c, it.key().toStdString(), it.value().toStdString());
        c.method = methodValue();
        return c;
    }
};

TrainWizard::TrainWizard(const Project& project, const QString& runsRoot, QWidget* parent)
    : QWizard(parent), d(std::make_unique<Private>())
{
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

    // --- task ---------------------------------------------------------------------------
    auto* taskPage = new CheckedPage(tr("Task"), tr("What the network segments. A preset task knows its labels and the "
                                                     "regions evaluation reports."));
    {
        auto* box = new QWidget;
        auto* form = new QFormLayout(box);
        d->task = new QComboBox;
        d->task->setObjectName("taskCombo");
        d->task->addItem(tr("Fundus: optic disc and cup"), "fundus");
        d->task->addItem(tr("Colonoscopy: polyp"), "polyp");
        d->task->addItem(tr("Spinal cord grey matter (MRI)"), "scgm");
        d->task->addItem(tr("Custom labels"), "custom");
        const int cur = d->task->findData(QString::fromStdString(project.task.name));
        d->task->setCurrentIndex(cur >= 0 ? cur : 0);
        d->customLabels = new QLineEdit;
        d->customLabels->setObjectName("customLabels");
        d->customLabels->setPlaceholderText(tr("label names separated by commas, e.g. lesion, oedema"));
        d->customChannels = new QSpinBox;
        d->customChannels->setRange(1, 3);
        d->customChannels->setValue(3);
        form->addRow(tr("Task"), d->task);
        form->addRow(tr("Custom labels"), d->customLabels);
        form->addRow(tr("Input channels"), d->customChannels);
        taskPage->addContent(box);
        auto sync = [this, taskPage] {
            const bool custom = d->task->currentData().toString() == "custom";
            d->customLabels->setEnabled(custom);
            d->customChannels->setEnabled(custom);
            taskPage->recheck();
        };
        connect(d->task, &QComboBox::currentIndexChanged, this, sync);
        connect(d->customLabels, &QLineEdit::textChanged, this, sync);
        sync();
        taskPage->check = [this] {
            if (d->task->currentData().toString() == "custom" && d->taskValue().labels.empty())
                return tr("Name at least one label for a custom task.");
            return QString();
        };
    }

    // --- labeled cases ------------------------------------------------------------------
    auto* labeledPage = new CheckedPage(tr("Labeled domain"),
                                        tr("The domain whose labels supervise training, and which of its labeled cases to use "
                                           "(dataset masks and labels painted in the workbench)."));
    {
        auto* box = new QWidget;
        auto* v = new QVBoxLayout(box);
        d->labeledDomain = new QComboBox;
        d->labeledDomain->setObjectName("labeledDomain");
        int preferred = 0;
        for (std::size_t i = 0; i < project.domains.size(); ++i) {
            d->labeledDomain->addItem(QString::fromStdString(project.domains[i].name));
            if (project.domains[i].role == "labeled" && preferred == 0)
                preferred = int(i);
        }
        d->labeledDomain->setCurrentIndex(preferred);
        d->labeledCases = new QListWidget;
        d->labeledCases->setObjectName("labeledCases");
        auto* buttons = new QHBoxLayout;
        auto* all = new QPushButton(tr("All"));
        auto* none = new QPushButton(tr("None"));
        buttons->addWidget(new QLabel(tr("Domain")));
        buttons->addWidget(d->labeledDomain, 1);
        buttons->addWidget(all);
        buttons->addWidget(none);
        v->addLayout(buttons);
        v->addWidget(d->labeledCases, 1);
        labeledPage->addContent(box, 1);
        auto fill = [this, labeledPage] {
            d->labeledCases->clear();
            const Domain* dom = d->domainNamed(d->labeledDomain->currentText());
            if (dom)
                for (const auto& c : dom->cases) {
                    const bool painted = !d->project.workbenchLabel(dom->name, c.id).empty();
                    if (!c.hasMask() && !painted)
                        continue;
                    auto* item = new QListWidgetItem(QString::fromStdString(c.id) + "   " +
                                                     (painted ? tr("(workbench label)") : tr("(dataset mask)")));
                    item->setData(Qt::UserRole, QString::fromStdString(c.id));
                    item->setData(Qt::UserRole + 1, painted);
                    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
                    item->setCheckState(Qt::Checked);
                    d->labeledCases->addItem(item);
                }
            labeledPage->recheck();
        };
        connect(d->labeledDomain, &QComboBox::currentIndexChanged, this, fill);
        connect(d->labeledCases, &QListWidget::itemChanged, labeledPage, &CheckedPage::recheck);
        auto setAll = [this](bool on) {
            for (int i = 0; i < d->labeledCases->count(); ++i)
                d->labeledCases->item(i)->setCheckState(on ? Qt::Checked : Qt::Unchecked);
        };
        connect(all, &QPushButton::clicked, this, [setAll] { setAll(true); });
        connect(none, &QPushButton::clicked, this, [setAll] { setAll(false); });
        fill();
        labeledPage->check = [this] {
            if (d->project.domains.empty())
                return tr("The project has no domain: add the labeled folder to the project first.");
            if (d->labeledCases->count() == 0)
                return tr("The domain %1 has no labeled case (no dataset mask and no workbench label). Choose another "
                          "domain or label a few cases first.")
                    .arg(d->labeledDomain->currentText());
            if (d->checkedCases() == 0)
                return tr("No labeled case is selected: tick at least one.");
            return QString();
        };
    }

    // --- unlabeled folders ----------------------------------------------------------------
    auto* unlabeledPage = new CheckedPage(tr("Unlabeled multi-centre folders"),
                                          tr("Images from other centres, without labels. Each folder is one domain; DAC learns "
                                             "from their images to generalise across centres."));
    {
        auto* box = new QWidget;
        auto* v = new QVBoxLayout(box);
        d->unlabeledList = new QListWidget;
        d->unlabeledList->setObjectName("unlabeledFolders");
        d->unlabeledList->setIconSize(QSize(48, 48));
        auto* buttons = new QHBoxLayout;
        auto* addFolder = new QPushButton(tr("Add folder..."));
        d->projectDomainToAdd = new QComboBox;
        for (const auto& pd : project.domains)
            d->projectDomainToAdd->addItem(QString::fromStdString(pd.name), QString::fromStdString(project.resolve(pd.root).string()));
        auto* addDomain = new QPushButton(tr("Add project domain"));
        auto* remove = new QPushButton(tr("Remove"));
        buttons->addWidget(addFolder);
        buttons->addWidget(d->projectDomainToAdd, 1);
        buttons->addWidget(addDomain);
        buttons->addWidget(remove);
        v->addLayout(buttons);
        v->addWidget(d->unlabeledList, 1);
        unlabeledPage->addContent(box, 1);
        connect(addFolder, &QPushButton::clicked, this, [this] {
            const QString dir = QFileDialog::getExistingDirectory(this, tr("Unlabeled folder"));
            if (!dir.isEmpty())
                addUnlabeledFolder(dir);
        });
        connect(addDomain, &QPushButton::clicked, this,
                [this] { addUnlabeledFolder(d->projectDomainToAdd->currentData().toString()); });
        connect(remove, &QPushButton::clicked, this, [this] { removeUnlabeledFolder(d->unlabeledList->currentRow()); });
        unlabeledPage->check = [this] {
            for (const auto& u : d->unlabeled)
                if (!u.problem.isEmpty())
                    return tr("%1: %2. Remove it to continue.").arg(u.name, u.problem);
            return QString();
        };
    }

    // --- test and validation domains --------------------------------------------------------
    auto* testPage = new CheckedPage(tr("Test and validation domains"),
                                     tr("Labeled domains held out from training. Test domains are scored at the end (Dice, "
                                        "HD95); validation domains choose the sub-model and draw the validation curves."));
    {
        auto* box = new QWidget;
        auto* h = new QHBoxLayout(box);
        auto list = [&](const QString& title, const char* name) {
            auto* g = new QGroupBox(title);
            auto* gv = new QVBoxLayout(g);
            auto* l = new QListWidget;
            l->setObjectName(name);
            gv->addWidget(l);
            h->addWidget(g);
            return l;
        };
        d->testList = list(tr("Test domains"), "testDomains");
        d->validationList = list(tr("Validation domains"), "validationDomains");
        testPage->addContent(box, 1);
        testPage->onEnter = [this] {
            // Offer every project domain with masks that is neither the labeled one nor unlabeled.
            auto keep = [](QListWidget* l) {
                QSet<QString> on;
                for (int i = 0; i < l->count(); ++i)
                    if (l->item(i)->checkState() == Qt::Checked)
                        on << l->item(i)->text();
                return on;
            };
            const QSet<QString> testOn = keep(d->testList), valOn = keep(d->validationList);
            const bool first = d->testList->count() == 0;
            d->testList->clear();
            d->validationList->clear();
            for (const auto& dom : d->domains) {
                if (dom.labeledCount() == 0)
                    continue;
                const QString name = QString::fromStdString(dom.name);
                for (QListWidget* l : {d->testList, d->validationList}) {
                    auto* item = new QListWidgetItem(QString("%1").arg(name));
                    item->setToolTip(tr("%1 labeled cases in %2").arg(dom.labeledCount()).arg(QString::fromStdString(dom.root.string())));
                    item->setData(Qt::UserRole, QString::fromStdString(dom.root.string()));
                    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
                    bool on = l == d->testList ? testOn.contains(name) : valOn.contains(name);
                    if (first && l == d->testList) {
                        // Default: test on every labeled domain that is not used for training.
                        on = !sameFolder(dom.root, d->labeledDir());
                        for (const auto& u : d->unlabeled)
                            on = on && !sameFolder(u.dir, dom.root);
                    }
                    item->setCheckState(on ? Qt::Checked : Qt::Unchecked);
                    l->addItem(item);
                }
            }
        };
        connect(d->testList, &QListWidget::itemChanged, testPage, &CheckedPage::recheck);
        connect(d->validationList, &QListWidget::itemChanged, testPage, &CheckedPage::recheck);
        testPage->check = [this] {
            std::vector<fs::path> unlabeled;
            for (const auto& u : d->unlabeled)
                unlabeled.push_back(u.dir);
            // The same rule executeRun enforces (pipeline/LabeledSubset.h).
            return QString::fromStdString(
                heldOutProblem(d->labeledDir(), unlabeled, d->checkedDirs(d->testList), d->checkedDirs(d->validationList)));
        };
    }

    // --- method -----------------------------------------------------------------------------
    auto* methodPage = new CheckedPage(tr("Method"), tr("DAC co-trains two sub-models with cross pseudo supervision, feature "
                                                         "supervision and auxiliary tasks. Supervised and CPS train baselines "
                                                         "for comparison."));
    {
        auto* box = new QWidget;
        auto* v = new QVBoxLayout(box);
        d->method = new QButtonGroup(this);
        auto radio = [&](const QString& text, const char* m, QLayout* into) {
            auto* r = new QRadioButton(text);
            r->setObjectName(QString("method-") + m);
            r->setProperty("method", m);
            d->method->addButton(r);
            into->addWidget(r);
            return r;
        };
        radio(tr("DAC (dual auxiliary consistency) - recommended"), "dac", v)->setChecked(true);
        radio(tr("Supervised only (labeled cases, no unlabeled folders)"), "supervised", v);
        radio(tr("CPS (cross pseudo supervision)"), "cps", v);
        auto* adv = new QGroupBox(tr("Advanced: ablations of DAC"));
        adv->setCheckable(true);
        adv->setChecked(false);
        auto* av = new QVBoxLayout(adv);
        radio(tr("DAC without feature supervision"), "dac-no-feat", av);
        radio(tr("DAC without auxiliary heads"), "dac-no-aux", av);
        radio(tr("DAC with symmetric auxiliary heads"), "dac-sym-aux", av);
        v->addWidget(adv);
        methodPage->addContent(box);
        connect(d->method, &QButtonGroup::buttonClicked, methodPage, &CheckedPage::recheck);
        methodPage->check = [this] {
            const train::Method m = d->methodValue();
            if (train::partsOf(m).coTraining && d->unlabeled.empty())
                return tr("%1 learns from unlabeled folders, and none was added: add one (back to the unlabeled page) or "
                          "choose Supervised.")
                    .arg(QString::fromStdString(train::toString(m)));
            return QString();
        };
    }

    // --- preset and options -------------------------------------------------------------------
    auto* presetPage = new CheckedPage(tr("Preset"), tr("Quick runs in minutes on a laptop's CPU; paper is the published scale "
                                                         "for a GPU. Every option can be changed under Advanced."));
    {
        auto* box = new QWidget;
        auto* v = new QVBoxLayout(box);
        auto* form = new QFormLayout;
        d->preset = new QComboBox;
        d->preset->setObjectName("presetCombo");
        for (const auto& p : train::presetNames())
            d->preset->addItem(QString::fromStdString(p));
        d->runName = new QLineEdit;
        d->runName->setObjectName("runName");
        int n = int(project.runs.size()) + 1;
        QString name;
        do {
            name = QString("run-%1").arg(n++, 3, 10, QChar('0'));
        } while (QDir(d->runsRoot).exists(name));
        d->runName->setText(name);
        form->addRow(tr("Preset"), d->preset);
        form->addRow(tr("Run name"), d->runName);
        v->addLayout(form);
        d->advanced = new QGroupBox(tr("Advanced: every option"));
        d->advanced->setCheckable(true);
        d->advanced->setChecked(false);
        auto* av = new QVBoxLayout(d->advanced);
        d->options = new QTableWidget(0, 2);
        d->options->setObjectName("options");
        d->options->setHorizontalHeaderLabels({tr("Option"), tr("Value")});
        d->options->horizontalHeader()->setStretchLastSection(true);
        d->options->verticalHeader()->hide();
        d->options->setVisible(false);
        av->addWidget(d->options);
        v->addWidget(d->advanced, 1);
        presetPage->addContent(box, 1);
        connect(d->advanced, &QGroupBox::toggled, d->options, &QWidget::setVisible);
        auto fillOptions = [this, presetPage] {
            d->fillingOptions = true;
            train::TrainConfig c;
            train::applyPreset(c, d->preset->currentText().toStdString());
            c.method = d->methodValue();
            d->options->setRowCount(0);
            for (const auto& [k, val] : train::toKeyValues(c)) {
                const QString key = QString::fromStdString(k);
                // Chosen on other pages, or managed by the run folder.
                if (key == "method" || key == "checkpoint" || key == "resume" || key.startsWith("test-"))
                    continue;
                const int row = d->options->rowCount();
                d->options->insertRow(row);
                auto* ki = new QTableWidgetItem(key);
                ki->setFlags(ki->flags() & ~Qt::ItemIsEditable);
                d->options->setItem(row, 0, ki);
                d->options->setItem(row, 1, new QTableWidgetItem(d->overrides.value(key, QString::fromStdString(val))));
            }
            d->options->resizeColumnToContents(0);
            d->fillingOptions = false;
            presetPage->recheck();
        };
        connect(d->preset, &QComboBox::currentIndexChanged, this, fillOptions);
        connect(d->options, &QTableWidget::itemChanged, this, [this, presetPage](QTableWidgetItem* item) {
            if (d->fillingOptions || item->column() != 1)
                return;
            d->overrides[d->options->item(item->row(), 0)->text()] = item->text();
            presetPage->recheck();
        });
        connect(d->runName, &QLineEdit::textChanged, presetPage, &CheckedPage::recheck);
        presetPage->onEnter = fillOptions;
        presetPage->check = [this] {
            const QString name = d->runName->text().trimmed();
            if (name.isEmpty() || name.contains('/') || name.contains('\\') || name.startsWith('.'))
                return tr("Give the run a name that can be a folder name.");
            if (QDir(d->runsRoot).exists(name))
                return tr("A run named %1 exists already in %2.").arg(name, d->runsRoot);
            try {
                train::TrainConfig c = d->config();
                c.checkpointPath = "checkpoint.pt";   // the run folder provides it
                train::validateConfig(c);
                if (c.size < 32 || c.size % 16 != 0)
                    return tr("size must be a multiple of 16, at least 32 (it is %1).").arg(c.size);
            } catch (const std::exception& e) {
                return QString::fromUtf8(e.what());
            }
            return QString();
        };
    }

    // --- summary ------------------------------------------------------------------------------
    auto* summaryPage = new CheckedPage(tr("Summary"), tr("Check the run and launch it. The duration is estimated by timing a few "
                                                          "iterations on this machine."));
    {
        auto* box = new QWidget;
        auto* v = new QVBoxLayout(box);
        d->summary = new QLabel;
        d->summary->setObjectName("summary");
        d->summary->setWordWrap(true);
        d->summary->setTextFormat(Qt::RichText);
        d->summary->setAlignment(Qt::AlignLeft | Qt::AlignTop);
        d->estimate = new QLabel;
        d->estimate->setObjectName("estimate");
        auto* again = new QPushButton(tr("Measure again"));
        v->addWidget(d->summary);
        auto* h = new QHBoxLayout;
        h->addWidget(d->estimate, 1);
        h->addWidget(again);
        v->addLayout(h);
        summaryPage->addContent(box, 1);
        auto measure = [this] {
            if (d->estimateThread.joinable()) {
                d->estimateCancel->store(true);
                d->estimateThread.join();
            }
            d->estimateSeconds = -1;
            d->estimate->setText(tr("Measuring a few iterations on this machine..."));
            RunRequest req;
            d->estimateDir = std::make_unique<QTemporaryDir>();
            try {
                req = buildRequest(d->estimateDir->filePath("estimate"));
            } catch (const std::exception& e) {
                d->estimate->setText(tr("Cannot estimate: %1").arg(QString::fromUtf8(e.what())));
                return;
            }
            const int64_t iterations = req.config.iterations;
            req.config.iterations = 3;
            req.config.validationInterval = 0;
            req.config.checkpointInterval = 1000;
            req.testDirs.clear();
            req.validationDirs.clear();
            req.maxValidationCases = 0;
            req.savePredictions = false;
            req.resume = false;
            auto cancel = std::make_shared<std::atomic<bool>>(false);
            d->estimateCancel = cancel;
            QPointer<TrainWizard> self(this);
            d->estimateThread = std::thread([req, cancel, self, iterations] {
                using Clock = std::chrono::steady_clock;
                const auto t0 = Clock::now();
                double firstAt = -1, spi = 0;
                RunObserver obs;
                obs.progress = [&](const train::Progress& p) {
                    if (firstAt < 0)
                        firstAt = std::chrono::duration<double>(Clock::now() - t0).count();
                    spi = p.secondsPerIteration;
                };
                QString error;
                try {
                    executeRun(req, obs, cancel.get());
                } catch (const std::exception& e) {
                    error = QString::fromUtf8(e.what());
                }
                if (cancel->load())
                    return;
                // Setup (decoding, building the networks) once, then the measured pace.
                const double seconds = error.isEmpty() ? std::max(0.0, firstAt - spi) + spi * double(iterations) : -1;
                QMetaObject::invokeMethod(
                    qApp, [self, seconds, error, spi] {
                        if (!self)
                            return;
                        self->d->estimateSeconds = seconds;
                        self->d->estimate->setText(
                            error.isEmpty() ? tr("Estimated duration: about %1 (%2 s per iteration measured here)")
                                                  .arg(duration(seconds))
                                                  .arg(spi, 0, 'f', 3)
                                            : tr("Could not time the run: %1").arg(error));
                        Q_EMIT self->estimateReady(seconds);
                    },
                    Qt::QueuedConnection);
            });
        };
        connect(again, &QPushButton::clicked, this, measure);
        summaryPage->onEnter = [this, measure] {
            const RunRequest r = [this] {
                RunRequest q;
                q.task = d->taskValue();
                q.config = d->config();
                return q;
            }();
            QStringList unl, test, val;
            for (const auto& u : d->unlabeled)
                unl << QString("%1 (%2 cases)").arg(u.name).arg(u.cases);
            for (const auto& t : d->checkedDirs(d->testList))
                test << QString::fromStdString(t.filename().string());
            for (const auto& t : d->checkedDirs(d->validationList))
                val << QString::fromStdString(t.filename().string());
            const auto& c = r.config;
            d->summary->setText(
                tr("<table>"
                   "<tr><td><b>Run</b></td><td>%1 in %2</td></tr>"
                   "<tr><td><b>Task</b></td><td>%3</td></tr>"
                   "<tr><td><b>Labeled</b></td><td>%4: %5 cases</td></tr>"
                   "<tr><td><b>Unlabeled</b></td><td>%6</td></tr>"
                   "<tr><td><b>Test</b></td><td>%7</td></tr>"
                   "<tr><td><b>Validation</b></td><td>%8</td></tr>"
                   "<tr><td><b>Method</b></td><td>%9</td></tr>"
                   "<tr><td><b>Training</b></td><td>%10 iterations, %11 px, %12 x%13, batch %14+%15, lr %16</td></tr>"
                   "</table>")
                    .arg(d->runName->text().toHtmlEscaped(), d->runsRoot.toHtmlEscaped(), QString::fromStdString(r.task.name),
                         d->labeledDomain->currentText())
                    .arg(d->checkedCases())
                    .arg(unl.isEmpty() ? tr("none") : unl.join(", "), test.isEmpty() ? tr("none") : test.join(", "),
                         val.isEmpty() ? tr("held-out labeled cases") : val.join(", "), QString::fromStdString(train::toString(c.method)))
                    .arg(c.iterations)
                    .arg(c.size)
                    .arg(QString::fromStdString(train::toString(c.backbone)))
                    .arg(c.width)
                    .arg(c.labeledBatch)
                    .arg(c.unlabeledBatch)
                    .arg(c.lr));
            measure();
        };
    }

    d->pages = {taskPage, labeledPage, unlabeledPage, testPage, methodPage, presetPage, summaryPage};
    for (int i = 0; i < d->pages.size(); ++i)
        setPage(i, d->pages[i]);
    resize(760, 560);
}

TrainWizard::~TrainWizard()
{
    if (d->estimateThread.joinable()) {
        d->estimateCancel->store(true);
        d->estimateThread.join();
    }
}

bool TrainWizard::addUnlabeledFolder(const QString& folder)
{
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
        if (dom.cases.empty())
            throw std::runtime_error(tr("the folder holds no image").toStdString());
        if (sameFolder(u.dir, d->labeledDir()))
            throw std::runtime_error(tr("it is the labeled domain").toStdString());
        for (const auto& o : d->unlabeled)
            if (sameFolder(o.dir, u.dir))
                throw std::runtime_error(tr("it is listed already").toStdString());
        const ValidationReport rep = validateDomain(dom, d->taskValue());
        u.summary = rep.ok() ? tr("all %1 images readable").arg(rep.cases)
                             : tr("%1 problem(s), e.g. %2").arg(rep.issues.size()).arg(QString::fromStdString(rep.issues.front().message));
        // Masks in an unlabeled folder are not used: say so rather than refuse.
        if (rep.labeled > 0)
            u.summary += tr("; its %1 masks are ignored here").arg(rep.labeled);
        QImage thumb(QString::fromStdString(dom.cases.front().image.string()));
        if (!thumb.isNull())
            icon = QIcon(QPixmap::fromImage(thumb.scaled(48, 48, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
    } catch (const std::exception& e) {
        u.problem = QString::fromUtf8(e.what());
    }
    auto* item = new QListWidgetItem(icon, u.problem.isEmpty() ? tr("%1 - %2 cases - %3").arg(u.name).arg(u.cases).arg(u.summary)
                                                              : tr("%1 - refused: %2").arg(u.name, u.problem));
    item->setToolTip(QString::fromStdString(u.dir.string()));
    if (!u.problem.isEmpty())
        item->setForeground(QColor(176, 0, 32));
    d->unlabeledList->addItem(item);
    const bool ok = u.problem.isEmpty();
    d->unlabeled.push_back(std::move(u));
    d->pages[UnlabeledPage]->recheck();
    return ok;
}

void TrainWizard::removeUnlabeledFolder(int row)
{
    if (row < 0 || row >= int(d->unlabeled.size()))
        return;
    d->unlabeled.erase(d->unlabeled.begin() + row);
    delete d->unlabeledList->takeItem(row);
    d->pages[UnlabeledPage]->recheck();
}

void TrainWizard::setTrainOption(const QString& key, const QString& value)
{
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
QString TrainWizard::pageError(int id) const { return id >= 0 && id < d->pages.size() ? d->pages[id]->currentError() : QString(); }

RunRequest TrainWizard::buildRequest(const QString& outDir)
{
    RunRequest r;
    r.task = d->taskValue();
    r.config = d->config();
    r.preset = d->preset->currentText().toStdString();
    r.outDir = outDir.isEmpty() ? fs::path(d->runsRoot.toStdString()) / runName().toStdString() : fs::path(outDir.toStdString());
    for (const auto& u : d->unlabeled)
        r.unlabeledDirs.push_back(u.dir);
    r.testDirs = d->checkedDirs(d->testList);
    r.validationDirs = d->checkedDirs(d->validationList);
    const Domain* dom = d->domainNamed(d->labeledDomain->currentText());
    if (!dom)
        throw InputError("No labeled domain chosen");
    // Every dataset-masked case chosen: train on the folder itself. Otherwise a folder of links
    // holds the chosen images with their dataset masks or workbench labels.
    bool whole = d->checkedCases() == int(dom->labeledCount());
    for (int i = 0; i < d->labeledCases->count(); ++i)
        whole = whole && d->labeledCases->item(i)->checkState() == Qt::Checked && !d->labeledCases->item(i)->data(Qt::UserRole + 1).toBool();
    if (whole) {
        r.labeledDir = dom->root;
        r.labeledCount = 0;
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
    // Without validation domains, the labeled cases left out validate (as executeRun does).
    const LabeledSubset subset = linkLabeledSubset(*dom, chosen, leftOut, r.outDir, r.validationDirs.empty() ? 16 : 0);
    r.labeledDir = subset.labeledDir;
    r.labeledCount = subset.count;
    if (!subset.heldOutDir.empty())
        r.validationDirs.push_back(subset.heldOutDir);
    return r;
}

}  // namespace dacw
