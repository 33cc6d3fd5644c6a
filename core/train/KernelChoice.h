#pragma once
// Per-machine choice of the compute path. bf16 autocast, channels-last and model-parallel stepping
// are each faster on some CPUs and slower on others (bf16 was 1.8x faster than float32 on an AMD
// EPYC with AVX-512 BF16 and slower on an Intel Xeon with the same flags). The first run of a
// given shape on a machine times a few iterations of each candidate on random data of the run's
// size, keeps the fastest, and caches the choice; later runs read it. No torch types here.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/train/TrainConfig.h"

namespace dacw::train {

struct KernelCandidate {
    bool bf16 = false, channelsLast = false, modelParallel = false;
    double secondsPerIteration = 0.0;  // median of the timed iterations
};

struct KernelChoice {
    bool bf16 = false, channelsLast = false, modelParallel = false;
    double secondsPerIteration = 0.0;       // of the chosen candidate, when it was measured
    bool fromCache = false;
    std::string measuredOn;                 // ISO date of the measurement
    std::string key;                        // what the cache entry is for (machine, shape, network)
    std::string cacheFile;                  // "" when no cache could be used
    std::vector<KernelCandidate> measured;  // in the order tried; empty when read from the cache
    double otherCores = -1.0;               // cores other processes used meanwhile (-1: unknown)
    /// One line for the run log: what was chosen, the figures it was chosen on, where it is cached.
    std::string summary() const;
};

/// Where choices are cached: $DACW_CACHE_DIR, else $XDG_CACHE_HOME/dacw, else $HOME/.cache/dacw.
std::string kernelCacheDir();
/// Candidate label such as "bf16+cl+mp" or "fp32+nchw+1stream".
std::string kernelLabel(bool bf16, bool channelsLast, bool modelParallel);

/// Chooses the kernel switches `c.autoKernels` leaves open, for a run of `c` on images with
/// `inChannels` channels (c.size and c.numClasses must be set). Pinned switches keep their values.
/// Coordinate search from c's values: bf16, then channels-last, then model-parallel, each toggled
/// and kept when measurably faster (bf16 must be 5% faster to be kept: float32 is the exact one).
/// On CUDA, or when nothing is open, returns c's values without measuring. A cache that cannot be
/// read or written is reported through `log` and otherwise ignored. When other processes kept more
/// than 0.25 cores busy on average while the candidates ran ($DACW_KERNEL_MAX_LOAD overrides; from
/// /proc/stat), the figures are unreliable: the choice is used for this run but not cached.
/// `cancel` (may be null) stops the measurement early: the values so far are returned, uncached.
KernelChoice chooseKernels(const TrainConfig& c, int64_t inChannels,
                           const std::function<void(const std::string&)>& log = {},
                           const std::atomic<bool>* cancel = nullptr);
/// Sets c's switches to the choice and marks them pinned (so config.json records what ran).
void applyKernelChoice(TrainConfig& c, const KernelChoice& k);

}  // namespace dacw::train
