#pragma once
// One case open for annotation: its image, the label map being edited and where it is saved.
// Labels come from the workbench's own file under the project folder when there is one, else
// from the dataset's mask (read, never written), else start empty. The source image and the
// dataset mask are never modified. Plain C++: no Qt, no VTK.
#include <filesystem>
#include <memory>
#include <string>

#include "core/dataset/Domain.h"
#include "core/image/Image.h"
#include "core/image/ImageIO.h"
#include "core/project/CaseStatus.h"
#include "core/project/Project.h"
#include "ui/model/BackgroundWriter.h"
#include "ui/model/LabelDescription.h"

namespace dacw {

struct CaseDocument {
    enum class LabelSource { Workbench, Dataset, Empty };

    std::string domain;
    std::string caseId;
    std::shared_ptr<Image> image;
    std::shared_ptr<LabelMap> labels;
    std::shared_ptr<LabelMap> prediction;    // null when there is none
    std::shared_ptr<LabelMap> disagreement;  // sub-model disagreement 0..255 (label-next); null: none
    std::filesystem::path labelFile;         // absolute; where save() writes
    LabelSource source = LabelSource::Empty;
    std::string warning;  // a problem that did not stop the case from opening

    bool isVolume() const { return image && image->geometry().dimension == 3 && image->depth() > 1; }
    std::string key() const { return Project::caseKey(domain, caseId); }

    /// Throws InputError (naming the file) when the image cannot be read.
    static CaseDocument open(const Project& project, const Domain& domain, const Case& c, const ReadOptions& opt = {});

    /// (Re)reads the case's prediction (findPrediction); one of another size than the image is not
    /// kept. Returns why there is none although a file was found ("" otherwise). open() calls it.
    std::string loadPrediction(const Project& project, const ReadOptions& opt = {});
    /// The same for the disagreement map of the last label-next ranking (findDisagreementMap).
    std::string loadDisagreement(const Project& project, const ReadOptions& opt = {});
    /// Records the annotation (the label file) in the project. Returns true when the project
    /// changed (save it then).
    bool recordAnnotation(Project& project) const;
    /// Undoes what saving did when the labels are back to where they came from (every edit
    /// undone, on a case without a workbench label of its own): removes the label file and its
    /// record in the project (a review flag or note stays). Returns true when the project changed.
    bool forgetAnnotation(Project& project) const;
    /// Writes the label map atomically and the label descriptions beside it, and records the
    /// annotation in the project. Returns true when the project changed (save it then).
    bool save(Project& project, const std::vector<LabelDisplay>& labelDisplay) const;
    /// The same save as a job for a BackgroundWriter (autosave): what it writes is copied now, on
    /// the caller's thread (the label map, the label descriptions, and the project when the
    /// annotation is new to it); the job writes it and returns "" or why it failed.
    BackgroundWriter::Job saveJob(Project& project, const std::vector<LabelDisplay>& labelDisplay) const;
};

/// The label display of a task (all visible, opaque).
std::vector<LabelDisplay> labelDisplayOf(const Task& task);

}  // namespace dacw
