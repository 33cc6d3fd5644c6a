// The summary page of the training wizard (ui/train/wizard/WizardPages.h).
#include "ui/train/wizard/WizardPages.h"

namespace dacw {

CheckedPage* makeSummaryPage(TrainWizard* w, WizardState* d) {
    auto* summaryPage = new CheckedPage(TrainWizard::tr("Summary"),
                                        TrainWizard::tr("Check the run and launch it. The duration is estimated by timing a few "
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
        auto* again = new QPushButton(TrainWizard::tr("Measure again"));
        v->addWidget(d->summary);
        auto* h = new QHBoxLayout;
        h->addWidget(d->estimate, 1);
        h->addWidget(again);
        v->addLayout(h);
        summaryPage->addContent(box, 1);
        d->estimator = std::make_unique<RunEstimator>();
        QObject::connect(d->estimator.get(), &RunEstimator::ready, w, [w, d](double seconds, double spi, const QString& error) {
            d->estimateSeconds = seconds;
            d->estimate->setText(error.isEmpty()
                                     ? TrainWizard::tr("Estimated duration: about %1 (%2 s per iteration measured here)")
                                           .arg(duration(seconds))
                                           .arg(spi, 0, 'f', 3)
                                     : TrainWizard::tr("Could not time the run: %1").arg(error));
            Q_EMIT w->estimateReady(seconds);
        });
        auto measure = [w, d] {
            d->estimator->stop();  // before its scratch folder goes
            d->estimateSeconds = -1;
            d->estimate->setText(TrainWizard::tr("Measuring a few iterations on this machine..."));
            d->estimateDir = std::make_unique<QTemporaryDir>();
            try {
                d->estimator->measure(w->buildRequest(d->estimateDir->filePath("estimate")));
            } catch (const std::exception& e) {
                d->estimate->setText(TrainWizard::tr("Cannot estimate: %1").arg(QString::fromUtf8(e.what())));
            }
        };
        QObject::connect(again, &QPushButton::clicked, w, measure);
        summaryPage->onEnter = [w, d, measure] {
            const RunRequest r = [w, d] {
                RunRequest q;
                q.task = d->taskValue();
                q.config = d->config();
                return q;
            }();
            QStringList unl, test, val;
            if (!d->calibrating())
                for (const auto& u : d->unlabeled) unl << QString("%1 (%2 cases)").arg(u.name).arg(u.cases);
            for (const auto& t : d->checkedDirs(d->testList)) test << QString::fromStdString(t.filename().string());
            if (d->testingUnticked())
                test << TrainWizard::tr("%1's %2 unticked cases").arg(d->labeledDomain->currentText()).arg(d->untickedMaskedCases());
            for (const auto& t : d->checkedDirs(d->validationList)) val << QString::fromStdString(t.filename().string());
            const auto& c = r.config;
            QString method = QString::fromStdString(train::toString(c.method));
            if (d->calibrating())
                method = TrainWizard::tr("calibration: %1 fine-tuned on the labeled cases above (supervised)")
                             .arg(d->calibrateFrom->currentText().toHtmlEscaped());
            d->summary->setText(
                TrainWizard::tr(
                    "<table>"
                    "<tr><td><b>Run</b></td><td>%1 in %2</td></tr>"
                    "<tr><td><b>Task</b></td><td>%3</td></tr>"
                    "<tr><td><b>Labeled</b></td><td>%4: %5 cases</td></tr>"
                    "<tr><td><b>Unlabeled</b></td><td>%6</td></tr>"
                    "<tr><td><b>Test</b></td><td>%7</td></tr>"
                    "<tr><td><b>Validation</b></td><td>%8</td></tr>"
                    "<tr><td><b>Method</b></td><td>%9</td></tr>"
                    "<tr><td><b>Training</b></td><td>%10 iterations, %11 px, %12 x%13, batch %14+%15, lr %16</td></tr>"
                    "<tr><td><b>Processes</b></td><td>%17</td></tr>"
                    "</table>")
                    .arg(d->runName->text().toHtmlEscaped(), d->runsRoot.toHtmlEscaped(), QString::fromStdString(r.task.name),
                         d->labeledDomain->currentText())
                    .arg(d->checkedCases())
                    .arg(unl.isEmpty() ? TrainWizard::tr("none") : unl.join(", "),
                         test.isEmpty() ? TrainWizard::tr("none") : test.join(", "),
                         val.isEmpty() ? (d->testingUnticked() ? TrainWizard::tr("none") : TrainWizard::tr("held-out labeled cases"))
                                   : val.join(", "), method)
                    .arg(c.iterations)
                    .arg(c.size)
                    .arg(QString::fromStdString(train::toString(c.backbone)))
                    .arg(c.width)
                    .arg(c.labeledBatch)
                    .arg(c.unlabeledBatch)
                    .arg(c.lr)
                    .arg(d->processes->value() == 1 ? TrainWizard::tr("1 (in the workbench)")
                                                    : TrainWizard::tr("%1 on this machine, data-parallel (the duration below is "
                                                                      "timed on one)")
                                                          .arg(d->processes->value())));
            measure();
        };
    }

    return summaryPage;
}

}  // namespace dacw
