#include "ui/MessageBar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QResizeEvent>
#include <QToolButton>

namespace dacw {

MessageBar::MessageBar(QWidget* parent) : QFrame(parent) {
    setObjectName("messageBar");
    setFrameShape(QFrame::StyledPanel);
    label_ = new QLabel(this);
    label_->setWordWrap(true);
    label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    close_ = new QToolButton(this);
    close_->setText(QStringLiteral("\u2715"));
    close_->setAutoRaise(true);
    close_->setToolTip(tr("Dismiss"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 4, 4);
    layout->addWidget(label_, 1);
    layout->addWidget(close_);
    connect(close_, &QToolButton::clicked, this, &QWidget::hide);
    hide();
}

void MessageBar::showMessage(const QString& text, Level level) {
    level_ = level;
    history_ << text;
    label_->setText(text);
    const char* colours = level == Level::Error     ? "background:#fbe3e4; color:#8a1f11; border:1px solid #e8a0a6;"
                          : level == Level::Warning ? "background:#fff6d5; color:#6b5200; border:1px solid #e6d28a;"
                                                    : "background:#e3f0fb; color:#154a7a; border:1px solid #a0c4e8;";
    setStyleSheet(QString("#messageBar { %1 }").arg(colours));
    show();
    fitHeight();
}

void MessageBar::resizeEvent(QResizeEvent* e) {
    QFrame::resizeEvent(e);
    if (e->size().width() != e->oldSize().width()) fitHeight();
}

void MessageBar::fitHeight() {
    const int h = layout()->heightForWidth(width()) + 2 * frameWidth() + 2;
    if (h > 0 && h != minimumHeight()) setMinimumHeight(h);
}

QString MessageBar::text() const { return isVisible() ? label_->text() : QString(); }

}  // namespace dacw
