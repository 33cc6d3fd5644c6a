#pragma once
// The label table: one row per label with visibility, colour, value, name and opacity. The
// selected row is the active label. Names and colours are the task's (saved in the project);
// visibility and opacity are display settings (saved in the label description files).
#include <vector>

#include <QColor>
#include <QWidget>

#include "ui/model/LabelDescription.h"

class QTableWidget;
class QPushButton;

namespace dacw {

class LabelTable : public QWidget {
    Q_OBJECT
public:
    explicit LabelTable(QWidget* parent = nullptr);

    void setLabels(const std::vector<LabelDisplay>& labels);
    const std::vector<LabelDisplay>& labels() const { return labels_; }
    const LabelDisplay* label(int value) const;

    int activeLabel() const;
    void setActiveLabel(int value);

    /// The next free value, named and coloured; returns it.
    int addLabel(const QString& name = {}, QColor color = {});
    void renameLabel(int value, const QString& name);
    void recolourLabel(int value, const QColor& color);
    void setLabelVisible(int value, bool visible);
    void setLabelOpacity(int value, double opacity);

    QTableWidget* table() const { return table_; }

Q_SIGNALS:
    void activeLabelChanged(int value);
    /// Colour, visibility or opacity of a label changed (views repaint).
    void displayChanged(int value);
    /// A label was added, renamed or recoloured (the project's task changes).
    void definitionsChanged();

private:
    void rebuild();
    int rowOf(int value) const;
    LabelDisplay* find(int value);

    QTableWidget* table_;
    QPushButton* add_;
    std::vector<LabelDisplay> labels_;
    bool updating_ = false;
};

}  // namespace dacw
