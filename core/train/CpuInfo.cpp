#include "core/train/CpuInfo.h"

#include <fstream>
#include <sstream>

namespace dacw {

namespace {

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

int number(const std::string& s) {
    try {
        size_t used = 0;
        const int v = std::stoi(s, &used);
        return used == s.size() && v >= 0 ? v : -1;
    } catch (...) {
        return -1;
    }
}

}  // namespace

std::string CpuIdentity::text() const {
    std::ostringstream os;
    os << modelName;
    std::ostringstream id;
    if (!vendor.empty()) id << vendor;
    auto part = [&](const char* name, int v) {
        if (v < 0) return;
        if (id.tellp() > 0) id << ' ';
        id << name << ' ' << v;
    };
    part("family", family);
    part("model", model);
    part("stepping", stepping);
    std::string flags;
    if (avx512bf16) flags += "avx512_bf16";
    if (amx) flags += std::string(flags.empty() ? "" : " ") + "amx";
    const std::string ids = id.str();
    if (!ids.empty() || !flags.empty()) {
        os << " (" << ids;
        if (!flags.empty()) os << (ids.empty() ? "" : "; ") << flags;
        os << ")";
    }
    return os.str();
}

CpuIdentity parseCpuInfo(std::istream& in) {
    CpuIdentity id;
    bool seenProcessor = false;
    for (std::string line; std::getline(in, line);) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) {
            if (seenProcessor && trimmed(line).empty()) break;  // end of the first processor's block
            continue;
        }
        const std::string key = trimmed(line.substr(0, colon));
        const std::string value = trimmed(line.substr(colon + 1));
        if (key == "processor") {
            if (seenProcessor) break;
            seenProcessor = true;
        } else if (key == "model name") {
            if (!value.empty()) id.modelName = value;
        } else if (key == "vendor_id") {
            id.vendor = value;
        } else if (key == "cpu family") {
            id.family = number(value);
        } else if (key == "model") {
            id.model = number(value);
        } else if (key == "stepping") {
            id.stepping = number(value);
        } else if (key == "flags") {
            std::istringstream words(value);
            for (std::string w; words >> w;) {
                if (w == "avx512_bf16") id.avx512bf16 = true;
                if (w.rfind("amx", 0) == 0) id.amx = true;
            }
        }
    }
    return id;
}

CpuIdentity thisCpu() {
    std::ifstream in("/proc/cpuinfo");
    if (!in) return {};
    return parseCpuInfo(in);
}

}  // namespace dacw
