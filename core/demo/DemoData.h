#pragma once
// A small synthetic multi-centre dataset that the project may ship and regenerate: the demo
// project, the tests and a new user's first session run on it without any real patient data.
#include <filesystem>
#include <string>
#include <vector>

namespace dacw {

struct DemoOptions {
    unsigned seed = 7;
    int fundusSize = 160;      // side of the square fundus ROI photos
    int fundusPerCentre = 12;
    int polypSize = 160;
    int polypPerCentre = 8;
    int mriSubjectsPerCentre = 2;
};

struct DemoSummary {
    std::vector<std::filesystem::path> projects;  // demo.dacproj (fundus), polyp.dacproj, mri.dacproj
    std::size_t images = 0;
};

/// Writes fundus/<centre>/{images,masks}, polyp/<centre>/..., mri/<centre>/... for three centres
/// ("centre-a", "centre-b", "centre-c") with visibly different acquisition styles, and the
/// projects that use them. The same seed gives byte-identical files.
DemoSummary generateDemo(const std::filesystem::path& dir, const DemoOptions& opt = {});

/// The demo project file in `dir`, generating the data first when it is missing.
std::filesystem::path ensureDemoProject(const std::filesystem::path& dir);

}  // namespace dacw
