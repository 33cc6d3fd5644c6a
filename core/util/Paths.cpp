#include "util/Paths.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <sstream>
#include <unistd.h>

#include "util/Errors.h"

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
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) throw InputError("Cannot write " + file.string() + ": " + std::strerror(errno));
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            fs::remove(tmp, ec);
            throw InputError("Cannot write " + file.string() + ": " + std::strerror(err));
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    ::fsync(fd);
    ::close(fd);
    fs::rename(tmp, file, ec);
    if (ec) {
        fs::remove(tmp);
        throw InputError("Cannot replace " + file.string() + ": " + ec.message());
    }
}

std::string readText(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw InputError("Cannot open " + file.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace dacw
