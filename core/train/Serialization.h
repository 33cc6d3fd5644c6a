#pragma once
// Internal helpers for the library's archive files (datasets, checkpoints, exported models).
#include <torch/serialize/archive.h>
#include <torch/types.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "core/train/Errors.h"

namespace dacw::train {

inline std::string firstLine(const std::string& s) {
    std::string line = s.substr(0, s.find('\n'));
    return line.size() > 300 ? line.substr(0, 300) + "..." : line;
}

/// Strings travel as one uint8 tensor, each followed by a NUL byte.
inline at::Tensor encodeStrings(const std::vector<std::string>& v) {
    std::string joined;
    for (const auto& s : v) joined.append(s).push_back('\0');
    at::Tensor t = at::empty({static_cast<int64_t>(joined.size())}, at::kByte);
    if (!joined.empty()) std::memcpy(t.data_ptr<uint8_t>(), joined.data(), joined.size());
    return t;
}

inline std::vector<std::string> decodeStrings(const at::Tensor& t) {
    if (t.scalar_type() != at::kByte || t.dim() != 1) throw FileFormatError("string field has the wrong type");
    at::Tensor c = t.contiguous();
    const char* p = reinterpret_cast<const char*>(c.data_ptr<uint8_t>());
    std::vector<std::string> out;
    std::string cur;
    for (int64_t i = 0; i < c.numel(); ++i) {
        if (p[i] == '\0') {
            out.push_back(cur);
            cur.clear();
        } else {
            cur.push_back(p[i]);
        }
    }
    if (!cur.empty()) throw FileFormatError("string field is truncated");
    return out;
}

inline void writeString(torch::serialize::OutputArchive& ar, const std::string& key, const std::string& value) {
    ar.write(key, encodeStrings({value}));
}

inline std::string readString(torch::serialize::InputArchive& ar, const std::string& key) {
    at::Tensor t;
    ar.read(key, t);
    auto v = decodeStrings(t);
    if (v.size() != 1) throw FileFormatError("field '" + key + "' is not a single string");
    return v[0];
}

/// Writes to a temporary file beside `path`, fsyncs it, then renames it over `path`: a reader
/// never sees a half-written file, and a crash, a kill or a full disk leaves the previous file
/// intact. The bytes go through our own file descriptor rather than LibTorch's file writer, which
/// does not check the final flush and close of its stream (a short archive could be renamed into
/// place truncated), and which would throw from a destructor after a failed write.
inline void saveArchiveAtomically(torch::serialize::OutputArchive& ar, const std::string& path) {
    namespace fs = std::filesystem;
    const fs::path target(path);
    if (target.has_parent_path()) {
        std::error_code ec;
        fs::create_directories(target.parent_path(), ec);
    }
    const std::string tmp = path + ".partial";
    auto fail = [&](const std::string& why) {
        ::unlink(tmp.c_str());
        throw TrainError("cannot write '" + path + "': " + why);
    };
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail(std::strerror(errno));
    int writeError = 0;
    // The writer always reports success to LibTorch: the first error is remembered and the rest
    // of the archive skipped, so that the failure is reported here and not from inside LibTorch.
    auto sink = [&](const void* data, size_t n) -> size_t {
        const char* p = static_cast<const char*>(data);
        size_t left = n;
        while (left > 0 && writeError == 0) {
            const ssize_t w = ::write(fd, p, left);
            if (w < 0) {
                if (errno != EINTR) writeError = errno;
                continue;
            }
            p += w;
            left -= static_cast<size_t>(w);
        }
        return n;
    };
    try {
        ar.save_to(sink);
    } catch (const std::exception& e) {
        ::close(fd);
        fail(firstLine(e.what()));
    }
    if (writeError == 0 && ::fsync(fd) != 0) writeError = errno;
    if (::close(fd) != 0 && writeError == 0) writeError = errno;
    if (writeError != 0) fail(std::strerror(writeError));
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail(std::strerror(errno));
    const std::string dir = target.has_parent_path() ? target.parent_path().string() : std::string(".");
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
}

/// Opens an archive; throws FileFormatError with `what` ("dataset", "checkpoint", ...) in the
/// message when the file is missing or not a readable archive.
inline void loadArchive(torch::serialize::InputArchive& ar, const std::string& path, const std::string& what) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw FileFormatError(what + " file '" + path + "' does not exist");
    try {
        ar.load_from(path);
    } catch (const std::exception& e) {
        throw FileFormatError(what + " file '" + path + "' is corrupt or not a LibTorch archive: " + firstLine(e.what()));
    }
}

}  // namespace dacw::train
