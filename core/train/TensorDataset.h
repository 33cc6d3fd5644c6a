#pragma once
// Images already decoded, resampled and normalised by the caller, as tensors, plus identifiers.
// One file per dataset (a torch::serialize archive), so a GPU node needs nothing but LibTorch.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace dacw::train {

struct TensorDataset {
    at::Tensor images;                 // [N,C,H,W] float32
    at::Tensor masks;                  // [N,H,W] int64 class indices, or undefined (unlabeled)
    std::vector<std::string> caseIds;  // N entries
    std::vector<std::string> domains;  // N entries: the domain (site, folder) of each sample

    int64_t size() const;
    bool empty() const { return size() == 0; }
    bool hasMasks() const { return masks.defined(); }
    int64_t channels() const;
    int64_t height() const;
    int64_t width() const;
    /// Largest label + 1 (0 without masks).
    int64_t labelCount() const;
    /// Distinct domain names in order of first appearance.
    std::vector<std::string> domainNames() const;

    /// Throws ConfigError describing the first inconsistency (shapes, dtypes, counts, labels < 0).
    void validate() const;
    TensorDataset subset(const std::vector<int64_t>& indices) const;
    TensorDataset ofDomain(const std::string& domain) const;
    static TensorDataset concat(const std::vector<TensorDataset>& parts);

    /// Writes atomically (temporary file, then rename).
    void save(const std::string& path) const;
    /// Throws FileFormatError when the file is missing, corrupt, truncated or not a dataset.
    static TensorDataset load(const std::string& path);
};

/// Synthetic demo data: a bright disk (class 1) with a brighter inner disk (class 2, if
/// numClasses == 3) on smooth noise; `domainShift` changes contrast, blur and disk scale so that
/// two domains differ like two scanners do. Per-image per-channel z-scored.
struct SyntheticSpec {
    int64_t count = 8;
    int64_t size = 64;
    int64_t channels = 3;
    int64_t numClasses = 2;
    double domainShift = 0.0;
    uint64_t seed = 1;
    std::string domain = "synthetic";
    bool withMasks = true;
};
TensorDataset makeSyntheticDataset(const SyntheticSpec& spec);

}  // namespace dacw::train
