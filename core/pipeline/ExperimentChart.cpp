#include "core/pipeline/ExperimentChart.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/util/Errors.h"

namespace dacw {

void writeBarChart(const std::filesystem::path& file, const std::string& title, const std::vector<ChartGroup>& groups) {
    std::size_t methods = 0;
    for (const auto& g : groups) methods = std::max(methods, g.bars.size());
    const int bar = 36, gap = 28, left = 60, top = 50, plotH = 300, legendW = 170;
    const int groupW = int(methods) * bar + gap;
    int baseline = 0;
    const int plotEnd = left + std::max<int>(1, int(groups.size())) * groupW + gap;
    const int titleW = cv::getTextSize(title, cv::FONT_HERSHEY_SIMPLEX, 0.6, 1, &baseline).width + left + 20;
    const int width = std::max(titleW, plotEnd + legendW);
    const int height = top + plotH + 50;
    cv::Mat img(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
    const auto font = cv::FONT_HERSHEY_SIMPLEX;
    cv::putText(img, title, {left, 28}, font, 0.6, {0, 0, 0}, 1, cv::LINE_AA);
    auto yOf = [&](double v) { return top + plotH - int(std::lround(std::clamp(v, 0.0, 1.0) * plotH)); };
    for (int t = 0; t <= 10; t += 2) {
        const int y = yOf(t / 10.0);
        cv::line(img, {left, y}, {plotEnd, y}, {225, 225, 225}, 1);
        cv::putText(img, cv::format("%.1f", t / 10.0), {left - 36, y + 5}, font, 0.45, {60, 60, 60}, 1, cv::LINE_AA);
    }
    // Colour-blind-safe palette (Okabe-Ito), BGR.
    const cv::Scalar palette[] = {{178, 114, 0}, {0, 159, 230}, {115, 158, 0}, {167, 121, 204}, {0, 94, 213}, {66, 228, 240}};
    for (std::size_t gi = 0; gi < groups.size(); ++gi) {
        const int x0 = left + gap + int(gi) * groupW;
        for (std::size_t b = 0; b < groups[gi].bars.size(); ++b) {
            const ChartBar& cb = groups[gi].bars[b];
            if (!std::isfinite(cb.mean)) continue;
            const int x = x0 + int(b) * bar;
            cv::rectangle(img, {x + 3, yOf(cb.mean)}, {x + bar - 3, yOf(0)}, palette[b % 6], cv::FILLED);
            if (std::isfinite(cb.sd) && cb.sd > 0) {
                const int cx = x + bar / 2;
                cv::line(img, {cx, yOf(cb.mean - cb.sd)}, {cx, yOf(cb.mean + cb.sd)}, {0, 0, 0}, 2);
            }
            const double above = cb.mean + (std::isfinite(cb.sd) ? cb.sd : 0.0);  // the label clears the sd line
            cv::putText(img, cv::format("%.2f", cb.mean), {x + 2, yOf(above) - 6}, font, 0.38, {0, 0, 0}, 1, cv::LINE_AA);
        }
        cv::putText(img, groups[gi].label, {x0, top + plotH + 22}, font, 0.5, {0, 0, 0}, 1, cv::LINE_AA);
    }
    cv::line(img, {left, yOf(0)}, {plotEnd, yOf(0)}, {0, 0, 0}, 1);
    if (!groups.empty())
        for (std::size_t b = 0; b < groups.front().bars.size(); ++b) {
            const int y = top + 10 + int(b) * 22;
            cv::rectangle(img, {plotEnd + 10, y}, {plotEnd + 24, y + 14}, palette[b % 6], cv::FILLED);
            cv::putText(img, groups.front().bars[b].method, {plotEnd + 30, y + 12}, font, 0.45, {0, 0, 0}, 1,
                        cv::LINE_AA);
        }
    // Written beside and renamed, so a chart is never half there.
    const std::filesystem::path tmp = file.parent_path() / ("." + file.stem().string() + ".tmp.png");
    bool ok = false;
    try {
        ok = cv::imwrite(tmp.string(), img);
    } catch (const cv::Exception&) {
        ok = false;
    }
    std::error_code ec;
    if (ok) std::filesystem::rename(tmp, file, ec);
    if (!ok || ec) {
        std::filesystem::remove(tmp, ec);
        throw InputError("Cannot write the chart " + file.string());
    }
}

}  // namespace dacw
