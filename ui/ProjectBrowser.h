#pragma once
// The project browser: domains and their cases with their status (labeled in the dataset,
// annotated in the workbench, unlabeled, predicted, or bad with its reason), a search field and
// a status filter. Activating a case emits caseActivated.
#include <QWidget>

class QComboBox;
class QLineEdit;
class QTreeWidget;
class QTreeWidgetItem;

namespace dacw {

class ProjectBrowser : public QWidget {
    Q_OBJECT
public:
    struct CaseState {
        bool datasetMask = false;
        bool annotated = false;
        bool predicted = false;
        QString problem;  // non-empty: the case is bad, with this reason
    };

    explicit ProjectBrowser(QWidget* parent = nullptr);

    void clear();
    void addDomain(const QString& domain, const QString& problem = {});
    void addCase(const QString& domain, const QString& caseId, const CaseState& state);
    void setCaseState(const QString& domain, const QString& caseId, const CaseState& state);
    CaseState caseState(const QString& domain, const QString& caseId) const;
    bool hasCase(const QString& domain, const QString& caseId) const;
    void selectCase(const QString& domain, const QString& caseId);
    /// No case selected (an image outside the project is open).
    void clearSelection();
    /// Cases shown after filtering, as "domain/id".
    QStringList visibleCases() const;
    int caseCount() const;

    /// "Label next": ranks cases (most informative first) in a third column, sorts each domain
    /// by it, and clears the ranking of cases not listed. An empty list removes the column.
    void setLabelNextRanking(const QList<QPair<QString, QString>>& cases, const QList<double>& scores);
    /// The rank shown for a case (1 = label first), 0 when it is not ranked.
    int labelNextRank(const QString& domain, const QString& caseId) const;

    QLineEdit* searchField() const;
    QComboBox* statusFilter() const;
    QTreeWidget* tree() const;

Q_SIGNALS:
    void caseActivated(const QString& domain, const QString& caseId);

private:
    QTreeWidgetItem* domainItem(const QString& domain) const;
    QTreeWidgetItem* caseItem(const QString& domain, const QString& caseId) const;
    void applyState(QTreeWidgetItem* item, const CaseState& s);
    void applyFilter();

    QLineEdit* search_;
    QComboBox* status_;
    QTreeWidget* tree_;
};

}  // namespace dacw

Q_DECLARE_METATYPE(dacw::ProjectBrowser::CaseState)
