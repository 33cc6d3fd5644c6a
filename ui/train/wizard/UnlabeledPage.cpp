// The unlabeled page of the training wizard (ui/train/wizard/WizardPages.h).
#include "ui/train/wizard/WizardPages.h"

namespace dacw {

CheckedPage* makeUnlabeledPage(TrainWizard* w, WizardState* d) {
    auto* unlabeledPage =
        new CheckedPage(TrainWizard::tr("Unlabeled multi-centre folders"),
                        TrainWizard::tr("Images from other centres, without labels. Each folder is one domain; DAC learns "
                                        "from their images to generalise across centres."));
    {
        auto* box = new QWidget;
        auto* v = new QVBoxLayout(box);
        d->unlabeledList = new QListWidget;
        d->unlabeledList->setObjectName("unlabeledFolders");
        d->unlabeledList->setIconSize(QSize(48, 48));
        auto* buttons = new QHBoxLayout;
        auto* addFolder = new QPushButton(TrainWizard::tr("Add folder..."));
        d->projectDomainToAdd = new QComboBox;
        d->projectDomainToAdd->setObjectName("projectDomainToAdd");
        auto* addDomain = new QPushButton(TrainWizard::tr("Add project domain"));
        // The project's domains that can still be added: not the labeled one, none listed already.
        auto refill = [d, addDomain] {
            QComboBox* combo = d->projectDomainToAdd;
            combo->clear();
            for (const auto& pd : d->project.domains) {
                const fs::path root = d->project.resolve(pd.root);
                bool listed = sameFolder(root, d->labeledDir());
                for (const auto& u : d->unlabeled) listed = listed || sameFolder(root, u.dir);
                if (!listed) combo->addItem(QString::fromStdString(pd.name), QString::fromStdString(root.string()));
            }
            // A placeholder shown once stays in front (index -1) until an item is chosen again.
            if (combo->count() > 0) combo->setCurrentIndex(0);
            combo->setEnabled(combo->count() > 0);
            addDomain->setEnabled(combo->count() > 0);
            combo->setPlaceholderText(combo->count() == 0 && !d->project.domains.empty()
                                          ? TrainWizard::tr("every other project domain is listed")
                                          : QString());
        };
        unlabeledPage->onEnter = refill;
        d->unlabeledChanged = refill;
        auto* remove = new QPushButton(TrainWizard::tr("Remove"));
        buttons->addWidget(addFolder);
        buttons->addWidget(d->projectDomainToAdd, 1);
        buttons->addWidget(addDomain);
        buttons->addWidget(remove);
        v->addLayout(buttons);
        v->addWidget(d->unlabeledList, 1);
        unlabeledPage->addContent(box, 1);
        QObject::connect(addFolder, &QPushButton::clicked, w, [w, d] {
            const QString dir = QFileDialog::getExistingDirectory(w, TrainWizard::tr("Unlabeled folder"));
            if (!dir.isEmpty()) w->addUnlabeledFolder(dir);
        });
        QObject::connect(addDomain, &QPushButton::clicked, w,
                         [w, d] { w->addUnlabeledFolder(d->projectDomainToAdd->currentData().toString()); });
        QObject::connect(remove, &QPushButton::clicked, w, [w, d] { w->removeUnlabeledFolder(d->unlabeledList->currentRow()); });
        unlabeledPage->check = [w, d] {
            for (const auto& u : d->unlabeled)
                if (!u.problem.isEmpty()) return TrainWizard::tr("%1: %2. Remove it to continue.").arg(u.name, u.problem);
            return QString();
        };
    }

    return unlabeledPage;
}

}  // namespace dacw
