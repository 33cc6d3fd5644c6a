#pragma once
// Internal to the training wizard (ui/train/TrainWizard.cpp): the state its pages share, the page
// base class, and one builder per page, each in its own file (TaskPage.cpp ... SummaryPage.cpp).
// A page reads and writes the shared state; the wizard owns it and the pages.
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include <QApplication>
#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMap>
#include <QPointer>
#include <QPushButton>
#include <QRadioButton>
#include <QSet>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QVBoxLayout>
#include <QWizardPage>

#include "core/train/Presets.h"
#include "core/train/Progress.h"
#include "core/train/TrainConfig.h"
#include "core/dataset/Domain.h"
#include "core/pipeline/Calibration.h"
#include "core/pipeline/LabeledSubset.h"
#include "core/pipeline/Run.h"
#include "core/project/Project.h"
#include "ui/train/RunController.h"
#include "ui/train/TrainWizard.h"

namespace dacw {

namespace fs = std::filesystem;

/// A page whose validity is a function: the reason it is invalid is shown on the page and
/// keeps Next disabled.
class CheckedPage : public QWizardPage {
public:
    std::function<QString()> check;
    std::function<void()> onEnter;
    QLabel* error = nullptr;

    CheckedPage(const QString& title, const QString& subTitle) {
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
    void addContent(QWidget* w, int stretch = 0) {
        auto* layout = static_cast<QVBoxLayout*>(this->layout());
        layout->insertWidget(layout->count() - 2, w, stretch);
    }
    QString currentError() const { return check ? check() : QString(); }
    bool isComplete() const override {
        const QString e = currentError();
        error->setText(e);
        error->setVisible(!e.isEmpty());
        return e.isEmpty();
    }
    void recheck() { Q_EMIT completeChanged(); }
    void initializePage() override {
        if (onEnter) onEnter();
        recheck();
    }
};

inline bool sameFolder(const fs::path& a, const fs::path& b) {
    std::error_code ec;
    return fs::equivalent(a, b, ec);
}

/// A duration as the summary shows it ("40 s", "12 min", "2 h 5 min").
inline QString duration(double s) {
    if (s < 90) return QObject::tr("%1 s").arg(std::lround(s));
    if (s < 5400) return QObject::tr("%1 min").arg(std::lround(s / 60));
    return QObject::tr("%1 h %2 min").arg(long(s / 3600)).arg(std::lround(std::fmod(s, 3600) / 60));
}

struct UnlabeledFolder {
    fs::path dir;
    QString name;
    int cases = 0;
    QString problem;  // non-empty: refused
    QString summary;  // validation summary
};

/// What the pages of one wizard share: the project, the scanned domains, the pages' widgets and
/// the duration estimate's thread.
struct WizardState {
    Project project;
    QString runsRoot;
    QList<CheckedPage*> pages;
    std::vector<Domain> domains;  // scanned project domains (empty cases when unreadable)
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
    std::function<void()> unlabeledChanged;  // after a folder is added or removed
    // test and validation
    QListWidget* testList = nullptr;
    QListWidget* validationList = nullptr;
    // Also test on the labeled domain's masked cases that are not ticked for training (a
    // calibration's score on its own centre); they then do not validate.
    QCheckBox* testUnticked = nullptr;
    bool rememberedTestUnticked = false;
    // The last run's choices the wizard started from (rememberLastRun): its name, and its test
    // folders, checked when the test page is first shown.
    QString rememberedRun;
    std::vector<fs::path> rememberedTests;
    // method
    QButtonGroup* method = nullptr;
    // "Calibrate a trained model": the supervised method, starting from a finished run's model
    QRadioButton* calibrate = nullptr;
    QComboBox* calibrateFrom = nullptr;                             // the project's runs with a model; data: the run folder
    mutable std::map<std::string, train::TrainedNetwork> networks;  // read once per model file
    // preset and options
    QComboBox* preset = nullptr;
    QLineEdit* runName = nullptr;
    QSpinBox* processes = nullptr;  // processes on this machine (1: in the workbench)
    QGroupBox* advanced = nullptr;
    QTableWidget* options = nullptr;
    QMap<QString, QString> overrides;
    bool fillingOptions = false;
    // summary
    QLabel* summary = nullptr;
    QLabel* estimate = nullptr;
    double estimateSeconds = -1;
    std::unique_ptr<QTemporaryDir> estimateDir;
    std::unique_ptr<RunEstimator> estimator;  // after estimateDir: destroyed (and joined) before it

    Task taskValue() const {
        const QString name = task->currentData().toString();
        if (name != "custom") return Task::byName(name.toStdString());
        Task t;
        t.name = "custom";
        t.description = "custom labels";
        t.channels = customChannels->value();
        std::uint8_t v = 1;
        for (const QString& n : customLabels->text().split(',', Qt::SkipEmptyParts)) {
            const QString s = n.trimmed();
            if (s.isEmpty()) continue;
            t.labels.push_back({s.toStdString(), v, {255, 0, 0}});
            t.regions.push_back({s.toStdString(), {v}});
            ++v;
        }
        return t;
    }
    const Domain* domainNamed(const QString& name) const {
        for (const auto& dom : domains)
            if (QString::fromStdString(dom.name) == name) return &dom;
        return nullptr;
    }
    fs::path labeledDir() const {
        const Domain* dom = domainNamed(labeledDomain->currentText());
        return dom ? dom->root : fs::path();
    }
    std::vector<fs::path> checkedDirs(QListWidget* list) const {
        std::vector<fs::path> out;
        for (int i = 0; i < list->count(); ++i)
            if (list->item(i)->checkState() == Qt::Checked)
                out.push_back(list->item(i)->data(Qt::UserRole).toString().toStdString());
        return out;
    }
    /// Masked cases of the labeled domain that are not ticked for training (dataset masks only:
    /// a workbench label is not an expert's and does not score).
    int untickedMaskedCases() const {
        const Domain* dom = domainNamed(labeledDomain->currentText());
        if (!dom) return 0;
        int n = 0;
        for (int i = 0; i < labeledCases->count(); ++i) {
            const auto* item = labeledCases->item(i);
            const Case* c = dom->find(item->data(Qt::UserRole).toString().toStdString());
            n += item->checkState() != Qt::Checked && c && c->hasMask();
        }
        return n;
    }
    bool testingUnticked() const { return testUnticked && testUnticked->isEnabled() && testUnticked->isChecked(); }
    int checkedCases() const {
        int n = 0;
        for (int i = 0; i < labeledCases->count(); ++i) n += labeledCases->item(i)->checkState() == Qt::Checked;
        return n;
    }
    train::Method methodValue() const {
        auto* b = method->checkedButton();
        return train::parseMethod(b ? b->property("method").toString().toStdString() : "dac");
    }
    bool calibrating() const { return calibrate && calibrate->isChecked(); }
    /// The run a calibration starts from ("" when none is chosen).
    fs::path calibrationRun() const {
        return calibrateFrom && calibrateFrom->currentIndex() >= 0
                   ? fs::path(calibrateFrom->currentData().toString().toStdString())
                   : fs::path();
    }
    /// Before the edits under "advanced": the preset, or when calibrating the chosen model's
    /// network with the calibration recipe. Throws InputError or ConfigError.
    train::TrainConfig baseConfig() const {
        train::TrainConfig c;
        if (calibrating()) {
            const fs::path model = calibrationModel(calibrationRun());
            auto it = networks.find(model.string());
            if (it == networks.end()) it = networks.emplace(model.string(), readTrainedNetwork(model)).first;
            startFromModel(c, it->second, model, true);
        } else {
            train::applyPreset(c, preset->currentText().toStdString());
        }
        c.method = methodValue();
        return c;
    }
    /// The configuration: preset (or calibration), then the edits made under "advanced".
    /// Throws ConfigError (or InputError, for a calibration model that cannot be read).
    train::TrainConfig config() const {
        train::TrainConfig c = baseConfig();
        for (auto it = overrides.begin(); it != overrides.end(); ++it)
            train::applyOption(c, it.key().toStdString(), it.value().toStdString());
        c.method = methodValue();
        return c;
    }
};

// One builder per page (in page order); each adds its widgets to `d` and returns the page.
CheckedPage* makeTaskPage(TrainWizard* w, WizardState* d);
CheckedPage* makeLabeledPage(TrainWizard* w, WizardState* d);
CheckedPage* makeUnlabeledPage(TrainWizard* w, WizardState* d);
CheckedPage* makeTestPage(TrainWizard* w, WizardState* d);
CheckedPage* makeMethodPage(TrainWizard* w, WizardState* d);
CheckedPage* makePresetPage(TrainWizard* w, WizardState* d);
CheckedPage* makeSummaryPage(TrainWizard* w, WizardState* d);

}  // namespace dacw
