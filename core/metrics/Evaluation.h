#pragma once
// The scores of a test: per case (Dice, HD95, vertical cup-to-disc ratio, anatomy check), per
// domain and overall, and the one scoring path every route takes (training runs, `dacw predict
// --task`, `dacw evaluate`). Written to and read from metrics.json by pipeline/RunFolder.h.
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/dataset/Task.h"
#include "core/image/Image.h"
#include "core/metrics/Metrics.h"

namespace dacw {

struct CaseResult {
    std::string domain, caseId;
    std::map<std::string, RegionScore> scores;      // of the prediction as written (post-processed)
    std::map<std::string, double> rawDice;          // before anatomy post-processing
    double vcdr = std::numeric_limits<double>::quiet_NaN();        // vertical cup-to-disc ratio, predicted
    double vcdrTruth = std::numeric_limits<double>::quiet_NaN();   // ... and of the reference
    bool anatomyChecked = false, anatomyValid = true;              // of the raw prediction
};

struct DomainResult {
    std::string name;
    std::size_t cases = 0;
    std::map<std::string, double> dice, hd95;   // means over cases (HD95 penalised when a side is empty)
    std::map<std::string, double> rawDice;      // before post-processing
    std::map<std::string, std::size_t> hd95Penalised;  // cases whose HD95 is the empty-side penalty
    double vcdrMae = std::numeric_limits<double>::quiet_NaN();     // mean |vCDR - reference vCDR|
    std::size_t anatomyChecked = 0, anatomyValid = 0;
};

struct EvaluationResult {
    std::vector<DomainResult> domains;
    std::vector<CaseResult> cases;
    std::map<std::string, double> meanDice, meanHd95;  // mean of the domain means
    double meanVcdrMae = std::numeric_limits<double>::quiet_NaN();
    std::string hd95Unit;                              // "mm" or "px@512" (see metrics/Metrics.h)
};

/// The one scoring path of every route (training runs, `dacw predict --task`, `dacw evaluate`):
/// checks the raw prediction's anatomy, post-processes it (fundus: enforceAnatomy; `pred` is
/// changed in place), then Dice, HD95 and the vertical cup-to-disc ratio against `truth`.
CaseResult scoreCase(const std::string& domain, const std::string& caseId, LabelMap& pred, const LabelMap& truth,
                     const Task& task);
/// Fills the per-domain and overall summaries of r from r.cases.
void summarise(EvaluationResult& r);

}  // namespace dacw
