#pragma once
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
// Helpers shared by the GUI tests: synthetic images and framebuffer statistics.
#include <cmath>
#include <memory>

#include <QDir>
#include <QImage>

#include "core/image/Image.h"

namespace dacw::test {

/// A gray image with a bright disc on a ramp background (values 0..255).
inline std::shared_ptr<Image> makeDiscImage(std::size_t w, std::size_t h, std::size_t d = 1) {
    Geometry g;
    g.dimension = d > 1 ? 3 : 2;
    g.size = {w, h, d};
    auto img = std::make_shared<Image>(g, 1, PixelType::UInt8);
    for (std::size_t z = 0; z < d; ++z)
        for (std::size_t y = 0; y < h; ++y)
            for (std::size_t x = 0; x < w; ++x) {
                const double dx = x - w / 2.0, dy = y - h / 2.0;
                const bool disc = dx * dx + dy * dy < (w / 4.0) * (w / 4.0);
                img->at(x, y, z) = disc ? 200.0f : static_cast<float>(40.0 * x / w + z);
            }
    return img;
}

/// Mean of R+G+B over a region of a grabbed frame.
inline double meanBrightness(const QImage& img, QRect r = {}) {
    if (r.isNull()) r = img.rect();
    double sum = 0;
    long n = 0;
    for (int y = r.top(); y <= r.bottom(); ++y)
        for (int x = r.left(); x <= r.right(); ++x) {
            const QRgb p = img.pixel(x, y);
            sum += qRed(p) + qGreen(p) + qBlue(p);
            ++n;
        }
    return n ? sum / n : 0.0;
}

inline long countDifferent(const QImage& a, const QImage& b) {
    if (a.size() != b.size()) return -1;
    long n = 0;
    for (int y = 0; y < a.height(); ++y)
        for (int x = 0; x < a.width(); ++x)
            if (a.pixel(x, y) != b.pixel(x, y)) ++n;
    return n;
}

/// Saves a grab into $DACW_GUI_TEST_OUT (when set), to look at what a test saw.
inline void saveIfRequested(const QImage& img, const QString& name) {
    const QByteArray dir = qgetenv("DACW_GUI_TEST_OUT");
    if (!dir.isEmpty()) {
        QDir().mkpath(QString::fromLocal8Bit(dir));
        img.save(QDir(QString::fromLocal8Bit(dir)).filePath(name + ".png"));
    }
}

/// The longest time between two ticks of a 2 ms timer: how long the event loop stalled.
class StallMeter : public QObject {
public:
    StallMeter() {
        timer_.setInterval(2);
        connect(&timer_, &QTimer::timeout, this, [this] {
            const qint64 now = clock_.nsecsElapsed();
            if (last_ >= 0) worst_ = std::max(worst_, (now - last_) / 1e6);
            last_ = now;
        });
        clock_.start();
        timer_.start();
    }
    double worstMs() const { return worst_; }

private:
    QTimer timer_;
    QElapsedTimer clock_;
    qint64 last_ = -1;
    double worst_ = 0;
};

}  // namespace dacw::test
