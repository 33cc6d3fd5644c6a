// The method page of the training wizard (ui/train/wizard/WizardPages.h).
#include "ui/train/wizard/WizardPages.h"

namespace dacw {

CheckedPage* makeMethodPage(TrainWizard* w, WizardState* d)
{
    auto* methodPage = new CheckedPage(TrainWizard::tr("Method"), TrainWizard::tr("DAC co-trains two sub-models with cross pseudo supervision, feature "
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
            const train::Method m = d->methodValue();
            if (train::partsOf(m).coTraining && d->unlabeled.empty())
                return TrainWizard::tr("%1 learns from unlabeled folders, and none was added: add one (back to the unlabeled page) or "
                          "choose Supervised.")
                    .arg(QString::fromStdString(train::toString(m)));
            return QString();
        };
    }

    return methodPage;
}

}  // namespace dacw
