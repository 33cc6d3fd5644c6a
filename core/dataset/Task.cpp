#include "core/dataset/Task.h"

#include <algorithm>

#include "core/util/Errors.h"

namespace dacw {

int Task::classCount() const {
    int maxValue = 0;
    for (const auto& l : labels) maxValue = std::max<int>(maxValue, l.value);
    return maxValue + 1;
}

bool Task::allowsValue(std::uint8_t v) const { return v == 0 || label(v) != nullptr; }

const LabelInfo* Task::label(std::uint8_t v) const {
    for (const auto& l : labels)
        if (l.value == v) return &l;
    return nullptr;
}

Task Task::fundus() {
    Task t;
    t.name = "fundus";
    t.description = "Fundus photograph, optic disc and cup";
    t.channels = 3;
    t.labels = {{"disc rim", 1, {0, 200, 0}}, {"cup", 2, {230, 230, 0}}};
    t.regions = {{"disc", {1, 2}}, {"cup", {2}}};
    return t;
}

Task Task::polyp() {
    Task t;
    t.name = "polyp";
    t.description = "Colonoscopy frame, polyp";
    t.channels = 3;
    t.labels = {{"polyp", 1, {230, 60, 60}}};
    t.regions = {{"polyp", {1}}};
    return t;
}

Task Task::scgm() {
    Task t;
    t.name = "scgm";
    t.description = "Spinal cord MRI, grey matter";
    t.channels = 1;
    t.labels = {{"grey matter", 1, {255, 120, 0}}};
    t.regions = {{"grey matter", {1}}};
    return t;
}

std::vector<std::string> Task::builtinNames() { return {"fundus", "polyp", "scgm"}; }

Task Task::byName(const std::string& name) {
    if (name == "fundus") return fundus();
    if (name == "polyp") return polyp();
    if (name == "scgm" || name == "spinal" || name == "mri") return scgm();
    throw InputError("Unknown task '" + name + "'; built-in tasks are fundus, polyp and scgm");
}

}  // namespace dacw
