#pragma once
// A run on some of a domain's cases: a folder of links to the chosen images with the masks they
// train with (dataset masks or workbench labels), and a folder of links to the masked cases left
// out, to validate on. Built by the wizard under the run folder; read by executeRun like any
// domain folder. Torch-free.
#include <filesystem>
#include <string>
#include <vector>

#include "core/dataset/Domain.h"

namespace dacw {

struct SubsetCase {
    std::string caseId;
    std::filesystem::path mask;   // the mask it trains with (empty: its dataset mask)
};

struct LabeledSubset {
    std::filesystem::path labeledDir;   // <runDir>/labeled-cases/<domain>
    int count = 0;                      // cases linked
    std::filesystem::path heldOutDir;   // <runDir>/labeled-cases/<domain>-held-out; empty when none
    int heldOut = 0;
};

/// Links `chosen` (cases of `domain`; those without a mask to train with are skipped) into a fresh
/// labeled folder, and up to `maxHeldOut` of `leftOut`'s masked cases into a held-out one (none
/// when maxHeldOut is 0). Throws InputError naming the folder when it cannot be written (or the
/// file system has no symbolic links).
LabeledSubset linkLabeledSubset(const Domain& domain, const std::vector<SubsetCase>& chosen,
                                const std::vector<std::string>& leftOut, const std::filesystem::path& runDir, int maxHeldOut);

/// Whether `dir` is a held-out folder linkLabeledSubset made (a run's left-out labeled cases).
bool isHeldOutSubset(const std::filesystem::path& dir);

/// The reason the roles of a run's folders are not allowed, or empty: a test domain must be held
/// out (neither the labeled folder nor an unlabeled one) and is never a validation domain either.
/// The wizard shows it on its test page; checkRunRequest throws it.
std::string heldOutProblem(const std::filesystem::path& labeled, const std::vector<std::filesystem::path>& unlabeled,
                           const std::vector<std::filesystem::path>& tests,
                           const std::vector<std::filesystem::path>& validation);

}  // namespace dacw
