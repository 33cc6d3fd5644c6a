#pragma once
// The request a run folder was started with, written beside config.json (request.json) so that
// a run can be resumed from its folder alone: after a pause, a crash or a closed program.
#include <filesystem>

#include "pipeline/Run.h"

namespace dacw {

/// Writes <req.outDir>/request.json atomically (folders, counts, task, preset, every option).
void writeRunRequest(const RunRequest& req);
/// Reads the request back from a run folder: request.json when present, else config.json (as
/// written by executeRun). Throws InputError when neither can be read.
RunRequest readRunRequest(const std::filesystem::path& runDir);

}  // namespace dacw
