// dacw info, dacw dataset validate, dacw demo.
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "Args.h"
#include "Commands.h"
#include "core/train/TensorDataset.h"
#include "core/data/Preprocess.h"
#include "core/dataset/Domain.h"
#include "core/demo/DemoData.h"
#include "core/image/ImageIO.h"
#include "core/util/Errors.h"

namespace fs = std::filesystem;

namespace dacw::cli {
namespace {

void printGeometry(const ImageInfo& info, std::ostream& out) {
    const Geometry& g = info.geometry;
    out << "  format:      " << info.format << "\n"
        << "  dimension:   " << g.dimension << "D\n"
        << "  size:        " << g.size[0] << " x " << g.size[1];
    if (g.dimension == 3) out << " x " << g.size[2];
    out << "\n  spacing:     " << g.spacing[0] << " x " << g.spacing[1];
    if (g.dimension == 3) out << " x " << g.spacing[2];
    out << " mm\n  origin:      " << g.origin[0] << ", " << g.origin[1];
    if (g.dimension == 3) out << ", " << g.origin[2];
    out << "\n  direction:   ";
    const int n = g.dimension;
    for (int r = 0; r < n; ++r) {
        out << (r ? " / " : "");
        for (int c = 0; c < n; ++c) out << (c ? " " : "") << std::setprecision(4) << g.direction[r * 3 + c];
    }
    out << std::setprecision(6) << "\n  components:  " << info.components
        << (info.components == 1 ? " (scalar)" : info.components == 3 ? " (RGB)" : info.components == 4 ? " (RGBA)" : "")
        << "\n  pixel type:  " << toString(info.pixelType) << "\n";
}

int infoCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"json"});
    args.allowOnly({"max-bytes"});
    if (args.positional().size() != 1) throw UsageError("give exactly one FILE or DIR");
    ReadOptions opt;
    opt.maxBytes = static_cast<std::size_t>(args.getDouble("max-bytes", 0));
    const fs::path path = args.positional()[0];
    std::error_code ec;
    if (!fs::exists(path, ec)) throw InputError("File or folder not found: " + path.string());
    if (fs::is_directory(path, ec)) {
        auto series = listDicomSeries(path);
        if (!series.empty()) {
            std::cout << path.string() << ": " << series.size() << " DICOM series\n";
            for (std::size_t i = 0; i < series.size(); ++i) {
                const auto& s = series[i];
                std::cout << "series " << i + 1 << ": " << s.uid << "\n  description: " << s.description
                          << "\n  files:       " << s.files.size() << "\n";
                Image vol = readDicomSeries(path, s.uid, opt);
                ImageInfo info;
                info.geometry = vol.geometry();
                info.components = vol.components();
                info.pixelType = vol.originalPixelType();
                info.format = "DICOM series";
                printGeometry(info, std::cout);
                auto [lo, hi] = vol.range();
                std::cout << "  intensity:   " << lo << " .. " << hi << "\n";
            }
            return kOk;
        }
        Domain d = scanDomain(path);
        std::cout << path.string() << ": dataset folder, layout " << toString(d.layout) << "\n"
                  << "  cases:       " << d.cases.size() << "\n  with masks:  " << d.labeledCount() << "\n";
        if (!d.orphanMasks.empty()) std::cout << "  orphan masks: " << d.orphanMasks.size() << "\n";
        if (!d.ignoredFiles.empty()) std::cout << "  other files: " << d.ignoredFiles.size() << "\n";
        if (d.cases.empty()) throw InputError(path.string() + " holds no images and no DICOM series");
        return kOk;
    }
    ImageInfo info = readImageInfo(path, opt);
    Image img = readImage(path, opt);
    std::cout << path.string() << "\n";
    printGeometry(info, std::cout);
    auto [lo, hi] = img.range();
    std::cout << "  intensity:   " << lo << " .. " << hi << "\n";
    return kOk;
}

/// A folder holding DomainN/{train,test}/ROIs expands to its domains.
std::vector<Domain> domainsOf(const fs::path& dir) {
    std::error_code ec;
    if (fs::is_directory(dir, ec)) {
        bool multi = false;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
            if (fs::is_directory(it->path() / "train" / "ROIs", ec) || fs::is_directory(it->path() / "test" / "ROIs", ec))
                multi = true;
        if (multi) return scanFundusMultiDomain(dir);
    }
    return {scanDomain(dir)};
}

int validateCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "quiet"});
    args.allowOnly({"task", "max-bytes", "json", "quiet"});
    if (args.positional().empty()) throw UsageError("give at least one domain folder");
    const Task task = Task::byName(args.get("task", "fundus"));
    const auto maxBytes = static_cast<std::size_t>(args.getDouble("max-bytes", 0));
    nlohmann::json report = nlohmann::json::array();
    bool allOk = true;
    for (const auto& p : args.positional()) {
        std::vector<Domain> domains;
        try {
            domains = domainsOf(p);
        } catch (const InputError& e) {
            allOk = false;
            std::cerr << "error: " << e.what() << "\n";
            report.push_back({{"folder", p}, {"error", e.what()}});
            continue;
        }
        for (const auto& d : domains) {
            ValidationReport r = validateDomain(d, task, maxBytes);
            allOk = allOk && r.ok();
            nlohmann::json issues = nlohmann::json::array();
            for (const auto& i : r.issues)
                issues.push_back({{"case", i.caseId}, {"kind", toString(i.kind)}, {"path", i.path.string()}, {"message", i.message}});
            report.push_back({{"folder", d.root.string()}, {"domain", d.name}, {"layout", toString(d.layout)},
                              {"cases", r.cases}, {"labeled", r.labeled}, {"valid", r.valid}, {"issues", issues}});
            if (!args.flag("json")) {
                std::cout << d.name << " (" << d.root.string() << ", " << toString(d.layout) << "): " << r.cases << " cases, "
                          << r.labeled << " with masks, " << r.valid << " valid, " << r.issues.size() << " issue(s)\n";
                if (!args.flag("quiet"))
                    for (const auto& i : r.issues)
                        std::cout << "  [" << toString(i.kind) << "] " << (i.caseId.empty() ? "" : i.caseId + ": ") << i.message
                                  << "\n";
            }
        }
    }
    if (args.flag("json")) std::cout << report.dump(2) << "\n";
    return allOk ? kOk : kBadInput;
}

int exportCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"masks"});
    args.allowOnly({"task", "size", "resize", "masks", "cases", "out", "max-bytes"});
    if (args.positional().empty()) throw UsageError("give at least one domain folder");
    const Task task = Task::byName(args.require("task"));
    PreprocessOptions opt;
    opt.size = args.getInt("size", 128);
    opt.channels = task.channels;
    opt.maxBytes = static_cast<std::size_t>(args.getDouble("max-bytes", 0));
    if (opt.size < 16 || opt.size % 16) throw UsageError("--size must be a positive multiple of 16");
    try {
        opt.resize = train::parseResize(args.get("resize", "stretch"));
    } catch (const std::exception& e) {
        throw UsageError(std::string("--resize: ") + e.what());
    }
    std::vector<std::string> only;
    if (args.has("cases")) {
        std::stringstream ss(args.get("cases"));
        for (std::string id; std::getline(ss, id, ',');)
            if (!id.empty()) only.push_back(id);
        if (args.positional().size() != 1) throw UsageError("--cases needs exactly one domain folder");
    }
    std::vector<train::TensorDataset> parts;
    for (const auto& p : args.positional()) {
        LoadReport rep;
        parts.push_back(loadDomainTensors(scanDomain(p), task, opt, args.flag("masks"), only, &rep));
        std::cout << p << ": " << rep.samples << " samples from " << rep.cases << " cases\n";
        for (const auto& s : rep.skipped) std::cout << "  skipped " << s << "\n";
    }
    train::TensorDataset all = train::TensorDataset::concat(parts);
    all.save(args.require("out"));
    std::cout << "wrote " << all.size() << " samples to " << args.get("out") << "\n";
    return kOk;
}

int demoCommand(const std::vector<std::string>& argv) {
    Args args(argv, {});
    args.allowOnly({"seed"});
    if (args.positional().size() != 1) throw UsageError("give the folder to write the demo data into");
    DemoOptions opt;
    opt.seed = static_cast<unsigned>(args.getInt("seed", 7));
    DemoSummary s = generateDemo(args.positional()[0], opt);
    std::cout << "Wrote " << s.images << " synthetic images in 3 centres to " << args.positional()[0] << "\n";
    for (const auto& p : s.projects) std::cout << "  project: " << p.string() << "\n";
    return kOk;
}

}  // namespace

std::vector<Command> dataCommands() {
    return {
        {"info", "geometry, pixel type and series of an image, volume or folder",
         "Usage: dacw info FILE|DIR [--max-bytes N]\n\n"
         "Prints format, size, spacing, origin, direction, components, pixel type and intensity range.\n"
         "A folder of DICOM files lists each series (ordered by slice position) with its geometry;\n"
         "another folder is summarised as a dataset domain.\n"
         "  --max-bytes N   refuse images that would decode to more than N bytes (default 2 GiB,\n"
         "                  or $DACW_MAX_IMAGE_BYTES)\n",
         infoCommand},
        {"dataset validate", "check domain folders: missing masks, sizes, labels, unreadable files",
         "Usage: dacw dataset validate [--task fundus|polyp|scgm] [--json] [--quiet] DIR...\n\n"
         "Each DIR is a domain: images/ + masks/ (matched by file stem), a flat folder of images,\n"
         "an nnU-Net raw folder (imagesTr/, labelsTr/, dataset.json), or a multi-domain fundus folder\n"
         "(DomainN/{train,test}/ROIs/{image,mask}, masks 0 = cup, 128 = rim, 255 = background).\n"
         "Reports per case: missing mask, image/mask size mismatch, label values outside the task,\n"
         "unreadable file. Exit code 0 when every case is valid, 1 otherwise.\n",
         validateCommand},
        {"dataset export", "decode, resample and normalise domains into a tensor file for dacw-train",
         "Usage: dacw dataset export --task fundus|polyp|scgm [--size S] [--resize letterbox|stretch] [--masks]\n"
         "                           [--cases a,b,...] --out FILE DIR...\n\n"
         "Writes the samples of the domain folders (volumes: one per slice), resampled to S x S and\n"
         "normalised per image and channel as `dacw train` does, into one file that `dacw-train`\n"
         "(LibTorch only, e.g. on a GPU node) reads. --masks keeps only cases with masks, with their masks.\n"
         "--resize: stretch (default) squashes each image to the square, letterbox keeps its aspect\n"
         "ratio on zero padding; give dacw-train the same resize option, since its model.pt records it\n"
         "for prediction.\n",
         exportCommand},
        {"demo", "write the synthetic multi-centre demo dataset and projects",
         "Usage: dacw demo DIR [--seed N]\n\n"
         "Writes fundus, polyp and MRI-like images of three synthetic centres (different colour cast,\n"
         "contrast, blur, noise, illumination and scale) with masks, and demo.dacproj, polyp.dacproj,\n"
         "mri.dacproj. The same seed writes the same data.\n",
         demoCommand},
    };
}

}  // namespace dacw::cli
