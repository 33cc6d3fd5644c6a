#include "core/train/TensorDataset.h"

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "core/train/Augment.h"
#include "core/train/Errors.h"
#include "core/train/Serialization.h"

namespace dacw::train {
namespace F = torch::nn::functional;

namespace {
constexpr const char* kDatasetKind = "dacw-tensor-dataset";
constexpr int64_t kDatasetVersion = 1;
}  // namespace

int64_t TensorDataset::size() const { return images.defined() ? images.size(0) : 0; }
int64_t TensorDataset::channels() const { return images.defined() ? images.size(1) : 0; }
int64_t TensorDataset::height() const { return images.defined() ? images.size(2) : 0; }
int64_t TensorDataset::width() const { return images.defined() ? images.size(3) : 0; }

int64_t TensorDataset::labelCount() const {
    if (!masks.defined() || masks.numel() == 0) return 0;
    return masks.max().item<int64_t>() + 1;
}

std::vector<std::string> TensorDataset::domainNames() const {
    std::vector<std::string> names;
    std::set<std::string> seen;
    for (const auto& d : domains)
        if (seen.insert(d).second) names.push_back(d);
    return names;
}

void TensorDataset::validate() const {
    if (!images.defined()) {
        if (masks.defined() || !caseIds.empty() || !domains.empty())
            throw ConfigError("dataset has masks or ids but no images");
        return;
    }
    if (images.dim() != 4) throw ConfigError("dataset images must be [N,C,H,W], got " + c10::str(images.sizes()));
    if (images.scalar_type() != at::kFloat) throw ConfigError("dataset images must be float32");
    const int64_t n = images.size(0);
    if (static_cast<int64_t>(caseIds.size()) != n || static_cast<int64_t>(domains.size()) != n)
        throw ConfigError("dataset has " + std::to_string(n) + " images but " + std::to_string(caseIds.size()) +
                          " case ids and " + std::to_string(domains.size()) + " domain names");
    if (masks.defined()) {
        if (masks.dim() != 3 || masks.size(0) != n || masks.size(1) != images.size(2) || masks.size(2) != images.size(3))
            throw ConfigError("dataset masks must be [N,H,W] matching images " + c10::str(images.sizes()) + ", got " +
                              c10::str(masks.sizes()));
        if (masks.scalar_type() != at::kLong) throw ConfigError("dataset masks must be int64 class indices");
        if (masks.numel() > 0 && masks.min().item<int64_t>() < 0) throw ConfigError("dataset masks contain negative labels");
    }
}

TensorDataset TensorDataset::subset(const std::vector<int64_t>& indices) const {
    TensorDataset out;
    at::Tensor idx = at::tensor(indices, at::kLong);
    for (int64_t i : indices)
        if (i < 0 || i >= size()) throw ConfigError("dataset subset index " + std::to_string(i) + " out of range");
    out.images = images.index_select(0, idx);
    if (masks.defined()) out.masks = masks.index_select(0, idx);
    for (int64_t i : indices) {
        out.caseIds.push_back(caseIds.at(static_cast<size_t>(i)));
        out.domains.push_back(domains.at(static_cast<size_t>(i)));
    }
    return out;
}

TensorDataset TensorDataset::ofDomain(const std::string& domain) const {
    std::vector<int64_t> idx;
    for (size_t i = 0; i < domains.size(); ++i)
        if (domains[i] == domain) idx.push_back(static_cast<int64_t>(i));
    return subset(idx);
}

TensorDataset TensorDataset::concat(const std::vector<TensorDataset>& parts) {
    TensorDataset out;
    std::vector<at::Tensor> imgs, msks;
    bool allMasks = true;
    for (const auto& p : parts) {
        if (p.empty()) continue;
        imgs.push_back(p.images);
        if (p.masks.defined()) msks.push_back(p.masks);
        else allMasks = false;
        out.caseIds.insert(out.caseIds.end(), p.caseIds.begin(), p.caseIds.end());
        out.domains.insert(out.domains.end(), p.domains.begin(), p.domains.end());
    }
    if (imgs.empty()) return out;
    try {
        out.images = torch::cat(imgs, 0);
    } catch (const c10::Error&) {
        throw ConfigError("cannot concatenate datasets of different image sizes or channel counts");
    }
    if (allMasks) out.masks = torch::cat(msks, 0);
    return out;
}

void TensorDataset::save(const std::string& path) const {
    validate();
    torch::serialize::OutputArchive ar;
    writeString(ar, "dacw_kind", kDatasetKind);
    ar.write("version", at::tensor(kDatasetVersion));
    ar.write("images", images.defined() ? images.contiguous() : at::zeros({0, 1, 1, 1}));
    ar.write("has_masks", at::tensor(static_cast<int64_t>(masks.defined())));
    if (masks.defined()) ar.write("masks", masks.contiguous());
    ar.write("case_ids", encodeStrings(caseIds));
    ar.write("domains", encodeStrings(domains));
    saveArchiveAtomically(ar, path);
}

TensorDataset TensorDataset::load(const std::string& path) {
    torch::serialize::InputArchive ar;
    loadArchive(ar, path, "dataset");
    TensorDataset d;
    try {
        if (readString(ar, "dacw_kind") != kDatasetKind) throw FileFormatError("");
        at::Tensor version, hasMasks, ids, doms;
        ar.read("version", version);
        if (version.item<int64_t>() > kDatasetVersion)
            throw FileFormatError("dataset file '" + path + "' was written by a newer version (format " +
                                  std::to_string(version.item<int64_t>()) + ")");
        ar.read("images", d.images);
        ar.read("has_masks", hasMasks);
        if (hasMasks.item<int64_t>() != 0) ar.read("masks", d.masks);
        ar.read("case_ids", ids);
        ar.read("domains", doms);
        d.caseIds = decodeStrings(ids);
        d.domains = decodeStrings(doms);
    } catch (const FileFormatError& e) {
        if (std::string(e.what()).empty())
            throw FileFormatError("'" + path + "' is not a DAC Workbench tensor dataset");
        throw;
    } catch (const std::exception& e) {
        throw FileFormatError("dataset file '" + path + "' is incomplete or corrupt: " + firstLine(e.what()));
    }
    if (d.images.numel() == 0 && d.caseIds.empty()) d.images = at::Tensor();
    try {
        d.validate();
    } catch (const ConfigError& e) {
        throw FileFormatError("dataset file '" + path + "' is inconsistent: " + e.what());
    }
    return d;
}

TensorDataset makeSyntheticDataset(const SyntheticSpec& spec) {
    if (spec.count < 1 || spec.size < 16 || spec.channels < 1 || spec.numClasses < 2 || spec.numClasses > 3)
        throw ConfigError("synthetic data: count >= 1, size >= 16, channels >= 1, 2 or 3 classes");
    torch::NoGradGuard noGrad;
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(spec.seed);
    const int64_t n = spec.count, s = spec.size, c = spec.channels;
    const double shift = spec.domainShift;
    at::Tensor u = at::rand({n, 6}, gen, at::kDouble);
    auto a = u.accessor<double, 2>();
    at::Tensor coords = at::arange(s, at::kDouble).add_(0.5);
    at::Tensor yy = coords.view({s, 1}).expand({s, s}), xx = coords.view({1, s}).expand({s, s});
    at::Tensor masks = at::zeros({n, s, s}, at::kLong);
    at::Tensor shape = at::zeros({n, 1, s, s}, at::kFloat);
    for (int64_t i = 0; i < n; ++i) {
        const double r = (0.16 + 0.08 * a[i][0]) * s * (1.0 + 0.6 * shift);
        const double cy = s * (0.35 + 0.3 * a[i][1]), cx = s * (0.35 + 0.3 * a[i][2]);
        at::Tensor d = ((yy - cy).pow(2) + (xx - cx).pow(2)).sqrt();
        at::Tensor outer = d.lt(r), inner = d.lt(0.5 * r);
        masks[i].masked_fill_(outer, 1);
        shape[i][0].masked_fill_(outer, 1.0);
        if (spec.numClasses == 3) {
            masks[i].masked_fill_(inner, 2);
            shape[i][0].masked_fill_(inner, 1.8);
        }
    }
    // Low-frequency background plus fine noise; the domain shift lowers contrast and adds blur.
    at::Tensor coarse = at::randn({n, c, std::max<int64_t>(2, s / 8), std::max<int64_t>(2, s / 8)}, gen, at::kFloat);
    at::Tensor background = F::interpolate(coarse, F::InterpolateFuncOptions()
                                                       .size(std::vector<int64_t>{s, s})
                                                       .mode(torch::kBilinear)
                                                       .align_corners(false));
    at::Tensor colour = at::linspace(1.0, 0.6, c, at::kFloat).view({1, c, 1, 1});
    const double contrast = 1.6 / (1.0 + 1.5 * shift);
    at::Tensor img = shape * colour * contrast + 0.35 * background + 0.15 * at::randn({n, c, s, s}, gen, at::kFloat);
    if (shift > 0.0) {
        AugmentConfig blur;
        blur.gamma = blur.saturation = blur.channelMix = blur.noiseStd = 0.0;
        blur.blurProb = 1.0;
        blur.blurSigmaMax = 0.5 + shift;
        blur.normalization = Normalization::None;
        img = strongAugment(img, blur, gen);
    }
    TensorDataset out;
    out.images = normalizeImages(img, Normalization::PerImageChannel).contiguous();
    if (spec.withMasks) out.masks = masks;
    for (int64_t i = 0; i < n; ++i) {
        out.caseIds.push_back(spec.domain + "_" + std::to_string(i));
        out.domains.push_back(spec.domain);
    }
    return out;
}

}  // namespace dacw::train
