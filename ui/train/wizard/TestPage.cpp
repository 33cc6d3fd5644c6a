// The test page of the training wizard (ui/train/wizard/WizardPages.h).
#include "ui/train/wizard/WizardPages.h"

namespace dacw {

CheckedPage* makeTestPage(TrainWizard* w, WizardState* d) {
    auto* testPage =
        new CheckedPage(TrainWizard::tr("Test and validation domains"),
                        TrainWizard::tr("Labeled domains held out from training. Test domains are scored at the end (Dice, "
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
        d->testList = list(TrainWizard::tr("Test domains"), "testDomains");
        d->validationList = list(TrainWizard::tr("Validation domains"), "validationDomains");
        testPage->addContent(box, 1);
        // The labeled centre's own score: its masked cases that are not ticked for training are
        // tested (a calibration needs it; the CLI's --test-unused-labeled).
        d->testUnticked = new QCheckBox;
        d->testUnticked->setObjectName("testUnticked");
        testPage->addContent(d->testUnticked);
        testPage->onEnter = [w, d] {
            // Offer every project domain with masks that is neither the labeled one nor unlabeled.
            auto keep = [](QListWidget* l) {
                QSet<QString> on;
                for (int i = 0; i < l->count(); ++i)
                    if (l->item(i)->checkState() == Qt::Checked) on << l->item(i)->text();
                return on;
            };
            const QSet<QString> testOn = keep(d->testList), valOn = keep(d->validationList);
            const bool first = d->testList->count() == 0;
            const int unticked = d->untickedMaskedCases();
            const QString labeledName = d->labeledDomain->currentText();
            d->testUnticked->setText(
                unticked == 1 ? TrainWizard::tr("Also test on the 1 case of %1 not ticked for training (its own score; it "
                                                "then does not validate)")
                                    .arg(labeledName)
                              : TrainWizard::tr("Also test on the %1 cases of %2 not ticked for training (its own score; "
                                                "they then do not validate)")
                                    .arg(unticked)
                                    .arg(labeledName));
            d->testUnticked->setEnabled(unticked > 0);
            if (unticked == 0)
                d->testUnticked->setToolTip(TrainWizard::tr("Every masked case of the labeled domain is ticked for training."));
            else
                d->testUnticked->setToolTip(QString());
            if (first) d->testUnticked->setChecked(d->rememberedTestUnticked);
            d->testList->clear();
            d->validationList->clear();
            for (const auto& dom : d->domains) {
                if (dom.labeledCount() == 0) continue;
                const QString name = QString::fromStdString(dom.name);
                for (QListWidget* l : {d->testList, d->validationList}) {
                    auto* item = new QListWidgetItem(QString("%1").arg(name));
                    item->setToolTip(TrainWizard::tr("%1 labeled cases in %2")
                                         .arg(dom.labeledCount())
                                         .arg(QString::fromStdString(dom.root.string())));
                    item->setData(Qt::UserRole, QString::fromStdString(dom.root.string()));
                    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
                    bool on = l == d->testList ? testOn.contains(name) : valOn.contains(name);
                    if (first && l == d->testList && !d->rememberedTests.empty()) {
                        // The last run's test domains, so that its scores stay comparable.
                        on = std::any_of(d->rememberedTests.begin(), d->rememberedTests.end(),
                                         [&](const fs::path& t) { return sameFolder(t, dom.root); });
                    } else if (first && l == d->testList) {
                        // Default: test on every labeled domain that is not used for training.
                        on = !sameFolder(dom.root, d->labeledDir());
                        for (const auto& u : d->unlabeled) on = on && !sameFolder(u.dir, dom.root);
                    }
                    item->setCheckState(on ? Qt::Checked : Qt::Unchecked);
                    l->addItem(item);
                }
            }
        };
        QObject::connect(d->testList, &QListWidget::itemChanged, testPage, &CheckedPage::recheck);
        QObject::connect(d->validationList, &QListWidget::itemChanged, testPage, &CheckedPage::recheck);
        testPage->check = [w, d] {
            std::vector<fs::path> unlabeled;
            for (const auto& u : d->unlabeled) unlabeled.push_back(u.dir);
            // The same rule executeRun enforces (pipeline/LabeledSubset.h).
            return QString::fromStdString(
                heldOutProblem(d->labeledDir(), unlabeled, d->checkedDirs(d->testList), d->checkedDirs(d->validationList)));
        };
    }

    return testPage;
}

}  // namespace dacw
