#include "core/project/Project.h"

#include <nlohmann/json.hpp>

#include "core/util/Errors.h"
#include "core/util/JsonNumbers.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dacw {
namespace {

DomainLayout layoutFromString(const std::string& s) {
    for (auto l : {DomainLayout::ImagesMasks, DomainLayout::Flat, DomainLayout::NnUNet, DomainLayout::FundusMultiDomain})
        if (toString(l) == s) return l;
    throw InputError("Unknown domain layout '" + s + "'");
}

json taskToJson(const Task& t) {
    json labels = json::array();
    for (const auto& l : t.labels)
        labels.push_back({{"name", l.name}, {"value", l.value}, {"color", {l.color[0], l.color[1], l.color[2]}}});
    json regions = json::array();
    for (const auto& r : t.regions) regions.push_back({{"name", r.name}, {"values", r.values}});
    return {{"name", t.name}, {"description", t.description}, {"channels", t.channels}, {"labels", labels}, {"regions", regions}};
}

Task taskFromJson(const json& j) {
    Task t;
    t.name = j.at("name").get<std::string>();
    t.description = j.value("description", "");
    t.channels = jsonnum::integerOr<int>(j, "channels", 3, 1, 4);
    const auto byte = [](const json& v, const char* what) { return jsonnum::integerIn<std::uint8_t>(v, what, 0, 255); };
    for (const auto& l : j.at("labels")) {
        LabelInfo li;
        li.name = l.at("name").get<std::string>();
        li.value = byte(l.at("value"), "label value");
        const auto& c = l.at("color");
        li.color = {byte(c.at(0), "colour"), byte(c.at(1), "colour"), byte(c.at(2), "colour")};
        t.labels.push_back(li);
    }
    for (const auto& r : j.at("regions")) {
        Region region{r.at("name").get<std::string>(), {}};
        for (const auto& v : r.at("values")) region.values.push_back(byte(v, "region value"));
        t.regions.push_back(std::move(region));
    }
    return t;
}

}  // namespace

fs::path Project::resolve(const fs::path& p) const {
    if (p.empty() || p.is_absolute()) return p;
    return (folder() / p).lexically_normal();
}

fs::path Project::workbenchLabel(const std::string& domain, const std::string& caseId) const {
    const auto it = annotations.find(caseKey(domain, caseId));
    if (it == annotations.end() || it->second.labelFile.empty()) return {};
    const fs::path f = resolve(it->second.labelFile);
    std::error_code ec;
    return fs::is_regular_file(f, ec) ? f : fs::path();
}

fs::path Project::labelPathFor(const std::string& domain, const std::string& caseId, bool volume) const {
    // Case ids may hold a '/' (fundus "train/x"): it becomes a sub-folder.
    return folder() / "labels" / domain / (caseId + (volume ? ".nii.gz" : ".png"));
}

std::vector<Domain> Project::scanDomains() const {
    std::vector<Domain> out;
    for (const auto& pd : domains) {
        Domain d = scanDomain(resolve(pd.root));
        d.name = pd.name;
        out.push_back(std::move(d));
    }
    return out;
}

Project Project::load(const fs::path& file) {
    std::error_code ec;
    if (!fs::exists(file, ec)) throw InputError("Project file not found: " + file.string());
    json j;
    try {
        j = json::parse(readText(file));
    } catch (const json::exception& e) {
        throw InputError(file.string() + " is not a valid project file (corrupt JSON: " + std::string(e.what()) + ")");
    }
    Project p;
    p.file_ = fs::absolute(file).lexically_normal();
    try {
        if (!j.is_object() || j.value("format", "") != "dac-workbench-project")
            throw InputError(file.string() + " is not a DAC Workbench project file");
        const int version = jsonnum::integerIn<int>(j.at("schema_version"), "schema_version", -1000000, 1000000);
        if (version > kSchemaVersion)
            throw InputError(file.string() + " was written by a newer DAC Workbench (project schema " + std::to_string(version) +
                             "; this version reads up to " + std::to_string(kSchemaVersion) + "). Update the program to open it.");
        if (version < 1) throw InputError(file.string() + " has an invalid schema version " + std::to_string(version));
        p.name = j.value("name", fileStem(file));
        p.task = taskFromJson(j.at("task"));
        for (const auto& d : j.value("domains", json::array()))
            p.domains.push_back({d.at("name").get<std::string>(), fs::path(d.at("root").get<std::string>()),
                                 layoutFromString(d.value("layout", "images+masks")), d.value("role", "unlabeled")});
        for (const auto& r : j.value("runs", json::array()))
            p.runs.push_back({r.at("name").get<std::string>(), fs::path(r.at("folder").get<std::string>()), r.value("method", ""),
                              r.value("status", "")});
        const json annotations = j.value("annotations", json::object());
        for (const auto& [key, a] : annotations.items())
            p.annotations[key] = {fs::path(a.value("label_file", "")), a.value("flag", ""), a.value("note", "")};
    } catch (const json::exception& e) {
        throw InputError(file.string() + " is not a valid project file: " + std::string(e.what()));
    }
    return p;
}

void Project::save(const fs::path& file) const {
    json doms = json::array();
    for (const auto& d : domains)
        doms.push_back({{"name", d.name}, {"root", d.root.string()}, {"layout", toString(d.layout)}, {"role", d.role}});
    json runsJ = json::array();
    for (const auto& r : runs)
        runsJ.push_back({{"name", r.name}, {"folder", r.folder.string()}, {"method", r.method}, {"status", r.status}});
    json ann = json::object();
    for (const auto& [key, a] : annotations)
        ann[key] = {{"label_file", a.labelFile.string()}, {"flag", a.flag}, {"note", a.note}};
    json j = {{"format", "dac-workbench-project"},
              {"schema_version", kSchemaVersion},
              {"name", name},
              {"task", taskToJson(task)},
              {"domains", doms},
              {"runs", runsJ},
              {"annotations", ann}};
    writeTextAtomically(file, j.dump(2) + "\n");
}

}  // namespace dacw
