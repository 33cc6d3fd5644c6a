#include "core/dataset/Domain.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/image/ImageIO.h"
#include "core/util/Errors.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;

namespace dacw {

std::string toString(DomainLayout l) {
    switch (l) {
    case DomainLayout::ImagesMasks: return "images+masks";
    case DomainLayout::Flat: return "flat";
    case DomainLayout::NnUNet: return "nnU-Net";
    case DomainLayout::FundusMultiDomain: return "fundus multi-domain";
    }
    return "unknown";
}

std::string toString(CaseIssue::Kind k) {
    switch (k) {
    case CaseIssue::Kind::MissingMask: return "missing mask";
    case CaseIssue::Kind::SizeMismatch: return "size mismatch";
    case CaseIssue::Kind::UnknownLabel: return "unknown label";
    case CaseIssue::Kind::Unreadable: return "unreadable";
    case CaseIssue::Kind::OrphanMask: return "mask without image";
    case CaseIssue::Kind::EmptyFolder: return "empty folder";
    case CaseIssue::Kind::NotAnImage: return "not an image";
    }
    return "unknown";
}

std::size_t Domain::labeledCount() const {
    return static_cast<std::size_t>(std::count_if(cases.begin(), cases.end(), [](const Case& c) { return c.hasMask(); }));
}

const Case* Domain::find(const std::string& id) const {
    for (const auto& c : cases)
        if (c.id == id) return &c;
    return nullptr;
}

std::vector<CaseIssue> ValidationReport::issuesFor(const std::string& caseId) const {
    std::vector<CaseIssue> out;
    for (const auto& i : issues)
        if (i.caseId == caseId) out.push_back(i);
    return out;
}

namespace {

void requireReadableFolder(const fs::path& dir) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) throw InputError("Folder not found: " + dir.string());
    if (!fs::is_directory(dir, ec)) throw InputError(dir.string() + " is a file, not a folder");
    if (::access(dir.c_str(), R_OK | X_OK) != 0) throw InputError("Permission denied: cannot read the folder " + dir.string());
}

/// Regular files of a folder sorted by name (hidden files skipped).
std::vector<fs::path> listFiles(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().filename().string().rfind('.', 0) == 0) continue;
        if (it->is_regular_file(ec)) out.push_back(it->path());
    }
    if (ec) throw InputError("Cannot list " + dir.string() + ": " + ec.message());
    std::sort(out.begin(), out.end());
    return out;
}

std::string folderName(const fs::path& dir) {
    fs::path p = dir;
    if (p.filename().empty()) p = p.parent_path();
    return p.filename().string();
}

/// images/ + masks/ matched by stem; also the inner layout of a fundus DomainN split
/// (ROIs/image + ROIs/mask).
void addMatchedCases(Domain& d, const fs::path& imageDir, const fs::path& maskDir, const std::string& idPrefix,
                     bool fundusEncoding) {
    std::map<std::string, fs::path> masks;
    std::error_code ec;
    if (!maskDir.empty() && fs::is_directory(maskDir, ec)) {
        d.expectsMasks = true;
        for (const auto& m : listFiles(maskDir)) {
            if (looksLikeImageFile(m)) masks[fileStem(m)] = m;
            else d.ignoredFiles.push_back(m);
        }
    }
    std::set<std::string> used;
    for (const auto& f : listFiles(imageDir)) {
        if (!looksLikeImageFile(f)) {
            d.ignoredFiles.push_back(f);
            continue;
        }
        Case c;
        c.id = idPrefix + fileStem(f);
        c.image = f;
        auto it = masks.find(fileStem(f));
        if (it != masks.end()) {
            c.mask = it->second;
            c.fundusMaskEncoding = fundusEncoding;
            used.insert(it->first);
        }
        d.cases.push_back(std::move(c));
    }
    for (const auto& [stem, path] : masks)
        if (!used.count(stem)) d.orphanMasks.push_back(path);
}

void scanNnUNet(Domain& d) {
    d.layout = DomainLayout::NnUNet;
    std::string fileEnding;
    const fs::path json = d.root / "dataset.json";
    std::error_code ec;
    if (fs::exists(json, ec)) {
        try {
            auto j = nlohmann::json::parse(readText(json));
            if (j.contains("file_ending")) fileEnding = j["file_ending"].get<std::string>();
        } catch (const nlohmann::json::exception& e) {
            throw InputError("dataset.json in " + d.root.string() + " is not valid JSON: " + e.what());
        }
    }
    std::map<std::string, fs::path> labels;
    if (fs::is_directory(d.root / "labelsTr", ec)) {
        d.expectsMasks = true;
        for (const auto& f : listFiles(d.root / "labelsTr"))
            if (looksLikeImageFile(f)) labels[fileStem(f)] = f;
    }
    std::set<std::string> used;
    for (const char* sub : {"imagesTr", "imagesTs"}) {
        const fs::path dir = d.root / sub;
        if (!fs::is_directory(dir, ec)) continue;
        for (const auto& f : listFiles(dir)) {
            if (!looksLikeImageFile(f) || (!fileEnding.empty() && lowerExtension(f) != fileEnding)) {
                d.ignoredFiles.push_back(f);
                continue;
            }
            std::string stem = fileStem(f);
            // nnU-Net names channels case_0000, case_0001, ...: the case is the image of channel 0.
            if (stem.size() > 5 && stem[stem.size() - 5] == '_' &&
                std::all_of(stem.end() - 4, stem.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
                if (stem.compare(stem.size() - 4, 4, "0000") != 0) continue;
                stem = stem.substr(0, stem.size() - 5);
            }
            Case c;
            c.id = std::string(sub) == "imagesTs" ? "Ts/" + stem : stem;
            c.image = f;
            if (std::string(sub) == "imagesTr") {
                auto it = labels.find(stem);
                if (it != labels.end()) { c.mask = it->second; used.insert(stem); }
            }
            d.cases.push_back(std::move(c));
        }
    }
    for (const auto& [stem, path] : labels)
        if (!used.count(stem)) d.orphanMasks.push_back(path);
}

bool isFundusSplit(const fs::path& dir) {
    std::error_code ec;
    return fs::is_directory(dir / "train" / "ROIs", ec) || fs::is_directory(dir / "test" / "ROIs", ec);
}

void scanFundusDomain(Domain& d) {
    d.layout = DomainLayout::FundusMultiDomain;
    std::error_code ec;
    for (const char* split : {"train", "test"}) {
        const fs::path rois = d.root / split / "ROIs";
        if (!fs::is_directory(rois / "image", ec)) continue;
        addMatchedCases(d, rois / "image", rois / "mask", std::string(split) + "/", true);
    }
}

}  // namespace

Domain scanDomain(const fs::path& dirIn) {
    const fs::path dir = dirIn.lexically_normal();
    requireReadableFolder(dir);
    Domain d;
    d.root = dir;
    d.name = folderName(dir);
    std::error_code ec;
    if (fs::is_directory(dir / "imagesTr", ec) || fs::is_directory(dir / "imagesTs", ec)) {
        scanNnUNet(d);
    } else if (isFundusSplit(dir)) {
        scanFundusDomain(d);
    } else if (fs::is_directory(dir / "images", ec)) {
        d.layout = DomainLayout::ImagesMasks;
        requireReadableFolder(dir / "images");
        addMatchedCases(d, dir / "images", dir / "masks", "", false);
    } else {
        d.layout = DomainLayout::Flat;
        addMatchedCases(d, dir, fs::path(), "", false);
    }
    return d;
}

std::vector<Domain> scanFundusMultiDomain(const fs::path& root) {
    requireReadableFolder(root);
    std::vector<Domain> out;
    std::error_code ec;
    std::vector<fs::path> dirs;
    for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_directory(ec) && isFundusSplit(it->path())) dirs.push_back(it->path());
    std::sort(dirs.begin(), dirs.end());
    for (const auto& dir : dirs) out.push_back(scanDomain(dir));
    if (out.empty())
        throw InputError(root.string() + " has no DomainN/{train,test}/ROIs/{image,mask} folders");
    return out;
}

namespace {
std::string listValues(const std::vector<std::uint8_t>& vs) {
    std::ostringstream s;
    for (std::size_t i = 0; i < vs.size(); ++i) s << (i ? ", " : "") << int(vs[i]);
    return s.str();
}
}  // namespace

LabelMap readCaseMask(const Case& c, const ReadOptions& opt) {
    LabelMap m = readLabelMap(c.mask, opt);
    if (c.fundusMaskEncoding) {
        // 0 = cup, 128 = rim, 255 = background -> 2 = cup, 1 = rim, 0 = background.
        for (auto& v : m.data()) {
            if (v == 0) v = 2;
            else if (v == 128) v = 1;
            else if (v == 255) v = 0;
            else
                throw InputError(c.mask.string() + " holds the value " + std::to_string(int(v)) +
                                 "; multi-domain fundus masks hold only 0 (cup), 128 (rim) and 255 (background)");
        }
    }
    return m;
}

ValidationReport validateDomain(const Domain& d, const Task& task, std::size_t maxBytes) {
    ValidationReport r;
    r.domain = d.name;
    r.cases = d.cases.size();
    r.labeled = d.labeledCount();
    ReadOptions opt;
    opt.maxBytes = maxBytes;
    if (d.cases.empty()) {
        const bool onlyJunk = !d.ignoredFiles.empty();
        r.issues.push_back({onlyJunk ? CaseIssue::Kind::NotAnImage : CaseIssue::Kind::EmptyFolder, "", d.root,
                            onlyJunk ? d.root.string() + " holds " + std::to_string(d.ignoredFiles.size()) +
                                           " files but no image (PNG, JPEG, BMP, TIFF, NIfTI, MetaImage, NRRD, DICOM)"
                                     : d.root.string() + " holds no images"});
    }
    for (const auto& m : d.orphanMasks)
        r.issues.push_back({CaseIssue::Kind::OrphanMask, fileStem(m), m, m.string() + " has no image with the same name"});
    for (const auto& c : d.cases) {
        std::size_t before = r.issues.size();
        ImageInfo info;
        try {
            info = readImageInfo(c.image, opt);
        } catch (const InputError& e) {
            r.issues.push_back({CaseIssue::Kind::Unreadable, c.id, c.image, e.what()});
            continue;
        }
        if (!c.hasMask()) {
            if (d.expectsMasks)
                r.issues.push_back({CaseIssue::Kind::MissingMask, c.id, c.image,
                                    "No mask for " + c.image.filename().string() + " (the case is treated as unlabeled)"});
        } else {
            try {
                LabelMap m = readCaseMask(c, opt);
                if (!m.geometry().sameSize(info.geometry)) {
                    std::ostringstream s;
                    s << "Mask " << c.mask.filename().string() << " is " << m.width() << " x " << m.height();
                    if (m.depth() > 1) s << " x " << m.depth();
                    s << " but image " << c.image.filename().string() << " is " << info.geometry.size[0] << " x "
                      << info.geometry.size[1];
                    if (info.geometry.size[2] > 1) s << " x " << info.geometry.size[2];
                    r.issues.push_back({CaseIssue::Kind::SizeMismatch, c.id, c.mask, s.str()});
                }
                std::vector<std::uint8_t> bad;
                for (auto v : m.values())
                    if (!task.allowsValue(v)) bad.push_back(v);
                if (!bad.empty())
                    r.issues.push_back({CaseIssue::Kind::UnknownLabel, c.id, c.mask,
                                        "Mask " + c.mask.filename().string() + " holds label value(s) " + listValues(bad) +
                                            " that task '" + task.name + "' does not define"});
            } catch (const InputError& e) {
                r.issues.push_back({CaseIssue::Kind::Unreadable, c.id, c.mask, e.what()});
            }
        }
        if (r.issues.size() == before) ++r.valid;
    }
    return r;
}

}  // namespace dacw
