// metrics.json of a run folder, as the review window and `dacw experiment --resume` read it
// (evaluationFromJson on the file's text). What reads must write and read back the same.
#include <cmath>

#include "FuzzSupport.h"
#include "core/pipeline/RunFolder.h"
#include "core/util/Paths.h"

using namespace dacw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const auto file = fuzz::writeInput("metrics.json", data, size);
    EvaluationResult r;
    if (!fuzz::refusedOrOk([&] { r = evaluationFromJson(readText(file)); }, "evaluationFromJson")) return 0;
    std::string text;
    fuzz::refusedOrOk([&] { text = evaluationToJson(r); }, "evaluationToJson");
    EvaluationResult q;
    if (!fuzz::refusedOrOk([&] { q = evaluationFromJson(text); }, "evaluationFromJson of written metrics"))
        fuzz::finding("metrics that were read do not read back after evaluationToJson");
    fuzz::require(q.domains.size() == r.domains.size() && q.cases.size() == r.cases.size() &&
                      q.meanDice.size() == r.meanDice.size(),
                  "domains, cases and means survive a write");
    for (std::size_t i = 0; i < r.domains.size(); ++i)
        fuzz::require(q.domains[i].name == r.domains[i].name && q.domains[i].cases == r.domains[i].cases,
                      "domain names and case counts survive a write");
    return 0;
}
