#pragma once
// Inference with an exported network: a file holding the DeepLabv3+ weights and what is needed
// to rebuild it, with no training-only parts.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/train/CoTrainer.h"
#include "core/train/TrainConfig.h"

namespace dacw::train {

struct ModelInfo {
    Backbone backbone = Backbone::ResNet18;
    double width = 1.0;
    int64_t headChannels = 0;    // ASPP and decoder channels (files before version 2: 256 x width)
    std::vector<int64_t> asppRates{6, 12, 18};
    int64_t inChannels = 3;
    int64_t numClasses = 2;
    int64_t size = 0;            // training image side
    Resize resize = Resize::Stretch;  // how images were made square (files before version 3: stretch)
    std::string method;          // e.g. "dac"
    std::string subModel;        // "A" or "B"
    int64_t iterations = 0;
    std::string userMetadata;    // whatever the exporter stored (JSON, typically)
};

class Predictor {
public:
    /// Throws FileFormatError when the file is missing, corrupt or not an exported model.
    explicit Predictor(const std::string& path, const std::string& device = "cpu", int threads = 0);
    ~Predictor();
    Predictor(Predictor&&) noexcept;
    Predictor& operator=(Predictor&&) noexcept;

    const ModelInfo& info() const;
    /// Per-pixel class probabilities [N,K,H,W] float32 on the CPU for images [N,C,H,W] float32
    /// (normalised like the training data; H and W need not equal the training size but are best
    /// multiples of 16). Runs in inference mode, in chunks of `batch` images.
    at::Tensor predict(const at::Tensor& images, int64_t batch = 4) const;
    /// bfloat16 autocast for inference (default: on where the CPU supports it).
    void setBf16(bool on);
    /// Channels-last weights and inputs (default: on).
    void setChannelsLast(bool on);
    /// Test-time augmentation of predict() (TrainConfig.h; default: none).
    void setTta(Tta tta);
    Tta tta() const;

private:
    struct Private;
    std::unique_ptr<Private> d_;
};

/// Disagreement between two probability maps [N,K,H,W] (e.g. from two Predictors or sub-models).
Disagreement disagreementOf(const at::Tensor& probsA, const at::Tensor& probsB);

/// Reads only the description of an exported model file.
ModelInfo readModelInfo(const std::string& path);

}  // namespace dacw::train
