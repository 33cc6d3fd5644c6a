// Byte and stream readers shared by the format checks (image/FileCheckParts.h).
#include "core/image/FileCheckParts.h"

#include <sstream>
#include <vector>

namespace fs = std::filesystem;

namespace dacw::checks {

/// A byte count computed in double (it may exceed every integer type), as digits.
std::string wholeNumber(double v) {
    std::ostringstream s;
    s.precision(0);
    s << std::fixed << v;
    return s.str();
}

long long fileSize(const fs::path& file) {
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    return ec ? -1 : static_cast<long long>(size);
}

/// Reads up to `n` bytes, of a plain or a gzip-compressed file, from its start.
std::size_t readHead(const fs::path& file, unsigned char* out, std::size_t n) {
    gzFile g = gzopen(file.c_str(), "rb");
    if (!g) return 0;
    const int got = gzread(g, out, unsigned(n));
    gzclose(g);
    return got < 0 ? 0 : std::size_t(got);
}

/// Counts the bytes of a gzip file's uncompressed stream up to `cap`; `problem` is set when the stream
/// is damaged, or ends early (a cut file loses its CRC and length trailer: zlib says "unexpected end of file").
std::uint64_t gzipLength(const fs::path& file, std::uint64_t cap, std::string& problem) {
    gzFile g = gzopen(file.c_str(), "rb");
    if (!g) {
        problem = "it cannot be opened";
        return 0;
    }
    std::vector<unsigned char> buf(1 << 16);
    std::uint64_t total = 0;
    int got;
    while (total <= cap && (got = gzread(g, buf.data(), unsigned(buf.size()))) > 0) total += std::uint64_t(got);
    int err = Z_OK;
    const char* msg = gzerror(g, &err);
    if (err != Z_OK) problem = std::string(err == Z_BUF_ERROR ? "its compressed stream ends early" : "its compressed "
                                           "stream is damaged") + " (" + (msg ? msg : "zlib error") + ")";
    gzclose(g);
    return total;
}

}  // namespace dacw::checks
