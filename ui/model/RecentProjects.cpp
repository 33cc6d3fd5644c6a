#include "ui/model/RecentProjects.h"

#include <algorithm>
#include <filesystem>

namespace dacw {

namespace fs = std::filesystem;

namespace {
std::string normal(const std::string& file) {
    std::error_code ec;
    const fs::path p = fs::weakly_canonical(fs::absolute(file, ec), ec);
    return ec ? fs::path(file).lexically_normal().string() : p.string();
}
}  // namespace

RecentProjects::RecentProjects(std::vector<std::string> files) {
    for (auto it = files.rbegin(); it != files.rend(); ++it)
        if (!it->empty()) add(*it);
}

void RecentProjects::add(const std::string& file) {
    const std::string n = normal(file);
    remove(n);
    files_.insert(files_.begin(), n);
    if (files_.size() > kMax) files_.resize(kMax);
}

void RecentProjects::remove(const std::string& file) {
    const std::string n = normal(file);
    files_.erase(std::remove(files_.begin(), files_.end(), n), files_.end());
}

std::vector<std::string> RecentProjects::existing() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& f : files_)
        if (fs::is_regular_file(f, ec)) out.push_back(f);
    return out;
}

}  // namespace dacw
