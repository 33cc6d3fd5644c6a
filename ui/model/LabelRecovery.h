#pragma once
// Crash recovery for labels painted on an image opened outside a project. Such labels have no
// home until the user saves them (File > Save label map as), so autosave writes them to a
// recovery folder instead: <root>/<key>/labels.nii.gz + source.txt (the image's path). Saving or
// discarding them removes the entry; a crash leaves it, and the next start offers it. Plain C++.
#include <filesystem>
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

    /// A job that writes `labels` (copied now) as the recovery entry of `image`.
    BackgroundWriter::Job saveJob(const std::filesystem::path& image, const LabelMap& labels) const;
    /// The entries left behind, newest first; unreadable or half-written ones are skipped.
    std::vector<RecoveredLabels> entries() const;
    /// Removes the entry of `image` (nothing when there is none).
    void discard(const std::filesystem::path& image) const;
    /// The entry folder of an image (one per image path).
    std::filesystem::path folderFor(const std::filesystem::path& image) const;

private:
    std::filesystem::path root_;
};

}  // namespace dacw
