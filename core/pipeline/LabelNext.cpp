#include "core/pipeline/LabelNext.h"

#include <algorithm>
#include <map>
#include <set>

#include <ATen/ATen.h>

#include "core/train/CoTrainer.h"
#include "core/train/Errors.h"
#include "core/data/Preprocess.h"
#include "core/image/ImageIO.h"
#include "core/pipeline/RunFolder.h"
#include "core/util/Errors.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;

namespace dacw {

namespace {

template <class Refs, class SumMap>
void writeDisagreementMaps(DisagreementMaps& maps, const Refs& refs, const SumMap& sums, int size, train::Resize resize) {
    std::error_code ec;
    std::set<std::string> cleared;
    for (const auto& [r, s] : sums) {
        const auto& ref = refs[r];
        const std::size_t depth = ref.geometry.size[2];
        std::vector<std::vector<float>> slices;
        for (std::size_t z = 0; z < depth; ++z) {
            auto it = s.slices.find(sampleId(ref.c->id, z, depth));
            if (it == s.slices.end()) break;
            slices.push_back(it->second);
        }
        if (slices.size() != depth) continue;  // a slice could not be decoded
        const fs::path dir = maps.folder / ref.domain->name;
        try {
            if (cleared.insert(ref.domain->name).second) {
                fs::remove_all(dir, ec);  // the maps of an earlier ranking
                fs::create_directories(dir);
            }
            writeLabelMap(heatFromSliceMaps(slices, size, ref.geometry, resize), predictionFileIn(dir, ref.c->id, depth > 1));
            ++maps.written;
        } catch (const std::exception& e) {
            if (maps.problem.empty()) maps.problem = e.what();
        }
    }
}

}  // namespace

std::vector<CaseDisagreement> rankByDisagreement(const fs::path& runDir, const std::vector<Domain>& domains, bool onlyUnlabeled,
                                                 const std::atomic<bool>* cancel, DisagreementMaps* maps) {
    RunRequest req = readRunRequest(runDir);
    train::TrainConfig cfg = req.config;
    if (!train::partsOf(cfg.method).coTraining)
        throw InputError("The run " + runDir.filename().string() + " trained one model (" + train::toString(cfg.method) +
                         "); ranking by disagreement needs a co-training run (dac or cps)");
    const RunFolder folder(runDir);
    const fs::path checkpoint = folder.checkpoint();
    std::error_code ec;
    if (!fs::exists(checkpoint, ec)) throw InputError("The run folder " + runDir.string() + " has no checkpoint.pt");

    PreprocessOptions pre;
    pre.size = int(cfg.size > 0 ? cfg.size : 128);
    pre.channels = req.task.channels;
    pre.resize = cfg.resize;

    // The trainer needs a labeled set to build its models; the run's own cases restore it.
    const std::vector<std::string> labeledIds = readRunConfig(folder).labeledCases;
    const train::TensorDataset labeled = loadDomainTensors(scanDomain(req.labeledDir), req.task, pre, true, labeledIds);

    // Which case each sample belongs to: a volume gives one sample per slice (sampleId).
    struct CaseRef {
        const Domain* domain;
        const Case* c;
        Geometry geometry;
    };
    std::vector<CaseRef> refs;
    std::map<std::pair<std::string, std::string>, std::size_t> refOfSample;
    std::vector<train::TensorDataset> parts;
    for (const Domain& d : domains) {
        std::vector<std::string> ids;
        for (const auto& c : d.cases) {
            if (onlyUnlabeled && c.hasMask()) continue;
            ImageInfo info;
            try {
                info = readImageInfo(c.image);
            } catch (const InputError&) {
                continue;  // not decodable: left out, as loadDomainTensors would
            }
            refs.push_back({&d, &c, info.geometry});
            const std::size_t depth = info.geometry.size[2];
            for (std::size_t z = 0; z < depth; ++z) refOfSample[{d.name, sampleId(c.id, z, depth)}] = refs.size() - 1;
            ids.push_back(c.id);
        }
        if (ids.empty()) continue;
        train::TensorDataset t = loadDomainTensors(d, req.task, pre, false, ids);
        if (!t.empty()) parts.push_back(std::move(t));
    }
    if (parts.empty()) return {};
    const train::TensorDataset pool = train::TensorDataset::concat(parts);

    // Resume from the checkpoint with cancellation already requested: the models load, no step runs.
    cfg.resume = true;
    cfg.checkpointPath = checkpoint.string();
    cfg.checkpointInterval = 0;
    cfg.prefetch = 0;
    train::CoTrainer trainer(cfg);
    std::atomic<bool> stop{true};
    try {
        trainer.run(labeled, pool, {}, {}, &stop);
    } catch (const train::TrainError& e) {
        throw InputError("Cannot load " + checkpoint.string() + ": " + e.what());
    }

    struct Sums {
        double score = 0.0, flip = 0.0;
        int samples = 0;
        std::vector<float> embedding;                      // sum over the case's samples
        std::map<std::string, std::vector<float>> slices;  // sample id -> map (only with `maps`)
    };
    std::map<std::size_t, Sums> sums;
    std::vector<std::size_t> order;
    const int64_t n = pool.size(), chunk = 8;
    const std::size_t plane = std::size_t(pre.size) * std::size_t(pre.size);
    for (int64_t i = 0; i < n; i += chunk) {
        if (cancel && cancel->load()) return {};
        const int64_t j = std::min(n, i + chunk);
        train::Disagreement dis = trainer.disagreement(pool.images.slice(0, i, j));
        for (int64_t k = i; k < j; ++k) {
            const auto sample = std::make_pair(pool.domains[std::size_t(k)], pool.caseIds[std::size_t(k)]);
            auto it = refOfSample.find(sample);
            if (it == refOfSample.end()) continue;
            if (!sums.count(it->second)) order.push_back(it->second);
            Sums& s = sums[it->second];
            s.score += dis.meanAbsDiff[std::size_t(k - i)];
            s.flip += dis.labelFlip[std::size_t(k - i)];
            ++s.samples;
            if (dis.embeddings.defined()) {
                const at::Tensor e = dis.embeddings[k - i].contiguous();
                const float* p = e.data_ptr<float>();
                if (s.embedding.empty()) s.embedding.assign(std::size_t(e.numel()), 0.0f);
                for (std::size_t t = 0; t < s.embedding.size(); ++t) s.embedding[t] += p[t];
            }
            if (maps) {
                const float* m = dis.maps[k - i].data_ptr<float>();
                s.slices[sample.second].assign(m, m + plane);
            }
        }
    }
    std::vector<CaseDisagreement> out;
    for (std::size_t r : order) {
        const Sums& s = sums[r];
        std::vector<float> embedding = s.embedding;
        for (float& v : embedding) v /= float(s.samples);
        out.push_back({refs[r].domain->name, refs[r].c->id, s.score / s.samples, s.flip / s.samples, std::move(embedding)});
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
    if (maps) writeDisagreementMaps(*maps, refs, sums, pre.size, pre.resize);
    return out;
}

}  // namespace dacw
