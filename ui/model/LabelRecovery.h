#pragma once
// Crash recovery for labels painted on an image opened outside a project. Such labels have no
// home until the user saves them (File > Save label map as), so autosave writes them to a
// recovery folder instead: <root>/<key>/labels.nii.gz + source.txt (the image's path). Saving or
// discarding them removes the entry; a crash leaves it, and the next start offers it. Plain C++.
//
// An entry is claimed by the workbench that writes it: it holds an flock on <key>/owner.lock for
// as long as it may write there. entries() leaves entries claimed by others out, so that a second
// workbench running at the same time never offers (or discards) the first one's live work; the
// kernel drops the lock when its holder exits or crashes, and the entry becomes recoverable.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/image/Image.h"
#include "ui/model/BackgroundWriter.h"

namespace dacw {

struct RecoveredLabels {
    std::filesystem::path image;   // the image the labels were painted on
    std::filesystem::path labels;  // the recovered label map
    std::filesystem::file_time_type written{};
};

class LabelRecovery {
public:
    explicit LabelRecovery(std::filesystem::path root = {});

    const std::filesystem::path& root() const { return root_; }
    void setRoot(std::filesystem::path root) { root_ = std::move(root); }

    /// A job that writes `labels` (copied now) as the recovery entry of `image`; claims the entry
    /// first (see above).
    BackgroundWriter::Job saveJob(const std::filesystem::path& image, const LabelMap& labels) const;
    /// The entries left behind (and this object's own), newest first; unreadable or half-written
    /// ones are skipped, and so are those claimed by another workbench that is running.
    std::vector<RecoveredLabels> entries() const;
    /// Removes the entry of `image` (nothing when there is none) and gives up the claim.
    void discard(const std::filesystem::path& image) const;
    /// Whether this object holds the claim on the entry of `image`.
    bool claimed(const std::filesystem::path& image) const;
    /// The entry folder of an image (one per image path).
    std::filesystem::path folderFor(const std::filesystem::path& image) const;

private:
    void claim(const std::filesystem::path& folder) const;
    void release(const std::filesystem::path& folder) const;

    std::filesystem::path root_;
    struct Claims;  // open, locked owner.lock descriptors by entry folder; closed with the last copy
    std::shared_ptr<Claims> claims_;
};

}  // namespace dacw
