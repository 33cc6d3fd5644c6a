#pragma once
// A Qt 6 widget hosting a VTK 9.1 render window (Debian's VTK Qt module is Qt 5 only).
// VTK renders into its own framebuffer inside the widget's OpenGL context; paintGL blits the
// result into the widget's framebuffer. Rendering stays on the GUI thread.
#include <memory>

#include <QOpenGLWidget>
#include <QSurfaceFormat>

class vtkGenericOpenGLRenderWindow;
class vtkObject;

namespace dacw {

class QtVtkWidget : public QOpenGLWidget {
    Q_OBJECT
public:
    explicit QtVtkWidget(QWidget* parent = nullptr);
    ~QtVtkWidget() override;

    vtkGenericOpenGLRenderWindow* renderWindow() const;

    /// The format VTK needs (OpenGL 3.2 core, no multisampling). Set it as the application
    /// default before the QApplication is created so that all GL widgets can share it.
    static QSurfaceFormat vtkFormat();

    /// Renders now and reports the time spent in VTK, in milliseconds (for benchmarks).
    double lastRenderMs() const;
    std::uint64_t frameCount() const;

protected:
    void initializeGL() override;
    void resizeGL(int w, int h) override;
    void paintGL() override;
    /// Called before each VTK render, with the size in device pixels.
    virtual void beforeRender(int /*width*/, int /*height*/) {}

private:
    void onMakeCurrent(vtkObject*, unsigned long, void*);
    void onIsCurrent(vtkObject*, unsigned long, void*);
    void onSupportsOpenGL(vtkObject*, unsigned long, void*);
    void cleanup();

    struct Private;
    std::unique_ptr<Private> d;
};

}  // namespace dacw
