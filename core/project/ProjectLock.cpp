#include "core/project/ProjectLock.h"

#include "core/util/Errors.h"

namespace fs = std::filesystem;

namespace dacw {

fs::path ProjectLock::lockFileFor(const fs::path& projectFile) {
    const fs::path abs = fs::weakly_canonical(fs::absolute(projectFile));
    return abs.parent_path() / ("." + abs.filename().string() + ".lock");
}

ProjectLock::Outcome ProjectLock::tryLock(const fs::path& projectFile, std::string* detail) {
    unlock();
    std::string who;
    try {
        if (!lock_.tryLock(lockFileFor(projectFile), &who)) {
            if (detail) *detail = who;
            return Outcome::HeldByOther;
        }
    } catch (const InputError& e) {
        if (detail) *detail = e.what();
        return Outcome::NotLockable;
    }
    file_ = fs::weakly_canonical(fs::absolute(projectFile));
    return Outcome::Acquired;
}

void ProjectLock::unlock() {
    lock_.unlock();
    file_.clear();
}

}  // namespace dacw
