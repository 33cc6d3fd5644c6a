#pragma once
// `dacw train --distributed`: joining the ranks a launcher started (docs/cluster.md), and what
// ranks other than 0 do.
#include <atomic>
#include <memory>
#include <string>

#include "Args.h"
#include "core/pipeline/Run.h"

namespace dacw::cli {

/// This rank's process groups from torchrun's or srun's variables (--distributed, --dist-timeout),
/// or null without --distributed or when the launcher started one process. Sets cfg.threads to
/// the node's cores over its processes when left at 0. UsageError / InputError for bad values.
std::shared_ptr<train::Distributed> joinRanks(const Args& a, train::TrainConfig& cfg);

/// A rank other than 0: trains its shards through executeRun (which writes nothing for it) and
/// prints its start, end and errors on stderr. Returns the exit code.
int trainOtherRank(const RunRequest& r, const std::atomic<bool>* cancel);

/// A distributed run failed: Gloo's threads may still wait on a dead peer, so this exits now (status
/// 1) instead of unwinding into their teardown; the launcher (torchrun, srun) then stops the job.
[[noreturn]] void distributedExit(int rank, const std::string& what);

}  // namespace dacw::cli
