#include "ui/LabelTable.h"

#include <QCheckBox>
#include <QColorDialog>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QPixmap>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace dacw {

namespace {
enum Column { Visible, Colour, Value, Name, Opacity, ColumnCount };

QColor toQColor(const std::array<std::uint8_t, 3>& c) { return QColor(c[0], c[1], c[2]); }

// A swatch icon: unlike a cell background, it stays visible when the row is selected.
QIcon swatch(const QColor& c) {
    QPixmap pm(28, 14);
    pm.fill(c);
    return QIcon(pm);
}

// Distinct colours for new labels (ITK-SNAP's defaults after the first three).
QColor defaultColour(int value) {
    static const QColor palette[] = {QColor(255, 0, 0),    QColor(0, 255, 0),     QColor(0, 0, 255),     QColor(255, 255, 0),
                                     QColor(0, 255, 255),  QColor(255, 0, 255),   QColor(255, 239, 213), QColor(0, 0, 205),
                                     QColor(205, 133, 63), QColor(210, 180, 140), QColor(102, 205, 170), QColor(0, 0, 128)};
    return palette[(value - 1 + 12) % 12];
}
}  // namespace

LabelTable::LabelTable(QWidget* parent) : QWidget(parent) {
    table_ = new QTableWidget(0, ColumnCount, this);
    table_->setObjectName("labelTable");
    table_->setHorizontalHeaderLabels({tr("Show"), tr("Colour"), tr("Value"), tr("Name"), tr("Opacity")});
    table_->verticalHeader()->hide();
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->horizontalHeader()->setSectionResizeMode(Name, QHeaderView::Stretch);
    for (int c : {Visible, Colour, Value, Opacity})
        table_->horizontalHeader()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    add_ = new QPushButton(tr("Add label"), this);
    add_->setObjectName("addLabel");
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(table_);
    auto* row = new QHBoxLayout;
    row->addWidget(add_);
    row->addStretch();
    layout->addLayout(row);

    connect(add_, &QPushButton::clicked, this, [this] { setActiveLabel(addLabel()); });
    connect(table_, &QTableWidget::currentCellChanged, this, [this](int r, int, int, int) {
        if (updating_ || r < 0 || r >= static_cast<int>(labels_.size())) return;
        Q_EMIT activeLabelChanged(labels_[r].info.value);
    });
    connect(table_, &QTableWidget::itemChanged, this, [this](QTableWidgetItem* item) {
        if (updating_ || item->column() != Name) return;
        renameLabel(labels_[item->row()].info.value, item->text());
    });
    connect(table_, &QTableWidget::cellDoubleClicked, this, [this](int r, int c) {
        if (c != Colour || r < 0 || r >= static_cast<int>(labels_.size())) return;
        const int value = labels_[r].info.value;
        const QColor chosen = QColorDialog::getColor(toQColor(labels_[r].info.color), this, tr("Label colour"));
        if (chosen.isValid()) recolourLabel(value, chosen);
    });
}

void LabelTable::setLabels(const std::vector<LabelDisplay>& labels) {
    labels_ = labels;
    rebuild();
}

const LabelDisplay* LabelTable::label(int value) const {
    for (const auto& l : labels_)
        if (l.info.value == value) return &l;
    return nullptr;
}

LabelDisplay* LabelTable::find(int value) {
    for (auto& l : labels_)
        if (l.info.value == value) return &l;
    return nullptr;
}

int LabelTable::rowOf(int value) const {
    for (std::size_t i = 0; i < labels_.size(); ++i)
        if (labels_[i].info.value == value) return static_cast<int>(i);
    return -1;
}

void LabelTable::rebuild() {
    const int active = activeLabel();
    updating_ = true;
    table_->setRowCount(static_cast<int>(labels_.size()));
    for (int r = 0; r < static_cast<int>(labels_.size()); ++r) {
        const LabelDisplay& l = labels_[r];
        const int value = l.info.value;

        auto* vis = new QCheckBox(table_);
        vis->setChecked(l.visible);
        vis->setToolTip(tr("Show or hide this label"));
        connect(vis, &QCheckBox::toggled, this, [this, value](bool on) { setLabelVisible(value, on); });
        table_->setCellWidget(r, Visible, vis);

        auto* colour = new QTableWidgetItem;
        colour->setIcon(swatch(toQColor(l.info.color)));
        colour->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
        colour->setToolTip(tr("Double-click to change the colour"));
        table_->setItem(r, Colour, colour);

        auto* val = new QTableWidgetItem(QString::number(value));
        val->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
        table_->setItem(r, Value, val);

        auto* name = new QTableWidgetItem(QString::fromStdString(l.info.name));
        name->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsEditable);
        table_->setItem(r, Name, name);

        auto* opacity = new QDoubleSpinBox(table_);
        opacity->setRange(0.0, 1.0);
        opacity->setSingleStep(0.1);
        opacity->setDecimals(2);
        opacity->setValue(l.opacity);
        connect(opacity, &QDoubleSpinBox::valueChanged, this, [this, value](double v) { setLabelOpacity(value, v); });
        table_->setCellWidget(r, Opacity, opacity);
    }
    updating_ = false;
    setActiveLabel(rowOf(active) >= 0 ? active : labels_.empty() ? 0 : labels_.front().info.value);
}

int LabelTable::activeLabel() const {
    const int r = table_->currentRow();
    return r >= 0 && r < static_cast<int>(labels_.size()) ? labels_[r].info.value : 0;
}

void LabelTable::setActiveLabel(int value) {
    const int r = rowOf(value);
    if (r < 0) return;
    if (table_->currentRow() != r) table_->setCurrentCell(r, Name);
    else if (!updating_) Q_EMIT activeLabelChanged(value);
}

int LabelTable::addLabel(const QString& name, QColor color) {
    int value = 1;
    while (label(value) && value < 255) ++value;
    if (label(value)) return 0;
    LabelDisplay l;
    l.info.value = static_cast<std::uint8_t>(value);
    l.info.name = (name.isEmpty() ? tr("Label %1").arg(value) : name).toStdString();
    if (!color.isValid()) color = defaultColour(value);
    l.info.color = {static_cast<std::uint8_t>(color.red()), static_cast<std::uint8_t>(color.green()),
                    static_cast<std::uint8_t>(color.blue())};
    labels_.push_back(l);
    rebuild();
    Q_EMIT definitionsChanged();
    Q_EMIT displayChanged(value);
    return value;
}

void LabelTable::renameLabel(int value, const QString& name) {
    LabelDisplay* l = find(value);
    if (!l || name.trimmed().isEmpty() || l->info.name == name.toStdString()) return;
    l->info.name = name.trimmed().toStdString();
    updating_ = true;
    if (auto* item = table_->item(rowOf(value), Name)) item->setText(name.trimmed());
    updating_ = false;
    Q_EMIT definitionsChanged();
}

void LabelTable::recolourLabel(int value, const QColor& c) {
    LabelDisplay* l = find(value);
    if (!l || !c.isValid()) return;
    l->info.color = {static_cast<std::uint8_t>(c.red()), static_cast<std::uint8_t>(c.green()),
                     static_cast<std::uint8_t>(c.blue())};
    if (auto* item = table_->item(rowOf(value), Colour)) item->setIcon(swatch(c));
    Q_EMIT definitionsChanged();
    Q_EMIT displayChanged(value);
}

void LabelTable::setLabelVisible(int value, bool visible) {
    LabelDisplay* l = find(value);
    if (!l || l->visible == visible) return;
    l->visible = visible;
    if (auto* box = qobject_cast<QCheckBox*>(table_->cellWidget(rowOf(value), Visible))) {
        QSignalBlocker block(box);
        box->setChecked(visible);
    }
    Q_EMIT displayChanged(value);
}

void LabelTable::setLabelOpacity(int value, double opacity) {
    LabelDisplay* l = find(value);
    if (!l) return;
    l->opacity = std::clamp(opacity, 0.0, 1.0);
    if (auto* spin = qobject_cast<QDoubleSpinBox*>(table_->cellWidget(rowOf(value), Opacity))) {
        QSignalBlocker block(spin);
        spin->setValue(l->opacity);
    }
    Q_EMIT displayChanged(value);
}

}  // namespace dacw
