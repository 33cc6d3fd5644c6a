#pragma once
// What a review shows, read from one or two run folders: every scored test case with its image,
// reference, the predictions of run A (and B) and their per-region Dice and HD95. Error maps and
// the CSV export live here too. Plain C++: no Qt, no VTK.
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/image/Image.h"
#include "core/pipeline/Run.h"
#include "core/project/Project.h"

namespace dacw {

struct ReviewCase {
    std::string domain, caseId;
    std::filesystem::path image, mask, predictionA, predictionB;  // B empty without a second run
    std::map<std::string, RegionScore> a, b;
    /// Vertical cup-to-disc ratio of A's and B's prediction and of the reference (NaN: not fundus).
    double vcdrA = std::numeric_limits<double>::quiet_NaN(), vcdrB = std::numeric_limits<double>::quiet_NaN(),
           vcdrTruth = std::numeric_limits<double>::quiet_NaN();
    /// Mean Dice over the regions of run A (the sort key: worst first).
    double meanDiceA() const;
    double meanDiceB() const;
    std::string key() const { return Project::caseKey(domain, caseId); }
};

struct ReviewData {
    std::filesystem::path runA, runB;
    std::string nameA, nameB;  // folder names
    Task task;
    std::vector<std::string> regions;
    std::vector<DomainResult> domainsA, domainsB;
    std::vector<ReviewCase> cases;  // worst first (mean Dice of A)
    std::string hd95Unit = "mm";    // "px@512" for photographs (see metrics/Metrics.h)
    /// Whether the cases carry vertical cup-to-disc ratios (fundus).
    bool hasVcdr() const;
    bool hasB() const { return !runB.empty(); }
};

/// Reads metrics.json (per-case scores) and the request/config of each run, and finds each
/// case's image and mask in the run's test folders. Throws InputError naming what is missing.
ReviewData loadReview(const std::filesystem::path& runA, const std::filesystem::path& runB = {});

/// 0 agree, 1 false positive (predicted foreground where the reference has another value),
/// 2 false negative (reference foreground the prediction missed or labelled otherwise).
LabelMap errorMap(const LabelMap& prediction, const LabelMap& reference);
enum : std::uint8_t { kFalsePositive = 1, kFalseNegative = 2 };

/// One row per case: domain, case, Dice and HD95 per region for A (and B), vCDR (fundus), flag, note.
std::string reviewCsv(const ReviewData& data, const Project* project);

}  // namespace dacw
