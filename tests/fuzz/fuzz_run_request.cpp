// The request of a run folder, which the dashboard reads to resume a run and to name its method
// (readRunRequest): the input's first byte chooses the file it becomes (even: request.json, odd:
// config.json, the file a run folder of an older version has alone), the rest is its text. A
// request that reads must write and read back with the same folders, counts and task.
#include "FuzzSupport.h"
#include "core/pipeline/RunFolder.h"

using namespace dacw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const auto dir = fuzz::freshFolder("run");
    fuzz::writeBytes(dir / ((data[0] & 1) ? "config.json" : "request.json"), data + 1, size - 1);
    RunRequest r;
    if (!fuzz::refusedOrOk([&] { r = readRunRequest(dir); }, "readRunRequest")) return 0;
    (void)r.task.classCount();

    r.outDir = fuzz::freshFolder("run-copy");
    fuzz::refusedOrOk([&] { writeRunRequest(r); }, "writeRunRequest");
    RunRequest q;
    if (!fuzz::refusedOrOk([&] { q = readRunRequest(r.outDir); }, "readRunRequest of a written request"))
        fuzz::finding("a request that was read does not read back after writeRunRequest");
    fuzz::require(q.task.name == r.task.name && q.task.labels.size() == r.task.labels.size() &&
                      q.task.regions.size() == r.task.regions.size(),
                  "task survives a write");
    fuzz::require(q.unlabeledDirs.size() == r.unlabeledDirs.size() && q.testDirs.size() == r.testDirs.size(),
                  "folders survive a write");
    fuzz::require(q.labeledCount == r.labeledCount && q.maxValidationCases == r.maxValidationCases &&
                      q.savePredictions == r.savePredictions,
                  "counts survive a write");
    return 0;
}
