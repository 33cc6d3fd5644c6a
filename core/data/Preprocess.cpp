#include "core/data/Preprocess.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <ATen/ATen.h>

#include "core/train/Errors.h"
#include "core/util/Errors.h"

namespace fs = std::filesystem;

namespace dacw {
namespace {

// 2: masks resampled by area-weighted class votes (pixel-centred), not nearest neighbour;
// 3: the resize mode (letterbox or stretch) is part of the key.
constexpr int kCacheVersion = 3;

/// FNV-1a over the things that decide a cached dataset's content.
struct Hasher {
    std::uint64_t h = 1469598103934665603ull;
    void add(const std::string& s) {
        for (unsigned char c : s) {
            h ^= c;
            h *= 1099511628211ull;
        }
        h ^= 0xff;
        h *= 1099511628211ull;
    }
    std::string hex() const {
        std::ostringstream s;
        s << std::hex << h;
        return s.str();
    }
};

void addFile(Hasher& h, const fs::path& p) {
    std::error_code ec;
    h.add(fs::absolute(p, ec).string());
    h.add(std::to_string(fs::file_size(p, ec)));
    auto t = fs::last_write_time(p, ec);
    h.add(std::to_string(t.time_since_epoch().count()));
}

cv::Mat sliceMat(const Image& img, std::size_t z, int channels) {
    const int w = int(img.width()), hgt = int(img.height());
    const int c = img.components();
    cv::Mat out(hgt, w, CV_32FC(channels));
    for (int y = 0; y < hgt; ++y) {
        float* row = out.ptr<float>(y);
        for (int x = 0; x < w; ++x) {
            const float* px = &img.data()[((z * img.height() + std::size_t(y)) * img.width() + std::size_t(x)) * std::size_t(c)];
            if (channels == 1) {
                row[x] = c >= 3 ? 0.299f * px[0] + 0.587f * px[1] + 0.114f * px[2] : px[0];
            } else {
                for (int k = 0; k < 3; ++k) row[x * 3 + k] = c >= 3 ? px[k] : px[0];
            }
        }
    }
    return out;
}

}  // namespace

std::string sampleId(const std::string& caseId, std::size_t slice, std::size_t depth) {
    return depth > 1 ? caseId + "@" + std::to_string(slice) : caseId;
}

FitBox fitBox(int width, int height, int size, train::Resize mode) {
    if (mode == train::Resize::Stretch || width == height || width < 1 || height < 1) return {0, 0, size, size};
    // Integer rounding (half up), so that python/dacw_model.py's fit_box gives the same box.
    const long long m = std::max(width, height);
    const int w = std::max(1, int((2LL * width * size + m) / (2 * m)));
    const int h = std::max(1, int((2LL * height * size + m) / (2 * m)));
    return {(size - w) / 2, (size - h) / 2, w, h};
}

std::vector<float> networkInput(const Image& img, std::size_t z, int channels, int size, train::Resize mode) {
    if (channels != 1 && channels != 3) throw InputError("networks take 1 or 3 channels, not " + std::to_string(channels));
    const FitBox box = fitBox(int(img.width()), int(img.height()), size, mode);
    cv::Mat m = sliceMat(img, z, channels), r;
    const bool shrink = int(img.width()) > box.width || int(img.height()) > box.height;
    cv::resize(m, r, cv::Size(box.width, box.height), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
    std::vector<float> out(std::size_t(channels) * std::size_t(size) * std::size_t(size), 0.0f);
    const std::size_t plane = std::size_t(size) * std::size_t(size);
    const double count = double(box.width) * double(box.height);
    for (int k = 0; k < channels; ++k) {
        double sum = 0, sq = 0;
        for (int y = 0; y < box.height; ++y) {
            const float* row = r.ptr<float>(y);
            for (int x = 0; x < box.width; ++x) {
                const double v = row[x * channels + k];
                sum += v;
                sq += v * v;
            }
        }
        const double mean = sum / count;
        const double sd = std::sqrt(std::max(sq / count - mean * mean, 0.0));
        const double inv = 1.0 / std::max(sd, 1e-6);
        for (int y = 0; y < box.height; ++y) {
            const float* row = r.ptr<float>(y);
            float* dst = &out[std::size_t(k) * plane + std::size_t(y + box.y) * std::size_t(size) + std::size_t(box.x)];
            for (int x = 0; x < box.width; ++x) dst[x] = float((row[x * channels + k] - mean) * inv);
        }
    }
    return out;
}

train::TensorDataset loadDomainTensors(const Domain& d, const Task& task, const PreprocessOptions& opt, bool withMasks,
                                       const std::vector<std::string>& onlyCases, LoadReport* report) {
    LoadReport local;
    LoadReport& rep = report ? *report : local;
    rep = LoadReport{};
    std::vector<const Case*> cases;
    if (onlyCases.empty()) {
        for (const auto& c : d.cases)
            if (!withMasks || c.hasMask()) cases.push_back(&c);
    } else {
        for (const auto& id : onlyCases) {
            const Case* c = d.find(id);
            if (!c) throw InputError("Domain " + d.name + " has no case '" + id + "'");
            if (withMasks && !c->hasMask()) throw InputError("Case '" + id + "' of domain " + d.name + " has no mask");
            cases.push_back(c);
        }
    }
    if (cases.empty())
        throw InputError(withMasks ? "Domain " + d.name + " (" + d.root.string() + ") has no case with a mask"
                                   : "Domain " + d.name + " (" + d.root.string() + ") holds no images");

    fs::path cacheFile;
    if (!opt.cacheDir.empty()) {
        Hasher h;
        h.add(std::to_string(kCacheVersion));
        h.add(std::to_string(opt.size) + "/" + std::to_string(opt.channels) + "/" + (withMasks ? "m" : "u") + "/" + task.name +
              "/" + train::toString(opt.resize));
        for (const Case* c : cases) {
            h.add(c->id);
            addFile(h, c->image);
            if (withMasks) addFile(h, c->mask);
        }
        cacheFile = opt.cacheDir / (d.name + "-" + h.hex() + ".pt");
        std::error_code ec;
        if (fs::exists(cacheFile, ec)) {
            try {
                train::TensorDataset t = train::TensorDataset::load(cacheFile.string());
                rep.cases = cases.size();
                rep.samples = std::size_t(t.size());
                rep.fromCache = true;
                return t;
            } catch (const std::exception&) {
                fs::remove(cacheFile, ec);  // a damaged cache entry is rebuilt, never trusted
            }
        }
    }

    ReadOptions ro;
    ro.maxBytes = opt.maxBytes;
    const std::size_t plane = std::size_t(opt.size) * std::size_t(opt.size);
    std::vector<float> images;
    std::vector<std::int64_t> masks;
    train::TensorDataset out;
    for (const Case* c : cases) {
        try {
            Image img = readImage(c->image, ro);
            LabelMap mask;
            if (withMasks) {
                mask = readCaseMask(*c, ro);
                if (!mask.geometry().sameSize(img.geometry()))
                    throw InputError("mask size " + mask.geometry().describe() + " differs from the image's " +
                                     img.geometry().describe());
                for (auto v : mask.values())
                    if (!task.allowsValue(v))
                        throw InputError("mask holds label " + std::to_string(int(v)) + ", which task '" + task.name +
                                         "' does not define");
            }
            for (std::size_t z = 0; z < img.depth(); ++z) {
                auto in = networkInput(img, z, opt.channels, opt.size, opt.resize);
                images.insert(images.end(), in.begin(), in.end());
                if (withMasks) {
                    std::vector<std::uint8_t> r = networkLabels(&mask.data()[z * mask.width() * mask.height()], int(mask.width()),
                                                                int(mask.height()), task.classCount(), opt.size, opt.resize);
                    masks.insert(masks.end(), r.begin(), r.end());
                }
                out.caseIds.push_back(sampleId(c->id, z, img.depth()));
                out.domains.push_back(d.name);
            }
            ++rep.cases;
        } catch (const InputError& e) {
            rep.skipped.push_back(c->id + ": " + e.what());
        }
    }
    if (out.caseIds.empty()) {
        std::string why = rep.skipped.empty() ? std::string() : " (first problem: " + rep.skipped.front() + ")";
        throw InputError("No usable case in domain " + d.name + why);
    }
    const auto n = std::int64_t(out.caseIds.size());
    out.images = at::from_blob(images.data(), {n, opt.channels, opt.size, opt.size}, at::kFloat).clone();
    if (withMasks) out.masks = at::from_blob(masks.data(), {n, opt.size, opt.size}, at::kLong).clone();
    (void)plane;
    rep.samples = out.caseIds.size();
    if (!cacheFile.empty()) {
        std::error_code ec;
        fs::create_directories(cacheFile.parent_path(), ec);
        try {
            out.save(cacheFile.string());
        } catch (const std::exception&) {
            // A cache that cannot be written only costs time next run.
        }
    }
    return out;
}

std::vector<std::uint8_t> resampleLabels(const std::uint8_t* labels, int width, int height, int classes, int outWidth,
                                         int outHeight) {
    // Each class's indicator is resampled like the image (area average when shrinking, bilinear
    // when enlarging: both pixel-centred), and every output pixel takes the class with the largest
    // share. Nearest-neighbour sampling in OpenCV reads the source at floor(x * scale), which puts
    // mask edges up to one output pixel away from the image's edges.
    const bool shrink = width > outWidth || height > outHeight;
    const int interp = shrink ? cv::INTER_AREA : cv::INTER_LINEAR;
    const std::size_t outPlane = std::size_t(outWidth) * std::size_t(outHeight);
    std::vector<std::uint8_t> out(outPlane, 0);
    std::vector<float> best(outPlane, -1.0f);
    cv::Mat src(height, width, CV_8U, const_cast<std::uint8_t*>(labels)), ind, r;
    for (int k = 0; k < std::max(classes, 1); ++k) {
        cv::compare(src, cv::Scalar(k), ind, cv::CMP_EQ);  // 0 or 255
        if (k > 0 && cv::countNonZero(ind) == 0) continue;
        ind.convertTo(ind, CV_32F, 1.0 / 255.0);
        cv::resize(ind, r, cv::Size(outWidth, outHeight), 0, 0, interp);
        for (int y = 0; y < outHeight; ++y) {
            const float* row = r.ptr<float>(y);
            for (int x = 0; x < outWidth; ++x) {
                const std::size_t i = std::size_t(y) * std::size_t(outWidth) + std::size_t(x);
                if (row[x] > best[i]) {
                    best[i] = row[x];
                    out[i] = std::uint8_t(k);
                }
            }
        }
    }
    return out;
}

std::vector<std::uint8_t> networkLabels(const std::uint8_t* labels, int width, int height, int classes, int size,
                                        train::Resize mode) {
    const FitBox box = fitBox(width, height, size, mode);
    const std::vector<std::uint8_t> r = resampleLabels(labels, width, height, classes, box.width, box.height);
    if (box.width == size && box.height == size) return r;
    std::vector<std::uint8_t> out(std::size_t(size) * std::size_t(size), 0);
    for (int y = 0; y < box.height; ++y)
        std::copy_n(&r[std::size_t(y) * std::size_t(box.width)], box.width,
                    &out[std::size_t(y + box.y) * std::size_t(size) + std::size_t(box.x)]);
    return out;
}

LabelMap labelsFromProbabilities(const std::vector<std::vector<float>>& sliceProbs, int classes, int size, const Geometry& g,
                                 train::Resize mode) {
    if (sliceProbs.size() != g.size[2])
        throw InputError("prediction has " + std::to_string(sliceProbs.size()) + " slices for a volume of " +
                         std::to_string(g.size[2]));
    LabelMap out(g);
    const int w = int(g.size[0]), h = int(g.size[1]);
    const std::size_t plane = std::size_t(size) * std::size_t(size);
    const FitBox box = fitBox(w, h, size, mode);
    const cv::Rect roi(box.x, box.y, box.width, box.height);
    std::vector<cv::Mat> up(static_cast<std::size_t>(classes));
    for (std::size_t z = 0; z < sliceProbs.size(); ++z) {
        if (sliceProbs[z].size() != plane * std::size_t(classes)) throw InputError("prediction slice has the wrong size");
        for (int k = 0; k < classes; ++k) {
            cv::Mat m(size, size, CV_32F, const_cast<float*>(&sliceProbs[z][std::size_t(k) * plane]));
            cv::resize(m(roi), up[std::size_t(k)], cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
        }
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                int best = 0;
                float bestP = up[0].at<float>(y, x);
                for (int k = 1; k < classes; ++k) {
                    const float p = up[std::size_t(k)].at<float>(y, x);
                    if (p > bestP) {
                        bestP = p;
                        best = k;
                    }
                }
                out.at(std::size_t(x), std::size_t(y), z) = LabelMap::Value(best);
            }
    }
    return out;
}

LabelMap heatFromSliceMaps(const std::vector<std::vector<float>>& sliceMaps, int size, const Geometry& g, train::Resize mode) {
    if (sliceMaps.size() != g.size[2])
        throw InputError("heat map has " + std::to_string(sliceMaps.size()) + " slices for a volume of " +
                         std::to_string(g.size[2]));
    LabelMap out(g);
    const int w = int(g.size[0]), h = int(g.size[1]);
    const FitBox box = fitBox(w, h, size, mode);
    const cv::Rect roi(box.x, box.y, box.width, box.height);
    cv::Mat up;
    for (std::size_t z = 0; z < sliceMaps.size(); ++z) {
        if (sliceMaps[z].size() != std::size_t(size) * std::size_t(size)) throw InputError("heat map slice has the wrong size");
        cv::Mat m(size, size, CV_32F, const_cast<float*>(sliceMaps[z].data()));
        cv::resize(m(roi), up, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const float v = std::clamp(up.at<float>(y, x), 0.0f, 1.0f);
                out.at(std::size_t(x), std::size_t(y), z) = LabelMap::Value(std::lround(v * 255.0f));
            }
    }
    return out;
}

}  // namespace dacw
