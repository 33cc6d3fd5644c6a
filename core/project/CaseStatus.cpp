#include "core/project/CaseStatus.h"

#include "core/pipeline/RunFolder.h"

namespace fs = std::filesystem;

namespace dacw {

fs::path findPrediction(const Project& project, const std::string& domain, const std::string& caseId) {
    fs::path found = findPredictionIn(project.predictionFolder() / domain, caseId);
    for (auto it = project.runs.rbegin(); found.empty() && it != project.runs.rend(); ++it)
        found = RunFolder(project.resolve(it->folder)).findPrediction(domain, caseId);
    return found;
}

fs::path findDisagreementMap(const Project& project, const std::string& domain, const std::string& caseId) {
    return findPredictionIn(project.disagreementFolder() / domain, caseId);
}

CaseStatus caseStatus(const Project& project, const std::string& domain, const Case& c) {
    CaseStatus s;
    s.datasetMask = c.hasMask();
    s.workbenchLabel = project.workbenchLabel(domain, c.id);
    s.prediction = findPrediction(project, domain, c.id);
    return s;
}

}  // namespace dacw
