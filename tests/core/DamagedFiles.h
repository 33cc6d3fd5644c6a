#pragma once
// Helpers of the tests that forge damaged image files (test_image_io, test_fuzz_findings): file
// bytes in and out, PNG chunk surgery, and running a check in a child process so that a decoder
// that crashes fails one test instead of ending the run.
#include <QtTest/QtTest>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dacw::test {

inline std::string slurp(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

inline void spit(const std::filesystem::path& file, const std::string& bytes) {
    std::ofstream(file, std::ios::binary | std::ios::trunc).write(bytes.data(), long(bytes.size()));
}

/// PNG's CRC-32, so that the test can forge chunks whose CRC is right but whose contents are not.
inline std::uint32_t crc32(const std::string& bytes) {
    std::uint32_t c = 0xffffffffu;
    for (unsigned char b : bytes) {
        c ^= b;
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

inline void putBe32(std::string& s, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) s[at + i] = char((v >> (24 - 8 * i)) & 0xff);
}

/// Rewrites the CRC of the PNG chunk whose length field is at `at`.
inline void fixPngCrc(std::string& png, std::size_t at) {
    const auto b = [&](std::size_t i) { return std::uint32_t(static_cast<unsigned char>(png[i])); };
    const std::size_t len = (b(at) << 24) | (b(at + 1) << 16) | (b(at + 2) << 8) | b(at + 3);
    putBe32(png, at + 8 + len, crc32(png.substr(at + 4, 4 + len)));
}

/// Byte offset of the first chunk of `type` in a PNG.
inline std::size_t pngChunk(const std::string& png, const char* type) {
    std::size_t pos = 8;
    while (pos + 8 <= png.size()) {
        const auto b = [&](std::size_t i) { return std::size_t(static_cast<unsigned char>(png[i])); };
        if (png.compare(pos + 4, 4, type) == 0) return pos;
        pos += 12 + ((b(pos) << 24) | (b(pos + 1) << 16) | (b(pos + 2) << 8) | b(pos + 3));
    }
    return std::string::npos;
}

/// What a child process left for its parent: where it was, and the first problem it saw.
struct ChildState {
    long where = -1;
    char problem[1024] = {};
    void fail(const QString& text) { std::snprintf(problem, sizeof problem, "%s", qPrintable(text)); }
};

/// Runs `fn(state)` in a child process, so that a decoder that aborts fails this test instead of ending the
/// whole run. Returns "" when the child exited cleanly without a problem, else what went wrong.
template <class Fn>
QString runInChild(Fn fn) {
    void* mem = ::mmap(nullptr, sizeof(ChildState), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return "mmap failed";
    auto* state = new (mem) ChildState;
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        // Die quietly: Qt Test's crash handler would print a stack trace for every expected crash.
        for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, SIG_DFL);
        // An exception must end the child here: escaping into Qt Test, the child would go on
        // running the remaining tests while the parent waits for it.
        try {
            fn(*state);
        } catch (const std::exception& e) {
            std::snprintf(state->problem, sizeof state->problem, "unexpected exception: %s", e.what());
        } catch (...) {
            std::snprintf(state->problem, sizeof state->problem, "unexpected exception");
        }
        std::fflush(stdout);
        ::_exit(QTest::currentTestFailed() || state->problem[0] ? 1 : 0);
    }
    int status = 0;
    if (pid > 0) ::waitpid(pid, &status, 0);
    QString result;
    if (pid < 0) result = "fork failed";
    else if (WIFSIGNALED(status))
        result = QString("the process died (signal %1) at step %2").arg(WTERMSIG(status)).arg(state->where);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        result = state->problem[0] ? state->problem : "failed (see above)";
    ::munmap(mem, sizeof(ChildState));
    return result;
}

/// runInChild for checks that use QVERIFY/QFAIL. Once the test has failed a child cannot tell its own
/// failure from an earlier one, so later checks are skipped.
template <class Fn>
void inChild(const QString& what, Fn fn) {
    if (QTest::currentTestFailed()) return;
    const QString problem = runInChild([&](ChildState&) { fn(); });
    if (!problem.isEmpty()) QFAIL(qPrintable(what + ": " + problem));
}

}  // namespace dacw::test
