// The labeled page of the training wizard (ui/train/wizard/WizardPages.h).
#include "ui/train/wizard/WizardPages.h"

namespace dacw {

CheckedPage* makeLabeledPage(TrainWizard* w, WizardState* d) {
    auto* labeledPage =
        new CheckedPage(TrainWizard::tr("Labeled domain"),
                        TrainWizard::tr("The domain whose labels supervise training, and which of its labeled cases to use "
                                        "(dataset masks and labels painted in the workbench)."));
    {
        auto* box = new QWidget;
        auto* v = new QVBoxLayout(box);
        d->labeledDomain = new QComboBox;
        d->labeledDomain->setObjectName("labeledDomain");
        int preferred = 0;
        for (std::size_t i = 0; i < d->project.domains.size(); ++i) {
            d->labeledDomain->addItem(QString::fromStdString(d->project.domains[i].name));
            if (d->project.domains[i].role == "labeled" && preferred == 0) preferred = int(i);
        }
        d->labeledDomain->setCurrentIndex(preferred);
        d->labeledCases = new QListWidget;
        d->labeledCases->setObjectName("labeledCases");
        auto* buttons = new QHBoxLayout;
        auto* all = new QPushButton(TrainWizard::tr("All"));
        auto* none = new QPushButton(TrainWizard::tr("None"));
        buttons->addWidget(new QLabel(TrainWizard::tr("Domain")));
        buttons->addWidget(d->labeledDomain, 1);
        buttons->addWidget(all);
        buttons->addWidget(none);
        v->addLayout(buttons);
        v->addWidget(d->labeledCases, 1);
        labeledPage->addContent(box, 1);
        auto fill = [w, d, labeledPage] {
            d->labeledCases->clear();
            const Domain* dom = d->domainNamed(d->labeledDomain->currentText());
            if (dom)
                for (const auto& c : dom->cases) {
                    const bool painted = !d->project.workbenchLabel(dom->name, c.id).empty();
                    if (!c.hasMask() && !painted) continue;
                    auto* item =
                        new QListWidgetItem(QString::fromStdString(c.id) + "   " +
                                            (painted ? TrainWizard::tr("(workbench label)") : TrainWizard::tr("(dataset mask)")));
                    item->setData(Qt::UserRole, QString::fromStdString(c.id));
                    item->setData(Qt::UserRole + 1, painted);
                    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
                    item->setCheckState(Qt::Checked);
                    d->labeledCases->addItem(item);
                }
            labeledPage->recheck();
        };
        QObject::connect(d->labeledDomain, &QComboBox::currentIndexChanged, w, fill);
        QObject::connect(d->labeledCases, &QListWidget::itemChanged, labeledPage, &CheckedPage::recheck);
        auto setAll = [w, d](bool on) {
            for (int i = 0; i < d->labeledCases->count(); ++i)
                d->labeledCases->item(i)->setCheckState(on ? Qt::Checked : Qt::Unchecked);
        };
        QObject::connect(all, &QPushButton::clicked, w, [setAll] { setAll(true); });
        QObject::connect(none, &QPushButton::clicked, w, [setAll] { setAll(false); });
        fill();
        labeledPage->check = [w, d] {
            if (d->project.domains.empty())
                return TrainWizard::tr("The project has no domain: add the labeled folder to the project first.");
            if (d->labeledCases->count() == 0)
                return TrainWizard::tr(
                           "The domain %1 has no labeled case (no dataset mask and no workbench label). Choose another "
                           "domain or label a few cases first.")
                    .arg(d->labeledDomain->currentText());
            if (d->checkedCases() == 0) return TrainWizard::tr("No labeled case is selected: tick at least one.");
            return QString();
        };
    }

    return labeledPage;
}

}  // namespace dacw
