#pragma once
// A domain is one acquisition centre: a folder of cases, some with masks.
#include <filesystem>
#include <string>
#include <vector>

#include "core/dataset/Task.h"
#include "core/image/Image.h"
#include "core/image/ImageIO.h"

namespace dacw {

enum class DomainLayout {
    ImagesMasks,     // images/ + optional masks/, matched by file stem (../shared/data layout)
    Flat,            // a flat folder of images, all unlabeled
    NnUNet,          // imagesTr/ (+ _0000 channel suffix), labelsTr/, dataset.json
    FundusMultiDomain // DomainN/{train,test}/ROIs/{image,mask}; masks 0 cup, 128 rim, 255 background
};
std::string toString(DomainLayout l);

struct Case {
    std::string id;                    // file stem, unique within the domain
    std::filesystem::path image;
    std::filesystem::path mask;        // empty when unlabeled
    bool fundusMaskEncoding = false;   // mask uses 0 cup / 128 rim / 255 background
    bool hasMask() const { return !mask.empty(); }
};

struct Domain {
    std::string name;                  // folder name by default
    std::filesystem::path root;
    DomainLayout layout = DomainLayout::ImagesMasks;
    std::vector<Case> cases;
    bool expectsMasks = false;         // the layout has a mask folder: a case without one is reported
    std::vector<std::filesystem::path> orphanMasks;   // masks with no image of the same stem
    std::vector<std::filesystem::path> ignoredFiles;  // files that are not images

    std::size_t labeledCount() const;
    const Case* find(const std::string& id) const;
};

/// Problems found in one case. Validation never throws for a bad case: it lists it.
struct CaseIssue {
    enum class Kind { MissingMask, SizeMismatch, UnknownLabel, Unreadable, OrphanMask, EmptyFolder, NotAnImage };
    Kind kind;
    std::string caseId;
    std::filesystem::path path;
    std::string message;  // one sentence a user understands, naming the file
};
std::string toString(CaseIssue::Kind k);

struct ValidationReport {
    std::string domain;
    std::size_t cases = 0;
    std::size_t labeled = 0;
    std::size_t valid = 0;
    std::vector<CaseIssue> issues;
    bool ok() const { return issues.empty(); }
    /// Issues of one case (empty when the case is valid).
    std::vector<CaseIssue> issuesFor(const std::string& caseId) const;
};

/// Scans a folder and recognises its layout (images/+masks/, nnU-Net, flat). Throws InputError
/// when the folder does not exist or is not readable. An empty folder gives an empty domain.
Domain scanDomain(const std::filesystem::path& dir);
/// The multi-domain fundus layout: one Domain per DomainN folder (train and test cases merged,
/// ids prefixed "train/" and "test/").
std::vector<Domain> scanFundusMultiDomain(const std::filesystem::path& root);
/// Reads every case's header (and masks' values) and reports problems against the task.
/// `maxBytes` is the decoding budget for one image (see ReadOptions).
/// Reads a case's mask as task label values (decoding the fundus 0/128/255 encoding).
LabelMap readCaseMask(const Case& c, const ReadOptions& opt = {});
ValidationReport validateDomain(const Domain& d, const Task& task, std::size_t maxBytes = 0);

}  // namespace dacw
