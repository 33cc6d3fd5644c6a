// The preset page of the training wizard (ui/train/wizard/WizardPages.h).
#include "ui/train/wizard/WizardPages.h"

#include <algorithm>
#include <thread>

#include "core/train/WorldSize.h"

namespace dacw {

CheckedPage* makePresetPage(TrainWizard* w, WizardState* d) {
    auto* presetPage = new CheckedPage(TrainWizard::tr("Preset"),
                                       TrainWizard::tr("Quick runs in minutes on a laptop's CPU; paper is the published scale "
                                                       "for a GPU. Every option can be changed under Advanced."));
    {
        auto* box = new QWidget;
        auto* v = new QVBoxLayout(box);
        auto* form = new QFormLayout;
        d->preset = new QComboBox;
        d->preset->setObjectName("presetCombo");
        for (const auto& p : train::presetNames()) d->preset->addItem(QString::fromStdString(p));
        d->runName = new QLineEdit;
        d->runName->setObjectName("runName");
        int n = int(d->project.runs.size()) + 1;
        QString name;
        do {
            name = QString("run-%1").arg(n++, 3, 10, QChar('0'));
        } while (QDir(d->runsRoot).exists(name));
        d->runName->setText(name);
        form->addRow(TrainWizard::tr("Preset"), d->preset);
        form->addRow(TrainWizard::tr("Run name"), d->runName);
        // Data-parallel on this machine (docs/cluster.md): N `dacw train --distributed` processes.
        const int cores = std::max(1, int(std::thread::hardware_concurrency()));
        d->processes = new QSpinBox;
        d->processes->setObjectName("processes");
        d->processes->setRange(1, std::max(1, cores));
        d->processes->setValue(1);
        d->processes->setEnabled(cores > 1);
        auto* processesNote = new QLabel;
        processesNote->setObjectName("processesNote");
        processesNote->setWordWrap(true);
        auto explain = [d, processesNote, cores] {
            const int n = d->processes->value();
            int threads = 0;  // the "threads" option: 0, all cores
            try {
                threads = d->config().threads;
            } catch (const std::exception&) {
            }
            const int total = threads > 0 ? threads : cores;
            const auto threadsText = [](int k) {
                return k == 1 ? TrainWizard::tr("1 thread") : TrainWizard::tr("%1 threads").arg(k);
            };
            if (cores < 2) processesNote->setText(TrainWizard::tr("This machine has one core: the run trains in the workbench."));
            else if (n == 1)
                processesNote->setText(TrainWizard::tr("1: the run trains in the workbench, with %1. More (up to %2, "
                                                       "the cores of this machine): data-parallel in that many processes, "
                                                       "each with its share of every batch and of the threads.")
                                           .arg(threadsText(total))
                                           .arg(cores));
            else
                processesNote->setText(TrainWizard::tr("Data-parallel in %1 processes of this machine: each trains on 1/%1 of "
                                                       "every batch with %2 (the threads / %1), the gradients are "
                                                       "averaged over them, process 0 writes the run folder. Stop and resume "
                                                       "work as usual; pausing does not.")
                                           .arg(n)
                                           .arg(threadsText(std::max(1, total / n))));
        };
        explain();
        QObject::connect(d->processes, &QSpinBox::valueChanged, presetPage, &CheckedPage::recheck);
        QObject::connect(presetPage, &QWizardPage::completeChanged, w, explain);
        form->addRow(TrainWizard::tr("Processes on this machine"), d->processes);
        form->addRow(QString(), processesNote);
        v->addLayout(form);
        d->advanced = new QGroupBox(TrainWizard::tr("Advanced: every option"));
        d->advanced->setCheckable(true);
        d->advanced->setChecked(false);
        auto* av = new QVBoxLayout(d->advanced);
        d->options = new QTableWidget(0, 2);
        d->options->setObjectName("options");
        d->options->setHorizontalHeaderLabels({TrainWizard::tr("Option"), TrainWizard::tr("Value")});
        d->options->horizontalHeader()->setStretchLastSection(true);
        d->options->verticalHeader()->hide();
        d->options->setVisible(false);
        av->addWidget(d->options);
        v->addWidget(d->advanced, 1);
        presetPage->addContent(box, 1);
        QObject::connect(d->advanced, &QGroupBox::toggled, d->options, &QWidget::setVisible);
        auto fillOptions = [w, d, presetPage] {
            d->fillingOptions = true;
            // A calibration has its own recipe (docs/results.md), which replaces the preset.
            d->preset->setEnabled(!d->calibrating());
            // The combo shows what replaces the preset while calibrating, and gets the preset back after.
            if (const int item = d->preset->findText("calibrate"); d->calibrating() && item < 0) {
                const QSignalBlocker block(d->preset);
                d->preset->setProperty("presetBeforeCalibration", d->preset->currentIndex());
                d->preset->addItem("calibrate");
                d->preset->setCurrentIndex(d->preset->count() - 1);
            } else if (!d->calibrating() && item >= 0) {
                const QSignalBlocker block(d->preset);
                d->preset->removeItem(item);
                d->preset->setCurrentIndex(d->preset->property("presetBeforeCalibration").toInt());
            }
            d->preset->setToolTip(d->calibrating() ? TrainWizard::tr("Calibrating a trained model: the measured calibration "
                                                                     "recipe (200 iterations at lr 1e-4, the model's network) "
                                                                     "replaces the preset; change it under Advanced.")
                                                   : QString());
            train::TrainConfig c;
            try {
                c = d->baseConfig();
            } catch (const std::exception&) {
                // Explained by the page's check.
            }
            d->options->setRowCount(0);
            for (const auto& [k, val] : train::toKeyValues(c)) {
                const QString key = QString::fromStdString(k);
                // Chosen on other pages, or managed by the run folder.
                if (key == "method" || key == "checkpoint" || key == "resume" || key.startsWith("test-")) continue;
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
        QObject::connect(d->preset, &QComboBox::currentIndexChanged, w, fillOptions);
        QObject::connect(d->options, &QTableWidget::itemChanged, w, [w, d, presetPage](QTableWidgetItem* item) {
            if (d->fillingOptions || item->column() != 1) return;
            d->overrides[d->options->item(item->row(), 0)->text()] = item->text();
            presetPage->recheck();
        });
        QObject::connect(d->runName, &QLineEdit::textChanged, presetPage, &CheckedPage::recheck);
        presetPage->onEnter = fillOptions;
        presetPage->check = [w, d] {
            const QString name = d->runName->text().trimmed();
            if (name.isEmpty() || name.contains('/') || name.contains('\\') || name.startsWith('.'))
                return TrainWizard::tr("Give the run a name that can be a folder name.");
            if (QDir(d->runsRoot).exists(name))
                return TrainWizard::tr("A run named %1 exists already in %2.").arg(name, d->runsRoot);
            try {
                train::TrainConfig c = d->config();
                c.checkpointPath = "checkpoint.pt";  // the run folder provides it
                train::validateConfig(c);
                if (c.size < 32 || c.size % 16 != 0)
                    return TrainWizard::tr("size must be a multiple of 16, at least 32 (it is %1).").arg(c.size);
                if (const std::string p = train::worldSizeProblem(c, d->processes->value()); !p.empty())
                    return TrainWizard::tr("%1 processes cannot share these batches: %2.")
                        .arg(d->processes->value())
                        .arg(QString::fromStdString(p));
            } catch (const std::exception& e) {
                return QString::fromUtf8(e.what());
            }
            return QString();
        };
    }

    return presetPage;
}

}  // namespace dacw
