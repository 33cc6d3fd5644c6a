#pragma once
// File > Recent projects: newest first, each project once, at most kMax. The window stores the
// list (QSettings); this class only orders it. Plain C++.
#include <string>
#include <vector>

namespace dacw {

class RecentProjects {
public:
    static constexpr std::size_t kMax = 8;

    RecentProjects() = default;
    explicit RecentProjects(std::vector<std::string> files);

    /// Puts `file` first (the same project under another spelling of its path counts once).
    void add(const std::string& file);
    void remove(const std::string& file);
    /// Newest first; files that no longer exist are left out (they stay listed, so that a project
    /// on a drive that is not mounted now comes back when it is).
    std::vector<std::string> existing() const;
    const std::vector<std::string>& all() const { return files_; }

private:
    std::vector<std::string> files_;
};

}  // namespace dacw
