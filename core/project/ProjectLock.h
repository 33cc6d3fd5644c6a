#pragma once
// Who has a project open for editing. The workbench holds an flock on a lock file beside the
// project file (".NAME.dacproj.lock" in the project folder, holding "pid P on host H since T")
// for as long as the project is open. Another workbench, another process or another window of
// the same one, that opens the project finds it held, is told by whom, and opens it read-only.
// The kernel drops the lock when its holder exits or dies, so a crashed or killed workbench never
// blocks the next one, whatever pid its lock file still names.
#include <filesystem>
#include <string>

#include "core/util/FileLock.h"

namespace dacw {

class ProjectLock {
public:
    enum class Outcome {
        Acquired,      // this object holds the project now
        HeldByOther,   // a live holder has it: `detail` names it ("pid 123 on host x since ...")
        NotLockable,   // the lock file cannot be created or locked (read-only folder, a file
                       // system without locks): `detail` says why; nobody is known to hold it
    };

    /// ".NAME.dacproj.lock" beside `projectFile`.
    static std::filesystem::path lockFileFor(const std::filesystem::path& projectFile);

    /// Tries to take the lock without waiting (releasing any project this object held first).
    Outcome tryLock(const std::filesystem::path& projectFile, std::string* detail = nullptr);
    void unlock();
    bool locked() const { return lock_.locked(); }
    /// The project file held (absolute, symbolic links resolved); empty when none.
    const std::filesystem::path& projectFile() const { return file_; }

private:
    FileLock lock_;
    std::filesystem::path file_;
};

}  // namespace dacw
