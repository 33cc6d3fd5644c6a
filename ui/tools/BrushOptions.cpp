#include "ui/tools/BrushOptions.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSpinBox>

#include "ui/model/BrushTool.h"

namespace dacw {

BrushOptions::BrushOptions(BrushTool& tool) : tool_(tool) {
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(4, 0, 4, 0);
    row->addWidget(new QLabel(tr("Size")));
    size_ = new QSpinBox;
    size_->setObjectName("brushSize");
    size_->setRange(1, 255);
    size_->setToolTip(tr("Brush diameter in voxels ([ and ])"));
    row->addWidget(size_);
    round_ = new QCheckBox(tr("Round"));
    round_->setObjectName("brushRound");
    row->addWidget(round_);
    refresh();
    connect(size_, &QSpinBox::valueChanged, this, [this](int v) { tool_.setDiameter(v); });
    connect(round_, &QCheckBox::toggled, this, [this](bool on) { tool_.setRound(on); });
}

void BrushOptions::refresh() {
    const QSignalBlocker a(size_), b(round_);
    size_->setValue(tool_.diameter());
    round_->setChecked(tool_.round());
}

}  // namespace dacw
