// The product's prediction of 2-D images, step by step, for check_pymodel.py:
//   pymodel_reference MODEL OUTDIR [--task T] [--bf16] IMAGE...
// writes for the i-th image OUTDIR/i.input.npy (the network input [C,S,S] that networkInput
// makes), i.probs.npy (Predictor's probabilities [K,S,S], float32; with --bf16 in bfloat16
// autocast where the CPU has it, as dacw predict runs) and i.labels.npy (the label map [H,W] that
// dacw predict writes: labelsFromProbabilities, then enforceAnatomy of --task, else of the model's
// task). Exit codes: 0 done, 1 bad input, 2 usage.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/data/Preprocess.h"
#include "core/dataset/Task.h"
#include "core/image/ImageIO.h"
#include "core/metrics/Metrics.h"
#include "core/pipeline/Predict.h"
#include "core/train/Predictor.h"

namespace fs = std::filesystem;

namespace {

/// NumPy's .npy format, version 1.0: magic, header length, a Python dict, raw little-endian data.
void writeNpy(const fs::path& file, const char* descr, const std::vector<std::size_t>& shape, const void* data,
              std::size_t bytes) {
    std::string dims;
    for (std::size_t i = 0; i < shape.size(); ++i) dims += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
    std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
    const std::size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header.push_back('\n');
    std::ofstream out(file, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    const std::uint16_t len = static_cast<std::uint16_t>(header.size());
    const char lenBytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
    out.write(lenBytes, 2);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: pymodel_reference MODEL OUTDIR [--task T] [--bf16] IMAGE...\n");
        return 2;
    }
    try {
        int first = 3;
        std::string taskName;
        bool bf16 = false;
        for (; first < argc && std::string(argv[first]).rfind("--", 0) == 0; ++first) {
            const std::string opt = argv[first];
            if (opt == "--bf16") bf16 = true;
            else if (opt == "--task" && first + 1 < argc) taskName = argv[++first];
            else throw std::invalid_argument("unknown option " + opt);
        }
        dacw::train::Predictor p(argv[1], "cpu", 1);
        p.setBf16(bf16);  // on: what dacw predict does where the CPU has AVX512-BF16
        const auto& info = p.info();
        p.setTta(dacw::train::parseTta(dacw::modelTta(info.userMetadata)));  // the run's test-time flip, as dacw predict
        std::unique_ptr<dacw::Task> task;
        if (!taskName.empty()) {
            task = std::make_unique<dacw::Task>(dacw::Task::byName(taskName));
        } else {
            try {
                const auto meta = nlohmann::json::parse(info.userMetadata);
                if (meta.contains("task"))
                    task = std::make_unique<dacw::Task>(dacw::Task::byName(meta.at("task").get<std::string>()));
            } catch (const std::exception&) {
                // No task in the metadata: no post-processing, as in dacw predict.
            }
        }
        const fs::path outDir = argv[2];
        fs::create_directories(outDir);
        const int size = int(info.size), channels = int(info.inChannels), classes = int(info.numClasses);
        for (int i = first; i < argc; ++i) {
            const dacw::Image img = dacw::readImage(argv[i]);
            if (img.depth() != 1) throw std::runtime_error(std::string(argv[i]) + " is a volume; 2-D images only");
            std::vector<float> in = dacw::networkInput(img, 0, channels, size, info.resize);
            at::Tensor x = at::from_blob(in.data(), {1, channels, size, size}, at::kFloat);
            at::Tensor probs = p.predict(x).contiguous();
            std::vector<std::vector<float>> slices(1);
            slices[0].assign(probs.data_ptr<float>(), probs.data_ptr<float>() + probs.numel());
            dacw::LabelMap labels = dacw::labelsFromProbabilities(slices, classes, size, img.geometry(), info.resize);
            if (task) dacw::enforceAnatomy(labels, *task);
            const std::string stem = std::to_string(i - first);
            const std::size_t s = std::size_t(size);
            writeNpy(outDir / (stem + ".input.npy"), "<f4", {std::size_t(channels), s, s}, in.data(), in.size() * sizeof(float));
            writeNpy(outDir / (stem + ".probs.npy"), "<f4", {std::size_t(classes), s, s}, slices[0].data(),
                     slices[0].size() * sizeof(float));
            writeNpy(outDir / (stem + ".labels.npy"), "|u1", {labels.height(), labels.width()}, labels.data().data(),
                     labels.data().size());
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pymodel_reference: %s\n", e.what());
        return 1;
    }
    return 0;
}
