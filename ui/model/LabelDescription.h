#pragma once
// Label description files written next to the label maps so that other tools show the labels
// with their names and colours: ITK-SNAP's label description (labels.txt; ITK-SNAP: Segmentation
// > Import Label Descriptions) and a 3D Slicer colour table (labels.ctbl; Slicer loads it with
// the label map as a colour node).
#include <filesystem>
#include <string>
#include <vector>

#include "core/dataset/Task.h"

namespace dacw {

struct LabelDisplay {
    LabelInfo info;
    double opacity = 1.0;
    bool visible = true;
};

std::string itkSnapLabelDescription(const std::vector<LabelDisplay>& labels);
std::string slicerColorTable(const std::vector<LabelDisplay>& labels);
/// Parses an ITK-SNAP label description (background entry 0 skipped; lines that do not parse or
/// whose index is outside 1..255 too). Colours are clamped to 0..255 and opacities to 0..1.
std::vector<LabelDisplay> parseItkSnapLabelDescription(const std::string& text);

/// Writes labels.txt and labels.ctbl into `folder`, atomically. Throws InputError.
void writeLabelDescriptions(const std::filesystem::path& folder, const std::vector<LabelDisplay>& labels);

}  // namespace dacw
