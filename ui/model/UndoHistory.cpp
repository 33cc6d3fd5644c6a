#include "ui/model/UndoHistory.h"

#include <algorithm>

namespace dacw {

std::vector<std::uint8_t> UndoHistory::copySlice(const LabelMap& labels, const SliceFrame& f) {
    std::vector<std::uint8_t> out(f.pixelCount());
    const auto* src = labels.data().data();
    const std::size_t us = f.uStride(), vs = f.vStride(), base = f.index(0, 0);
    std::size_t i = 0;
    for (std::size_t v = 0; v < f.height(); ++v)
        for (std::size_t u = 0; u < f.width(); ++u) out[i++] = src[base + v * vs + u * us];
    return out;
}

bool UndoHistory::record(const LabelMap& labels, const SliceFrame& f, const std::vector<std::uint8_t>& before) {
    const std::size_t w = f.width(), h = f.height();
    const auto* src = labels.data().data();
    const std::size_t us = f.uStride(), vs = f.vStride(), base = f.index(0, 0);
    auto now = [&](std::size_t u, std::size_t v) { return src[base + v * vs + u * us]; };

    std::size_t u0 = w, u1 = 0, v0 = h, v1 = 0;
    for (std::size_t v = 0; v < h; ++v)
        for (std::size_t u = 0; u < w; ++u)
            if (now(u, v) != before[v * w + u]) {
                u0 = std::min(u0, u);
                u1 = std::max(u1, u);
                v0 = std::min(v0, v);
                v1 = std::max(v1, v);
            }
    if (u0 > u1) return false;

    Entry e;
    e.frame = f;
    e.u0 = u0;
    e.v0 = v0;
    e.w = u1 - u0 + 1;
    e.h = v1 - v0 + 1;
    std::uint8_t runBefore = 0, runAfter = 0;
    std::size_t runLength = 0;
    auto flush = [&] {
        if (runLength == 0) return;
        e.runs.push_back(static_cast<std::uint8_t>(runLength & 0xff));
        e.runs.push_back(static_cast<std::uint8_t>(runLength >> 8));
        e.runs.push_back(runBefore);
        e.runs.push_back(runAfter);
        runLength = 0;
    };
    for (std::size_t v = v0; v <= v1; ++v)
        for (std::size_t u = u0; u <= u1; ++u) {
            const std::uint8_t b = before[v * w + u], a = now(u, v);
            if (runLength && (b != runBefore || a != runAfter || runLength == 0xffff)) flush();
            runBefore = b;
            runAfter = a;
            ++runLength;
        }
    flush();
    e.runs.shrink_to_fit();

    for (const auto& r : redo_) bytes_ -= r.bytes();
    redo_.clear();
    bytes_ += e.bytes();
    undo_.push_back(std::move(e));
    enforceBudget();
    return true;
}

void UndoHistory::apply(LabelMap& labels, const Entry& e, bool after) {
    auto* dst = labels.data().data();
    const SliceFrame& f = e.frame;
    const std::size_t us = f.uStride(), vs = f.vStride(), base = f.index(0, 0);
    std::size_t k = 0;  // pixel index within the box
    for (std::size_t r = 0; r + 3 < e.runs.size(); r += 4) {
        const std::size_t n = e.runs[r] | (static_cast<std::size_t>(e.runs[r + 1]) << 8);
        const std::uint8_t value = after ? e.runs[r + 3] : e.runs[r + 2];
        for (std::size_t i = 0; i < n; ++i, ++k) {
            const std::size_t u = e.u0 + k % e.w, v = e.v0 + k / e.w;
            dst[base + v * vs + u * us] = value;
        }
    }
}

bool UndoHistory::undo(LabelMap& labels, SliceFrame* touched) {
    if (undo_.empty()) return false;
    Entry e = std::move(undo_.back());
    undo_.pop_back();
    apply(labels, e, false);
    if (touched) *touched = e.frame;
    redo_.push_back(std::move(e));
    return true;
}

bool UndoHistory::redo(LabelMap& labels, SliceFrame* touched) {
    if (redo_.empty()) return false;
    Entry e = std::move(redo_.back());
    redo_.pop_back();
    apply(labels, e, true);
    if (touched) *touched = e.frame;
    undo_.push_back(std::move(e));
    return true;
}

void UndoHistory::clear() {
    undo_.clear();
    redo_.clear();
    bytes_ = 0;
}

void UndoHistory::setBudgetBytes(std::size_t b) {
    budget_ = b;
    enforceBudget();
}

void UndoHistory::enforceBudget() {
    // Redo entries go first (they are the least likely to be wanted), then the oldest undo.
    while (bytes_ > budget_ && !redo_.empty()) {
        bytes_ -= redo_.front().bytes();
        redo_.erase(redo_.begin());
        ++dropped_;
    }
    while (bytes_ > budget_ && undo_.size() > 1) {
        bytes_ -= undo_.front().bytes();
        undo_.pop_front();
        ++dropped_;
    }
}

}  // namespace dacw
