// The maths of a slice view that needs no display: the pixels of a slice along each axis, label
// outlines and the automatic window/level (image/SliceMaths); the 2D camera: fit, one-to-one,
// zoom about a point, pan, display <-> slice (image/SliceCamera).
#include <QtTest/QtTest>

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "core/image/SliceCamera.h"
#include "core/image/SliceMaths.h"

using namespace dacw;

namespace {

Geometry grid(std::size_t w, std::size_t h, std::size_t d) {
    Geometry g;
    g.dimension = d > 1 ? 3 : 2;
    g.size = {w, h, d};
    return g;
}

/// A label slice as text, one string per row: '.' for 0, the digit otherwise.
std::vector<std::string> rows(const std::vector<std::uint8_t>& px, std::size_t w, std::size_t h) {
    std::vector<std::string> out(h, std::string(w, '.'));
    for (std::size_t v = 0; v < h; ++v)
        for (std::size_t u = 0; u < w; ++u)
            if (px[v * w + u]) out[v][u] = char('0' + px[v * w + u]);
    return out;
}

std::vector<std::uint8_t> fromRows(const std::vector<std::string>& r) {
    std::vector<std::uint8_t> px;
    for (const auto& row : r)
        for (char c : row) px.push_back(c == '.' ? 0 : std::uint8_t(c - '0'));
    return px;
}

bool near(const std::array<double, 2>& a, const std::array<double, 2>& b, double tol = 1e-9) {
    return std::abs(a[0] - b[0]) <= tol && std::abs(a[1] - b[1]) <= tol;
}

QByteArray show(const std::array<double, 2>& a) {
    return QByteArray::number(a[0], 'g', 17) + ", " + QByteArray::number(a[1], 'g', 17);
}

SlicePlane plane(SliceAxis axis, std::size_t w, std::size_t h, double su, double sv) {
    SlicePlane p;
    p.axis = axis;
    p.width = w;
    p.height = h;
    p.spacing = {su, sv};
    return p;
}

}  // namespace

class TestSliceMaths : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void graySliceAlongEachAxis() {
        // value = x + 10 y + 100 z, and a second component that must not show.
        Image img(grid(4, 3, 2), 2, PixelType::Int16);
        for (std::size_t z = 0; z < 2; ++z)
            for (std::size_t y = 0; y < 3; ++y)
                for (std::size_t x = 0; x < 4; ++x) {
                    img.at(x, y, z, 0) = float(x + 10 * y + 100 * z);
                    img.at(x, y, z, 1) = -1.0f;
                }
        // Axial slice 1: u = x, v = y.
        std::vector<float> axial(4 * 3, -7.0f);
        extractGraySlice(img, SliceFrame::of(img.geometry(), SliceAxis::Axial, 1), axial.data());
        QCOMPARE(axial, (std::vector<float>{100, 101, 102, 103, 110, 111, 112, 113, 120, 121, 122, 123}));
        // Coronal slice y = 2: u = x, v = z.
        std::vector<float> coronal(4 * 2, -7.0f);
        extractGraySlice(img, SliceFrame::of(img.geometry(), SliceAxis::Coronal, 2), coronal.data());
        QCOMPARE(coronal, (std::vector<float>{20, 21, 22, 23, 120, 121, 122, 123}));
        // Sagittal slice x = 3: u = y, v = z.
        std::vector<float> sagittal(3 * 2, -7.0f);
        extractGraySlice(img, SliceFrame::of(img.geometry(), SliceAxis::Sagittal, 3), sagittal.data());
        QCOMPARE(sagittal, (std::vector<float>{3, 13, 23, 103, 113, 123}));

        // One component: the contiguous path gives the same rows.
        Image one(grid(4, 3, 2), 1, PixelType::Float32);
        for (std::size_t i = 0; i < one.data().size(); ++i) one.data()[i] = float(i) * 0.5f;
        std::vector<float> rowsOf(4 * 3);
        extractGraySlice(one, SliceFrame::of(one.geometry(), SliceAxis::Axial, 1), rowsOf.data());
        for (std::size_t i = 0; i < rowsOf.size(); ++i) QCOMPARE(rowsOf[i], float(12 + i) * 0.5f);
    }

    void rgbSliceClampsAndRounds() {
        // RGBA: alpha is dropped; components are clamped to 0..255 and rounded.
        Image img(grid(2, 1, 1), 4, PixelType::UInt8);
        const float px[8] = {-5.0f, 12.4f, 12.5f, 77.0f, 300.0f, 254.6f, 0.49f, 1.0f};
        std::copy(px, px + 8, img.data().begin());
        std::vector<std::uint8_t> out(2 * 3, 99);
        extractRgbSlice(img, SliceFrame::of(img.geometry(), SliceAxis::Axial, 0), out.data());
        QCOMPARE(out, (std::vector<std::uint8_t>{0, 12, 13, 255, 255, 0}));

        // A coronal slice of an RGB volume: u = x, v = z, three bytes per pixel.
        Image vol(grid(2, 2, 2), 3, PixelType::UInt8);
        for (std::size_t z = 0; z < 2; ++z)
            for (std::size_t y = 0; y < 2; ++y)
                for (std::size_t x = 0; x < 2; ++x)
                    for (int c = 0; c < 3; ++c) vol.at(x, y, z, c) = float(100 * z + 10 * y + x + 3 * c);
        std::vector<std::uint8_t> coronal(2 * 2 * 3);
        extractRgbSlice(vol, SliceFrame::of(vol.geometry(), SliceAxis::Coronal, 1), coronal.data());
        QCOMPARE(coronal, (std::vector<std::uint8_t>{10, 13, 16, 11, 14, 17, 110, 113, 116, 111, 114, 117}));
    }

    void labelSliceAlongEachAxis() {
        LabelMap m(grid(3, 4, 5));
        for (std::size_t z = 0; z < 5; ++z)
            for (std::size_t y = 0; y < 4; ++y)
                for (std::size_t x = 0; x < 3; ++x) m.at(x, y, z) = LabelMap::Value(x + 3 * y + 12 * z);
        std::vector<std::uint8_t> axial(3 * 4);
        extractLabelSlice(m, SliceFrame::of(m.geometry(), SliceAxis::Axial, 2), axial.data());
        QCOMPARE(axial, (std::vector<std::uint8_t>{24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35}));
        // Sagittal slice x = 1: u = y (4 pixels), v = z (5 rows).
        std::vector<std::uint8_t> sagittal(4 * 5);
        extractLabelSlice(m, SliceFrame::of(m.geometry(), SliceAxis::Sagittal, 1), sagittal.data());
        for (std::size_t v = 0; v < 5; ++v)
            for (std::size_t u = 0; u < 4; ++u) QCOMPARE(int(sagittal[v * 4 + u]), int(1 + 3 * u + 12 * v));
        std::vector<std::uint8_t> coronal(3 * 5);
        extractLabelSlice(m, SliceFrame::of(m.geometry(), SliceAxis::Coronal, 3), coronal.data());
        QCOMPARE(int(coronal[0]), 9);
        QCOMPARE(int(coronal[2 * 3 + 1]), 1 + 9 + 24);
    }

    void outlineOfASquare() {
        auto px = fromRows({"........",
                            "..1111..",
                            "..1111..",
                            "..1111..",
                            "..1111..",
                            "........"});
        keepLabelOutlines(px.data(), 8, 6);
        QCOMPARE(rows(px, 8, 6), (std::vector<std::string>{"........",
                                                           "..1111..",
                                                           "..1..1..",
                                                           "..1..1..",
                                                           "..1111..",
                                                           "........"}));
    }

    void outlineWhereRegionsMeetAndAtTheEdge() {
        // Two regions fill the slice: pixels on the slice edge and where 1 meets 2 stay.
        auto px = fromRows({"1111222",
                            "1111222",
                            "1111222",
                            "1111222",
                            "1111222"});
        keepLabelOutlines(px.data(), 7, 5);
        QCOMPARE(rows(px, 7, 5), (std::vector<std::string>{"1111222",
                                                           "1..12.2",
                                                           "1..12.2",
                                                           "1..12.2",
                                                           "1111222"}));
        // A one-pixel-wide line is all outline.
        auto line = fromRows({".....", ".333.", "....."});
        keepLabelOutlines(line.data(), 5, 3);
        QCOMPARE(rows(line, 5, 3), (std::vector<std::string>{".....", ".333.", "....."}));
    }

    void dashedOutlines() {
        // A 6 x 4 block: its outline, dashed two on, two off along u + v.
        auto px = fromRows({"111111",
                            "111111",
                            "111111",
                            "111111"});
        keepDashedLabelOutlines(px.data(), 6, 4, 2);
        QCOMPARE(rows(px, 6, 4), (std::vector<std::string>{"11..11",
                                                           "1.....",
                                                           "......",
                                                           ".11..1"}));
        // Period 0: a solid outline.
        auto solid = fromRows({"111", "111", "111"});
        keepDashedLabelOutlines(solid.data(), 3, 3, 0);
        QCOMPARE(rows(solid, 3, 3), (std::vector<std::string>{"111", "1.1", "111"}));
    }

    void windowLevelOfARamp() {
        // 0..999: the 0.5 % and 99.5 % percentiles are 5 and 994.
        Image ramp(grid(1000, 1, 1), 1, PixelType::Int16);
        for (std::size_t i = 0; i < 1000; ++i) ramp.data()[i] = float(999 - i);
        auto [w, l] = automaticWindowLevel(ramp);
        QCOMPARE(w, 989.0);
        QCOMPARE(l, 499.5);
        // Four cold voxels (in place of the values 0..3) and four hot ones (996..999) do not move it.
        for (std::size_t i = 0; i < 4; ++i) {
            ramp.data()[999 - i] = -1e6f;
            ramp.data()[i] = 1e6f;
        }
        std::tie(w, l) = automaticWindowLevel(ramp);
        QCOMPARE(w, 989.0);
        QCOMPARE(l, 499.5);
    }

    void windowLevelOfASubsample() {
        // 10^6 voxels: every 5th is sampled (200000 values 0, 5, ...), so the percentiles are
        // those of the samples: 5000 and 994995.
        Image ramp(grid(1000, 1000, 1), 1, PixelType::Float32);
        for (std::size_t i = 0; i < ramp.data().size(); ++i) ramp.data()[i] = float(i);
        const auto [w, l] = automaticWindowLevel(ramp);
        QCOMPARE(w, 989995.0);
        QCOMPARE(l, 499997.5);
    }

    void windowLevelWithoutPercentiles() {
        const std::pair<double, double> full{255.0, 127.5};
        Image byte(grid(4, 4, 1), 1, PixelType::UInt8);
        std::fill(byte.data().begin(), byte.data().end(), 3.0f);
        QCOMPARE(automaticWindowLevel(byte), full);
        Image rgb(grid(4, 4, 1), 3, PixelType::Float32);
        QCOMPARE(automaticWindowLevel(rgb), full);
        QCOMPARE(automaticWindowLevel(Image{}), full);
        // A flat image still gets a usable window.
        Image flat(grid(4, 4, 1), 1, PixelType::Int16);
        std::fill(flat.data().begin(), flat.data().end(), 7.0f);
        const auto [w, l] = automaticWindowLevel(flat);
        QCOMPARE(w, 1e-3);
        QCOMPARE(l, 7.0 + 0.5e-3);
    }

    void fitOfANonSquareAnisotropicSlice() {
        // 100 x 50 pixels of 0.5 x 2 mm: 50 mm wide, 100 mm tall, in a 300 x 200 viewport. The
        // height is the tighter side: it fills the viewport but for the 2 % margin.
        const SlicePlane p = plane(SliceAxis::Axial, 100, 50, 0.5, 2.0);
        SliceCamera c;
        c.viewport = {300, 200};
        c.fit(p);
        QCOMPARE(c.focal[0], 24.75);
        QCOMPARE(c.focal[1], 49.0);
        QCOMPARE(c.parallelScale, 51.0);
        // The slice centre is the viewport centre; the pixel edges span 200 / 1.02 pixels
        // vertically and half of that horizontally (the physical aspect, not the pixel count's).
        QVERIFY2(near(c.sliceToDisplay(p, 49.5, 24.5), {150.0, 100.0}), show(c.sliceToDisplay(p, 49.5, 24.5)));
        const auto topLeft = c.sliceToDisplay(p, -0.5, -0.5);
        const auto bottomRight = c.sliceToDisplay(p, 99.5, 49.5);
        QVERIFY(std::abs(bottomRight[1] - topLeft[1] - 200.0 / 1.02) < 1e-9);
        QVERIFY(std::abs(bottomRight[0] - topLeft[0] - 100.0 / 1.02) < 1e-9);
        QVERIFY(topLeft[0] > 0.0 && topLeft[1] > 0.0 && bottomRight[0] < 300.0 && bottomRight[1] < 200.0);

        // 300 x 20 pixels of 1 mm: now the width is the tighter side.
        const SlicePlane wide = plane(SliceAxis::Coronal, 300, 20, 1.0, 1.0);
        c.fit(wide);
        QCOMPARE(c.parallelScale, 102.0);
        const double shown = c.sliceToDisplay(wide, 299.5, 0.0)[0] - c.sliceToDisplay(wide, -0.5, 0.0)[0];
        QVERIFY(std::abs(shown - 300.0 / 1.02) < 1e-9);
    }

    void axialRowsDownCoronalZUp() {
        SliceCamera c;
        c.viewport = {200, 200};
        const SlicePlane axial = plane(SliceAxis::Axial, 64, 64, 1.0, 1.0);
        c.fit(axial);
        QVERIFY(c.sliceToDisplay(axial, 10, 0)[1] < c.sliceToDisplay(axial, 10, 63)[1]);
        const SlicePlane coronal = plane(SliceAxis::Coronal, 64, 20, 1.0, 3.0);
        c.fit(coronal);
        QVERIFY(c.sliceToDisplay(coronal, 10, 0)[1] > c.sliceToDisplay(coronal, 10, 19)[1]);
        // u runs to the right in both.
        QVERIFY(c.sliceToDisplay(coronal, 0, 5)[0] < c.sliceToDisplay(coronal, 63, 5)[0]);
    }

    void displaySliceRoundTrip() {
        for (auto axis : {SliceAxis::Axial, SliceAxis::Coronal, SliceAxis::Sagittal}) {
            const SlicePlane p = plane(axis, 37, 23, 0.7, 1.9);
            SliceCamera c;
            c.viewport = {517, 233};
            c.fit(p);
            c.zoom(p, 1.7, 33.0, 44.0);
            c.pan(p, 12.0, -7.0);
            for (const std::array<double, 2> uv : {std::array<double, 2>{0, 0}, {10.25, 3.5}, {36, 22}, {-4, 50}}) {
                const auto xy = c.sliceToDisplay(p, uv[0], uv[1]);
                QVERIFY2(near(c.displayToSlice(p, xy[0], xy[1]), uv), show(c.displayToSlice(p, xy[0], xy[1])));
            }
            for (const std::array<double, 2> xy : {std::array<double, 2>{0, 0}, {258.5, 116.5}, {517, 233}}) {
                const auto uv = c.displayToSlice(p, xy[0], xy[1]);
                QVERIFY2(near(c.sliceToDisplay(p, uv[0], uv[1]), xy), show(c.sliceToDisplay(p, uv[0], uv[1])));
            }
        }
    }

    void zoomKeepsThePointUnderTheCursor() {
        const SlicePlane p = plane(SliceAxis::Axial, 100, 60, 0.5, 1.5);
        SliceCamera c;
        c.viewport = {320, 240};
        c.fit(p);
        const double scale = c.parallelScale, magnification = c.pixelsPerVoxel(p);
        const auto before = c.displayToSlice(p, 60.0, 70.0);
        QVERIFY(c.zoom(p, 2.0, 60.0, 70.0));
        QVERIFY2(near(c.displayToSlice(p, 60.0, 70.0), before), show(c.displayToSlice(p, 60.0, 70.0)));
        QCOMPARE(c.parallelScale, scale / 2.0);
        QCOMPARE(c.pixelsPerVoxel(p), magnification * 2.0);
        // Another point moved away from the fixed one.
        QVERIFY(!near(c.displayToSlice(p, 200.0, 70.0), before, 1.0));
        // Zooming out about another point keeps that one.
        const auto other = c.displayToSlice(p, 300.0, 10.0);
        QVERIFY(c.zoom(p, 0.4, 300.0, 10.0));
        QVERIFY(near(c.displayToSlice(p, 300.0, 10.0), other));
        // A factor that is not positive changes nothing.
        const SliceCamera kept = c;
        QVERIFY(!c.zoom(p, 0.0, 10.0, 10.0));
        QVERIFY(!c.zoom(p, -2.0, 10.0, 10.0));
        QCOMPARE(c.focal, kept.focal);
        QCOMPARE(c.parallelScale, kept.parallelScale);
    }

    void panMovesTheSliceWithTheCursor() {
        for (auto axis : {SliceAxis::Axial, SliceAxis::Coronal}) {
            const SlicePlane p = plane(axis, 64, 48, 0.8, 1.2);
            SliceCamera c;
            c.viewport = {200, 300};
            c.fit(p);
            const auto grabbed = c.displayToSlice(p, 60.0, 70.0);
            c.pan(p, 12.0, -7.0);
            QVERIFY2(near(c.sliceToDisplay(p, grabbed[0], grabbed[1]), {72.0, 63.0}),
                     show(c.sliceToDisplay(p, grabbed[0], grabbed[1])));
        }
    }

    void oneToOneIsOnePixelPerVoxel() {
        const SlicePlane p = plane(SliceAxis::Axial, 100, 50, 0.5, 2.0);
        SliceCamera c;
        c.viewport = {300, 200};
        c.fit(p);
        const auto focal = c.focal;
        c.oneToOne(p);
        QCOMPARE(c.pixelsPerVoxel(p), 1.0);
        QCOMPARE(c.parallelScale, 50.0);  // half of 200 pixels of 0.5 mm
        QCOMPARE(c.focal, focal);
        // One pixel per voxel along the finer spacing (u); four along v (4 times coarser).
        const auto a = c.sliceToDisplay(p, 10, 10), b = c.sliceToDisplay(p, 11, 11);
        QVERIFY(std::abs(b[0] - a[0] - 1.0) < 1e-9);
        QVERIFY(std::abs(b[1] - a[1] - 4.0) < 1e-9);
        QCOMPARE(c.mmPerPixel(), 0.5);
    }
};

QTEST_GUILESS_MAIN(TestSliceMaths)
#include "test_slice_maths.moc"
