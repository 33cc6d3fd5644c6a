#include "core/pipeline/CalibrationPick.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "core/util/Errors.h"

namespace dacw {

namespace {

using Points = std::vector<std::vector<float>>;

double squaredDistance(const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = double(a[i]) - double(b[i]);
        s += d * d;
    }
    return s;
}

// A uniform number in [0, 1) from the generator's raw output: std::uniform_real_distribution is
// implementation-defined, this is the same on every standard library.
double uniform01(std::mt19937& g) { return double(g() >> 8) * (1.0 / 16777216.0); }

struct Clustering {
    std::vector<int> assignment;
    double inertia = std::numeric_limits<double>::infinity();
};

Clustering lloyd(const Points& p, int k, std::mt19937& g) {
    const std::size_t n = p.size(), dim = p[0].size();
    // k-means++ seeding: each next centre drawn with probability proportional to D^2.
    Points centres{p[std::size_t(uniform01(g) * double(n))]};
    std::vector<double> d2(n);
    while (int(centres.size()) < k) {
        double total = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            d2[i] = std::numeric_limits<double>::infinity();
            for (const auto& c : centres) d2[i] = std::min(d2[i], squaredDistance(p[i], c));
            total += d2[i];
        }
        std::size_t pick = 0;
        if (total > 0.0) {
            double r = uniform01(g) * total;
            for (pick = 0; pick + 1 < n && r >= d2[pick]; ++pick) r -= d2[pick];
        } else {
            pick = std::size_t(uniform01(g) * double(n));  // all points coincide with a centre
        }
        centres.push_back(p[pick]);
    }
    Clustering c;
    c.assignment.assign(n, -1);
    for (int iter = 0; iter < 100; ++iter) {
        bool changed = false;
        for (std::size_t i = 0; i < n; ++i) {
            int best = 0;
            double bestD = std::numeric_limits<double>::infinity();
            for (int j = 0; j < k; ++j) {
                const double d = squaredDistance(p[i], centres[std::size_t(j)]);
                if (d < bestD) bestD = d, best = j;
            }
            if (c.assignment[i] != best) c.assignment[i] = best, changed = true;
        }
        if (!changed) break;
        Points sums(std::size_t(k), std::vector<float>(dim, 0.0f));
        std::vector<int> counts(std::size_t(k), 0);
        for (std::size_t i = 0; i < n; ++i) {
            auto& s = sums[std::size_t(c.assignment[i])];
            for (std::size_t t = 0; t < dim; ++t) s[t] += p[i][t];
            ++counts[std::size_t(c.assignment[i])];
        }
        for (int j = 0; j < k; ++j) {
            if (counts[std::size_t(j)] == 0) {
                // An empty cluster takes the point farthest from its own centre.
                std::size_t far = 0;
                double farD = -1.0;
                for (std::size_t i = 0; i < n; ++i) {
                    const double d = squaredDistance(p[i], centres[std::size_t(c.assignment[i])]);
                    if (d > farD) farD = d, far = i;
                }
                centres[std::size_t(j)] = p[far];
                c.assignment[far] = j;
                continue;
            }
            for (std::size_t t = 0; t < dim; ++t)
                centres[std::size_t(j)][t] = sums[std::size_t(j)][t] / float(counts[std::size_t(j)]);
        }
    }
    c.inertia = 0.0;
    for (std::size_t i = 0; i < n; ++i) c.inertia += squaredDistance(p[i], centres[std::size_t(c.assignment[i])]);
    return c;
}

}  // namespace

PickStrategy pickStrategyFromString(const std::string& name) {
    if (name == "typical") return PickStrategy::Typical;
    if (name == "mixed") return PickStrategy::Mixed;
    throw InputError("unknown pick strategy '" + name + "' (typical or mixed)");
}

std::string toString(PickStrategy s) { return s == PickStrategy::Typical ? "typical" : "mixed"; }

std::vector<double> typicality(const Points& points, int neighbours) {
    const std::size_t n = points.size();
    std::vector<double> out(n, 0.0);
    if (n < 2) {
        std::fill(out.begin(), out.end(), 1.0);
        return out;
    }
    const std::size_t m = std::size_t(std::max(1, std::min(neighbours, int(n) - 1)));
    std::vector<double> d;
    for (std::size_t i = 0; i < n; ++i) {
        d.clear();
        for (std::size_t j = 0; j < n; ++j)
            if (j != i) d.push_back(std::sqrt(squaredDistance(points[i], points[j])));
        std::partial_sort(d.begin(), d.begin() + std::ptrdiff_t(m), d.end());
        const double mean = std::accumulate(d.begin(), d.begin() + std::ptrdiff_t(m), 0.0) / double(m);
        out[i] = 1.0 / std::max(mean, 1e-12);
    }
    return out;
}

std::vector<int> kMeans(const Points& points, int k, std::uint32_t seed, int restarts) {
    const std::size_t n = points.size();
    if (n == 0) return {};
    std::vector<int> a(n);
    if (k >= int(n)) {
        std::iota(a.begin(), a.end(), 0);
        return a;
    }
    k = std::max(k, 1);
    std::mt19937 g(seed);
    Clustering best;
    for (int r = 0; r < std::max(restarts, 1); ++r) {
        Clustering c = lloyd(points, k, g);
        if (c.inertia < best.inertia) best = std::move(c);
    }
    // Number clusters by first appearance so that the result does not depend on seeding order.
    std::vector<int> renumber(std::size_t(k), -1);
    int next = 0;
    for (std::size_t i = 0; i < n; ++i) {
        int& r = renumber[std::size_t(best.assignment[i])];
        if (r < 0) r = next++;
        a[i] = r;
    }
    return a;
}

std::vector<PickedCase> pickForCalibration(const std::vector<CaseDisagreement>& cases, int k, PickStrategy strategy,
                                           std::uint32_t seed) {
    if (cases.empty() || k <= 0) return {};
    Points points;
    for (const auto& c : cases) {
        if (c.embedding.empty()) throw InputError("case " + c.caseId + " has no embedding to cluster");
        if (!points.empty() && c.embedding.size() != points[0].size())
            throw InputError("case " + c.caseId + " has an embedding of another length");
        points.push_back(c.embedding);
    }
    const std::vector<int> cluster = kMeans(points, std::min(k, int(points.size())), seed);
    const int clusters = cluster.empty() ? 0 : *std::max_element(cluster.begin(), cluster.end()) + 1;
    std::vector<std::vector<std::size_t>> members(static_cast<std::size_t>(clusters));
    for (std::size_t i = 0; i < cluster.size(); ++i) members[std::size_t(cluster[i])].push_back(i);

    std::vector<PickedCase> out;
    std::vector<double> typ(points.size(), 0.0);
    for (const auto& m : members) {
        // Typicality within the cluster, over min(20, half its size) neighbours (as TypiClust):
        // over the whole pool, a point near another cluster would look typical.
        Points inCluster;
        for (std::size_t i : m) inCluster.push_back(points[i]);
        const std::vector<double> t = typicality(inCluster, std::max(1, std::min(20, int(m.size()) / 2)));
        for (std::size_t j = 0; j < m.size(); ++j) typ[m[j]] = t[j];
        std::vector<std::size_t> pool = m;
        if (strategy == PickStrategy::Mixed && pool.size() > 1) {
            // The more typical half of the cluster (at least one case), then the most disagreed.
            std::stable_sort(pool.begin(), pool.end(), [&](std::size_t a, std::size_t b) { return typ[a] > typ[b]; });
            pool.resize((pool.size() + 1) / 2);
        }
        auto better = [&](std::size_t a, std::size_t b) {
            return strategy == PickStrategy::Mixed ? cases[a].score > cases[b].score : typ[a] > typ[b];
        };
        std::size_t chosen = pool[0];
        for (std::size_t i : pool)
            if (better(i, chosen)) chosen = i;
        out.push_back({chosen, 0, int(m.size()), typ[chosen]});
    }
    // Largest cluster first; ties by the more typical pick, then by input order.
    std::stable_sort(out.begin(), out.end(), [](const PickedCase& a, const PickedCase& b) {
        if (a.clusterSize != b.clusterSize) return a.clusterSize > b.clusterSize;
        return a.typicality > b.typicality;
    });
    for (std::size_t i = 0; i < out.size(); ++i) out[i].cluster = int(i);
    return out;
}

}  // namespace dacw
