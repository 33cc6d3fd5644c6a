#pragma once
#include <filesystem>
#include <string>

namespace dacw {

/// Lower-case extension, with the double extension ".nii.gz" kept whole.
std::string lowerExtension(const std::filesystem::path& file);
/// File name without its (possibly double) extension: "case_01.nii.gz" -> "case_01".
std::string fileStem(const std::filesystem::path& file);
/// Writes `text` to `file` atomically: temporary file in the same folder, flush, fsync, rename.
/// Throws InputError when the folder cannot be written.
void writeTextAtomically(const std::filesystem::path& file, const std::string& text);
/// Reads a whole file; throws InputError naming the file when it cannot be read.
std::string readText(const std::filesystem::path& file);

}  // namespace dacw
