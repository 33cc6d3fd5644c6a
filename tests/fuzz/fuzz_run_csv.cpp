// metrics.csv and validation.csv of a run folder, as the dashboard plots them (readRunTable and
// the curves of pipeline/RunFolder.h): the input is split at a separator line into the two files.
#include <algorithm>
#include <cmath>

#include "FuzzSupport.h"
#include "core/pipeline/RunFolder.h"

using namespace dacw;

namespace {
constexpr std::string_view kSeparator = "\n--dacw-fuzz-next-file--\n";

void checkCurve(const RunCurve& c) {
    for (const auto& [x, y] : c.points) fuzz::require(std::isfinite(x) && std::isfinite(y), "curve points are finite");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const auto dir = fuzz::freshFolder("run");
    const auto parts = fuzz::splitParts(data, size, kSeparator, 2);
    fuzz::writeBytes(dir / "metrics.csv", parts[0].data(), parts[0].size());
    if (parts.size() > 1) fuzz::writeBytes(dir / "validation.csv", parts[1].data(), parts[1].size());

    RunTable metrics, validation;
    fuzz::refusedOrOk([&] { metrics = readRunTable(dir / "metrics.csv"); }, "readRunTable");
    fuzz::refusedOrOk([&] { validation = readRunTable(dir / "validation.csv"); }, "readRunTable");
    for (const auto& row : metrics.rows) fuzz::require(!row.empty(), "rows have a cell");
    for (const auto& row : validation.rows) fuzz::require(!row.empty(), "rows have a cell");
    const auto curves = lossCurves(metrics);
    fuzz::require(curves.size() == std::size_t(std::count_if(metrics.header.begin(), metrics.header.end(), isLossColumn)),
                  "one curve per loss column");
    for (const auto& c : curves) {
        fuzz::require(isLossColumn(c.name), "curves are of loss columns");
        checkCurve(c);
    }
    checkCurve(metricsColumn(metrics, "total"));
    const RunCurve val = validationMeanCurve(validation);
    checkCurve(val);
    for (std::size_t i = 1; i < val.points.size(); ++i)
        fuzz::require(val.points[i - 1].first < val.points[i].first, "validation curve in increasing iterations");
    return 0;
}
