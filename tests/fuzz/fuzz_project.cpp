// The project file loader (File > Open project, `dacw` commands given a .dacproj): Project::load
// on the input as a .dacproj. A project that loads must be usable the way the workbench uses it
// right after opening (paths resolved, label paths, class count) and must save and load back the
// same: otherwise the first autosave would lose or corrupt it.
#include "FuzzSupport.h"
#include "core/project/Project.h"

using namespace dacw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const auto file = fuzz::writeInput("input.dacproj", data, size);
    Project p;
    if (!fuzz::refusedOrOk([&] { p = Project::load(file); }, "Project::load")) return 0;

    (void)p.task.classCount();
    for (const auto& d : p.domains) {
        (void)p.resolve(d.root);
        (void)p.labelPathFor(d.name, "case", false);
    }
    for (const auto& r : p.runs) (void)p.resolve(r.folder);
    for (const auto& [key, a] : p.annotations) (void)p.resolve(a.labelFile);

    const auto copy = fuzz::scratch() / "roundtrip.dacproj";
    fuzz::refusedOrOk([&] { p.save(copy); }, "Project::save");
    Project q;
    if (!fuzz::refusedOrOk([&] { q = Project::load(copy); }, "Project::load of a saved project"))
        fuzz::finding("a project that loaded does not load back after save");
    fuzz::require(q.name == p.name, "name survives a save");
    fuzz::require(q.task.name == p.task.name && q.task.labels.size() == p.task.labels.size() &&
                      q.task.regions.size() == p.task.regions.size() && q.task.channels == p.task.channels,
                  "task survives a save");
    for (std::size_t i = 0; i < p.task.labels.size(); ++i)
        fuzz::require(q.task.labels[i].value == p.task.labels[i].value && q.task.labels[i].color == p.task.labels[i].color &&
                          q.task.labels[i].name == p.task.labels[i].name,
                      "labels survive a save");
    fuzz::require(q.domains.size() == p.domains.size() && q.runs.size() == p.runs.size() &&
                      q.annotations.size() == p.annotations.size(),
                  "domains, runs and annotations survive a save");
    for (std::size_t i = 0; i < p.domains.size(); ++i)
        fuzz::require(q.domains[i].root == p.domains[i].root && q.domains[i].layout == p.domains[i].layout &&
                          q.domains[i].role == p.domains[i].role,
                      "domain survives a save");
    return 0;
}
