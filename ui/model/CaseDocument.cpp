#include "ui/model/CaseDocument.h"

#include "core/pipeline/RunFolder.h"
#include "core/util/Errors.h"

namespace dacw {

namespace fs = std::filesystem;

std::vector<LabelDisplay> labelDisplayOf(const Task& task) {
    std::vector<LabelDisplay> out;
    for (const auto& l : task.labels) out.push_back({l, 1.0, true});
    return out;
}

CaseDocument CaseDocument::open(const Project& project, const Domain& domain, const Case& c, const ReadOptions& opt) {
    CaseDocument doc;
    doc.domain = domain.name;
    doc.caseId = c.id;
    doc.image = std::make_shared<Image>(readImage(c.image, opt));
    const Geometry& g = doc.image->geometry();
    const bool volume = g.dimension == 3 && g.size[2] > 1;

    auto it = project.annotations.find(doc.key());
    doc.labelFile = it != project.annotations.end() && !it->second.labelFile.empty()
                        ? project.resolve(it->second.labelFile)
                        : project.labelPathFor(domain.name, c.id, volume);

    auto fits = [&](const LabelMap& m) { return m.geometry().sameSize(g); };
    std::error_code ec;
    if (fs::exists(doc.labelFile, ec)) {
        try {
            LabelMap m = readLabelMap(doc.labelFile, opt);
            if (fits(m)) {
                doc.labels = std::make_shared<LabelMap>(std::move(m));
                doc.source = LabelSource::Workbench;
            } else {
                doc.warning =
                    "The saved label " + doc.labelFile.filename().string() + " does not match the image size; it was not loaded.";
            }
        } catch (const InputError& e) {
            doc.warning = std::string("The saved label could not be read: ") + e.what();
        }
    }
    if (!doc.labels && c.hasMask()) {
        try {
            LabelMap m = readCaseMask(c, opt);
            if (fits(m)) {
                doc.labels = std::make_shared<LabelMap>(std::move(m));
                doc.source = LabelSource::Dataset;
            } else if (doc.warning.empty()) {
                doc.warning =
                    "The mask " + c.mask.filename().string() + " does not match the image size; starting from an empty label.";
            }
        } catch (const InputError& e) {
            if (doc.warning.empty()) doc.warning = std::string("The mask could not be read: ") + e.what();
        }
    }
    if (!doc.labels) {
        doc.labels = std::make_shared<LabelMap>(g);
        doc.source = LabelSource::Empty;
    }
    // Keep the image's geometry on the label so that it is written with it.
    doc.labels->geometry() = g;

    doc.loadPrediction(project, opt);  // a prediction that cannot be shown is not an error here
    doc.loadDisagreement(project, opt);
    return doc;
}

namespace {
// Reads a map drawn over the image (a prediction, a disagreement map); one of another size is
// not kept. Returns why there is none although a file was found ("" otherwise).
std::string readOverlay(const fs::path& file, const Image* image, const char* what, const ReadOptions& opt,
                        std::shared_ptr<LabelMap>& out) {
    out = nullptr;
    if (file.empty() || !image) return {};
    try {
        LabelMap m = readLabelMap(file, opt);
        if (!m.geometry().sameSize(image->geometry()))
            return std::string("The ") + what + " " + file.filename().string() +
                   " does not match the image size; it is not shown.";
        out = std::make_shared<LabelMap>(std::move(m));
        return {};
    } catch (const InputError& e) {
        return e.what();
    }
}
}  // namespace

std::string CaseDocument::loadPrediction(const Project& project, const ReadOptions& opt) {
    return readOverlay(findPrediction(project, domain, caseId), image.get(), "prediction", opt, prediction);
}

std::string CaseDocument::loadDisagreement(const Project& project, const ReadOptions& opt) {
    return readOverlay(findDisagreementMap(project, domain, caseId), image.get(), "disagreement map", opt, disagreement);
}

bool CaseDocument::save(Project& project, const std::vector<LabelDisplay>& labelDisplay) const {
    if (!labels) return false;
    std::error_code ec;
    fs::create_directories(labelFile.parent_path(), ec);
    writeLabelMap(*labels, labelFile);
    writeLabelDescriptions(project.folder() / "labels", labelDisplay);
    return recordAnnotation(project);
}

bool CaseDocument::forgetAnnotation(Project& project) const {
    std::error_code ec;
    if (!labelFile.empty()) fs::remove(labelFile, ec);
    auto it = project.annotations.find(key());
    if (it == project.annotations.end() || it->second.labelFile.empty()) return false;
    if (it->second.flag.empty() && it->second.note.empty()) project.annotations.erase(it);
    else it->second.labelFile.clear();
    return true;
}

BackgroundWriter::Job CaseDocument::saveJob(Project& project, const std::vector<LabelDisplay>& labelDisplay) const {
    if (!labels) return {};
    auto copy = std::make_shared<LabelMap>(*labels);
    std::shared_ptr<Project> changed;
    if (recordAnnotation(project)) changed = std::make_shared<Project>(project);
    return [copy, file = labelFile, labelFolder = project.folder() / "labels", labelDisplay, changed]() -> std::string {
        try {
            std::error_code ec;
            fs::create_directories(file.parent_path(), ec);
            writeLabelMap(*copy, file);
            writeLabelDescriptions(labelFolder, labelDisplay);
            if (changed) changed->save();
            return {};
        } catch (const std::exception& e) {
            return std::string("Autosave failed: ") + e.what();
        }
    };
}

bool CaseDocument::recordAnnotation(Project& project) const {
    std::error_code ec;
    auto& a = project.annotations[key()];
    const fs::path rel = fs::relative(labelFile, project.folder(), ec);
    const fs::path stored = ec || rel.empty() ? labelFile : rel;
    if (a.labelFile == stored) return false;
    a.labelFile = stored;
    return true;
}

}  // namespace dacw
