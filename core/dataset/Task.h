#pragma once
// A segmentation task: the labels a mask may hold and the regions that evaluation reports.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace dacw {

struct LabelInfo {
    std::string name;
    std::uint8_t value = 0;
    std::array<std::uint8_t, 3> color{255, 0, 0};
};

/// An evaluation region is a union of label values (fundus: disc = {1,2}, cup = {2}).
struct Region {
    std::string name;
    std::vector<std::uint8_t> values;
};

struct Task {
    std::string name;         // "fundus", "polyp", "scgm", or a custom name
    std::string description;
    int channels = 3;         // input channels the networks see (1 for MRI)
    std::vector<LabelInfo> labels;  // background (0) excluded
    std::vector<Region> regions;

    /// Number of classes including background: max label value + 1.
    int classCount() const;
    bool allowsValue(std::uint8_t v) const;  // 0 or a listed label
    const LabelInfo* label(std::uint8_t v) const;

    static Task fundus();  // 1 = disc rim, 2 = cup; regions disc {1,2}, cup {2}
    static Task polyp();   // 1 = polyp
    static Task scgm();    // spinal cord grey matter MRI: 1 = grey matter
    /// Built-in task by name; throws InputError for an unknown name.
    static Task byName(const std::string& name);
    static std::vector<std::string> builtinNames();
};

}  // namespace dacw
