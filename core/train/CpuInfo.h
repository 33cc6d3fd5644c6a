#pragma once
#include <istream>
#include <string>

namespace dacw {

/// What identifies a CPU kind for speed purposes. Virtual machines often report a bare model name
/// ("AMD EPYC") for several generations, so family, model and stepping are part of it: a kernel
/// choice measured on one generation is not reused on another.
struct CpuIdentity {
    std::string modelName = "unknown";           // "model name", or "unknown"
    std::string vendor;                          // "vendor_id", e.g. "AuthenticAMD"; "" where not reported
    int family = -1, model = -1, stepping = -1;  // -1 where not reported
    bool avx512bf16 = false, amx = false;        // the flags that change which kernels are fast

    /// "AMD EPYC (AuthenticAMD family 26 model 2 stepping 1; avx512_bf16)": for cache keys and
    /// benchmark headers. Only the parts that were reported appear.
    std::string text() const;
};

/// Parses /proc/cpuinfo's text; only the first processor's block is read.
CpuIdentity parseCpuInfo(std::istream& cpuinfo);
/// This machine's identity (an "unknown" one where /proc/cpuinfo cannot be read).
CpuIdentity thisCpu();

}  // namespace dacw
