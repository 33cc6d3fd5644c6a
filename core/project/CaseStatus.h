#pragma once
// What a project knows of one case: its dataset mask, the label painted in the workbench and the
// newest prediction. The one answer the project browser, the wizard, label-next and the case
// document use.
#include <filesystem>
#include <string>

#include "core/dataset/Domain.h"
#include "core/project/Project.h"

namespace dacw {

/// Where a prediction for a case is looked for: <project>/predictions/<domain>/<id>.* (the
/// training centre's "predict all"), then <run folder>/predictions/<domain>/<id>.* for each run,
/// newest first (core/pipeline/RunFolder.h findPredictionIn). Empty when there is none.
std::filesystem::path findPrediction(const Project& project, const std::string& domain, const std::string& caseId);

/// The disagreement map of the last "suggest what to label next" for a case:
/// <project>/disagreement/<domain>/<id>.*. Empty when there is none.
std::filesystem::path findDisagreementMap(const Project& project, const std::string& domain, const std::string& caseId);

struct CaseStatus {
    bool datasetMask = false;                   // the dataset has a mask for it
    std::filesystem::path workbenchLabel;       // Project::workbenchLabel (empty: none)
    std::filesystem::path prediction;           // findPrediction (empty: none)
    bool annotated() const { return !workbenchLabel.empty(); }
    bool predicted() const { return !prediction.empty(); }
};
CaseStatus caseStatus(const Project& project, const std::string& domain, const Case& c);

}  // namespace dacw
