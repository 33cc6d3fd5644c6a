#pragma once
// "Suggest what to label next": unlabeled cases ranked by how much the two sub-models of a
// co-training run disagree on them. The signal comes free with DAC: where two differently
// initialised and differently supervised networks disagree, a label teaches the most.
#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "core/dataset/Domain.h"

namespace dacw {

struct CaseDisagreement {
    std::string domain, caseId;
    double score = 0.0;      // mean over pixels of half the L1 distance of the class probabilities
    double labelFlip = 0.0;  // fraction of pixels whose predicted class differs
    std::vector<float> embedding;  // the sub-models' pooled decoder features (CoTrainer::disagreement), mean over slices
};

/// Where the per-pixel disagreement maps go, and how writing them went.
struct DisagreementMaps {
    std::filesystem::path folder;  // maps are written to <folder>/<domain>/<case>.png|.nii.gz
    int written = 0;
    std::string problem;           // the first write failure (the ranking is still returned)
};

/// Loads both sub-models from <runDir>/checkpoint.pt (using the run's config.json) and scores
/// every case of `domains` (with `onlyUnlabeled`, cases without a mask only), most disagreement
/// first; a volume is scored over all its slices. Throws InputError for a run without two
/// sub-models or without a checkpoint. Cases that cannot be decoded are left out.
/// With `maps`, each scored case's map (0.5 * sum_k |pA_k - pB_k| per pixel, on the case's own
/// grid, 0..255) replaces the earlier maps of its domain in maps->folder.
std::vector<CaseDisagreement> rankByDisagreement(const std::filesystem::path& runDir, const std::vector<Domain>& domains,
                                                 bool onlyUnlabeled = true, const std::atomic<bool>* cancel = nullptr,
                                                 DisagreementMaps* maps = nullptr);

}  // namespace dacw
