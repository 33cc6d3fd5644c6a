#pragma once
// The label map being annotated and the rules every tool paints by: the active label, the
// "preserve other labels" mode, and the undo history. Tools open an edit on one slice, paint,
// and close it; closing records one undo step. Plain C++: no Qt, no VTK.
#include <cstdint>
#include <memory>
#include <optional>

#include "core/image/Image.h"
#include "ui/model/SliceMask.h"
#include "ui/model/UndoHistory.h"

namespace dacw {

class LabelEditor {
public:
    explicit LabelEditor(std::size_t undoBudgetBytes = 256u << 20);

    /// A new image and label map (same size) clear the history.
    void setData(std::shared_ptr<const Image> image, std::shared_ptr<LabelMap> labels);
    const std::shared_ptr<const Image>& image() const { return image_; }
    const std::shared_ptr<LabelMap>& labels() const { return labels_; }
    bool hasData() const { return image_ && labels_; }

    void setActiveLabel(std::uint8_t v) { active_ = v; }
    std::uint8_t activeLabel() const { return active_; }
    /// When on, painting changes only background (0) and the active label, and erasing clears
    /// only the active label.
    void setPreserveOtherLabels(bool on) { preserve_ = on; }
    bool preserveOtherLabels() const { return preserve_; }

    // --- one edit on one slice -------------------------------------------------------------
    void beginEdit(const SliceFrame& frame);
    bool editing() const { return editing_; }
    const SliceFrame& editFrame() const { return frame_; }
    /// Paints (or erases) one pixel of the edit slice, honouring preserve mode. Returns whether
    /// the pixel changed. Out-of-slice coordinates are ignored.
    bool paintPixel(long u, long v, bool erase);
    /// A brush stamp, or a stroke segment from `from` to `to` stamped every half radius.
    bool paintBrush(Point2 at, int diameter, bool round, bool erase);
    bool paintSegment(Point2 from, Point2 to, int diameter, bool round, bool erase);
    bool paintMask(const SliceMask& mask, bool erase);
    /// Closes the edit: records one undo step when something changed. Returns whether it did.
    bool endEdit();
    /// Restores the slice as it was at beginEdit().
    void cancelEdit();
    /// A whole edit in one call: begin, paint the mask, end.
    bool applyMask(const SliceFrame& frame, const SliceMask& mask, bool erase);

    // --- undo ------------------------------------------------------------------------------
    bool undo(SliceFrame* touched = nullptr);
    bool redo(SliceFrame* touched = nullptr);
    UndoHistory& history() { return history_; }
    const UndoHistory& history() const { return history_; }

    /// Bumped by every change of the label map (edits, undo, redo): autosave compares it.
    std::uint64_t revision() const { return revision_; }

    std::optional<std::uint8_t> labelAt(const SliceFrame& frame, long u, long v) const;

private:
    std::shared_ptr<const Image> image_;
    std::shared_ptr<LabelMap> labels_;
    std::uint8_t active_ = 1;
    bool preserve_ = false;
    bool editing_ = false;
    SliceFrame frame_;
    std::vector<std::uint8_t> before_;
    UndoHistory history_;
    std::uint64_t revision_ = 0;
};

}  // namespace dacw
