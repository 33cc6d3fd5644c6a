#include "ui/ProjectBrowser.h"

#include <algorithm>

#include <QComboBox>
#include <QHeaderView>
#include <QLineEdit>
#include <QPainter>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace dacw {

namespace {
constexpr int kStateRole = Qt::UserRole + 1;
constexpr int kDomainRole = Qt::UserRole + 2;
constexpr int kCaseRole = Qt::UserRole + 3;

QIcon dot(const QColor& c) {
    QPixmap pm(12, 12);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setBrush(c);
    p.setPen(c.darker(140));
    p.drawEllipse(1, 1, 10, 10);
    return QIcon(pm);
}

QString statusText(const ProjectBrowser::CaseState& s) {
    if (!s.problem.isEmpty()) return QObject::tr("problem");
    QString t = s.annotated ? QObject::tr("annotated") : s.datasetMask ? QObject::tr("labeled") : QObject::tr("unlabeled");
    if (s.predicted) t += QObject::tr(", predicted");
    return t;
}
}  // namespace

ProjectBrowser::ProjectBrowser(QWidget* parent) : QWidget(parent) {
    search_ = new QLineEdit(this);
    search_->setPlaceholderText(tr("Search cases"));
    search_->setClearButtonEnabled(true);
    search_->setObjectName("caseSearch");
    status_ = new QComboBox(this);
    status_->setObjectName("caseStatusFilter");
    status_->addItem(tr("All cases"), "all");
    status_->addItem(tr("Unlabeled"), "unlabeled");
    status_->addItem(tr("Labeled or annotated"), "labeled");
    status_->addItem(tr("Annotated here"), "annotated");
    status_->addItem(tr("Predicted"), "predicted");
    status_->addItem(tr("Problems"), "problem");
    tree_ = new QTreeWidget(this);
    tree_->setObjectName("projectTree");
    tree_->setColumnCount(2);
    tree_->setHeaderLabels({tr("Case"), tr("Status")});
    tree_->header()->setStretchLastSection(true);
    tree_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    tree_->setUniformRowHeights(true);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(search_);
    layout->addWidget(status_);
    layout->addWidget(tree_);

    connect(search_, &QLineEdit::textChanged, this, &ProjectBrowser::applyFilter);
    connect(status_, &QComboBox::currentIndexChanged, this, &ProjectBrowser::applyFilter);
    connect(tree_, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item) {
        if (item && item->parent())
            Q_EMIT caseActivated(item->data(0, kDomainRole).toString(), item->data(0, kCaseRole).toString());
    });
    connect(tree_, &QTreeWidget::itemClicked, this, [this](QTreeWidgetItem* item) {
        if (item && item->parent())
            Q_EMIT caseActivated(item->data(0, kDomainRole).toString(), item->data(0, kCaseRole).toString());
    });
}

void ProjectBrowser::clear() { tree_->clear(); }

QTreeWidgetItem* ProjectBrowser::domainItem(const QString& domain) const {
    for (int i = 0; i < tree_->topLevelItemCount(); ++i)
        if (tree_->topLevelItem(i)->data(0, kDomainRole).toString() == domain) return tree_->topLevelItem(i);
    return nullptr;
}

QTreeWidgetItem* ProjectBrowser::caseItem(const QString& domain, const QString& caseId) const {
    QTreeWidgetItem* d = domainItem(domain);
    if (!d) return nullptr;
    for (int i = 0; i < d->childCount(); ++i)
        if (d->child(i)->data(0, kCaseRole).toString() == caseId) return d->child(i);
    return nullptr;
}

void ProjectBrowser::setLabelNextRanking(const QList<QPair<QString, QString>>& cases, const QList<double>& scores) {
    constexpr int kRankRole = Qt::UserRole + 20;
    tree_->setColumnCount(cases.isEmpty() ? 2 : 3);
    tree_->setHeaderLabels(cases.isEmpty() ? QStringList{tr("Case"), tr("Status")}
                                           : QStringList{tr("Case"), tr("Status"), tr("Label next")});
    for (int i = 0; i < tree_->topLevelItemCount(); ++i)
        for (int j = 0; j < tree_->topLevelItem(i)->childCount(); ++j) {
            tree_->topLevelItem(i)->child(j)->setText(2, {});
            tree_->topLevelItem(i)->child(j)->setData(2, kRankRole, 0);
        }
    for (int r = 0; r < cases.size(); ++r)
        if (auto* item = caseItem(cases[r].first, cases[r].second)) {
            item->setText(2, QString("#%1  %2").arg(r + 1).arg(scores.value(r), 0, 'f', 3));
            item->setData(2, kRankRole, r + 1);
            item->setToolTip(2, tr("Disagreement of the two sub-models: labeling this case teaches the most"));
        }
    // Ranked cases first, in rank order, within each domain.
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) {
        QTreeWidgetItem* dom = tree_->topLevelItem(i);
        QList<QTreeWidgetItem*> kids = dom->takeChildren();
        std::stable_sort(kids.begin(), kids.end(), [](QTreeWidgetItem* a, QTreeWidgetItem* b) {
            const int ra = a->data(2, kRankRole).toInt(), rb = b->data(2, kRankRole).toInt();
            return ra && (!rb || ra < rb);
        });
        dom->addChildren(kids);
    }
    if (!cases.isEmpty()) tree_->resizeColumnToContents(2);
}

int ProjectBrowser::labelNextRank(const QString& domain, const QString& caseId) const {
    auto* item = caseItem(domain, caseId);
    return item ? item->data(2, Qt::UserRole + 20).toInt() : 0;
}

void ProjectBrowser::addDomain(const QString& domain, const QString& problem) {
    auto* item = domainItem(domain);
    if (!item) {
        item = new QTreeWidgetItem(tree_, {domain});
        item->setData(0, kDomainRole, domain);
        item->setExpanded(true);
        item->setFlags(Qt::ItemIsEnabled);
    }
    if (!problem.isEmpty()) {
        item->setText(1, tr("problem"));
        item->setIcon(0, dot(QColor(220, 50, 50)));
        item->setToolTip(0, problem);
        item->setToolTip(1, problem);
    }
}

void ProjectBrowser::addCase(const QString& domain, const QString& caseId, const CaseState& state) {
    addDomain(domain);
    auto* item = new QTreeWidgetItem(domainItem(domain), {caseId});
    item->setData(0, kDomainRole, domain);
    item->setData(0, kCaseRole, caseId);
    applyState(item, state);
}

void ProjectBrowser::applyState(QTreeWidgetItem* item, const CaseState& s) {
    item->setData(0, kStateRole, QVariant::fromValue(s));
    item->setText(1, statusText(s));
    QColor c = !s.problem.isEmpty() ? QColor(220, 50, 50)
               : s.annotated        ? QColor(60, 170, 90)
               : s.datasetMask      ? QColor(70, 130, 220)
                                    : QColor(170, 170, 170);
    item->setIcon(0, dot(c));
    const QString tip = s.problem.isEmpty() ? statusText(s) : s.problem;
    item->setToolTip(0, tip);
    item->setToolTip(1, tip);
    // Keep the filter consistent with the new state.
    const QString filter = status_->currentData().toString();
    if (filter != "all") applyFilter();
}

void ProjectBrowser::setCaseState(const QString& domain, const QString& caseId, const CaseState& state) {
    if (auto* item = caseItem(domain, caseId)) applyState(item, state);
}

ProjectBrowser::CaseState ProjectBrowser::caseState(const QString& domain, const QString& caseId) const {
    if (auto* item = caseItem(domain, caseId)) return item->data(0, kStateRole).value<CaseState>();
    return {};
}

bool ProjectBrowser::hasCase(const QString& domain, const QString& caseId) const { return caseItem(domain, caseId); }

void ProjectBrowser::selectCase(const QString& domain, const QString& caseId) {
    if (auto* item = caseItem(domain, caseId)) {
        QSignalBlocker block(tree_);
        tree_->setCurrentItem(item);
        tree_->scrollToItem(item);
    }
}

void ProjectBrowser::clearSelection() {
    QSignalBlocker block(tree_);
    tree_->setCurrentItem(nullptr);
    tree_->clearSelection();
}

QStringList ProjectBrowser::visibleCases() const {
    QStringList out;
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) {
        auto* d = tree_->topLevelItem(i);
        for (int j = 0; j < d->childCount(); ++j)
            if (!d->child(j)->isHidden())
                out << d->data(0, kDomainRole).toString() + "/" + d->child(j)->data(0, kCaseRole).toString();
    }
    return out;
}

int ProjectBrowser::caseCount() const {
    int n = 0;
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) n += tree_->topLevelItem(i)->childCount();
    return n;
}

QLineEdit* ProjectBrowser::searchField() const { return search_; }
QComboBox* ProjectBrowser::statusFilter() const { return status_; }
QTreeWidget* ProjectBrowser::tree() const { return tree_; }

void ProjectBrowser::applyFilter() {
    const QString text = search_->text().trimmed();
    const QString filter = status_->currentData().toString();
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) {
        auto* d = tree_->topLevelItem(i);
        for (int j = 0; j < d->childCount(); ++j) {
            auto* c = d->child(j);
            const CaseState s = c->data(0, kStateRole).value<CaseState>();
            bool show = text.isEmpty() || c->text(0).contains(text, Qt::CaseInsensitive);
            if (filter == "unlabeled") show &= !s.annotated && !s.datasetMask && s.problem.isEmpty();
            else if (filter == "labeled") show &= s.annotated || s.datasetMask;
            else if (filter == "annotated") show &= s.annotated;
            else if (filter == "predicted") show &= s.predicted;
            else if (filter == "problem") show &= !s.problem.isEmpty();
            c->setHidden(!show);
        }
    }
}

}  // namespace dacw
