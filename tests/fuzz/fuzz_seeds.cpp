// Writes the seed corpora of the fuzz harnesses: fuzz_seeds OUTDIR gives OUTDIR/<harness>/seed-*.
// Every seed comes from the project's own generators: a small synthetic demo (core/demo), images
// rewritten by the project's writers in each format, project, run-folder and label files as the
// workbench writes them, and an exported model of a tiny network. Never from real data.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "TinyCheckpoint.h"
#include "core/train/CoTrainer.h"
#include "core/train/ModelFile.h"
#include "core/train/Presets.h"
#include "core/train/Networks.h"
#include "core/demo/DemoData.h"
#include "core/image/ImageIO.h"
#include "core/pipeline/Run.h"
#include "core/pipeline/RunFolder.h"
#include "core/project/Project.h"
#include "ui/model/CaseDocument.h"
#include "ui/model/LabelDescription.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace dacw;

namespace {
const std::string kSeparator = "\n--dacw-fuzz-next-file--\n";

fs::path out;
std::map<std::string, int> counts;

std::string slurp(const fs::path& f) { return readText(f); }

void seed(const std::string& harness, const std::string& bytes) {
    fs::create_directories(out / harness);
    const int n = ++counts[harness];
    std::ofstream(out / harness / ("seed-" + std::to_string(n)), std::ios::binary) << bytes;
}

/// A corner of an image or volume, so that seeds stay small.
Image crop(const Image& img, std::size_t w, std::size_t h, std::size_t d) {
    Geometry g = img.geometry();
    g.size = {std::min(w, img.width()), std::min(h, img.height()), std::min(d, img.depth())};
    Image c(g, img.components(), img.originalPixelType());
    for (std::size_t z = 0; z < g.size[2]; ++z)
        for (std::size_t y = 0; y < g.size[1]; ++y)
            for (std::size_t x = 0; x < g.size[0]; ++x)
                for (int k = 0; k < img.components(); ++k) c.at(x, y, z, k) = img.at(x, y, z, k);
    return c;
}

Image gray(const Image& img) {
    Image g(img.geometry(), 1, img.originalPixelType());
    for (std::size_t i = 0; i < img.geometry().voxelCount(); ++i) g.data()[i] = img.data()[i * img.components()];
    return g;
}

/// `img` written by writeImage as `name` in `tmp`, read back as bytes.
std::string written(const Image& img, const fs::path& tmp, const std::string& name) {
    writeImage(img, tmp / name);
    return slurp(tmp / name);
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: fuzz_seeds OUTDIR\n";
        return 2;
    }
    out = argv[1];
    const fs::path tmp = out / ".work";
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    torch::set_num_threads(1);

    // A small demo: one fundus, one polyp and one MRI case per centre.
    DemoOptions opt;
    opt.fundusSize = 24;
    opt.polypSize = 24;
    opt.fundusPerCentre = 1;
    opt.polypPerCentre = 1;
    opt.mriSubjectsPerCentre = 1;
    const fs::path demo = tmp / "demo";
    const DemoSummary summary = generateDemo(demo, opt);

    std::vector<fs::path> pngs, volumes;
    for (const auto& e : fs::recursive_directory_iterator(demo)) {
        if (!e.is_regular_file()) continue;
        const std::string ext = lowerExtension(e.path());
        if (ext == ".png") pngs.push_back(e.path());
        if (ext == ".nii.gz") volumes.push_back(e.path());
    }
    std::sort(pngs.begin(), pngs.end());
    std::sort(volumes.begin(), volumes.end());
    // PNG: the demo's own files (RGB photos and gray masks), a few of each.
    for (std::size_t i = 0; i < pngs.size() && i < 6; ++i) seed("png", slurp(pngs[i]));

    const Image photo = crop(readImage(pngs.front()), 16, 16, 1);   // RGB
    const Image mask = crop(readImage(pngs.back()), 16, 16, 1);     // gray
    const Image volume = crop(readImage(volumes.front()), 8, 8, 4); // int16-like MRI
    Image volFloat = volume;
    volFloat.setOriginalPixelType(PixelType::Float32);
    Image vol16 = volume;
    vol16.setOriginalPixelType(PixelType::Int16);
    Image mask16 = gray(mask);
    mask16.setOriginalPixelType(PixelType::UInt16);

    seed("png", written(mask16, tmp, "m16.png"));
    seed("jpeg", written(photo, tmp, "p.jpg"));
    seed("jpeg", written(gray(photo), tmp, "g.jpg"));
    seed("bmp", written(photo, tmp, "p.bmp"));
    seed("bmp", written(gray(mask), tmp, "g.bmp"));
    seed("tiff", written(photo, tmp, "p.tif"));
    seed("tiff", written(mask16, tmp, "m16.tif"));
    seed("nifti", written(vol16, tmp, "v.nii"));
    seed("nifti", written(photo, tmp, "p.nii"));
    seed("nifti_gz", slurp(volumes.front()).size() < 20000 ? slurp(volumes.front()) : written(vol16, tmp, "v0.nii.gz"));
    seed("nifti_gz", written(volFloat, tmp, "v.nii.gz"));
    seed("metaimage", written(vol16, tmp, "v.mha"));
    seed("metaimage", written(photo, tmp, "p.mha"));
    seed("nrrd", written(volFloat, tmp, "v.nrrd"));
    seed("nrrd", written(mask16, tmp, "m.nrrd"));
    seed("dicom", written(gray(mask16), tmp, "m.dcm"));
    {
        Image slice = crop(vol16, 8, 8, 1);
        slice.geometry().dimension = 2;
        seed("dicom", written(slice, tmp, "s.dcm"));
        // A folder: two or three slices, each its own file (the harness splits at the separator).
        std::string two = written(slice, tmp, "a.dcm") + kSeparator + written(slice, tmp, "b.dcm");
        seed("dicom_folder", two);
        seed("dicom_folder", two + kSeparator + written(gray(mask16), tmp, "c.dcm"));
        seed("dicom_folder", written(slice, tmp, "d.dcm"));
    }

    // Projects: the demo's three, and one with runs, annotations and another layout.
    for (const auto& p : summary.projects) seed("project", slurp(p));
    {
        Project p = Project::load(summary.projects.front());
        p.runs.push_back({"dac-1", "runs/dac-1", "dac", "finished"});
        p.annotations["centre-a/fundus_a001"] = {"labels/centre-a/fundus_a001.png", "bad", "blurred"};
        p.domains.push_back({"extra", "/data/extra", DomainLayout::NnUNet, "test"});
        p.save(tmp / "full.dacproj");
        seed("project", slurp(tmp / "full.dacproj"));
    }

    // Run folders: request.json (first byte 0) and config.json (first byte 1) as the run writes them.
    {
        RunRequest r;
        r.task = Task::fundus();
        r.labeledDir = demo / "fundus" / "centre-a";
        r.unlabeledDirs = {demo / "fundus" / "centre-b"};
        r.testDirs = {demo / "fundus" / "centre-c"};
        r.preset = "quick";
        r.outDir = tmp / "run";
        train::applyPreset(r.config, "quick");
        writeRunRequest(r);
        seed("run_request", std::string(1, '\0') + slurp(r.outDir / "request.json"));
        Task custom;
        custom.name = "custom";
        custom.channels = 1;
        custom.labels = {{"lesion", 1, {255, 0, 0}}, {"core", 2, {0, 255, 0}}};
        custom.regions = {{"lesion", {1, 2}}, {"core", {2}}};
        r.task = custom;
        writeRunRequest(r);
        seed("run_request", std::string(1, '\0') + slurp(r.outDir / "request.json"));
        json c = json::object();
        for (const auto& [k, v] : train::toKeyValues(r.config)) c[k] = v;
        json config = {{"format", "dac-workbench-run"}, {"version", 1}, {"task", "fundus"}, {"preset", "quick"},
                       {"labeled_dir", r.labeledDir.string()}, {"labeled_domain", "centre-a"},
                       {"labeled_cases", {"fundus_a001"}}, {"unlabeled_dirs", {r.unlabeledDirs[0].string()}},
                       {"test_dirs", {r.testDirs[0].string()}}, {"validation", {"centre-a (held out)"}}, {"train", c}};
        seed("run_request", std::string(1, '\1') + config.dump(2) + "\n");
    }
    // metrics.json as a run writes it.
    {
        EvaluationResult e;
        for (const char* dom : {"centre-b", "centre-c"}) {
            CaseResult c;
            c.domain = dom;
            c.caseId = "fundus_x";
            c.scores["disc"] = {0.91, 3.5};
            c.scores["cup"] = {0.72, 6.25};
            c.rawDice = {{"disc", 0.9}, {"cup", 0.7}};
            c.vcdr = 0.45;
            c.vcdrTruth = 0.5;
            c.anatomyChecked = true;
            e.cases.push_back(c);
        }
        e.hd95Unit = "px@512";
        summarise(e);
        seed("metrics_json", evaluationToJson(e, {{"method", "dac"}, {"model", "model.pt"}}));
        EvaluationResult empty;
        seed("metrics_json", evaluationToJson(empty));
    }
    // metrics.csv and validation.csv as a run writes them.
    {
        std::string m = "iteration,lr,images_per_s,s_per_iter,data_wait,cps,sup,total\n";
        std::string v = "iteration,submodel,domain,region,dice\n";
        for (int it = 1; it <= 6; ++it) {
            m += std::to_string(it) + ",0.01,12.5,0.08,0.1," + std::to_string(0.5 / it) + "," + std::to_string(1.0 / it) + "," +
                 std::to_string(1.5 / it) + "\n";
            if (it % 3 == 0)
                for (const char* sub : {"A", "B"})
                    for (const char* region : {"disc", "cup"})
                        v += std::to_string(it) + "," + sub + ",\"centre-a (held out)\"," + region + "," + std::to_string(0.1 * it) + "\n";
        }
        seed("run_csv", m + kSeparator + v);
        seed("run_csv", m);
    }
    // Label descriptions as the workbench writes them.
    for (const Task& t : {Task::fundus(), Task::polyp(), Task::scgm()}) {
        auto display = labelDisplayOf(t);
        if (!display.empty()) {
            display.back().opacity = 0.5;
            display.back().visible = false;
        }
        seed("label_description", itkSnapLabelDescription(display));
    }
    // An exported model of the smallest network the trainer builds (ResNet-18, width 0.125).
    {
        train::NetworkSpec spec;
        spec.width = 0.125;
        spec.inChannels = 3;
        spec.numClasses = 3;
        train::DeepLabV3Plus net(spec);
        train::ModelInfo info;
        info.width = spec.width;
        info.inChannels = spec.inChannels;
        info.numClasses = spec.numClasses;
        info.size = 32;
        info.method = "dac";
        info.subModel = "A";
        info.iterations = 10;
        info.userMetadata = "{\"task\":\"fundus\"}";
        train::writeModelFile((tmp / "model.pt").string(), net, info);
        seed("model", slurp(tmp / "model.pt"));
    }
    // A checkpoint of the run fuzz_checkpoint resumes (TinyCheckpoint.h), after one iteration.
    {
        const std::string ckpt = (tmp / "checkpoint.pt").string();
        train::TrainConfig c = fuzz::tinyCheckpointConfig(ckpt);
        c.iterations = 1;
        train::CoTrainer(c).run(fuzz::tinyLabeled(), fuzz::tinyUnlabeled());
        seed("checkpoint", slurp(ckpt));
    }

    fs::remove_all(tmp);
    for (const auto& [h, n] : counts) std::cout << h << ": " << n << " seeds\n";
    return 0;
}
