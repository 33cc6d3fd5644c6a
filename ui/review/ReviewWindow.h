#pragma once
// Review of a run (or two: e.g. DAC vs supervised) on its labeled test domains: a grid of
// linked viewers (image, reference, prediction A, prediction B, error map), a sortable table of
// per-case Dice and HD95 (worst first) filtered by domain, a flag and a note per case saved in
// the project, and CSV and HTML exports.
#include <functional>
#include <memory>
#include <string>

#include <QPair>
#include <QString>
#include <QWidget>

class QComboBox;
class QLineEdit;
class QTableWidget;

namespace dacw {

class Project;
struct CaseAnnotation;
class SliceView;
struct ReviewData;
struct ReviewCase;

class ReviewWindow : public QWidget {
    Q_OBJECT
public:
    /// `project` may be null (flags and notes are then not available); `save` writes it.
    ReviewWindow(Project* project, std::function<void()> save, QWidget* parent = nullptr);
    ~ReviewWindow() override;

    /// Loads the runs; false with lastError() when a run folder cannot be read.
    bool load(const QString& runA, const QString& runB = {});
    QString lastError() const;
    const ReviewData& data() const;

    /// Shows a case in the grid (by table row, after sorting and filtering).
    void showRow(int row);
    void setDomainFilter(const QString& domain);  // "" = all domains
    /// Flag and note of the case shown; saved into the project at once.
    void setFlag(const QString& flag);
    void setNote(const QString& note);
    bool exportCsv(const QString& file);
    bool exportHtml(const QString& file, int worstN = 5);

    // For tests.
    QTableWidget* table() const;
    QList<SliceView*> views() const;  // image, reference, prediction A, prediction B, error map
    QString shownCase() const;        // "domain/case"

private:
    void fillTable();
    /// Stores one text field of the shown case's annotation, saves the project and updates the
    /// table's `column`; false when nothing changed.
    /// The review flag and note the project holds for a case ("" when none).
    QPair<QString, QString> flagAndNote(const ReviewCase& c) const;
    bool updateAnnotation(std::string CaseAnnotation::*field, const QString& value, int column);
    struct Private;
    std::unique_ptr<Private> d;
};

}  // namespace dacw
