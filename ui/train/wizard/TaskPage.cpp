// The task page of the training wizard (ui/train/wizard/WizardPages.h).
#include "ui/train/wizard/WizardPages.h"

namespace dacw {

CheckedPage* makeTaskPage(TrainWizard* w, WizardState* d) {
    auto* taskPage = new CheckedPage(TrainWizard::tr("Task"),
                                     TrainWizard::tr("What the network segments. A preset task knows its labels and the "
                                                     "regions evaluation reports."));
    {
        auto* box = new QWidget;
        auto* form = new QFormLayout(box);
        d->task = new QComboBox;
        d->task->setObjectName("taskCombo");
        d->task->addItem(TrainWizard::tr("Fundus: optic disc and cup"), "fundus");
        d->task->addItem(TrainWizard::tr("Colonoscopy: polyp"), "polyp");
        d->task->addItem(TrainWizard::tr("Spinal cord grey matter (MRI)"), "scgm");
        d->task->addItem(TrainWizard::tr("Custom labels"), "custom");
        const int cur = d->task->findData(QString::fromStdString(d->project.task.name));
        d->task->setCurrentIndex(cur >= 0 ? cur : 0);
        d->customLabels = new QLineEdit;
        d->customLabels->setObjectName("customLabels");
        d->customLabels->setPlaceholderText(TrainWizard::tr("label names separated by commas, e.g. lesion, oedema"));
        d->customChannels = new QSpinBox;
        d->customChannels->setRange(1, 3);
        d->customChannels->setValue(3);
        form->addRow(TrainWizard::tr("Task"), d->task);
        form->addRow(TrainWizard::tr("Custom labels"), d->customLabels);
        form->addRow(TrainWizard::tr("Input channels"), d->customChannels);
        taskPage->addContent(box);
        auto sync = [w, d, taskPage] {
            const bool custom = d->task->currentData().toString() == "custom";
            d->customLabels->setEnabled(custom);
            d->customChannels->setEnabled(custom);
            taskPage->recheck();
        };
        QObject::connect(d->task, &QComboBox::currentIndexChanged, w, sync);
        QObject::connect(d->customLabels, &QLineEdit::textChanged, w, sync);
        sync();
        taskPage->check = [w, d] {
            if (d->task->currentData().toString() == "custom" && d->taskValue().labels.empty())
                return TrainWizard::tr("Name at least one label for a custom task.");
            return QString();
        };
    }

    return taskPage;
}

}  // namespace dacw
