#include "viewers/QtVtkWidget.h"

#include <chrono>

#include <QOpenGLContext>
#include <QOpenGLFunctions>

#include <vtkCommand.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkOpenGLState.h>
#include <vtkSmartPointer.h>

namespace dacw {

struct QtVtkWidget::Private {
    vtkSmartPointer<vtkGenericOpenGLRenderWindow> window = vtkSmartPointer<vtkGenericOpenGLRenderWindow>::New();
    bool initialized = false;
    double lastRenderMs = 0.0;
    std::uint64_t frames = 0;
};

QSurfaceFormat QtVtkWidget::vtkFormat() {
    QSurfaceFormat f;
    f.setRenderableType(QSurfaceFormat::OpenGL);
    f.setVersion(3, 2);
    f.setProfile(QSurfaceFormat::CoreProfile);
    f.setSwapBehavior(QSurfaceFormat::DoubleBuffer);
    f.setRedBufferSize(8);
    f.setGreenBufferSize(8);
    f.setBlueBufferSize(8);
    f.setAlphaBufferSize(8);
    f.setDepthBufferSize(24);
    f.setStencilBufferSize(0);
    f.setSamples(0);
    return f;
}

QtVtkWidget::QtVtkWidget(QWidget* parent) : QOpenGLWidget(parent), d(std::make_unique<Private>()) {
    setFormat(vtkFormat());
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    setMinimumSize(64, 64);

    auto* w = d->window.Get();
    w->SetMultiSamples(0);
    w->SetOwnContext(false);
    w->SetFrameBlitModeToNoBlit();  // paintGL blits into Qt's framebuffer
    w->SetForceMaximumHardwareLineWidth(1);
    w->SetReadyForRendering(false);
    w->AddObserver(vtkCommand::WindowMakeCurrentEvent, this, &QtVtkWidget::onMakeCurrent);
    w->AddObserver(vtkCommand::WindowIsCurrentEvent, this, &QtVtkWidget::onIsCurrent);
    w->AddObserver(vtkCommand::WindowSupportsOpenGLEvent, this, &QtVtkWidget::onSupportsOpenGL);
}

QtVtkWidget::~QtVtkWidget() {
    // ~QOpenGLWidget destroys the context after this object is gone: stop listening first.
    if (context()) disconnect(context(), nullptr, this, nullptr);
    cleanup();
    d->window->RemoveAllObservers();
}

vtkGenericOpenGLRenderWindow* QtVtkWidget::renderWindow() const { return d->window; }
double QtVtkWidget::lastRenderMs() const { return d->lastRenderMs; }
std::uint64_t QtVtkWidget::frameCount() const { return d->frames; }

void QtVtkWidget::onMakeCurrent(vtkObject*, unsigned long, void*) {
    // QOpenGLContext::makeCurrent, not QOpenGLWidget::makeCurrent: the latter rebinds the
    // widget's framebuffer in the middle of VTK's render and the view comes out black.
    // Already current (the usual case inside paintGL): re-binding costs milliseconds on Mesa.
    QOpenGLContext* ctx = context();
    if (ctx && ctx->surface() && QOpenGLContext::currentContext() != ctx) ctx->makeCurrent(ctx->surface());
}

void QtVtkWidget::onIsCurrent(vtkObject*, unsigned long, void* callData) {
    const bool current = context() && QOpenGLContext::currentContext() == context();
    *static_cast<bool*>(callData) = current;
}

void QtVtkWidget::onSupportsOpenGL(vtkObject*, unsigned long, void* callData) { *static_cast<int*>(callData) = 1; }

void QtVtkWidget::initializeGL() {
    if (d->initialized) cleanup();
    connect(context(), &QOpenGLContext::aboutToBeDestroyed, this, &QtVtkWidget::cleanup, Qt::UniqueConnection);
    d->window->SetMapped(1);
    d->window->SetIsCurrent(true);
    d->window->OpenGLInitContext();
    d->initialized = true;
}

void QtVtkWidget::resizeGL(int w, int h) {
    const double dpr = devicePixelRatioF();
    d->window->SetSize(static_cast<int>(w * dpr), static_cast<int>(h * dpr));
}

void QtVtkWidget::paintGL() {
    if (!d->initialized) return;
    const double dpr = devicePixelRatioF();
    const int w = static_cast<int>(width() * dpr), h = static_cast<int>(height() * dpr);
    if (d->window->GetSize()[0] != w || d->window->GetSize()[1] != h) d->window->SetSize(w, h);
    beforeRender(w, h);

    const auto t0 = std::chrono::steady_clock::now();
    d->window->SetReadyForRendering(true);
    d->window->Render();
    d->window->SetReadyForRendering(false);

    // Copy VTK's display framebuffer into the framebuffer Qt composes from.
    vtkOpenGLState* state = d->window->GetState();
    state->Reset();
    state->PushDrawFramebufferBinding();
    state->vtkglBindFramebuffer(GL_DRAW_FRAMEBUFFER, defaultFramebufferObject());
    state->vtkglViewport(0, 0, w, h);
    state->vtkglScissor(0, 0, w, h);
    d->window->BlitDisplayFramebuffer();
    state->PopDrawFramebufferBinding();
    d->lastRenderMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ++d->frames;
}

void QtVtkWidget::cleanup() {
    if (!d->initialized) return;
    if (context()) {
        makeCurrent();
        d->window->ReleaseGraphicsResources(d->window);
        d->window->Finalize();
        doneCurrent();
    }
    d->initialized = false;
}

}  // namespace dacw
