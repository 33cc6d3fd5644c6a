#include "ui/tools/FloodFillOptions.h"

#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>

#include "ui/model/FloodFillTool.h"

namespace dacw {

FloodFillOptions::FloodFillOptions(FloodFillTool& tool) : tool_(tool) {
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(4, 0, 4, 0);
    row->addWidget(new QLabel(tr("Tolerance")));
    tolerance_ = new QDoubleSpinBox;
    tolerance_->setObjectName("floodTolerance");
    tolerance_->setRange(0, 1e6);
    tolerance_->setToolTip(tr("Flood fill: largest intensity difference from the clicked pixel"));
    row->addWidget(tolerance_);
    refresh();
    connect(tolerance_, &QDoubleSpinBox::valueChanged, this, [this](double v) { tool_.setTolerance(v); });
}

void FloodFillOptions::refresh() {
    const QSignalBlocker b(tolerance_);
    tolerance_->setValue(tool_.tolerance());
}

}  // namespace dacw
