#pragma once
// File > New project: a name, a task and a location; it shows the file that will be written and,
// while the entry cannot be used, why (the checks of core/project/NewProject.h).
#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace dacw {

class NewProjectDialog : public QDialog {
    Q_OBJECT
public:
    explicit NewProjectDialog(const QString& location, QWidget* parent = nullptr);

    QString name() const;
    QString task() const;
    QString location() const;

private:
    void recheck();

    QLineEdit* name_ = nullptr;
    QComboBox* task_ = nullptr;
    QLineEdit* location_ = nullptr;
    QLabel* result_ = nullptr;
    QDialogButtonBox* buttons_ = nullptr;
};

}  // namespace dacw
