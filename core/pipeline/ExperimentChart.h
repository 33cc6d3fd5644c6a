#pragma once
// A bar chart of an experiment, as a PNG beside results.md: one group of bars per test domain,
// one bar per method (the mean over seeds) with a line for ± one standard deviation.
#include <filesystem>
#include <string>
#include <vector>

namespace dacw {

struct ChartBar {
    std::string method;
    double mean = 0, sd = 0;  // sd NaN or 0: no error line
};
struct ChartGroup {
    std::string label;        // the test domain
    std::vector<ChartBar> bars;
};

/// Draws "title" with values in [0, 1] and writes a PNG. Throws InputError when it cannot be written.
void writeBarChart(const std::filesystem::path& file, const std::string& title, const std::vector<ChartGroup>& groups);

}  // namespace dacw
