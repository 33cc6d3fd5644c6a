#pragma once
// A fresh copy of the demo project per test, and helpers to drive the main window.
#include <filesystem>

#include <QTemporaryDir>
#include <QTest>

#include "core/dataset/Domain.h"
#include "core/demo/DemoData.h"
#include "core/project/Project.h"
#include "ui/MainWindow.h"
#include "viewers/SliceView.h"

namespace dacw::test {

struct DemoProject {
    std::filesystem::path file;
    QString domain;
    QString caseId;
    std::filesystem::path image;  // of that case
    std::filesystem::path mask;
};

/// Generates the demo data in `dir` and picks the first case of the first domain.
inline DemoProject makeDemoProject(const std::filesystem::path& dir) {
    DemoProject d;
    d.file = ensureDemoProject(dir);
    const Project p = Project::load(d.file);
    const Domain dom = scanDomain(p.resolve(p.domains.at(0).root));
    d.domain = QString::fromStdString(p.domains.at(0).name);
    d.caseId = QString::fromStdString(dom.cases.at(0).id);
    d.image = dom.cases.at(0).image;
    d.mask = dom.cases.at(0).mask;
    return d;
}

/// Paints a stroke with real mouse events from slice point a to b.
inline void mouseStroke(SliceView* view, std::array<double, 2> a, std::array<double, 2> b, int steps = 8,
                        Qt::KeyboardModifiers mods = Qt::NoModifier) {
    const QPoint p0 = view->toWidget(a[0], a[1]).toPoint();
    QTest::mouseMove(view, p0);
    QTest::mousePress(view, Qt::LeftButton, mods, p0);
    for (int i = 1; i <= steps; ++i) {
        const double t = double(i) / steps;
        QTest::mouseMove(view, view->toWidget(a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])).toPoint());
    }
    QTest::mouseRelease(view, Qt::LeftButton, mods, view->toWidget(b[0], b[1]).toPoint());
}

inline QImage grabView(SliceView* view) { return view->grabFramebuffer().convertToFormat(QImage::Format_RGB32); }

}  // namespace dacw::test

namespace dacw::test {

/// Settings (recent projects, window layout) and recovery copies of loose labels written during a
/// test go to a temporary folder, never to the user's own. Call before the first window; child
/// processes inherit the folders (so that a child's recovery copy is the parent's to find).
inline void isolateUserFolders() {
    if (!qEnvironmentVariableIsEmpty("DACW_RECOVERY_DIR")) return;
    static QTemporaryDir home;
    const QByteArray root = home.path().toUtf8();
    qputenv("XDG_CONFIG_HOME", root + "/config");
    qputenv("XDG_DATA_HOME", root + "/data");
    qputenv("DACW_RECOVERY_DIR", root + "/recovery");
}

}  // namespace dacw::test
