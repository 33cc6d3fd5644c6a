#pragma once
// Internal to core/image: structural checks of image files before ITK's decoders see them.
// Several decoders abort the process (libpng, GDCM) or fill what a short file lacks (NIfTI,
// MetaImage, BMP) instead of reporting an error; these checks throw InputError naming the file and
// the problem first. See docs/reliability.md.
#include <cstddef>
#include <filesystem>

namespace dacw {

/// Every check that applies to the file's format. `payload`: also what only decoding the voxels
/// needs (a second pass through compressed data, within `budget` bytes).
void checkFileBeforeDecoding(const std::filesystem::path& file, std::size_t budget, bool payload);
/// The DICOM element walk alone (for the files of a series).
void checkDicomStructure(const std::filesystem::path& file);

}  // namespace dacw
