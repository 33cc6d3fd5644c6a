#include "core/project/NewProject.h"

#include <algorithm>
#include <cctype>

#include "core/util/Errors.h"

namespace dacw {

namespace fs = std::filesystem;

fs::path newProjectFile(const fs::path& location, const std::string& name) {
    return location / name / (name + ".dacproj");
}

std::string projectNameProblem(const std::string& name) {
    if (std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isspace(c); }))
        return "A project needs a name.";
    if (name == "." || name == "..") return "\"" + name + "\" cannot name a project.";
    if (name.front() == ' ' || name.back() == ' ' || name.back() == '.')
        return "A project name cannot start or end with a space or end with a dot.";
    for (unsigned char c : name)
        if (c < 32 || std::string("/\\:*?\"<>|").find(char(c)) != std::string::npos)
            return "A project name cannot hold the character '" + std::string(1, char(c < 32 ? '?' : c)) +
                   "' (it names a folder and a file).";
    return {};
}

Project createProject(const fs::path& location, const std::string& name, const Task& task) {
    if (const std::string why = projectNameProblem(name); !why.empty()) throw InputError(why);
    std::error_code ec;
    if (location.empty() || !fs::is_directory(location, ec))
        throw InputError("The location " + location.string() + " does not exist or is not a folder.");
    const fs::path folder = location / name;
    const fs::path file = newProjectFile(location, name);
    if (fs::exists(file, ec))
        throw InputError("A project named " + name + " exists already in " + location.string() +
                         ": open it (File > Open project) or choose another name.");
    const bool made = !fs::exists(folder, ec);
    if (!made && !fs::is_directory(folder, ec))
        throw InputError(folder.string() + " exists and is not a folder: choose another name.");
    if (made && !fs::create_directory(folder, ec))
        throw InputError("Cannot create the folder " + folder.string() + " (" + ec.message() + ").");
    Project p;
    p.name = name;
    p.task = task;
    p.setFile(file);
    try {
        p.save();
    } catch (const std::exception& e) {
        if (made) fs::remove_all(folder, ec);
        throw InputError("Cannot write the project in " + folder.string() + ": " + e.what());
    }
    return p;
}

namespace {

bool sameFolder(const fs::path& a, const fs::path& b) {
    std::error_code ec;
    if (fs::equivalent(a, b, ec)) return true;
    return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

// The path as stored in the project: relative to its folder when inside it.
fs::path storedPath(const Project& project, const fs::path& dir) {
    std::error_code ec;
    const fs::path abs = fs::weakly_canonical(fs::absolute(dir, ec), ec);
    const fs::path base = fs::weakly_canonical(fs::absolute(project.folder(), ec), ec);
    const fs::path rel = abs.lexically_relative(base);
    if (!rel.empty() && *rel.begin() != "..") return rel;
    return abs;
}

}  // namespace

AddedDomain addDomainFolder(Project& project, const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw InputError("The folder " + dir.string() + " does not exist or is not a folder.");
    for (const auto& d : project.domains)
        if (sameFolder(project.resolve(d.root), dir))
            throw InputError("The folder " + dir.string() + " is in the project already, as domain " + d.name + ".");
    const Domain scanned = scanDomain(dir);  // InputError when unreadable
    if (scanned.cases.empty())
        throw InputError("The folder " + dir.string() +
                         " holds no image the workbench reads (PNG, JPEG, TIFF, BMP, NIfTI, NRRD, MetaImage or DICOM; "
                         "images may sit in an images/ sub-folder, masks in masks/).");
    fs::path stem = fs::weakly_canonical(fs::absolute(dir, ec), ec);
    if (stem.filename().empty()) stem = stem.parent_path();
    std::string base = stem.filename().string();
    if (base.empty()) base = "domain";
    std::string name = base;
    auto taken = [&](const std::string& n) {
        return std::any_of(project.domains.begin(), project.domains.end(), [&](const ProjectDomain& d) { return d.name == n; });
    };
    for (int i = 2; taken(name); ++i) name = base + "-" + std::to_string(i);

    AddedDomain added;
    added.cases = scanned.cases.size();
    added.labeled = scanned.labeledCount();
    added.layout = scanned.layout;
    added.domain = {name, storedPath(project, dir), scanned.layout, added.labeled > 0 ? "labeled" : "unlabeled"};
    project.domains.push_back(added.domain);
    return added;
}

}  // namespace dacw
