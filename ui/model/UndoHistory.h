#pragma once
// Unlimited undo/redo of slice edits within a memory cap. Each entry keeps only the bounding
// box of the pixels an edit changed, run-length encoded as (count, before, after) triples, so a
// brush stroke costs bytes, not a copy of the slice or the volume.
#include <cstdint>
#include <deque>
#include <vector>

#include "core/image/Image.h"
#include "core/image/SliceGeometry.h"

namespace dacw {

class UndoHistory {
public:
    struct Entry {
        SliceFrame frame;
        std::size_t u0 = 0, v0 = 0, w = 0, h = 0;  // bounding box of the change, slice pixels
        std::vector<std::uint8_t> runs;            // (count lo, count hi, before, after) * n
        std::size_t bytes() const { return sizeof(Entry) + runs.capacity(); }
    };

    explicit UndoHistory(std::size_t budgetBytes = 256u << 20) : budget_(budgetBytes) {}

    /// Records the change from `before` (a copy of the slice taken before the edit) to the
    /// current content of the slice in `labels`. Returns false when nothing changed.
    bool record(const LabelMap& labels, const SliceFrame& frame, const std::vector<std::uint8_t>& before);

    bool canUndo() const { return !undo_.empty(); }
    bool canRedo() const { return !redo_.empty(); }
    /// Restores the labels as they were before the last edit; returns the slice it touched.
    bool undo(LabelMap& labels, SliceFrame* touched = nullptr);
    bool redo(LabelMap& labels, SliceFrame* touched = nullptr);
    void clear();

    std::size_t undoCount() const { return undo_.size(); }
    std::size_t redoCount() const { return redo_.size(); }
    std::size_t memoryBytes() const { return bytes_; }
    std::size_t budgetBytes() const { return budget_; }
    void setBudgetBytes(std::size_t b);
    /// Entries dropped (oldest first) to stay under the budget.
    std::size_t droppedCount() const { return dropped_; }

    /// Copies the pixels of a slice (the `before` argument of record()).
    static std::vector<std::uint8_t> copySlice(const LabelMap& labels, const SliceFrame& frame);

private:
    static void apply(LabelMap& labels, const Entry& e, bool after);
    void enforceBudget();

    std::deque<Entry> undo_;
    std::vector<Entry> redo_;
    std::size_t bytes_ = 0;
    std::size_t budget_;
    std::size_t dropped_ = 0;
};

}  // namespace dacw
