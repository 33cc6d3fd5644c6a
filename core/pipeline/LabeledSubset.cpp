#include "core/pipeline/LabeledSubset.h"

#include "core/util/Errors.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;

namespace dacw {

namespace {

constexpr const char* kSubsetFolder = "labeled-cases";
constexpr const char* kHeldOutSuffix = "-held-out";

bool sameFolder(const fs::path& a, const fs::path& b) {
    std::error_code ec;
    return fs::equivalent(a, b, ec);
}

void freshFolder(const fs::path& dir) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir / "images", ec);
    if (!ec) fs::create_directories(dir / "masks", ec);
    if (ec) throw InputError("Cannot create " + dir.string() + ": " + ec.message());
}

void link(const fs::path& target, const fs::path& at) {
    std::error_code ec;
    fs::create_symlink(fs::absolute(target), at, ec);
    if (ec) throw InputError("Cannot link " + target.string() + " into " + at.parent_path().string() + ": " + ec.message());
}

/// The mask's file name in the subset: the case id with the mask's extension (".nii.gz" whole).
std::string maskName(const std::string& caseId, const fs::path& mask) {
    const std::string ext = mask.extension().string();
    return caseId + (ext == ".gz" ? std::string(".nii.gz") : ext);
}

}  // namespace

LabeledSubset linkLabeledSubset(const Domain& domain, const std::vector<SubsetCase>& chosen,
                                const std::vector<std::string>& leftOut, const fs::path& runDir, int maxHeldOut) {
    LabeledSubset s;
    s.labeledDir = runDir / kSubsetFolder / domain.name;
    freshFolder(s.labeledDir);
    for (const SubsetCase& sc : chosen) {
        const Case* c = domain.find(sc.caseId);
        if (!c) continue;
        const fs::path mask = sc.mask.empty() ? c->mask : sc.mask;
        if (mask.empty()) continue;
        link(c->image, s.labeledDir / "images" / c->image.filename());
        link(mask, s.labeledDir / "masks" / maskName(c->id, mask));
        ++s.count;
    }
    const fs::path held = runDir / kSubsetFolder / (domain.name + kHeldOutSuffix);
    std::error_code ec;
    fs::remove_all(held, ec);
    for (const std::string& id : leftOut) {
        if (s.heldOut >= maxHeldOut) break;
        const Case* c = domain.find(id);
        if (!c || !c->hasMask()) continue;
        if (s.heldOut == 0) freshFolder(held);
        link(c->image, held / "images" / c->image.filename());
        link(c->mask, held / "masks" / c->mask.filename());
        ++s.heldOut;
    }
    if (s.heldOut > 0) s.heldOutDir = held;
    return s;
}

bool isHeldOutSubset(const fs::path& dir) {
    const std::string name = dir.filename().string(), suffix = kHeldOutSuffix;
    return dir.parent_path().filename() == kSubsetFolder && name.size() > suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string heldOutProblem(const fs::path& labeled, const std::vector<fs::path>& unlabeled, const std::vector<fs::path>& tests,
                           const std::vector<fs::path>& validation) {
    for (const auto& t : tests) {
        if (sameFolder(t, labeled))
            return "The test folder " + t.string() + " is the labeled folder; test domains must be held out";
        for (const auto& u : unlabeled)
            if (sameFolder(t, u))
                return "The test folder " + t.string() + " is also an unlabeled folder; test domains must be held out";
        for (const auto& v : validation)
            if (sameFolder(t, v))
                return "The folder " + t.string() + " is both a test and a validation domain: choose one role";
    }
    return {};
}

}  // namespace dacw
