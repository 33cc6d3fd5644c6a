#include "core/util/Paths.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util/Errors.h"

namespace fs = std::filesystem;

namespace dacw {

std::string lowerExtension(const fs::path& file) {
    std::string name = file.filename().string();
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    if (name.size() > 7 && name.compare(name.size() - 7, 7, ".nii.gz") == 0) return ".nii.gz";
    auto dot = name.rfind('.');
    return dot == std::string::npos || dot == 0 ? std::string() : name.substr(dot);
}

std::string fileStem(const fs::path& file) {
    std::string name = file.filename().string();
    const std::size_t extLen = lowerExtension(file).size();
    return name.substr(0, name.size() - extLen);
}

void writeTextAtomically(const fs::path& file, const std::string& text) {
    std::error_code ec;
    if (!file.parent_path().empty()) fs::create_directories(file.parent_path(), ec);
    std::random_device rd;
    const fs::path tmp = file.parent_path() / ("." + file.filename().string() + ".tmp" + std::to_string(rd() % 1000000));
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) throw InputError("Cannot write " + file.string() + ": " + std::strerror(errno));
    auto fail = [&](const char* what, int err) {
        if (fd >= 0) ::close(fd);
        ::unlink(tmp.c_str());
        throw InputError(std::string(what) + file.string() + ": " + std::strerror(err));
    };
    // A file that is replaced keeps its permissions (a project file made private stays private).
    struct stat old {};
    if (::stat(file.c_str(), &old) == 0) (void)!::fchmod(fd, old.st_mode & 07777);
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("Cannot write ", errno);
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    // A full disk or a failing network file system may only report here.
    if (::fsync(fd) != 0) fail("Cannot write ", errno);
    const int closed = ::close(fd);
    fd = -1;
    if (closed != 0) fail("Cannot write ", errno);
    if (::rename(tmp.c_str(), file.c_str()) != 0) fail("Cannot replace ", errno);
    syncFolderOf(file);
}

void syncFolderOf(const fs::path& file) {
    const fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)::fsync(fd);
    ::close(fd);
}

std::string readText(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw InputError("Cannot open " + file.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void requireFolder(const std::filesystem::path& p, const char* what) {
    std::error_code ec;
    if (p.empty()) throw InputError(std::string("No ") + what + " folder given");
    if (!std::filesystem::is_directory(p, ec))
        throw InputError(std::string("The ") + what + " folder " + p.string() + " does not exist");
}

}  // namespace dacw
