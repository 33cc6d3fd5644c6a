// The method page of the training wizard (ui/train/wizard/WizardPages.h).
#include "ui/train/wizard/WizardPages.h"

#include "core/pipeline/RunFolder.h"

namespace dacw {

CheckedPage* makeMethodPage(TrainWizard* w, WizardState* d) {
    auto* methodPage = new CheckedPage(TrainWizard::tr("Method"),
                                       TrainWizard::tr("DAC co-trains two sub-models with cross pseudo supervision, feature "
                                                       "supervision and auxiliary tasks. Supervised and CPS train baselines "
                                                       "for comparison."));
    {
        auto* box = new QWidget;
        auto* v = new QVBoxLayout(box);
        d->method = new QButtonGroup(w);
        auto radio = [&](const QString& text, const char* m, QLayout* into) {
            auto* r = new QRadioButton(text);
            r->setObjectName(QString("method-") + m);
            r->setProperty("method", m);
            d->method->addButton(r);
            into->addWidget(r);
            return r;
        };
        radio(TrainWizard::tr("DAC (dual-supervised asymmetric co-training) - recommended"), "dac", v)->setChecked(true);
        radio(TrainWizard::tr("Supervised only (labeled cases, no unlabeled folders)"), "supervised", v);
        radio(TrainWizard::tr("CPS (cross pseudo supervision)"), "cps", v);
        // Few-shot calibration: the labeled cases (of the centre the model is for) fine-tune a
        // model the project trained before, with the measured recipe; the source run's own
        // labeled cases are replayed beside them (core/pipeline/Calibration.h).
        d->calibrate = radio(TrainWizard::tr("Calibrate a trained model to the labeled centre (fine-tune it on these cases)"),
                             "supervised", v);
        d->calibrate->setObjectName("method-calibrate");
        d->calibrateFrom = new QComboBox;
        d->calibrateFrom->setObjectName("calibrateFrom");
        for (auto it = d->project.runs.rbegin(); it != d->project.runs.rend(); ++it) {
            const fs::path folder = d->project.resolve(it->folder);
            std::error_code ec;
            if (it->status == "finished" && fs::exists(RunFolder::modelIn(folder), ec))
                d->calibrateFrom->addItem(it->method.empty() ? QString::fromStdString(it->name)
                                                             : QString("%1 (%2)").arg(QString::fromStdString(it->name),
                                                                                      QString::fromStdString(it->method)),
                                          QString::fromStdString(folder.string()));
        }
        d->calibrateFrom->setEnabled(false);
        auto* fromRow = new QHBoxLayout;
        fromRow->setContentsMargins(24, 0, 0, 0);
        fromRow->addWidget(new QLabel(TrainWizard::tr("Model of run")));
        fromRow->addWidget(d->calibrateFrom, 1);
        v->addLayout(fromRow);
        auto* calibrateNote =
            new QLabel(TrainWizard::tr("For a centre the model does not serve well yet: label a few ordinary cases of it "
                                       "(picked at random: the cases the two sub-models disagree on most made a worse "
                                       "calibration, docs/results.md), tick them on the labeled page, and the model is "
                                       "fine-tuned on them (200 iterations at lr 1e-4) with its own training cases "
                                       "replayed beside them, so it does not forget them."));
        calibrateNote->setWordWrap(true);
        calibrateNote->setContentsMargins(24, 0, 0, 0);
        calibrateNote->setEnabled(false);
        v->addWidget(calibrateNote);
        QObject::connect(d->calibrate, &QRadioButton::toggled, calibrateNote, &QWidget::setEnabled);
        QObject::connect(d->calibrate, &QRadioButton::toggled, d->calibrateFrom, &QWidget::setEnabled);
        QObject::connect(d->calibrateFrom, &QComboBox::currentIndexChanged, methodPage, &CheckedPage::recheck);
        auto* adv = new QGroupBox(TrainWizard::tr("Advanced: ablations of DAC"));
        adv->setCheckable(true);
        adv->setChecked(false);
        auto* av = new QVBoxLayout(adv);
        radio(TrainWizard::tr("DAC without feature supervision"), "dac-no-feat", av);
        radio(TrainWizard::tr("DAC without auxiliary heads"), "dac-no-aux", av);
        radio(TrainWizard::tr("DAC with symmetric auxiliary heads"), "dac-sym-aux", av);
        v->addWidget(adv);
        methodPage->addContent(box);
        QObject::connect(d->method, &QButtonGroup::buttonClicked, methodPage, &CheckedPage::recheck);
        methodPage->check = [w, d] {
            if (d->calibrating()) {
                if (d->calibrateFrom->count() == 0)
                    return TrainWizard::tr("No finished run of this project has a model to calibrate: train one first.");
                try {
                    d->baseConfig();  // reads the model's header once
                } catch (const std::exception& e) {
                    return QString::fromUtf8(e.what());
                }
                return QString();
            }
            const train::Method m = d->methodValue();
            if (train::partsOf(m).coTraining && d->unlabeled.empty())
                return TrainWizard::tr(
                           "%1 learns from unlabeled folders, and none was added: add one (back to the unlabeled page) or "
                           "choose Supervised.")
                    .arg(QString::fromStdString(train::toString(m)));
            return QString();
        };
    }

    return methodPage;
}

}  // namespace dacw
