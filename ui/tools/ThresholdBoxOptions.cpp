#include "ui/tools/ThresholdBoxOptions.h"

#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>

#include "ui/model/ThresholdBoxTool.h"

namespace dacw {

ThresholdBoxOptions::ThresholdBoxOptions(ThresholdBoxTool& tool) : tool_(tool) {
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(4, 0, 4, 0);
    row->addWidget(new QLabel(tr("Threshold")));
    low_ = new QDoubleSpinBox;
    low_->setObjectName("thresholdLow");
    high_ = new QDoubleSpinBox;
    high_->setObjectName("thresholdHigh");
    for (auto* s : {low_, high_}) {
        s->setRange(-1e6, 1e6);
        row->addWidget(s);
    }
    low_->setToolTip(tr("Lowest intensity that takes the label"));
    high_->setToolTip(tr("Highest intensity that takes the label"));
    refresh();
    for (auto* s : {low_, high_})
        connect(s, &QDoubleSpinBox::valueChanged, this, [this] { tool_.setRange(low_->value(), high_->value()); });
}

void ThresholdBoxOptions::refresh() {
    const QSignalBlocker a(low_), b(high_);
    low_->setValue(tool_.low());
    high_->setValue(tool_.high());
}

}  // namespace dacw
