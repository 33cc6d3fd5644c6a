#pragma once
// Helpers shared by the core tests: temporary folders, the shared real-data folder, synthetic
// images.
#include <QtTest/QtTest>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/demo/DemoData.h"
#include "core/image/Image.h"
#include "common/Expect.h"
#include "core/util/Errors.h"

namespace dacw::test {

/// What a run of the `dacw` command line gave: exit code (-1 timed out and killed, -2 crashed),
/// standard output and standard error.
struct CliResult {
    int code;
    QString out, err;
};

#ifdef DACW_CLI
/// Runs the built `dacw` with `args` and waits up to `timeoutMs`.
inline CliResult runDacw(const QStringList& args, int timeoutMs = 300000) {
    QProcess p;
    p.start(DACW_CLI, args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return {-1, {}, "timeout"};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}
#endif

/// The small demo the command-line tests train on: three fundus centres of six cases, `polyps`
/// frames per polyp centre, one MRI subject per centre.
inline void makeSmallDemo(const std::filesystem::path& dir, int polyps = 1) {
    DemoOptions opt;
    opt.fundusPerCentre = 6;
    opt.polypPerCentre = polyps;
    opt.mriSubjectsPerCentre = 1;
    generateDemo(dir, opt);
}

/// ../shared/data beside the source tree (or $DACW_SHARED_DATA). When it is missing, a `data`
/// test fails under CI=true (the folder must be there) and is skipped otherwise.
inline std::filesystem::path sharedDataOrSkip() {
    std::filesystem::path dir;
    if (const char* env = std::getenv("DACW_SHARED_DATA")) dir = env;
    else dir = std::filesystem::path(DACW_SOURCE_DIR) / ".." / "shared" / "data";
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        const char* ci = std::getenv("CI");
        if (ci && std::string(ci) == "true")
            qFatal("shared data folder %s is missing, and CI=true requires it", dir.string().c_str());
        return {};
    }
    return dir.lexically_normal();
}

#define DACW_REQUIRE_SHARED_DATA(var)                                                         \
    const std::filesystem::path var = ::dacw::test::sharedDataOrSkip();                      \
    if (var.empty()) QSKIP("../shared/data is not present: real-data checks skipped");

/// Fails the test unless `fn` throws InputError whose message contains `part` (tests/common/Expect.h).
template <class Fn>
void expectInputError(Fn fn, const std::string& part) {
    expectThrow<InputError>(fn, part);
}

/// A 2D test pattern: gradient plus a square; `components` 1, 3 or 4.
inline Image pattern2d(std::size_t w, std::size_t h, int components, PixelType type, float maxValue) {
    Geometry g;
    g.dimension = 2;
    g.size = {w, h, 1};
    Image img(g, components, type);
    for (std::size_t y = 0; y < h; ++y)
        for (std::size_t x = 0; x < w; ++x)
            for (int c = 0; c < components; ++c) {
                float v = float((x * 7 + y * 3 + std::size_t(c) * 50) % 256) / 255.0f * maxValue;
                if (x > w / 4 && x < w / 2 && y > h / 4 && y < h / 2) v = maxValue;
                img.at(x, y, 0, c) = std::round(v);
            }
    return img;
}

}  // namespace dacw::test
