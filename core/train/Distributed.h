#pragma once
// Data-parallel training over processes on PyTorch's own distributed engine (c10d): a TCPStore
// rendezvous at MASTER_ADDR:MASTER_PORT (rank 0 serves it) and Gloo process groups, one for
// control traffic (losses, the stop flag, start-up broadcasts) and one per sub-model, so that A and
// B may each reduce their gradients from their own thread (model-parallel stepping) and every
// group still sees its collectives in the same order on every rank.
//
// The launch contract is torchrun's: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT (and
// LOCAL_WORLD_SIZE, optional). Under Slurm (srun), SLURM_PROCID / SLURM_NTASKS / SLURM_LOCALID
// stand in for the first three when RANK and WORLD_SIZE are absent; MASTER_ADDR and MASTER_PORT
// must still be exported by the job script. docs/cluster.md has examples.
#include <ATen/core/Tensor.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dacw::train {

/// Where a process stands in a distributed run, read from the environment.
struct DistEnv {
    int rank = 0;
    int worldSize = 1;
    int localRank = 0;
    int localWorldSize = 1;      // processes on this node (LOCAL_WORLD_SIZE / SLURM_NTASKS_PER_NODE)
    std::string masterAddr;
    int masterPort = 0;
    std::string source = "none";  // "torchrun", "slurm" or "none"
    bool distributed() const { return worldSize > 1; }
    std::string describe() const;
};

/// Auto: the torchrun variables when WORLD_SIZE is set, else one process (Slurm's variables are
/// ignored: a plain `sbatch` script that runs one process must not wait for peers). On: torchrun's
/// or, when RANK and WORLD_SIZE are absent, Slurm's; an error when neither is there. Off: one process.
enum class DistMode { Auto, On, Off };
DistMode parseDistMode(const std::string& s);

/// Reads the launch variables through `getenv` (the process environment when empty). Throws
/// ConfigError naming the variable for a missing, malformed or inconsistent one.
DistEnv readDistEnv(DistMode mode, const std::function<const char*(const char*)>& getenv = {});

/// Communication figures of one iteration (gradient all-reduce of both sub-models).
struct CommStats {
    double seconds = 0.0;   // wall time spent in flatten + all-reduce + copy back
    int64_t bytes = 0;      // payload all-reduced by this rank (gradients, float32)
    int buckets = 0;
};

/// The process groups of one run. Every method is collective: all ranks call it, in the same
/// order per group. Failures (a lost peer, a timeout) throw TrainError naming the peers.
class Distributed {
public:
    enum Group { Control = 0, SubModelA = 1, SubModelB = 2 };

    /// Rendezvous and group creation; gives up after `timeout` (also the limit of any later
    /// collective waiting for a peer).
    Distributed(const DistEnv& env, std::chrono::milliseconds timeout);
    ~Distributed();
    Distributed(const Distributed&) = delete;
    Distributed& operator=(const Distributed&) = delete;

    const DistEnv& env() const;
    int rank() const;
    int worldSize() const;
    bool isRoot() const { return rank() == 0; }
    std::chrono::milliseconds timeout() const;

    /// Rank 0's tensors replace every other rank's (in place).
    void broadcast(const std::vector<at::Tensor>& tensors, Group group);
    /// Replaces each gradient by its mean over the ranks: flattened into buckets of at most
    /// `bucketBytes`, one all-reduce per bucket. Tensors without a gradient are left out (the
    /// graphs are the same on every rank, so they are the same ones everywhere).
    CommStats averageGradients(const std::vector<at::Tensor>& parameters, Group group,
                               int64_t bucketBytes = 25LL << 20);
    /// averageGradients in two halves, so that the exchange runs while the caller computes (the
    /// other sub-model's backward pass); finish() waits and writes the means back. Every rank
    /// must start and finish the same exchanges in the same order per group.
    struct Pending;
    std::shared_ptr<Pending> startAverageGradients(const std::vector<at::Tensor>& parameters, Group group,
                                                   int64_t bucketBytes = 25LL << 20);
    CommStats finish(const std::shared_ptr<Pending>& pending);
    /// Replaces the floating-point buffers (BatchNorm running statistics) by their mean over the
    /// ranks, so that every rank validates, checkpoints and exports the same model.
    CommStats averageBuffers(const std::vector<at::Tensor>& buffers, Group group);
    /// Sum (or max) over the ranks of a small CPU tensor, in place.
    void allreduceSum(at::Tensor& t, Group group);
    void allreduceMax(at::Tensor& t, Group group);
    /// Rank 0's `value` for `key`, on every rank (through the store; waits up to `wait`).
    std::string shareFromRoot(const std::string& key, const std::string& value, std::chrono::milliseconds wait);
    void barrier();

    /// "rank 0 = host pid 123, rank 1 = ..." as published at start-up.
    std::string peers() const;

private:
    std::shared_ptr<Pending> startAverage(std::vector<at::Tensor> tensors, Group group, int64_t bucketBytes, const char* what);
    struct Private;
    std::unique_ptr<Private> d_;
};

}  // namespace dacw::train
