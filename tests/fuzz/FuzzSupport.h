#pragma once
// Shared by the libFuzzer harnesses: a private temporary folder per process, the input written to
// a file there, and the rule that decides what is a finding. A reader may refuse a damaged file
// only with the exception its interface documents (InputError; the model loader's TrainError);
// any other exception escaping it, a crash, a sanitizer report or a broken invariant is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "core/util/Errors.h"

namespace dacw::fuzz {

/// $TMPDIR (or /dev/shm, else /tmp) / dacw-fuzz-<pid>: created once, removed at exit.
inline const std::filesystem::path& scratch() {
    static const std::filesystem::path dir = [] {
        namespace fs = std::filesystem;
        std::error_code ec;
        fs::path base = "/tmp";
        if (const char* t = std::getenv("TMPDIR"); t && *t) base = t;
        else if (fs::is_directory("/dev/shm", ec)) base = "/dev/shm";
        fs::path d = base / ("dacw-fuzz-" + std::to_string(::getpid()));
        fs::create_directories(d, ec);
        std::atexit([] { std::error_code e; std::filesystem::remove_all(scratch(), e); });
        return d;
    }();
    return dir;
}

/// An empty folder under scratch() (removed and recreated on every call).
inline std::filesystem::path freshFolder(const std::string& name) {
    std::error_code ec;
    const std::filesystem::path d = scratch() / name;
    std::filesystem::remove_all(d, ec);
    std::filesystem::create_directories(d, ec);
    return d;
}

inline void writeBytes(const std::filesystem::path& file, const void* data, std::size_t size) {
    std::FILE* f = std::fopen(file.c_str(), "wb");
    if (!f) {
        std::perror(file.c_str());
        std::abort();  // the harness itself is broken: no point in going on
    }
    if (size && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
}

inline std::filesystem::path writeInput(const std::string& name, const uint8_t* data, std::size_t size) {
    const std::filesystem::path file = scratch() / name;
    writeBytes(file, data, size);
    return file;
}

[[noreturn]] inline void finding(const std::string& what) {
    std::fprintf(stderr, "\n==dacw-fuzz== BUG: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

inline void require(bool ok, const std::string& what) {
    if (!ok) finding("invariant broken: " + what);
}

/// Runs `fn`; the documented refusal `Expected` is fine, anything else escaping is a finding.
template <class Expected = InputError, class Fn>
bool refusedOrOk(Fn&& fn, const char* call) {
    try {
        fn();
        return true;
    } catch (const Expected& e) {
        // DACW_FUZZ_VERBOSE=1: say why an input was refused (to check that seeds are accepted).
        if (std::getenv("DACW_FUZZ_VERBOSE")) std::fprintf(stderr, "refused by %s: %s\n", call, e.what());
        return false;
    } catch (const std::exception& e) {
        finding(std::string(call) + " let an undocumented exception escape: " + e.what());
    } catch (...) {
        finding(std::string(call) + " let a non-standard exception escape");
    }
}

/// Splits an input into parts at a separator line (for harnesses that need several files).
inline std::vector<std::string_view> splitParts(const uint8_t* data, std::size_t size, std::string_view sep,
                                               std::size_t maxParts) {
    std::vector<std::string_view> parts;
    std::string_view all(reinterpret_cast<const char*>(data), size);
    while (parts.size() + 1 < maxParts) {
        const std::size_t at = all.find(sep);
        if (at == std::string_view::npos) break;
        parts.push_back(all.substr(0, at));
        all.remove_prefix(at + sep.size());
    }
    parts.push_back(all);
    return parts;
}

}  // namespace dacw::fuzz
