#pragma once
// A DAC Workbench project (*.dacproj): JSON with a schema version. It names the dataset folders
// (never modified), the labels painted in the workbench (stored under the project folder), and
// the training runs. Every save is atomic.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/dataset/Domain.h"
#include "core/dataset/Task.h"

namespace dacw {

struct ProjectDomain {
    std::string name;
    std::filesystem::path root;          // absolute, or relative to the project folder
    DomainLayout layout = DomainLayout::ImagesMasks;
    std::string role = "unlabeled";      // "labeled", "unlabeled" or "test"
};

struct ProjectRun {
    std::string name;
    std::filesystem::path folder;        // relative to the project folder when inside it
    std::string method;
    std::string status;                  // "running", "finished", "cancelled", "failed"
};

struct CaseAnnotation {
    std::filesystem::path labelFile;     // relative to the project folder, under labels/
    std::string flag;                    // review flag, "" when none
    std::string note;
};

class Project {
public:
    static constexpr int kSchemaVersion = 1;

    /// Loads a .dacproj. Throws InputError: missing/corrupt file, or a newer schema version.
    static Project load(const std::filesystem::path& file);
    /// Writes atomically (temporary file in the same folder, flush, rename).
    void save(const std::filesystem::path& file) const;
    void save() const { save(file_); }

    const std::filesystem::path& file() const { return file_; }
    void setFile(const std::filesystem::path& f) { file_ = f; }
    std::filesystem::path folder() const { return file_.parent_path(); }
    /// Where "predict all" writes: <project folder>/predictions/<domain>/<case>.
    std::filesystem::path predictionFolder() const { return folder() / "predictions"; }
    /// Where "suggest what to label next" writes the sub-models' disagreement maps:
    /// <project folder>/disagreement/<domain>/<case> (0..255 = disagreement 0..1).
    std::filesystem::path disagreementFolder() const { return folder() / "disagreement"; }
    /// Resolves a path stored relative to the project folder.
    std::filesystem::path resolve(const std::filesystem::path& p) const;

    std::string name;
    Task task = Task::fundus();
    std::vector<ProjectDomain> domains;
    std::vector<ProjectRun> runs;
    /// Keyed by "<domain>/<case id>".
    std::map<std::string, CaseAnnotation> annotations;

    static std::string caseKey(const std::string& domain, const std::string& caseId) {
        return domain + "/" + caseId;
    }
    /// Where the workbench keeps (or would keep) the label of a case: labels/<domain>/<id>.<ext>
    std::filesystem::path labelPathFor(const std::string& domain, const std::string& caseId, bool volume) const;
    /// The label a user painted in the workbench for a case: its file (absolute) when the project
    /// records one and the file exists; empty otherwise (a review flag or note alone has no label
    /// file). The one answer to "has this case a workbench label" for the browser, the wizard and
    /// the label-next ranking.
    std::filesystem::path workbenchLabel(const std::string& domain, const std::string& caseId) const;
    /// Scans every domain folder (InputError for a missing folder is reported per domain by the
    /// caller through scanDomain).
    std::vector<Domain> scanDomains() const;

private:
    std::filesystem::path file_;
};

}  // namespace dacw
