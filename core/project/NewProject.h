#pragma once
// Starting from nothing: a new, empty project file, and a user's own folder added to a project as
// a domain (one acquisition centre). The GUI (File > New project, Add domain folder, drag and
// drop) and tests use these; nothing else writes a new .dacproj or a new domain entry.
#include <filesystem>
#include <string>

#include "core/project/Project.h"

namespace dacw {

/// Where a project named `name` in `location` is written: <location>/<name>/<name>.dacproj.
std::filesystem::path newProjectFile(const std::filesystem::path& location, const std::string& name);
/// Why `name` cannot name a project ("" when it can): empty, only spaces, a path separator or a
/// character that is not allowed in file names on common systems, "." or "..".
std::string projectNameProblem(const std::string& name);

/// Creates <location>/<name>/ (when missing) and an empty project for `task` in it, saved. Throws
/// InputError with a sentence a user understands: a bad name, a project file already there, a
/// location that does not exist or cannot be written. Nothing is left behind on failure.
Project createProject(const std::filesystem::path& location, const std::string& name, const Task& task);

/// What adding a folder as a domain found (for the message the user sees).
struct AddedDomain {
    ProjectDomain domain;
    std::size_t cases = 0;
    std::size_t labeled = 0;
    DomainLayout layout = DomainLayout::ImagesMasks;
};

/// Adds `dir` to the project as a new domain (not saved: the caller saves). Its name is the
/// folder's name, made unique among the project's domains ("centre", "centre-2", ...); its path is
/// stored relative to the project folder when it lies inside it, absolute otherwise; its role is
/// "labeled" when some of its cases have masks, else "unlabeled". Throws InputError when the folder
/// does not exist or cannot be read, holds no image, or is listed in the project already.
AddedDomain addDomainFolder(Project& project, const std::filesystem::path& dir);

}  // namespace dacw
