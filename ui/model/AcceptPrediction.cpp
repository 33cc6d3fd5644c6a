#include "ui/model/AcceptPrediction.h"

#include <stdexcept>

namespace dacw {

std::size_t overwrittenPixels(const LabelMap& labels, const LabelMap& prediction) {
    if (labels.geometry().size != prediction.geometry().size)
        throw std::invalid_argument("the prediction's size differs from the image's");
    std::size_t n = 0;
    for (std::size_t i = 0; i < labels.data().size(); ++i) n += labels.data()[i] != 0 && labels.data()[i] != prediction.data()[i];
    return n;
}

std::size_t acceptPrediction(LabelEditor& editor, const LabelMap& prediction, AcceptMode mode) {
    if (!editor.hasData()) throw std::invalid_argument("no case is open");
    const LabelMap& labels = *editor.labels();
    // The size decides: a PNG prediction carries no origin or spacing to compare.
    if (labels.geometry().size != prediction.geometry().size)
        throw std::invalid_argument("the prediction's size differs from the image's");
    const std::uint8_t active = editor.activeLabel();
    const bool preserve = editor.preserveOtherLabels();
    editor.setPreserveOtherLabels(false);
    std::size_t changed = 0;
    const std::size_t depth = labels.depth();
    for (std::size_t z = 0; z < depth; ++z) {
        const SliceFrame frame = SliceFrame::of(labels.geometry(), SliceAxis::Axial, z);
        bool differs = false;
        for (std::size_t v = 0; v < frame.height() && !differs; ++v)
            for (std::size_t u = 0; u < frame.width(); ++u)
                if (labels.at(u, v, z) != prediction.at(u, v, z) && (mode == AcceptMode::Replace || (labels.at(u, v, z) == 0))) {
                    differs = true;
                    break;
                }
        if (!differs) continue;
        editor.beginEdit(frame);
        for (std::size_t v = 0; v < frame.height(); ++v)
            for (std::size_t u = 0; u < frame.width(); ++u) {
                const std::uint8_t want = prediction.at(u, v, z);
                if (editor.labels()->at(u, v, z) == want) continue;
                if (mode == AcceptMode::FillUnlabeled && editor.labels()->at(u, v, z) != 0) continue;
                if (want == 0) {
                    editor.setActiveLabel(editor.labels()->at(u, v, z));
                    editor.paintPixel(long(u), long(v), true);
                } else {
                    editor.setActiveLabel(want);
                    editor.paintPixel(long(u), long(v), false);
                }
            }
        if (editor.endEdit()) ++changed;
    }
    editor.setActiveLabel(active);
    editor.setPreserveOtherLabels(preserve);
    return changed;
}

}  // namespace dacw
