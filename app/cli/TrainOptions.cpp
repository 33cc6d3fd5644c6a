#include "TrainOptions.h"

#include <cstdlib>

namespace fs = std::filesystem;

namespace dacw::cli {

void applySetOptions(train::TrainConfig& c, const std::vector<std::string>& keyValues) {
    for (const auto& kv : keyValues) {
        auto eq = kv.find('=');
        if (eq == std::string::npos) throw UsageError("--set expects key=value, got '" + kv + "'");
        train::applyOption(c, kv.substr(0, eq), kv.substr(eq + 1));
    }
}

fs::path datasetCacheDir(const Args& a) {
    if (a.flag("no-cache")) return {};
    if (a.has("cache")) return a.get("cache");
    if (const char* x = std::getenv("XDG_CACHE_HOME")) return fs::path(x) / "dac-workbench" / "datasets";
    if (const char* h = std::getenv("HOME")) return fs::path(h) / ".cache" / "dac-workbench" / "datasets";
    return {};
}

}  // namespace dacw::cli
