#include "ui/model/LabelEditor.h"

#include <algorithm>
#include <cmath>

namespace dacw {

LabelEditor::LabelEditor(std::size_t undoBudgetBytes) : history_(undoBudgetBytes) {}

void LabelEditor::setData(std::shared_ptr<const Image> image, std::shared_ptr<LabelMap> labels) {
    editing_ = false;
    image_ = std::move(image);
    labels_ = std::move(labels);
    history_.clear();
    ++revision_;
}

void LabelEditor::beginEdit(const SliceFrame& frame) {
    if (editing_) endEdit();
    if (!labels_) return;
    frame_ = frame;
    frame_.size = labels_->geometry().size;
    before_ = UndoHistory::copySlice(*labels_, frame_);
    editing_ = true;
}

bool LabelEditor::paintPixel(long u, long v, bool erase) {
    if (!editing_ || !frame_.contains(u, v)) return false;
    std::uint8_t& p = labels_->data()[frame_.index(static_cast<std::size_t>(u), static_cast<std::size_t>(v))];
    std::uint8_t target;
    if (erase) {
        if (preserve_ && p != active_) return false;
        target = 0;
    } else {
        if (preserve_ && p != 0 && p != active_) return false;
        target = active_;
    }
    if (p == target) return false;
    p = target;
    return true;
}

bool LabelEditor::paintBrush(Point2 at, int diameter, bool round, bool erase) {
    bool changed = false;
    for (const auto& px : brushFootprint(at[0], at[1], diameter, round)) changed |= paintPixel(px[0], px[1], erase);
    return changed;
}

bool LabelEditor::paintSegment(Point2 from, Point2 to, int diameter, bool round, bool erase) {
    const double len = std::hypot(to[0] - from[0], to[1] - from[1]);
    const double step = std::max(0.5, diameter / 4.0);
    const int n = std::max(1, static_cast<int>(std::ceil(len / step)));
    bool changed = false;
    for (int i = 1; i <= n; ++i) {
        const double t = static_cast<double>(i) / n;
        changed |= paintBrush({from[0] + t * (to[0] - from[0]), from[1] + t * (to[1] - from[1])}, diameter, round, erase);
    }
    return changed;
}

bool LabelEditor::paintMask(const SliceMask& mask, bool erase) {
    if (!editing_) return false;
    bool changed = false;
    const std::size_t w = std::min(mask.width, frame_.width()), h = std::min(mask.height, frame_.height());
    for (std::size_t v = 0; v < h; ++v)
        for (std::size_t u = 0; u < w; ++u)
            if (mask.at(u, v)) changed |= paintPixel(static_cast<long>(u), static_cast<long>(v), erase);
    return changed;
}

bool LabelEditor::endEdit() {
    if (!editing_) return false;
    editing_ = false;
    const bool changed = history_.record(*labels_, frame_, before_);
    before_.clear();
    before_.shrink_to_fit();
    if (changed) ++revision_;
    return changed;
}

void LabelEditor::cancelEdit() {
    if (!editing_) return;
    auto* dst = labels_->data().data();
    std::size_t i = 0;
    for (std::size_t v = 0; v < frame_.height(); ++v)
        for (std::size_t u = 0; u < frame_.width(); ++u) dst[frame_.index(u, v)] = before_[i++];
    editing_ = false;
    before_.clear();
}

bool LabelEditor::applyMask(const SliceFrame& frame, const SliceMask& mask, bool erase) {
    beginEdit(frame);
    paintMask(mask, erase);
    return endEdit();
}

bool LabelEditor::undo(SliceFrame* touched) {
    if (editing_) endEdit();
    if (!labels_ || !history_.undo(*labels_, touched)) return false;
    ++revision_;
    return true;
}

bool LabelEditor::redo(SliceFrame* touched) {
    if (editing_) endEdit();
    if (!labels_ || !history_.redo(*labels_, touched)) return false;
    ++revision_;
    return true;
}

std::optional<std::uint8_t> LabelEditor::labelAt(const SliceFrame& frame, long u, long v) const {
    if (!labels_) return std::nullopt;
    SliceFrame f = frame;
    f.size = labels_->geometry().size;
    if (!f.contains(u, v)) return std::nullopt;
    return labels_->data()[f.index(static_cast<std::size_t>(u), static_cast<std::size_t>(v))];
}

}  // namespace dacw
