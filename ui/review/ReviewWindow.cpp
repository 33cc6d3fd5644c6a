#include "ui/review/ReviewWindow.h"

#include <cmath>

#include <QComboBox>
#include <QFileDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include "core/dataset/Domain.h"
#include "core/image/ImageIO.h"
#include "core/project/Project.h"
#include "core/review/ReviewData.h"
#include "ui/review/ReviewReport.h"
#include "viewers/SliceView.h"
#include "viewers/ViewLink.h"

namespace dacw {

namespace {

/// Numbers sort as numbers; an undefined value sorts last.
class NumberItem : public QTableWidgetItem {
public:
    explicit NumberItem(double v, int precision)
        : QTableWidgetItem(std::isfinite(v) ? QString::number(v, 'f', precision) : "-"), v_(v) {}
    bool operator<(const QTableWidgetItem& o) const override {
        const auto* n = dynamic_cast<const NumberItem*>(&o);
        if (!n) return QTableWidgetItem::operator<(o);
        const double a = std::isfinite(v_) ? v_ : 1e30, b = std::isfinite(n->v_) ? n->v_ : 1e30;
        return a < b;
    }

private:
    double v_;
};

constexpr int kCaseRole = Qt::UserRole + 1;  // index into ReviewData::cases

}  // namespace

struct ReviewWindow::Private {
    Project* project = nullptr;
    std::function<void()> save;
    ReviewData data;
    QString error;
    QTableWidget* table = nullptr;
    QComboBox* domain = nullptr;
    QComboBox* flag = nullptr;
    QLineEdit* note = nullptr;
    QLabel* caseTitle = nullptr;
    QList<SliceView*> views;
    QList<QLabel*> titles;
    ViewLink* link = nullptr;
    int shown = -1;
    bool updating = false;
};

ReviewWindow::ReviewWindow(Project* project, std::function<void()> save, QWidget* parent)
    : QWidget(parent), d(std::make_unique<Private>()) {
    d->project = project;
    d->save = std::move(save);
    setObjectName("reviewWindow");
    setWindowTitle(tr("Review"));
    resize(1400, 860);
    auto* layout = new QVBoxLayout(this);
    auto* split = new QSplitter(Qt::Horizontal);
    layout->addWidget(split, 1);

    // Left: filters, table, flag and note, exports.
    auto* left = new QWidget;
    auto* lv = new QVBoxLayout(left);
    auto* filters = new QHBoxLayout;
    d->domain = new QComboBox;
    d->domain->setObjectName("domainFilter");
    filters->addWidget(new QLabel(tr("Domain")));
    filters->addWidget(d->domain, 1);
    lv->addLayout(filters);
    d->table = new QTableWidget;
    d->table->setObjectName("reviewTable");
    d->table->setSelectionBehavior(QAbstractItemView::SelectRows);
    d->table->setSelectionMode(QAbstractItemView::SingleSelection);
    d->table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    d->table->verticalHeader()->hide();
    lv->addWidget(d->table, 1);
    d->caseTitle = new QLabel;
    lv->addWidget(d->caseTitle);
    auto* form = new QGridLayout;
    d->flag = new QComboBox;
    d->flag->setObjectName("flag");
    d->flag->setEditable(true);
    d->flag->addItems({"", tr("model failure"), tr("reference doubtful"), tr("image quality"), tr("check again"), tr("good")});
    d->note = new QLineEdit;
    d->note->setObjectName("note");
    d->note->setPlaceholderText(tr("Note on this case (saved in the project)"));
    form->addWidget(new QLabel(tr("Flag")), 0, 0);
    form->addWidget(d->flag, 0, 1);
    form->addWidget(new QLabel(tr("Note")), 1, 0);
    form->addWidget(d->note, 1, 1);
    lv->addLayout(form);
    auto* exports = new QHBoxLayout;
    auto* csv = new QPushButton(tr("Export CSV..."));
    auto* html = new QPushButton(tr("Export HTML report..."));
    exports->addWidget(csv);
    exports->addWidget(html);
    lv->addLayout(exports);
    split->addWidget(left);

    // Right: the grid of linked viewers.
    auto* grid = new QWidget;
    auto* gl = new QGridLayout(grid);
    d->link = new ViewLink(this);
    const QStringList names = {tr("Image"), tr("Reference"), tr("Prediction A"), tr("Prediction B"),
                               tr("Error map (red: false positive, blue: false negative)")};
    for (int i = 0; i < names.size(); ++i) {
        auto* cell = new QWidget;
        auto* cv = new QVBoxLayout(cell);
        cv->setContentsMargins(2, 2, 2, 2);
        auto* title = new QLabel(names[i]);
        auto* view = new SliceView;
        view->setObjectName(QString("review-view-%1").arg(i));
        view->setMinimumSize(220, 220);
        cv->addWidget(title);
        cv->addWidget(view, 1);
        gl->addWidget(cell, i / 3, i % 3);
        d->views << view;
        d->titles << title;
        d->link->add(view);
    }
    // Error colours for the error map view.
    {
        auto& p = d->views[4]->pipeline();
        LabelStyle fp = p.labelStyle(kFalsePositive), fn = p.labelStyle(kFalseNegative);
        fp.color = {255, 60, 40};
        fn.color = {40, 140, 255};
        p.setLabelStyle(kFalsePositive, fp);
        p.setLabelStyle(kFalseNegative, fn);
    }
    split->addWidget(grid);
    split->setStretchFactor(1, 2);
    split->setSizes({480, 920});

    connect(d->domain, &QComboBox::currentIndexChanged, this, [this] { setDomainFilter(d->domain->currentData().toString()); });
    connect(d->table, &QTableWidget::currentCellChanged, this, [this](int row) {
        if (!d->updating && row >= 0) showRow(row);
    });
    connect(d->flag, &QComboBox::currentTextChanged, this, [this](const QString& f) {
        if (!d->updating) setFlag(f);
    });
    connect(d->note, &QLineEdit::editingFinished, this, [this] { setNote(d->note->text()); });
    connect(csv, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Export metrics"), "review.csv", tr("CSV (*.csv)"));
        if (!f.isEmpty()) exportCsv(f);
    });
    connect(html, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Export report"), "review.html", tr("HTML (*.html)"));
        if (!f.isEmpty()) exportHtml(f);
    });
}

ReviewWindow::~ReviewWindow() = default;

bool ReviewWindow::load(const QString& runA, const QString& runB) {
    try {
        d->data = loadReview(runA.toStdString(), runB.toStdString());
    } catch (const std::exception& e) {
        d->error = QString::fromUtf8(e.what());
        return false;
    }
    // The label colours the user chose (the project's task, edited in the label table), else the
    // run's task's, on the label views.
    const auto& colours =
        d->project && d->project->task.name == d->data.task.name ? d->project->task.labels : d->data.task.labels;
    for (int i = 1; i < 4; ++i)
        for (const auto& l : colours) {
            auto& p = d->views[i]->pipeline();
            LabelStyle s = p.labelStyle(l.value);
            s.color = l.color;
            p.setLabelStyle(l.value, s);
        }
    d->titles[2]->setText(tr("Prediction A: %1").arg(QString::fromStdString(d->data.nameA)));
    d->titles[3]->setText(d->data.hasB() ? tr("Prediction B: %1").arg(QString::fromStdString(d->data.nameB))
                                         : tr("Prediction B: none"));
    setWindowTitle(d->data.hasB()
                       ? tr("Review %1 vs %2").arg(QString::fromStdString(d->data.nameA), QString::fromStdString(d->data.nameB))
                       : tr("Review %1").arg(QString::fromStdString(d->data.nameA)));
    d->updating = true;
    d->domain->clear();
    d->domain->addItem(tr("All domains"), QString());
    for (const auto& dom : d->data.domainsA)
        d->domain->addItem(QString::fromStdString(dom.name), QString::fromStdString(dom.name));
    d->updating = false;
    fillTable();
    if (d->table->rowCount() > 0) d->table->selectRow(0);
    return true;
}

QString ReviewWindow::lastError() const { return d->error; }
const ReviewData& ReviewWindow::data() const { return d->data; }
QTableWidget* ReviewWindow::table() const { return d->table; }
QList<SliceView*> ReviewWindow::views() const { return d->views; }

QString ReviewWindow::shownCase() const {
    return d->shown >= 0 ? QString::fromStdString(d->data.cases[std::size_t(d->shown)].key()) : QString();
}

void ReviewWindow::fillTable() {
    d->updating = true;
    const auto& data = d->data;
    QStringList headers = {tr("Domain"), tr("Case"), tr("Mean Dice A")};
    for (const auto& r : data.regions)
        headers << tr("Dice %1 A").arg(QString::fromStdString(r))
                << tr("HD95 %1 A (%2)").arg(QString::fromStdString(r), QString::fromStdString(data.hd95Unit));
    if (data.hasB()) {
        headers << tr("Mean Dice B");
        for (const auto& r : data.regions)
            headers << tr("Dice %1 B").arg(QString::fromStdString(r))
                    << tr("HD95 %1 B (%2)").arg(QString::fromStdString(r), QString::fromStdString(data.hd95Unit));
    }
    const bool vcdr = data.hasVcdr();
    if (vcdr) {
        headers << tr("vCDR A");
        if (data.hasB()) headers << tr("vCDR B");
        headers << tr("vCDR reference");
    }
    headers << tr("Flag") << tr("Note");
    d->table->setSortingEnabled(false);
    d->table->clear();
    d->table->setColumnCount(headers.size());
    d->table->setHorizontalHeaderLabels(headers);
    d->table->setRowCount(int(data.cases.size()));
    for (int i = 0; i < int(data.cases.size()); ++i) {
        const ReviewCase& c = data.cases[std::size_t(i)];
        int col = 0;
        auto* dom = new QTableWidgetItem(QString::fromStdString(c.domain));
        dom->setData(kCaseRole, i);
        d->table->setItem(i, col++, dom);
        d->table->setItem(i, col++, new QTableWidgetItem(QString::fromStdString(c.caseId)));
        auto scores = [&](const std::map<std::string, RegionScore>& m, double mean) {
            d->table->setItem(i, col++, new NumberItem(mean, 3));
            for (const auto& r : data.regions) {
                auto it = m.find(r);
                d->table->setItem(i, col++, new NumberItem(it == m.end() ? NAN : it->second.dice, 3));
                d->table->setItem(i, col++, new NumberItem(it == m.end() ? NAN : it->second.hd95, 2));
            }
        };
        scores(c.a, c.meanDiceA());
        if (data.hasB()) scores(c.b, c.meanDiceB());
        if (vcdr) {
            d->table->setItem(i, col++, new NumberItem(c.vcdrA, 3));
            if (data.hasB()) d->table->setItem(i, col++, new NumberItem(c.vcdrB, 3));
            d->table->setItem(i, col++, new NumberItem(c.vcdrTruth, 3));
        }
        const auto [flag, note] = flagAndNote(c);
        d->table->setItem(i, col++, new QTableWidgetItem(flag));
        d->table->setItem(i, col++, new QTableWidgetItem(note));
    }
    d->table->setSortingEnabled(true);
    d->table->sortByColumn(2, Qt::AscendingOrder);  // worst first
    d->table->resizeColumnsToContents();
    d->updating = false;
    setDomainFilter(d->domain->currentData().toString());
}

void ReviewWindow::setDomainFilter(const QString& domain) {
    if (d->domain->currentData().toString() != domain) {
        const int i = d->domain->findData(domain);
        if (i >= 0) {
            d->domain->setCurrentIndex(i);  // re-enters through the signal
            return;
        }
    }
    for (int r = 0; r < d->table->rowCount(); ++r)
        d->table->setRowHidden(r, !domain.isEmpty() && d->table->item(r, 0)->text() != domain);
}

void ReviewWindow::showRow(int row) {
    if (row < 0 || row >= d->table->rowCount()) return;
    const int index = d->table->item(row, 0)->data(kCaseRole).toInt();
    const ReviewCase& c = d->data.cases[std::size_t(index)];
    d->shown = index;
    d->updating = true;
    d->caseTitle->setText(tr("<b>%1 / %2</b>  mean Dice A %3")
                              .arg(QString::fromStdString(c.domain), QString::fromStdString(c.caseId))
                              .arg(c.meanDiceA(), 0, 'f', 3));
    const auto [flag, note] = flagAndNote(c);
    d->flag->setCurrentText(flag);
    d->note->setText(note);
    d->flag->setEnabled(d->project != nullptr);
    d->note->setEnabled(d->project != nullptr);
    d->updating = false;

    std::shared_ptr<Image> image;
    std::shared_ptr<LabelMap> ref, predA, predB, err;
    try {
        image = std::make_shared<Image>(readImage(c.image));
        if (!c.mask.empty()) ref = std::make_shared<LabelMap>(readCaseMask(Case{c.caseId, c.image, c.mask}));
        if (!c.predictionA.empty()) predA = std::make_shared<LabelMap>(readLabelMap(c.predictionA));
        if (!c.predictionB.empty()) predB = std::make_shared<LabelMap>(readLabelMap(c.predictionB));
        if (ref && predA) err = std::make_shared<LabelMap>(errorMap(*predA, *ref));
    } catch (const std::exception& e) {
        d->caseTitle->setText(d->caseTitle->text() + "  " + tr("(cannot read: %1)").arg(QString::fromUtf8(e.what())));
    }
    auto sameSize = [&](const std::shared_ptr<LabelMap>& l) {
        return l && image && l->geometry().size == image->geometry().size ? std::shared_ptr<const LabelMap>(l) : nullptr;
    };
    const std::shared_ptr<const LabelMap> layers[] = {nullptr, sameSize(ref), sameSize(predA), sameSize(predB), sameSize(err)};
    for (int i = 0; i < d->views.size(); ++i) {
        d->views[i]->setImage(image);
        d->views[i]->setLabels(layers[i]);
    }
    d->views[0]->fit();  // the link brings the others along
}

QPair<QString, QString> ReviewWindow::flagAndNote(const ReviewCase& c) const {
    if (d->project) {
        auto it = d->project->annotations.find(c.key());
        if (it != d->project->annotations.end())
            return {QString::fromStdString(it->second.flag), QString::fromStdString(it->second.note)};
    }
    return {};
}

void ReviewWindow::setFlag(const QString& flag) {
    if (!updateAnnotation(&CaseAnnotation::flag, flag, d->table->columnCount() - 2)) return;
    if (d->flag->currentText() != flag) {
        d->updating = true;
        d->flag->setCurrentText(flag);
        d->updating = false;
    }
}

void ReviewWindow::setNote(const QString& note) {
    if (!updateAnnotation(&CaseAnnotation::note, note, d->table->columnCount() - 1)) return;
    if (d->note->text() != note) d->note->setText(note);
}

bool ReviewWindow::updateAnnotation(std::string CaseAnnotation::*field, const QString& value, int column) {
    if (!d->project || d->shown < 0) return false;
    const ReviewCase& c = d->data.cases[std::size_t(d->shown)];
    std::string& stored = d->project->annotations[c.key()].*field;
    if (stored == value.toStdString()) return false;
    stored = value.toStdString();
    if (d->save) d->save();
    for (int r = 0; r < d->table->rowCount(); ++r)
        if (d->table->item(r, 0)->data(kCaseRole).toInt() == d->shown) d->table->item(r, column)->setText(value);
    return true;
}

bool ReviewWindow::exportCsv(const QString& file) { return writeReviewCsv(file, d->data, d->project, &d->error); }

bool ReviewWindow::exportHtml(const QString& file, int worstN) {
    return writeReviewReport(file, d->data, d->project, worstN, &d->error);
}

}  // namespace dacw
