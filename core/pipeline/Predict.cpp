#include "core/pipeline/Predict.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <iomanip>
#include <memory>
#include <sstream>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/train/Errors.h"
#include "core/train/Predictor.h"
#include "core/data/Preprocess.h"
#include "core/image/ImageIO.h"
#include "core/pipeline/RunFolder.h"
#include "core/pipeline/RunLog.h"
#include "core/util/Errors.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dacw {

namespace {

/// Probabilities of every slice of an image, as network-size class-major planes.
std::vector<std::vector<float>> predictImage(const train::Predictor& p, const Image& img) {
    const int size = int(p.info().size), channels = int(p.info().inChannels);
    const std::size_t depth = img.depth();
    std::vector<float> buf;
    buf.reserve(depth * std::size_t(channels * size * size));
    for (std::size_t z = 0; z < depth; ++z) {
        auto in = networkInput(img, z, channels, size, p.info().resize);
        buf.insert(buf.end(), in.begin(), in.end());
    }
    at::Tensor t = at::from_blob(buf.data(), {int64_t(depth), channels, size, size}, at::kFloat);
    at::Tensor probs = p.predict(t).contiguous();
    const int64_t k = probs.size(1);
    std::vector<std::vector<float>> out(depth);
    const float* src = probs.data_ptr<float>();
    const std::size_t per = std::size_t(k) * std::size_t(size) * std::size_t(size);
    for (std::size_t z = 0; z < depth; ++z) out[z].assign(src + z * per, src + (z + 1) * per);
    return out;
}



/// One case on its way through prediction: read and resampled ahead, predicted in a batch, then
/// mapped back to the image's geometry.
struct PendingCase {
    const Case* c = nullptr;
    Image img;
    std::vector<float> input;  // [depth, channels, size, size]
    std::string error;         // reading failed: the InputError's text
};

/// Predicts `cases` in batches of `batch` images, as a pipeline on three threads: the next
/// batch is read and resampled while the network runs, and the previous one is mapped back,
/// scored and written meanwhile. `done` is called in case order, one call at a time, with the
/// label map at the image's geometry (or with the reading error). Returns the network's seconds.
double predictCases(const train::Predictor& p, const std::vector<const Case*>& cases, std::size_t batch,
                    const std::function<void(const Case&, const Image&, LabelMap&)>& done,
                    const std::function<void(const Case&, const std::string&)>& failed) {
    const int size = int(p.info().size), channels = int(p.info().inChannels), classes = int(p.info().numClasses);
    const std::size_t perSlice = std::size_t(channels) * std::size_t(size) * std::size_t(size);
    batch = std::max<std::size_t>(1, batch);
    auto load = [&](std::size_t begin) {
        std::vector<PendingCase> out;
        for (std::size_t i = begin; i < std::min(cases.size(), begin + batch); ++i) {
            PendingCase pc;
            pc.c = cases[i];
            try {
                pc.img = readImage(pc.c->image);
                pc.input.reserve(pc.img.depth() * perSlice);
                for (std::size_t z = 0; z < pc.img.depth(); ++z) {
                    auto in = networkInput(pc.img, z, channels, size, p.info().resize);
                    pc.input.insert(pc.input.end(), in.begin(), in.end());
                }
            } catch (const InputError& e) {
                pc.error = e.what();
            }
            out.push_back(std::move(pc));
        }
        return out;
    };
    auto post = [&](std::vector<PendingCase> items, std::vector<std::vector<std::vector<float>>> probs) {
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (!items[i].error.empty()) {
                failed(*items[i].c, items[i].error);
                continue;
            }
            try {
                LabelMap pred = labelsFromProbabilities(probs[i], classes, size, items[i].img.geometry(), p.info().resize);
                done(*items[i].c, items[i].img, pred);
            } catch (const InputError& e) {
                failed(*items[i].c, e.what());
            }
        }
    };
    double networkSeconds = 0.0;
    std::future<std::vector<PendingCase>> next = std::async(std::launch::async, load, std::size_t(0));
    std::future<void> previous;
    for (std::size_t begin = 0; begin < cases.size(); begin += batch) {
        std::vector<PendingCase> items = next.get();
        if (begin + batch < cases.size()) next = std::async(std::launch::async, load, begin + batch);
        // All slices of the batch in one tensor (2-D images are one slice each).
        std::vector<float> buf;
        std::vector<std::size_t> depth(items.size(), 0);
        for (std::size_t i = 0; i < items.size(); ++i)
            if (items[i].error.empty()) {
                depth[i] = items[i].img.depth();
                buf.insert(buf.end(), items[i].input.begin(), items[i].input.end());
                std::vector<float>().swap(items[i].input);
            }
        std::vector<std::vector<std::vector<float>>> probs(items.size());
        const int64_t slices = int64_t(buf.size() / perSlice);
        if (slices > 0) {
            const auto t0 = std::chrono::steady_clock::now();
            at::Tensor t = at::from_blob(buf.data(), {slices, channels, size, size}, at::kFloat);
            at::Tensor out = p.predict(t, std::max<int64_t>(int64_t(batch), 1)).contiguous();
            networkSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const std::size_t per = std::size_t(out.size(1)) * std::size_t(size) * std::size_t(size);
            const float* src = out.data_ptr<float>();
            for (std::size_t i = 0; i < items.size(); ++i)
                for (std::size_t z = 0; z < depth[i]; ++z, src += per) probs[i].emplace_back(src, src + per);
        }
        if (previous.valid()) previous.get();
        previous = std::async(std::launch::async, post, std::move(items), std::move(probs));
    }
    if (previous.valid()) previous.get();
    return networkSeconds;
}

}  // namespace

/// Scores every masked case of a domain with a predictor; writes predictions when outDir is set.
void evaluateDomain(const train::Predictor& p, const Domain& d, const Task& task, const RunFolder* out,
                    EvaluationResult& r, RunLog* log, const std::set<std::string>& exclude) {
    std::vector<const Case*> cases;
    for (const auto& c : d.cases)
        if (c.hasMask() && !exclude.count(c.id)) cases.push_back(&c);
    auto skipped = [&](const Case& c, const std::string& why) {
        if (log) (*log)("skipped test case " + d.name + "/" + c.id + ": " + why);
    };
    const auto t0 = std::chrono::steady_clock::now();
    const double network = predictCases(
        p, cases, 4,
        [&](const Case& c, const Image& img, LabelMap& pred) {
            try {
                LabelMap truth = readCaseMask(c);
                r.cases.push_back(scoreCase(d.name, c.id, pred, truth, task));
                if (r.hd95Unit.empty()) r.hd95Unit = hd95Unit(truth.geometry());
                if (out) writeLabelMap(pred, out->predictionFile(d.name, c.id, img.depth() > 1));
            } catch (const InputError& e) {
                skipped(c, e.what());
            }
        },
        skipped);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (log && !cases.empty()) {
        std::ostringstream os;
        os << "predicted " << d.name << ": " << cases.size() << " images in " << std::fixed << std::setprecision(1) << wall
           << " s (" << std::setprecision(2) << double(cases.size()) / std::max(wall, 1e-9) << " images/s; network "
           << std::setprecision(1) << network << " s)";
        (*log)(os.str());
    }
}

std::string modelTta(const std::string& userMetadata) {
    try {
        const json meta = json::parse(userMetadata);
        if (meta.contains("tta")) return meta.at("tta").get<std::string>();
    } catch (const std::exception&) {
        // No or foreign metadata: no augmentation.
    }
    return "none";
}

std::vector<fs::path> predictPath(const fs::path& model, const fs::path& input, const fs::path& outDir, int threads,
                                  EvaluationResult* scores, const Task* task, int batch, PredictStats* stats,
                                  const std::string& tta) {
    const fs::path modelFile = RunFolder::modelIn(model);
    std::error_code ec;
    if (!fs::exists(modelFile, ec)) throw InputError("No exported model at " + modelFile.string());
    std::unique_ptr<train::Predictor> p;
    try {
        p = std::make_unique<train::Predictor>(modelFile.string(), "cpu", threads);
        p->setTta(train::parseTta(tta.empty() ? modelTta(p->info().userMetadata) : tta));
    } catch (const train::TrainError& e) {
        throw InputError(e.what());
    }
    if (!fs::exists(input, ec)) throw InputError("Input not found: " + input.string());
    fs::create_directories(outDir, ec);
    std::vector<fs::path> written;
    // The task decides post-processing: the caller's, else the one the model was trained for.
    std::unique_ptr<Task> modelTask;
    if (!task) {
        try {
            const json meta = json::parse(p->info().userMetadata);
            if (meta.contains("task")) modelTask = std::make_unique<Task>(Task::byName(meta.at("task").get<std::string>()));
        } catch (const std::exception&) {
            // No or foreign metadata: predictions are written as the network gives them.
        }
    }
    const Task* post = task ? task : modelTask.get();
    std::string domainName;
    auto finish = [&](const Image& img, LabelMap& pred, const std::string& id, const Case* c) {
        if (scores && task && c && c->hasMask()) {
            LabelMap truth = readCaseMask(*c);
            scores->cases.push_back(scoreCase(domainName, c->id, pred, truth, *task));
            if (scores->hd95Unit.empty()) scores->hd95Unit = hd95Unit(truth.geometry());
        } else if (post) {
            enforceAnatomy(pred, *post);
        }
        fs::path f = predictionFileIn(outDir, id, img.depth() > 1);
        writeLabelMap(pred, f);
        written.push_back(f);
    };
    auto one = [&](const Image& img, const std::string& id, const Case* c) {
        const auto t0 = std::chrono::steady_clock::now();
        LabelMap pred = labelsFromProbabilities(predictImage(*p, img), int(p->info().numClasses), int(p->info().size),
                                                img.geometry(), p->info().resize);
        finish(img, pred, id, c);
        if (stats) {
            stats->images = 1;
            stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
    };
    if (fs::is_directory(input, ec)) {
        if (!listDicomSeries(input).empty()) {
            one(readDicomSeries(input), input.filename().string(), nullptr);
            return written;
        }
        Domain d = scanDomain(input);
        if (d.cases.empty()) throw InputError(input.string() + " holds no images");
        domainName = d.name;
        std::size_t failed = 0;
        std::string firstError;
        std::vector<const Case*> cases;
        for (const auto& c : d.cases) cases.push_back(&c);
        auto skip = [&](const Case&, const std::string& why) {
            if (!failed++) firstError = why;
        };
        const auto t0 = std::chrono::steady_clock::now();
        const double network = predictCases(
            *p, cases, std::size_t(std::max(1, batch)),
            [&](const Case& c, const Image& img, LabelMap& pred) {
                try {
                    finish(img, pred, c.id, &c);
                } catch (const InputError& e) {
                    skip(c, e.what());
                }
            },
            skip);
        if (stats) {
            stats->images = written.size();
            stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            stats->networkSeconds = network;
        }
        if (scores) summarise(*scores);
        if (written.empty()) throw InputError("No image of " + input.string() + " could be predicted: " + firstError);
        if (failed) std::fprintf(stderr, "warning: %zu case(s) skipped; first: %s\n", failed, firstError.c_str());
        return written;
    }
    one(readImage(input), fileStem(input), nullptr);
    return written;
}

EvaluationResult evaluateFolders(const fs::path& predDir, const fs::path& truthDir, const Task& task) {
    requireFolder(predDir, "prediction");
    requireFolder(truthDir, "reference");
    Domain truth = scanDomain(truthDir);
    std::vector<std::pair<std::string, fs::path>> refs;
    for (const auto& c : truth.cases) {
        if (c.hasMask()) refs.push_back({c.id, c.mask});
        else if (truth.layout == DomainLayout::Flat) refs.push_back({c.id, c.image});  // a folder of masks
    }
    if (refs.empty()) throw InputError(truthDir.string() + " holds no reference masks");
    std::map<std::string, fs::path> preds;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(predDir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file() && looksLikeImageFile(it->path())) {
            fs::path rel = fs::relative(it->path(), predDir);
            std::string id = (rel.parent_path() / fileStem(rel)).generic_string();
            preds[id] = it->path();
            preds.emplace(fileStem(it->path()), it->path());
        }
    EvaluationResult r;
    std::vector<std::string> missing;
    for (const auto& [id, maskPath] : refs) {
        auto it = preds.find(id);
        if (it == preds.end()) it = preds.find(truth.name + "/" + id);
        if (it == preds.end()) {
            missing.push_back(id);
            continue;
        }
        LabelMap ref;
        if (truth.layout == DomainLayout::Flat) ref = readLabelMap(maskPath);
        else ref = readCaseMask(*truth.find(id));
        LabelMap pred = readLabelMap(it->second);
        r.cases.push_back(scoreCase(truth.name, id, pred, ref, task));
        if (r.hd95Unit.empty()) r.hd95Unit = hd95Unit(ref.geometry());
    }
    if (!missing.empty())
        throw InputError(std::to_string(missing.size()) + " reference case(s) have no prediction in " + predDir.string() +
                         " (first: " + missing.front() + ")");
    summarise(r);
    return r;
}

}  // namespace dacw
