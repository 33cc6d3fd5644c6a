#pragma once
// Internal to core/image: structural checks of image files before ITK's decoders see them.
// Several decoders abort the process (libpng, GDCM) or fill what a short file lacks (NIfTI,
// MetaImage, BMP) instead of reporting an error; these checks throw InputError naming the file and
// the problem first. See docs/reliability.md.
#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace dacw {

/// Every check that applies to the file's format. `payload`: also what only decoding the voxels
/// needs (a second pass through compressed data, within `budget` bytes).
void checkFileBeforeDecoding(const std::filesystem::path& file, std::size_t budget, bool payload);
/// The DICOM element walk alone (for the files of a series). Returns the offset where trailing
/// zero padding starts, -1 when the file has none.
long long checkDicomStructure(const std::filesystem::path& file);

/// Copies of padded DICOM files without their trailing zeros, in a private temporary folder that
/// goes with the object. GDCM parses trailing zeros as one empty element per 8 bytes, with an
/// exception and two seeks each: 14 s for a slice of 130 KB followed by 2.5 MB of zeros, against
/// 0.1 s for the same slice without them.
class UnpaddedDicom {
public:
    UnpaddedDicom() = default;
    ~UnpaddedDicom();
    UnpaddedDicom(const UnpaddedDicom&) = delete;
    UnpaddedDicom& operator=(const UnpaddedDicom&) = delete;
    /// Walks `file` (checkDicomStructure, which throws InputError for a damaged one) and returns
    /// what the decoder should read: `file` itself, or a copy without its padding when that is
    /// 64 KiB or more. A copy that cannot be written (a full disk) falls back to `file`. `alone`:
    /// a file opened by itself, first checked as checkFileBeforeDecoding does (exists, readable,
    /// not a DICOMDIR); the slices of a series are not.
    std::filesystem::path readable(const std::filesystem::path& file, bool alone = false);
    /// Copies made so far.
    int copies() const { return copies_; }
    /// `message` (a decoder's, which names the file it read) with every copy's path replaced by
    /// its original's, so that errors name the user's file, never a temporary one.
    std::string originalNames(std::string message) const;

private:
    std::filesystem::path dir_;
    int copies_ = 0;
    std::vector<std::pair<std::string, std::string>> names_;  // copy, original
};

}  // namespace dacw
