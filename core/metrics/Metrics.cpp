#include "core/metrics/Metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/util/Errors.h"

namespace dacw {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// 1D squared distance transform of f (Felzenszwalb & Huttenlocher) with sample spacing h.
void edt1d(const double* f, double* d, std::size_t n, double h, std::vector<std::size_t>& v, std::vector<double>& z) {
    v.assign(n, 0);
    z.assign(n + 1, 0);
    std::size_t k = 0;
    std::size_t first = 0;
    while (first < n && std::isinf(f[first])) ++first;
    if (first == n) {
        std::fill(d, d + n, kInf);
        return;
    }
    v[0] = first;
    z[0] = -kInf;
    z[1] = kInf;
    for (std::size_t q = first + 1; q < n; ++q) {
        if (std::isinf(f[q])) continue;
        const double xq = double(q) * h;
        double s;
        while (true) {
            const double xv = double(v[k]) * h;
            s = ((f[q] + xq * xq) - (f[v[k]] + xv * xv)) / (2 * (xq - xv));
            if (s <= z[k] && k > 0) --k;
            else break;
        }
        if (s <= z[k]) {  // k == 0 and the new parabola dominates everywhere
            v[0] = q;
            z[0] = -kInf;
            z[1] = kInf;
            continue;
        }
        ++k;
        v[k] = q;
        z[k] = s;
        z[k + 1] = kInf;
    }
    k = 0;
    for (std::size_t q = 0; q < n; ++q) {
        const double xq = double(q) * h;
        while (z[k + 1] < xq) ++k;
        const double dx = xq - double(v[k]) * h;
        d[q] = dx * dx + f[v[k]];
    }
}

std::vector<bool> surface(const std::vector<bool>& m, const Geometry& g) {
    const std::size_t nx = g.size[0], ny = g.size[1], nz = g.size[2];
    std::vector<bool> s(m.size(), false);
    auto at = [&](std::size_t x, std::size_t y, std::size_t z) { return m[(z * ny + y) * nx + x]; };
    for (std::size_t z = 0; z < nz; ++z)
        for (std::size_t y = 0; y < ny; ++y)
            for (std::size_t x = 0; x < nx; ++x) {
                if (!at(x, y, z)) continue;
                bool edge = x == 0 || y == 0 || x + 1 == nx || y + 1 == ny || !at(x - 1, y, z) || !at(x + 1, y, z) ||
                            !at(x, y - 1, z) || !at(x, y + 1, z);
                if (!edge && nz > 1) edge = z == 0 || z + 1 == nz || !at(x, y, z - 1) || !at(x, y, z + 1);
                s[(z * ny + y) * nx + x] = edge;
            }
    return s;
}

double percentile95(std::vector<double> v) {
    if (v.empty()) return 0.0;
    // Linear interpolation between order statistics, as numpy's default.
    const double pos = 0.95 * double(v.size() - 1);
    const std::size_t lo = static_cast<std::size_t>(std::floor(pos));
    std::nth_element(v.begin(), v.begin() + long(lo), v.end());
    const double a = v[lo];
    if (lo + 1 >= v.size()) return a;
    const double b = *std::min_element(v.begin() + long(lo) + 1, v.end());
    return a + (b - a) * (pos - double(lo));
}

}  // namespace

std::vector<double> squaredDistanceTransform(const std::vector<bool>& feature, const Geometry& g) {
    const std::size_t n[3] = {g.size[0], g.size[1], g.size[2]};
    std::vector<double> d(feature.size());
    for (std::size_t i = 0; i < feature.size(); ++i) d[i] = feature[i] ? 0.0 : kInf;
    std::vector<double> line, out;
    std::vector<std::size_t> v;
    std::vector<double> z;
    for (int axis = 0; axis < 3; ++axis) {
        const std::size_t len = n[axis];
        if (len <= 1) continue;
        const std::size_t stride = axis == 0 ? 1 : axis == 1 ? n[0] : n[0] * n[1];
        line.resize(len);
        out.resize(len);
        for (std::size_t start = 0; start < d.size(); ++start) {
            // Visit each line once: from its first voxel along `axis`.
            if ((start / stride) % len != 0) continue;
            for (std::size_t i = 0; i < len; ++i) line[i] = d[start + i * stride];
            edt1d(line.data(), out.data(), len, g.spacing[axis], v, z);
            for (std::size_t i = 0; i < len; ++i) d[start + i * stride] = out[i];
        }
    }
    return d;
}

double dice(const std::vector<bool>& a, const std::vector<bool>& b) {
    std::size_t inter = 0, sa = 0, sb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        sa += a[i];
        sb += b[i];
        inter += a[i] && b[i];
    }
    if (sa + sb == 0) return 1.0;
    return 2.0 * double(inter) / double(sa + sb);
}

std::string hd95Unit(const Geometry& g) {
    const bool unitSpacing = std::fabs(g.spacing[0] - 1.0) < 1e-9 && std::fabs(g.spacing[1] - 1.0) < 1e-9;
    return g.size[2] <= 1 && unitSpacing ? "px@512" : "mm";
}

double hd95(const std::vector<bool>& a, const std::vector<bool>& b, const Geometry& g) {
    const bool ea = std::none_of(a.begin(), a.end(), [](bool x) { return x; });
    const bool eb = std::none_of(b.begin(), b.end(), [](bool x) { return x; });
    if (ea && eb) return 0.0;
    if (ea || eb) return std::numeric_limits<double>::quiet_NaN();
    const auto sa = surface(a, g), sb = surface(b, g);
    const auto da = squaredDistanceTransform(sa, g), db = squaredDistanceTransform(sb, g);
    std::vector<double> ab, ba;
    for (std::size_t i = 0; i < sa.size(); ++i) {
        if (sa[i]) ab.push_back(std::sqrt(db[i]));
        if (sb[i]) ba.push_back(std::sqrt(da[i]));
    }
    return std::max(percentile95(ab), percentile95(ba));
}

std::map<std::string, RegionScore> evaluateCase(const LabelMap& prediction, const LabelMap& reference, const Task& task) {
    if (!prediction.geometry().sameSize(reference.geometry()))
        throw InputError("Prediction is " + prediction.geometry().describe() + " but the reference is " +
                         reference.geometry().describe());
    // Photographs: distances in pixels of the image scaled to a 512-pixel longer side.
    Geometry g = reference.geometry();
    if (hd95Unit(g) == "px@512") {
        const double scale = kHd95ReferenceSide / double(std::max(g.size[0], g.size[1]));
        g.spacing[0] = g.spacing[1] = scale;
    }
    double diagonal = 0;
    for (int i = 0; i < 3; ++i) diagonal += std::pow(double(g.size[i] > 1 ? g.size[i] : 0) * g.spacing[i], 2);
    diagonal = std::sqrt(diagonal);
    std::map<std::string, RegionScore> out;
    for (const Region& r : task.regions) {
        bool in[256] = {};
        for (auto v : r.values) in[v] = true;
        std::vector<bool> p(prediction.data().size()), t(reference.data().size());
        for (std::size_t i = 0; i < p.size(); ++i) {
            p[i] = in[prediction.data()[i]];
            t[i] = in[reference.data()[i]];
        }
        RegionScore s;
        s.dice = dice(p, t);
        s.hd95 = hd95(p, t, g);
        if (std::isnan(s.hd95)) {
            s.hd95 = diagonal;
            s.hd95Penalised = true;
        }
        s.predictionEmpty = std::none_of(p.begin(), p.end(), [](bool x) { return x; });
        s.referenceEmpty = std::none_of(t.begin(), t.end(), [](bool x) { return x; });
        out[r.name] = s;
    }
    return out;
}

std::map<std::string, double> diceOfRegions(const LabelMap& prediction, const LabelMap& reference, const Task& task) {
    if (!prediction.geometry().sameSize(reference.geometry()))
        throw InputError("Prediction is " + prediction.geometry().describe() + " but the reference is " +
                         reference.geometry().describe());
    std::map<std::string, double> out;
    for (const Region& r : task.regions) {
        bool in[256] = {};
        for (auto v : r.values) in[v] = true;
        std::size_t inter = 0, sp = 0, st = 0;
        for (std::size_t i = 0; i < prediction.data().size(); ++i) {
            const bool p = in[prediction.data()[i]], t = in[reference.data()[i]];
            sp += p;
            st += t;
            inter += p && t;
        }
        out[r.name] = sp + st == 0 ? 1.0 : 2.0 * double(inter) / double(sp + st);
    }
    return out;
}

double verticalExtent(const std::vector<bool>& m, const Geometry& g) {
    const std::size_t nx = g.size[0], ny = g.size[1];
    std::size_t top = ny, bottom = 0;
    for (std::size_t y = 0; y < ny; ++y)
        for (std::size_t x = 0; x < nx; ++x)
            if (m[y * nx + x]) {
                top = std::min(top, y);
                bottom = std::max(bottom, y);
                break;
            }
    return top > bottom ? 0.0 : double(bottom - top + 1);
}

namespace {

const Region* regionNamed(const Task& task, const std::string& name) {
    for (const auto& r : task.regions)
        if (r.name == name) return &r;
    return nullptr;
}

std::vector<bool> regionMask(const LabelMap& labels, const Region& r, std::size_t z = 0) {
    bool in[256] = {};
    for (auto v : r.values) in[v] = true;
    const std::size_t plane = labels.width() * labels.height();
    std::vector<bool> m(plane);
    for (std::size_t i = 0; i < plane; ++i) m[i] = in[labels.data()[z * plane + i]];
    return m;
}

/// 4-connected components of a 2D mask: the label of each pixel (0 = outside) and each size.
std::vector<std::size_t> components(const std::vector<bool>& m, std::size_t nx, std::size_t ny, std::vector<int>& label) {
    label.assign(m.size(), 0);
    std::vector<std::size_t> sizes{0};
    std::vector<std::size_t> stack;
    for (std::size_t i = 0; i < m.size(); ++i) {
        if (!m[i] || label[i]) continue;
        const int id = int(sizes.size());
        sizes.push_back(0);
        stack.assign(1, i);
        label[i] = id;
        while (!stack.empty()) {
            const std::size_t j = stack.back();
            stack.pop_back();
            ++sizes.back();
            const std::size_t x = j % nx, y = j / nx;
            auto visit = [&](std::size_t k) {
                if (m[k] && !label[k]) {
                    label[k] = id;
                    stack.push_back(k);
                }
            };
            if (x > 0) visit(j - 1);
            if (x + 1 < nx) visit(j + 1);
            if (y > 0) visit(j - nx);
            if (y + 1 < ny) visit(j + nx);
        }
    }
    return sizes;
}

/// The largest component of `m`, with holes (background not connected to the border) filled.
std::vector<bool> largestFilled(const std::vector<bool>& m, std::size_t nx, std::size_t ny) {
    std::vector<int> label;
    auto sizes = components(m, nx, ny, label);
    std::vector<bool> out(m.size(), false);
    if (sizes.size() < 2) return out;
    const int best = int(std::max_element(sizes.begin() + 1, sizes.end()) - sizes.begin());
    for (std::size_t i = 0; i < m.size(); ++i) out[i] = label[i] == best;
    std::vector<bool> outside(m.size());
    for (std::size_t i = 0; i < m.size(); ++i) outside[i] = !out[i];
    std::vector<int> bl;
    auto bsizes = components(outside, nx, ny, bl);
    std::vector<bool> touches(bsizes.size(), false);
    for (std::size_t x = 0; x < nx; ++x) touches[std::size_t(bl[x])] = touches[std::size_t(bl[(ny - 1) * nx + x])] = true;
    for (std::size_t y = 0; y < ny; ++y) touches[std::size_t(bl[y * nx])] = touches[std::size_t(bl[y * nx + nx - 1])] = true;
    for (std::size_t i = 0; i < m.size(); ++i)
        if (outside[i] && !touches[std::size_t(bl[i])]) out[i] = true;
    return out;
}

}  // namespace

double verticalCupToDisc(const LabelMap& labels, const Task& task) {
    const Region* disc = regionNamed(task, "disc");
    const Region* cup = regionNamed(task, "cup");
    if (!disc || !cup || labels.depth() != 1) return std::numeric_limits<double>::quiet_NaN();
    const double d = verticalExtent(regionMask(labels, *disc), labels.geometry());
    if (d <= 0) return std::numeric_limits<double>::quiet_NaN();
    return verticalExtent(regionMask(labels, *cup), labels.geometry()) / d;
}

AnatomyCheck checkAnatomy(const LabelMap& labels, const Task& task) {
    AnatomyCheck c;
    const Region* disc = regionNamed(task, "disc");
    const Region* cup = regionNamed(task, "cup");
    if (!disc || !cup || labels.depth() != 1) return c;
    c.applicable = true;
    const std::size_t nx = labels.width(), ny = labels.height();
    const auto d = regionMask(labels, *disc), k = regionMask(labels, *cup);
    std::vector<int> label;
    const auto ds = components(d, nx, ny, label), ks = components(k, nx, ny, label);
    bool cupInside = true;
    for (std::size_t i = 0; i < d.size(); ++i) cupInside = cupInside && (!k[i] || d[i]);
    c.valid = ds.size() == 2 && ks.size() <= 2 && cupInside && largestFilled(d, nx, ny) == d &&
              (ks.size() < 2 || largestFilled(k, nx, ny) == k);
    return c;
}

void enforceAnatomy(LabelMap& labels, const Task& task) {
    const Region* disc = regionNamed(task, "disc");
    const Region* cup = regionNamed(task, "cup");
    if (!disc || !cup || labels.depth() != 1 || cup->values.size() != 1) return;
    const std::size_t nx = labels.width(), ny = labels.height();
    const std::vector<bool> d = largestFilled(regionMask(labels, *disc), nx, ny);
    std::vector<bool> k = regionMask(labels, *cup);
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = k[i] && d[i];
    k = largestFilled(k, nx, ny);
    // The disc label that is not the cup (fundus: 1 = rim).
    LabelMap::Value rim = 0;
    for (auto v : disc->values)
        if (v != cup->values.front()) rim = v;
    if (rim == 0) return;
    auto& data = labels.data();
    for (std::size_t i = 0; i < d.size(); ++i) data[i] = k[i] && d[i] ? cup->values.front() : d[i] ? rim : LabelMap::Value(0);
}

}  // namespace dacw
