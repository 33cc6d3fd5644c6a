#pragma once
// A non-blocking message strip above the view: errors about files and cases are shown here
// (and kept in a history) instead of in modal dialogs, so that nothing else is interrupted.
#include <QFrame>
#include <QStringList>

class QLabel;
class QToolButton;

namespace dacw {

class MessageBar : public QFrame {
    Q_OBJECT
public:
    enum class Level { Info, Warning, Error };
    explicit MessageBar(QWidget* parent = nullptr);

    void showMessage(const QString& text, Level level = Level::Error);
    QString text() const;
    Level level() const { return level_; }
    /// Every message shown since start, oldest first.
    const QStringList& history() const { return history_; }

protected:
    void resizeEvent(QResizeEvent* e) override;

private:
    /// Tall enough for every wrapped line of the text at the current width (the main window's
    /// layout gives a word-wrapped label two lines otherwise, cutting long messages).
    void fitHeight();

    QLabel* label_;
    QToolButton* close_;
    Level level_ = Level::Info;
    QStringList history_;
};

}  // namespace dacw
