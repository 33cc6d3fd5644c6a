// ITK-SNAP label description files (labels.txt, written beside the label maps):
// parseItkSnapLabelDescription. Parsed labels must be valid label values, colours, opacities,
// and write and parse back the same.
#include <cmath>

#include "FuzzSupport.h"
#include "ui/model/LabelDescription.h"

using namespace dacw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    std::vector<LabelDisplay> labels;
    fuzz::refusedOrOk([&] { labels = parseItkSnapLabelDescription(text); }, "parseItkSnapLabelDescription");
    for (const auto& l : labels) {
        fuzz::require(l.info.value >= 1, "label values 1..255");
        fuzz::require(std::isfinite(l.opacity) && l.opacity >= 0.0 && l.opacity <= 1.0, "opacity in 0..1");
    }
    std::vector<LabelDisplay> back;
    fuzz::refusedOrOk([&] { back = parseItkSnapLabelDescription(itkSnapLabelDescription(labels)); },
                      "parseItkSnapLabelDescription of a written file");
    fuzz::require(back.size() == labels.size(), "every label survives a write");
    for (std::size_t i = 0; i < labels.size(); ++i) {
        fuzz::require(back[i].info.value == labels[i].info.value && back[i].info.color == labels[i].info.color &&
                          back[i].visible == labels[i].visible,
                      "value, colour and visibility survive a write");
        fuzz::require(std::abs(back[i].opacity - labels[i].opacity) <= 0.005 + 1e-9, "opacity survives a write (2 decimals)");
    }
    (void)slicerColorTable(labels);
    return 0;
}
