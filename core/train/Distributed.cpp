#include "core/train/Distributed.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <map>
#include <sstream>

#include <ATen/ATen.h>

#include "core/train/Errors.h"

#if DACW_HAVE_C10D
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace dacw::train {

std::string DistEnv::describe() const {
    std::ostringstream os;
    os << "rank " << rank << " of " << worldSize << " (local rank " << localRank << " of " << localWorldSize << ", from "
       << source << " variables";
    if (distributed()) os << ", rendezvous at " << masterAddr << ":" << masterPort;
    os << ")";
    return os.str();
}

DistMode parseDistMode(const std::string& s) {
    if (s == "auto") return DistMode::Auto;
    if (s == "on" || s == "true") return DistMode::On;
    if (s == "off" || s == "false") return DistMode::Off;
    throw ConfigError("distributed: expected auto, on or off, not '" + s + "'");
}

namespace {

// A whole non-negative decimal integer, or an error naming the variable.
int parseCount(const std::string& name, const char* text, int minimum) {
    const std::string s = text;
    char* end = nullptr;
    errno = 0;
    const long v = s.empty() ? -1 : std::strtol(s.c_str(), &end, 10);
    if (s.empty() || errno != 0 || *end != '\0' || v < minimum || v > INT_MAX)
        throw ConfigError("distributed launch: " + name + "='" + s + "' is not an integer >= " + std::to_string(minimum));
    return static_cast<int>(v);
}

}  // namespace

DistEnv readDistEnv(DistMode mode, const std::function<const char*(const char*)>& getenvIn) {
    auto get = [&](const char* k) -> const char* { return getenvIn ? getenvIn(k) : std::getenv(k); };
    DistEnv e;
    if (mode == DistMode::Off) return e;
    const bool torchrun = get("WORLD_SIZE") || get("RANK");
    const bool slurm = get("SLURM_PROCID") && get("SLURM_NTASKS");
    if (!torchrun && !(mode == DistMode::On && slurm)) {
        if (mode == DistMode::On)
            throw ConfigError("distributed launch: neither RANK and WORLD_SIZE (torchrun) nor SLURM_PROCID and SLURM_NTASKS "
                              "(srun) are set; launch with torchrun or srun, or turn distributed off");
        return e;
    }
    if (torchrun) {
        e.source = "torchrun";
        if (!get("WORLD_SIZE")) throw ConfigError("distributed launch: RANK is set but WORLD_SIZE is not");
        if (!get("RANK")) throw ConfigError("distributed launch: WORLD_SIZE is set but RANK is not");
        e.worldSize = parseCount("WORLD_SIZE", get("WORLD_SIZE"), 1);
        e.rank = parseCount("RANK", get("RANK"), 0);
        if (get("LOCAL_RANK")) e.localRank = parseCount("LOCAL_RANK", get("LOCAL_RANK"), 0);
        if (get("LOCAL_WORLD_SIZE")) e.localWorldSize = parseCount("LOCAL_WORLD_SIZE", get("LOCAL_WORLD_SIZE"), 1);
    } else {
        e.source = "slurm";
        e.worldSize = parseCount("SLURM_NTASKS", get("SLURM_NTASKS"), 1);
        e.rank = parseCount("SLURM_PROCID", get("SLURM_PROCID"), 0);
        if (get("SLURM_LOCALID")) e.localRank = parseCount("SLURM_LOCALID", get("SLURM_LOCALID"), 0);
        // "2" or "2(x3)": tasks per node, the first node's count.
        if (const char* t = get("SLURM_NTASKS_PER_NODE")) {
            std::string s = t;
            s = s.substr(0, s.find('('));
            if (!s.empty()) e.localWorldSize = parseCount("SLURM_NTASKS_PER_NODE", s.c_str(), 1);
        }
    }
    const std::string rankName = e.source == "slurm" ? "SLURM_PROCID" : "RANK";
    const std::string worldName = e.source == "slurm" ? "SLURM_NTASKS" : "WORLD_SIZE";
    if (e.rank >= e.worldSize)
        throw ConfigError("distributed launch: " + rankName + "=" + std::to_string(e.rank) + " is not below " + worldName + "=" +
                          std::to_string(e.worldSize));
    if (get("LOCAL_WORLD_SIZE") && e.localRank >= e.localWorldSize)
        throw ConfigError("distributed launch: LOCAL_RANK=" + std::to_string(e.localRank) + " is not below LOCAL_WORLD_SIZE=" +
                          std::to_string(e.localWorldSize));
    if (e.localRank > e.rank)
        throw ConfigError("distributed launch: the local rank (" + std::to_string(e.localRank) + ") exceeds the global rank (" +
                          std::to_string(e.rank) + ")");
    if (!e.distributed()) return e;
    const char* addr = get("MASTER_ADDR");
    const char* port = get("MASTER_PORT");
    if (!addr || !*addr)
        throw ConfigError("distributed launch: MASTER_ADDR is not set (the host of rank 0" +
                          std::string(e.source == "slurm" ? "; under Slurm export it in the job script, e.g. from "
                                                            "`scontrol show hostnames` of the first node)"
                                                          : ")"));
    if (!port) throw ConfigError("distributed launch: MASTER_PORT is not set (a free TCP port on MASTER_ADDR)");
    e.masterAddr = addr;
    e.masterPort = parseCount("MASTER_PORT", port, 1);
    if (e.masterPort > 65535) throw ConfigError("distributed launch: MASTER_PORT=" + std::string(port) + " is not a TCP port");
    return e;
}

#if DACW_HAVE_C10D

struct Distributed::Private {
    DistEnv env;
    std::chrono::milliseconds timeout;
    c10::intrusive_ptr<c10d::Store> store;
    std::vector<c10::intrusive_ptr<c10d::ProcessGroupGloo>> groups;  // Control, A, B
    std::vector<std::string> peerInfo;                              // per rank: "host pid N"

    std::string peers() const {
        std::string s;
        for (size_t r = 0; r < peerInfo.size(); ++r) s += (r ? ", " : "") + std::string("rank ") + std::to_string(r) + " = " + peerInfo[r];
        return s;
    }

    // A collective that failed: with two ranks the lost peer is the other one; with more, the
    // Gloo message names its address and the table maps addresses to ranks.
    [[noreturn]] void fail(const std::string& what, const std::exception& e) const {
        std::string msg = e.what();
        const auto nl = msg.find("\nException raised from");
        if (nl != std::string::npos) msg = msg.substr(0, nl);
        std::ostringstream os;
        os << "distributed (rank " << env.rank << " of " << env.worldSize << "): " << what << " failed: " << msg << ". ";
        if (env.worldSize == 2) {
            const int other = 1 - env.rank;
            os << "Lost peer: rank " << other << " (" << (other < static_cast<int>(peerInfo.size()) ? peerInfo[other] : "?")
               << ")";
        } else {
            os << "One of the peers stopped or is unreachable; peers: " << peers();
        }
        os << ". Stopping; restart the job (with resume) once every rank can run.";
        throw TrainError(os.str());
    }

    template <typename F>
    void guarded(const std::string& what, F&& f) const {
        try {
            f();
        } catch (const TrainError&) {
            throw;
        } catch (const std::exception& e) {
            fail(what, e);
        }
    }
};

Distributed::Distributed(const DistEnv& env, std::chrono::milliseconds timeout) : d_(std::make_unique<Private>()) {
    d_->env = env;
    d_->timeout = timeout;
    if (!env.distributed()) throw ConfigError("distributed: a run of one process needs no process group");
    // Under torchrun the launcher's agent already serves a store at MASTER_ADDR:MASTER_PORT and
    // says so; every rank is then a client of it, with keys kept apart per restart attempt.
    const char* agentStore = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
    const bool useAgentStore = agentStore && std::string(agentStore) == "True";
    const char* attempt = std::getenv("TORCHELASTIC_RESTART_COUNT");
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(env.masterPort);
    so.isServer = env.rank == 0 && !useAgentStore;
    so.numWorkers = static_cast<size_t>(env.worldSize);
    so.waitWorkers = true;
    so.timeout = timeout;
    const std::string where = env.masterAddr + ":" + std::to_string(env.masterPort);
    try {
        auto tcp = c10::make_intrusive<c10d::TCPStore>(env.masterAddr, so);
        d_->store = c10::make_intrusive<c10d::PrefixStore>("dacw/attempt_" + std::string(attempt ? attempt : "0"), tcp);
    } catch (const std::exception& e) {
        std::string msg = e.what();
        msg = msg.substr(0, msg.find("\nException raised from"));
        throw TrainError("distributed (rank " + std::to_string(env.rank) + " of " + std::to_string(env.worldSize) +
                         "): rendezvous at " + where + " failed within " + std::to_string(timeout.count() / 1000) +
                         " s: " + msg +
                         (env.rank == 0 ? " (is the port in use, or did every rank start?)"
                                        : " (is rank 0 running, and are MASTER_ADDR/MASTER_PORT the same on every rank?)"));
    }
    std::shared_ptr<::gloo::transport::Device> device;
    try {
        const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
        if (ifname && *ifname) device = c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
        else if (env.masterAddr == "localhost" || env.masterAddr.rfind("127.", 0) == 0)
            device = c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
        else device = c10d::ProcessGroupGloo::createDefaultDevice();
    } catch (const std::exception& e) {
        std::string msg = e.what();
        throw TrainError("distributed: cannot open a Gloo network device: " + msg.substr(0, msg.find("\nException raised from")) +
                         " (set GLOO_SOCKET_IFNAME to the interface the nodes reach each other on)");
    }
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    const std::string me = std::string(host) + " pid " + std::to_string(::getpid());
    d_->guarded("rendezvous", [&] {
        d_->store->set("peer/" + std::to_string(env.rank), std::vector<uint8_t>(me.begin(), me.end()));
        const char* names[] = {"control", "a", "b"};
        for (const char* name : names) {
            auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
            opts->devices.push_back(device);
            opts->threads = 1;
            auto prefixed = c10::make_intrusive<c10d::PrefixStore>(std::string("pg/") + name, d_->store);
            d_->groups.push_back(c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, env.rank, env.worldSize, opts));
        }
        for (int r = 0; r < env.worldSize; ++r) {
            const std::string key = "peer/" + std::to_string(r);
            d_->store->wait({key}, timeout);
            const auto v = d_->store->get(key);
            d_->peerInfo.emplace_back(v.begin(), v.end());
        }
    });
}

Distributed::~Distributed() = default;

const DistEnv& Distributed::env() const { return d_->env; }
int Distributed::rank() const { return d_->env.rank; }
int Distributed::worldSize() const { return d_->env.worldSize; }
std::chrono::milliseconds Distributed::timeout() const { return d_->timeout; }
std::string Distributed::peers() const { return d_->peers(); }

void Distributed::broadcast(const std::vector<at::Tensor>& tensors, Group group) {
    // One flat buffer per dtype: a handful of collectives instead of one per tensor.
    std::map<at::ScalarType, std::vector<at::Tensor>> byType;
    for (const auto& t : tensors)
        if (t.defined() && t.numel() > 0) byType[t.scalar_type()].push_back(t);
    d_->guarded("broadcast from rank 0", [&] {
        at::NoGradGuard noGrad;
        for (auto& [type, list] : byType) {
            std::vector<at::Tensor> flat;
            for (const auto& t : list) flat.push_back(t.detach().reshape(-1));
            std::vector<at::Tensor> buf{at::cat(flat).cpu().contiguous()};
            d_->groups.at(group)->broadcast(buf)->wait();
            int64_t off = 0;
            for (auto& t : list) {
                const int64_t n = t.numel();
                t.detach().copy_(buf[0].slice(0, off, off + n).view(t.sizes()));
                off += n;
            }
        }
    });
}

// An all-reduce in flight: the buckets queued, their gradients still to be written back.
struct Distributed::Pending {
    struct Bucket {
        size_t begin, end;
        std::vector<at::Tensor> flat;
        c10::intrusive_ptr<c10d::Work> work;
    };
    std::vector<at::Tensor> tensors;
    std::vector<Bucket> buckets;
    Group group;
    std::string what;
    CommStats stats;
};

std::shared_ptr<Distributed::Pending> Distributed::startAverage(std::vector<at::Tensor> tensors, Group group,
                                                               int64_t bucketBytes, const char* what) {
    const auto t0 = std::chrono::steady_clock::now();
    auto p = std::make_shared<Pending>();
    p->tensors = std::move(tensors);
    p->group = group;
    p->what = std::string(what) + " all-reduce of sub-model " + (group == SubModelB ? "B" : "A");
    const auto& ts = p->tensors;
    d_->guarded(p->what, [&] {
        at::NoGradGuard noGrad;
        // All buckets are queued before the first is awaited, so flattening bucket k+1 overlaps
        // the exchange of bucket k.
        for (size_t i = 0; i < ts.size();) {
            size_t j = i;
            int64_t bytes = 0;
            std::vector<at::Tensor> parts;
            while (j < ts.size() && ts[j].scalar_type() == ts[i].scalar_type() &&
                   (j == i || bytes + ts[j].nbytes() <= static_cast<size_t>(bucketBytes))) {
                bytes += static_cast<int64_t>(ts[j].nbytes());
                parts.push_back(ts[j].reshape(-1));
                ++j;
            }
            Pending::Bucket b{i, j, {at::cat(parts)}, {}};
            b.work = d_->groups.at(group)->allreduce(b.flat);
            p->stats.bytes += bytes;
            p->buckets.push_back(std::move(b));
            i = j;
        }
    });
    p->stats.buckets = static_cast<int>(p->buckets.size());
    p->stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return p;
}

CommStats Distributed::finish(const std::shared_ptr<Pending>& p) {
    const auto t0 = std::chrono::steady_clock::now();
    d_->guarded(p->what, [&] {
        at::NoGradGuard noGrad;
        const double inv = 1.0 / static_cast<double>(d_->env.worldSize);
        for (auto& b : p->buckets) {
            b.work->wait();
            b.flat[0].mul_(inv);
            int64_t off = 0;
            for (size_t k = b.begin; k < b.end; ++k) {
                auto& t = p->tensors[k];
                const int64_t n = t.numel();
                t.copy_(b.flat[0].slice(0, off, off + n).view(t.sizes()));
                off += n;
            }
        }
    });
    p->buckets.clear();
    p->stats.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return p->stats;
}

std::shared_ptr<Distributed::Pending> Distributed::startAverageGradients(const std::vector<at::Tensor>& parameters,
                                                                        Group group, int64_t bucketBytes) {
    std::vector<at::Tensor> grads;
    for (const auto& p : parameters)
        if (p.grad().defined()) grads.push_back(p.grad());
    return startAverage(std::move(grads), group, bucketBytes, "gradient");
}

CommStats Distributed::averageGradients(const std::vector<at::Tensor>& parameters, Group group, int64_t bucketBytes) {
    return finish(startAverageGradients(parameters, group, bucketBytes));
}

CommStats Distributed::averageBuffers(const std::vector<at::Tensor>& buffers, Group group) {
    std::vector<at::Tensor> floats;
    for (const auto& b : buffers)
        if (b.defined() && b.is_floating_point() && b.numel() > 0) floats.push_back(b.detach());
    return finish(startAverage(std::move(floats), group, 25LL << 20, "BatchNorm statistics"));
}

void Distributed::allreduceSum(at::Tensor& t, Group group) {
    d_->guarded("all-reduce", [&] {
        std::vector<at::Tensor> v{t};
        d_->groups.at(group)->allreduce(v)->wait();
    });
}

void Distributed::allreduceMax(at::Tensor& t, Group group) {
    d_->guarded("all-reduce", [&] {
        std::vector<at::Tensor> v{t};
        c10d::AllreduceOptions o;
        o.reduceOp = c10d::ReduceOp::MAX;
        d_->groups.at(group)->allreduce(v, o)->wait();
    });
}

std::string Distributed::shareFromRoot(const std::string& key, const std::string& value, std::chrono::milliseconds wait) {
    const std::string k = "share/" + key;
    std::string out = value;
    d_->guarded("waiting for rank 0's " + key, [&] {
        if (isRoot()) {
            d_->store->set(k, std::vector<uint8_t>(value.begin(), value.end()));
        } else {
            d_->store->wait({k}, wait);
            const auto v = d_->store->get(k);
            out.assign(v.begin(), v.end());
        }
    });
    return out;
}

void Distributed::barrier() {
    d_->guarded("barrier", [&] { d_->groups.at(Control)->barrier()->wait(); });
}

#else  // no c10d headers at build time

struct Distributed::Private {
    DistEnv env;
};

Distributed::Distributed(const DistEnv& env, std::chrono::milliseconds) : d_(std::make_unique<Private>()) {
    d_->env = env;
    throw ConfigError("distributed: this build has no distributed support (the Gloo headers were missing when it was "
                      "built: install libgloo-dev and rebuild)");
}
Distributed::~Distributed() = default;
const DistEnv& Distributed::env() const { return d_->env; }
int Distributed::rank() const { return d_->env.rank; }
int Distributed::worldSize() const { return d_->env.worldSize; }
std::chrono::milliseconds Distributed::timeout() const { return {}; }
std::string Distributed::peers() const { return {}; }
void Distributed::broadcast(const std::vector<at::Tensor>&, Group) {}
struct Distributed::Pending {};
std::shared_ptr<Distributed::Pending> Distributed::startAverage(std::vector<at::Tensor>, Group, int64_t, const char*) {
    return nullptr;
}
std::shared_ptr<Distributed::Pending> Distributed::startAverageGradients(const std::vector<at::Tensor>&, Group, int64_t) {
    return nullptr;
}
CommStats Distributed::finish(const std::shared_ptr<Pending>&) { return {}; }
CommStats Distributed::averageGradients(const std::vector<at::Tensor>&, Group, int64_t) { return {}; }
CommStats Distributed::averageBuffers(const std::vector<at::Tensor>&, Group) { return {}; }
void Distributed::allreduceSum(at::Tensor&, Group) {}
void Distributed::allreduceMax(at::Tensor&, Group) {}
std::string Distributed::shareFromRoot(const std::string&, const std::string& v, std::chrono::milliseconds) { return v; }
void Distributed::barrier() {}

#endif

}  // namespace dacw::train
