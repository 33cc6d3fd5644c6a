#include "core/demo/DemoData.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/image/ImageIO.h"
#include "core/project/Project.h"
#include "core/util/Errors.h"

namespace fs = std::filesystem;

namespace dacw {
namespace {

/// How one acquisition centre differs from another: what a camera, its settings and a
/// population change in the picture.
struct CentreStyle {
    const char* name;
    cv::Vec3f tint;        // BGR multipliers
    float contrast;
    float gamma;
    float blurSigma;
    float noise;
    float illumination;    // strength of a left-right illumination gradient
    float scale;           // object size relative to the field of view
};

const CentreStyle kCentres[3] = {
    {"centre-a", {0.55f, 0.75f, 1.00f}, 1.00f, 1.00f, 0.0f, 0.015f, 0.10f, 1.00f},
    {"centre-b", {0.45f, 0.95f, 0.85f}, 0.70f, 1.35f, 1.2f, 0.030f, 0.35f, 1.45f},
    {"centre-c", {0.80f, 0.70f, 0.95f}, 1.25f, 0.75f, 0.5f, 0.060f, 0.20f, 0.80f},
};

class Rng {
public:
    explicit Rng(unsigned seed) : gen_(seed) {}
    // Built from raw 32-bit draws so that the sequence is the same with every standard library.
    float uniform(float lo, float hi) { return lo + (hi - lo) * float(gen_() >> 8) / float(1u << 24); }
    int integer(int lo, int hi) { return lo + int(gen_() % unsigned(hi - lo + 1)); }
    float normal() {
        float u1 = std::max(uniform(0.f, 1.f), 1e-7f), u2 = uniform(0.f, 1.f);
        return std::sqrt(-2.f * std::log(u1)) * std::cos(6.2831853f * u2);
    }
    unsigned raw() { return gen_(); }

private:
    std::mt19937 gen_;
};

/// Applies a centre's style to a float BGR image in [0,1].
void applyStyle(cv::Mat& img, const CentreStyle& st, Rng& rng) {
    const int w = img.cols, h = img.rows;
    for (int y = 0; y < h; ++y) {
        auto* row = img.ptr<cv::Vec3f>(y);
        for (int x = 0; x < w; ++x) {
            float illum = 1.f + st.illumination * (float(x) / w - 0.5f);
            for (int c = 0; c < 3; ++c) {
                float v = row[x][c] * st.tint[c] * illum;
                v = 0.5f + (v - 0.5f) * st.contrast;
                v = std::pow(std::clamp(v, 0.f, 1.f), st.gamma);
                row[x][c] = v;
            }
        }
    }
    if (st.blurSigma > 0) cv::GaussianBlur(img, img, cv::Size(0, 0), st.blurSigma);
    for (int y = 0; y < h; ++y) {
        auto* row = img.ptr<cv::Vec3f>(y);
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < 3; ++c) row[x][c] = std::clamp(row[x][c] + st.noise * rng.normal(), 0.f, 1.f);
    }
}

cv::Mat toBytes(const cv::Mat& f) {
    cv::Mat out;
    f.convertTo(out, CV_8U, 255.0);
    return out;
}

void writePng(const fs::path& file, const cv::Mat& m) {
    fs::create_directories(file.parent_path());
    // Fixed compression parameters keep the bytes identical between runs.
    if (!cv::imwrite(file.string(), m, {cv::IMWRITE_PNG_COMPRESSION, 6}))
        throw InputError("Cannot write " + file.string());
}

/// A fundus optic-nerve-head crop: orange-red retina, a bright disc with a brighter cup, and
/// vessels leaving the disc. Labels: 1 = disc rim, 2 = cup.
void fundusCase(int size, const CentreStyle& st, Rng& rng, cv::Mat& image, cv::Mat& mask) {
    image = cv::Mat(size, size, CV_32FC3, cv::Scalar(0.18, 0.35, 0.75));
    mask = cv::Mat::zeros(size, size, CV_8U);
    const float s = float(size);
    cv::Point2f centre(s * rng.uniform(0.42f, 0.58f), s * rng.uniform(0.42f, 0.58f));
    float discR = s * rng.uniform(0.17f, 0.22f) * st.scale;
    discR = std::min(discR, s * 0.42f);
    const float aspect = rng.uniform(0.88f, 1.08f);
    const float cupRatio = rng.uniform(0.35f, 0.7f);
    const float angle = rng.uniform(0.f, 180.f);
    // Retinal texture: low-frequency blotches.
    for (int i = 0; i < 12; ++i) {
        cv::Point p(rng.integer(0, size - 1), rng.integer(0, size - 1));
        float d = rng.uniform(-0.06f, 0.06f);
        cv::circle(image, p, rng.integer(size / 10, size / 4), cv::Scalar(0.18 + d, 0.35 + d, 0.75 + d), -1, cv::LINE_AA);
    }
    cv::GaussianBlur(image, image, cv::Size(0, 0), s / 20);
    // Disc and cup.
    cv::Size2f discAxes(discR, discR * aspect);
    cv::ellipse(image, centre, discAxes, angle, 0, 360, cv::Scalar(0.55, 0.75, 0.95), -1, cv::LINE_AA);
    cv::Point2f cupCentre = centre + cv::Point2f(discR * rng.uniform(-0.1f, 0.1f), discR * rng.uniform(-0.1f, 0.1f));
    cv::Size2f cupAxes(discR * cupRatio, discR * cupRatio * aspect);
    cv::ellipse(image, cupCentre, cupAxes, angle, 0, 360, cv::Scalar(0.80, 0.92, 1.0), -1, cv::LINE_AA);
    cv::GaussianBlur(image, image, cv::Size(0, 0), std::max(1.0f, discR / 10));
    cv::ellipse(mask, centre, discAxes, angle, 0, 360, cv::Scalar(1), -1, cv::LINE_8);
    cv::ellipse(mask, cupCentre, cupAxes, angle, 0, 360, cv::Scalar(2), -1, cv::LINE_8);
    // Vessels: curved dark-red paths from the disc outwards, crossing the disc as in real crops.
    const int vessels = rng.integer(4, 7);
    for (int v = 0; v < vessels; ++v) {
        float a = rng.uniform(0.f, 6.2831853f);
        cv::Point2f p = cupCentre;
        float width = rng.uniform(1.0f, 2.8f) * s / 160.f;
        for (int step = 0; step < 24; ++step) {
            a += rng.uniform(-0.25f, 0.25f);
            cv::Point2f q = p + cv::Point2f(std::cos(a), std::sin(a)) * (s / 28.f);
            cv::line(image, p, q, cv::Scalar(0.10, 0.12, 0.45), std::max(1, int(std::lround(width))), cv::LINE_AA);
            p = q;
            width *= 0.97f;
        }
    }
    applyStyle(image, st, rng);
}

/// A colonoscopy-like frame: pink mucosa with folds and a dark lumen; a raised polyp with
/// specular highlights. Label 1 = polyp.
void polypCase(int size, const CentreStyle& st, Rng& rng, cv::Mat& image, cv::Mat& mask) {
    image = cv::Mat(size, size, CV_32FC3);
    mask = cv::Mat::zeros(size, size, CV_8U);
    const float s = float(size);
    const float freq = rng.uniform(0.04f, 0.09f) * 160.f / s, phase = rng.uniform(0.f, 6.28f);
    cv::Point2f lumen(s * rng.uniform(0.2f, 0.8f), s * rng.uniform(0.2f, 0.8f));
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            float fold = 0.06f * std::sin(freq * (x + 0.6f * y) + phase);
            float r = std::hypot(x - lumen.x, y - lumen.y) / s;
            float dark = std::clamp(r * 2.2f, 0.25f, 1.f);
            image.at<cv::Vec3f>(y, x) = cv::Vec3f(0.45f + fold, 0.45f + fold, 0.85f + fold) * dark;
        }
    cv::Point2f c(s * rng.uniform(0.3f, 0.7f), s * rng.uniform(0.3f, 0.7f));
    cv::Size2f axes(s * rng.uniform(0.08f, 0.16f) * st.scale, s * rng.uniform(0.07f, 0.15f) * st.scale);
    const float angle = rng.uniform(0.f, 180.f);
    cv::ellipse(image, c, axes, angle, 0, 360, cv::Scalar(0.50, 0.55, 0.92), -1, cv::LINE_AA);
    cv::ellipse(mask, c, axes, angle, 0, 360, cv::Scalar(1), -1, cv::LINE_8);
    cv::GaussianBlur(image, image, cv::Size(0, 0), 1.5);
    for (int i = 0; i < 3; ++i) {
        cv::Point2f h = c + cv::Point2f(axes.width * rng.uniform(-0.5f, 0.5f), axes.height * rng.uniform(-0.5f, 0.5f));
        cv::circle(image, h, std::max(1, int(s / 80)), cv::Scalar(1, 1, 1), -1, cv::LINE_AA);
    }
    applyStyle(image, st, rng);
}

/// A small T2*-like spinal cord volume: bright CSF ring, grey cord, darker butterfly-shaped
/// grey matter (label 1).
void mriSubject(const CentreStyle& st, Rng& rng, Image& volume, LabelMap& labels) {
    Geometry g;
    g.dimension = 3;
    g.size = {48, 48, 8};
    g.spacing = {0.5, 0.5, 2.5};
    g.origin = {-12.0, -12.0, rng.uniform(-10.f, 10.f)};
    volume = Image(g, 1, PixelType::Int16);
    labels = LabelMap(g);
    const float cx = 24 + rng.uniform(-3.f, 3.f), cy = 24 + rng.uniform(-3.f, 3.f);
    const float contrast = 400.f * st.contrast;
    for (std::size_t z = 0; z < 8; ++z) {
        const float dz = rng.uniform(-0.8f, 0.8f);
        const float cordR = 9.f * st.scale / 1.1f + rng.uniform(-0.5f, 0.5f);
        for (std::size_t y = 0; y < 48; ++y)
            for (std::size_t x = 0; x < 48; ++x) {
                float dx = (float(x) - cx - dz) / cordR, dy = (float(y) - cy) / (cordR * 0.75f);
                float r = std::sqrt(dx * dx + dy * dy);
                float v = 300.f;  // tissue
                if (r < 1.45f) v = 900.f;               // CSF
                if (r < 1.0f) v = 600.f;                // white matter
                // Grey matter: two wings (|dx| within 0.15..0.7) joined by a commissure.
                bool wing = r < 0.85f && std::abs(dx) > 0.12f && std::abs(dx) < 0.7f && std::abs(dy) < 0.75f - 0.6f * std::abs(dx);
                bool bridge = std::abs(dx) <= 0.15f && std::abs(dy) < 0.18f;
                if (wing || bridge) {
                    v = 450.f;
                    labels.at(x, y, z) = 1;
                }
                v = 500.f + (v - 500.f) * contrast / 400.f;
                v += st.noise * 800.f * rng.normal();
                volume.at(x, y, z) = std::round(std::max(0.f, v));
            }
    }
}

Project makeProject(const std::string& name, const Task& task, const fs::path& dir, const std::string& sub) {
    Project p;
    p.name = name;
    p.task = task;
    const char* roles[3] = {"labeled", "unlabeled", "test"};
    for (int i = 0; i < 3; ++i)
        p.domains.push_back({kCentres[i].name, fs::path(sub) / kCentres[i].name, DomainLayout::ImagesMasks, roles[i]});
    p.setFile(dir / (name + ".dacproj"));
    return p;
}

}  // namespace

DemoSummary generateDemo(const fs::path& dir, const DemoOptions& opt) {
    DemoSummary out;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw InputError("Cannot create the demo folder " + dir.string() + ": " + ec.message());
    char id[32];
    for (int c = 0; c < 3; ++c) {
        const CentreStyle& st = kCentres[c];
        Rng rng(opt.seed * 1000u + unsigned(c));
        for (int i = 0; i < opt.fundusPerCentre; ++i) {
            cv::Mat img, mask;
            fundusCase(opt.fundusSize, st, rng, img, mask);
            std::snprintf(id, sizeof id, "%c%03d", 'a' + c, i + 1);
            writePng(dir / "fundus" / st.name / "images" / (std::string("fundus_") + id + ".png"), toBytes(img));
            writePng(dir / "fundus" / st.name / "masks" / (std::string("fundus_") + id + ".png"), mask);
            ++out.images;
        }
        for (int i = 0; i < opt.polypPerCentre; ++i) {
            cv::Mat img, mask;
            polypCase(opt.polypSize, st, rng, img, mask);
            std::snprintf(id, sizeof id, "%c%03d", 'a' + c, i + 1);
            writePng(dir / "polyp" / st.name / "images" / (std::string("frame_") + id + ".png"), toBytes(img));
            writePng(dir / "polyp" / st.name / "masks" / (std::string("frame_") + id + ".png"), mask);
            ++out.images;
        }
        for (int i = 0; i < opt.mriSubjectsPerCentre; ++i) {
            Image vol;
            LabelMap lab;
            mriSubject(st, rng, vol, lab);
            std::snprintf(id, sizeof id, "%c%02d", 'a' + c, i + 1);
            writeImage(vol, dir / "mri" / st.name / "images" / (std::string("sub-") + id + ".nii.gz"));
            writeLabelMap(lab, dir / "mri" / st.name / "masks" / (std::string("sub-") + id + ".nii.gz"));
            ++out.images;
        }
    }
    for (auto& p : {makeProject("demo", Task::fundus(), dir, "fundus"), makeProject("polyp", Task::polyp(), dir, "polyp"),
                    makeProject("mri", Task::scgm(), dir, "mri")}) {
        p.save();
        out.projects.push_back(p.file());
    }
    return out;
}

fs::path ensureDemoProject(const fs::path& dir) {
    const fs::path file = dir / "demo.dacproj";
    std::error_code ec;
    if (!fs::exists(file, ec) || !fs::exists(dir / "fundus" / "centre-a" / "images", ec)) generateDemo(dir);
    return file;
}

}  // namespace dacw
