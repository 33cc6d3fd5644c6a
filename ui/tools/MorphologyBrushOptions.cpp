#include "ui/tools/MorphologyBrushOptions.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSpinBox>

#include "ui/model/MorphologyBrushTool.h"

namespace dacw {

MorphologyBrushOptions::MorphologyBrushOptions(MorphologyBrushTool& tool) : tool_(tool) {
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(4, 0, 4, 0);
    mode_ = new QComboBox;
    mode_->setObjectName("smoothMode");
    mode_->addItem(tr("Open: remove specks"));
    mode_->addItem(tr("Close: fill holes"));
    mode_->setToolTip(
        tr("Open removes islands and spurs of the active label narrower than the radius; close fills "
           "holes and notches narrower than it. Only pixels under the brush change."));
    row->addWidget(mode_);
    row->addWidget(new QLabel(tr("Radius")));
    radius_ = new QSpinBox;
    radius_->setObjectName("smoothRadius");
    radius_->setRange(1, 10);
    radius_->setToolTip(tr("Radius of the disc the label is opened or closed with, in voxels"));
    row->addWidget(radius_);
    row->addWidget(new QLabel(tr("Size")));
    size_ = new QSpinBox;
    size_->setObjectName("smoothSize");
    size_->setRange(1, 255);
    size_->setToolTip(tr("Brush diameter in voxels ([ and ])"));
    row->addWidget(size_);
    refresh();
    connect(mode_, &QComboBox::currentIndexChanged, this,
            [this](int i) { tool_.setMode(i == 1 ? MorphologyBrushTool::Mode::Close : MorphologyBrushTool::Mode::Open); });
    connect(radius_, &QSpinBox::valueChanged, this, [this](int v) { tool_.setRadius(v); });
    connect(size_, &QSpinBox::valueChanged, this, [this](int v) { tool_.setDiameter(v); });
}

void MorphologyBrushOptions::refresh() {
    const QSignalBlocker a(mode_), b(radius_), c(size_);
    mode_->setCurrentIndex(tool_.mode() == MorphologyBrushTool::Mode::Close ? 1 : 0);
    radius_->setValue(tool_.radius());
    size_->setValue(tool_.diameter());
}

}  // namespace dacw
