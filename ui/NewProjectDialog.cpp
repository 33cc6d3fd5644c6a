#include "ui/NewProjectDialog.h"

#include <filesystem>

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

#include "core/dataset/Task.h"
#include "core/project/NewProject.h"

namespace dacw {

namespace fs = std::filesystem;

NewProjectDialog::NewProjectDialog(const QString& location, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("New project"));
    setObjectName("newProjectDialog");
    name_ = new QLineEdit;
    name_->setObjectName("projectName");
    name_->setPlaceholderText(tr("e.g. glaucoma-2026"));
    task_ = new QComboBox;
    task_->setObjectName("projectTask");
    for (const auto& t : Task::builtinNames()) {
        const Task task = Task::byName(t);
        QStringList labels;
        for (const auto& l : task.labels) labels << QString::fromStdString(l.name);
        task_->addItem(tr("%1  (labels: %2)").arg(QString::fromStdString(t), labels.join(", ")), QString::fromStdString(t));
    }
    location_ = new QLineEdit(location);
    location_->setObjectName("projectLocation");
    auto* browse = new QPushButton(tr("Browse..."));
    auto* where = new QHBoxLayout;
    where->addWidget(location_, 1);
    where->addWidget(browse);
    result_ = new QLabel;
    result_->setObjectName("projectFile");
    result_->setWordWrap(true);
    result_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* form = new QFormLayout;
    form->addRow(tr("&Name:"), name_);
    form->addRow(tr("&Task:"), task_);
    auto* whereLabel = new QLabel(tr("&Location:"));
    whereLabel->setBuddy(location_);
    form->addRow(whereLabel, where);
    form->addRow(result_);
    auto* hint =
        new QLabel(tr("The project keeps its labels, runs and predictions in its own folder. Your image folders are "
                      "added next (File > Add domain folder, or drop them on the window); they are read, never changed."));
    hint->setWordWrap(true);
    form->addRow(hint);
    buttons_ = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons_->button(QDialogButtonBox::Ok)->setText(tr("Create"));
    form->addRow(buttons_);
    setLayout(form);
    resize(560, sizeHint().height());

    connect(buttons_, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(name_, &QLineEdit::textChanged, this, &NewProjectDialog::recheck);
    connect(location_, &QLineEdit::textChanged, this, &NewProjectDialog::recheck);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Where the project folder goes"), location_->text());
        if (!dir.isEmpty()) location_->setText(dir);
    });
    recheck();
}

QString NewProjectDialog::name() const { return name_->text(); }
QString NewProjectDialog::task() const { return task_->currentData().toString(); }
QString NewProjectDialog::location() const { return location_->text(); }

void NewProjectDialog::recheck() {
    const std::string name = name_->text().toStdString();
    const fs::path where = location_->text().toStdString();
    QString problem = QString::fromStdString(projectNameProblem(name));
    std::error_code ec;
    if (problem.isEmpty() && !fs::is_directory(where, ec)) problem = tr("The location does not exist or is not a folder.");
    const fs::path file = newProjectFile(where, name);
    if (problem.isEmpty() && fs::exists(file, ec)) problem = tr("A project of this name exists there already.");
    result_->setText(problem.isEmpty() ? tr("Creates %1").arg(QString::fromStdString(file.string())) : problem);
    result_->setStyleSheet(problem.isEmpty() ? QString() : QString("color: #b00020;"));
    buttons_->button(QDialogButtonBox::Ok)->setEnabled(problem.isEmpty());
}

}  // namespace dacw
