#pragma once
// "Accept prediction as starting label": copies a predicted label map into the label map being
// edited, through the editor, so that it is one undo step per slice touched (one for a 2D image)
// and autosave sees the change. The clinician then corrects rather than paints from scratch.
// Plain C++: no Qt, no VTK.
#include "core/image/Image.h"
#include "ui/model/LabelEditor.h"

namespace dacw {

enum class AcceptMode {
    Replace,       // the labels become the prediction
    FillUnlabeled  // only unlabeled (0) pixels take the prediction; painted pixels stay
};

/// Returns the number of slices changed (0 when nothing changes).
/// Throws std::invalid_argument when the prediction's size is not the image's.
std::size_t acceptPrediction(LabelEditor& editor, const LabelMap& prediction, AcceptMode mode = AcceptMode::Replace);

/// How many labeled pixels of `labels` replacing them by `prediction` would change (what asking
/// before replacing is about). Throws std::invalid_argument on a size mismatch.
std::size_t overwrittenPixels(const LabelMap& labels, const LabelMap& prediction);

}  // namespace dacw
