// dac-workbench [project.dacproj | image]: the annotation workbench.
#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QIcon>
#include <QSurfaceFormat>

#include "ui/MainWindow.h"
#include "viewers/QtVtkWidget.h"

int main(int argc, char** argv) {
    // VTK needs an OpenGL 3.2 core context; every GL widget shares this format.
    QSurfaceFormat::setDefaultFormat(dacw::QtVtkWidget::vtkFormat());
    QApplication app(argc, argv);
    QApplication::setApplicationName("DAC Workbench");
    QApplication::setOrganizationName("DAC Workbench");
    QApplication::setApplicationVersion(DACW_VERSION);
    // The installed icon and desktop entry (resources/, installed by packaging/).
    QApplication::setDesktopFileName("dac-workbench");
    QApplication::setWindowIcon(QIcon::fromTheme("dac-workbench"));

    QCommandLineParser parser;
    parser.setApplicationDescription("DAC Workbench: annotate multi-centre medical images.");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("file", "A project (.dacproj) or an image to open.", "[file]");
    QCommandLineOption caseOption("case", "Open this case of the project (domain/id).", "domain/id");
    parser.addOption(caseOption);
    parser.process(app);

    dacw::MainWindow window;
    window.show();
    const QStringList args = parser.positionalArguments();
    if (args.size() > 1) {
        fputs("dac-workbench: give at most one file\n", stderr);
        return 2;
    }
    if (!args.isEmpty()) {
        const QString file = args.first();
        if (QFileInfo(file).suffix().compare("dacproj", Qt::CaseInsensitive) == 0) {
            if (window.openProject(file) && parser.isSet(caseOption)) {
                const QString key = parser.value(caseOption);
                const int slash = key.indexOf('/');
                if (slash > 0) window.openCase(key.left(slash), key.mid(slash + 1));
            }
        } else {
            window.openImageFile(file);
        }
    }
    return app.exec();
}
