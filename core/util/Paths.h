#pragma once
#include <filesystem>
#include <string>

namespace dacw {

/// Lower-case extension, with the double extension ".nii.gz" kept whole.
std::string lowerExtension(const std::filesystem::path& file);
/// File name without its (possibly double) extension: "case_01.nii.gz" -> "case_01".
std::string fileStem(const std::filesystem::path& file);
/// Writes `text` to `file` atomically: temporary file in the same folder, write, fsync, rename.
/// Throws InputError naming the file when any step fails (full disk, read-only folder); the
/// previous file is then left as it was and the temporary file removed.
void writeTextAtomically(const std::filesystem::path& file, const std::string& text);
/// fsync of the folder holding `file`, so that a rename into it survives a power cut. Best effort.
void syncFolderOf(const std::filesystem::path& file);
/// Reads a whole file; throws InputError naming the file when it cannot be read.
std::string readText(const std::filesystem::path& file);
/// Throws InputError "No <what> folder given" or "The <what> folder X does not exist".
void requireFolder(const std::filesystem::path& folder, const char* what);

}  // namespace dacw
