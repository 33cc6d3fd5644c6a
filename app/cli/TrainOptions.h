#pragma once
// The options that `dacw train`, `dacw experiment` and `dacw pretrain` read alike.
#include <filesystem>
#include <string>
#include <vector>

#include "Args.h"
#include "core/pipeline/Run.h"
#include "core/train/TrainConfig.h"

namespace dacw::cli {

/// Applies each "--set key=value" to `c`. A missing '=' is a UsageError; an unknown key or a bad
/// value throws train::ConfigError (the callers turn it into a UsageError).
void applySetOptions(train::TrainConfig& c, const std::vector<std::string>& keyValues);

/// The dataset cache: --cache DIR, else $XDG_CACHE_HOME/dac-workbench/datasets, else
/// $HOME/.cache/dac-workbench/datasets; empty (no cache) with --no-cache or when neither is set.
std::filesystem::path datasetCacheDir(const Args& a);

// Defined in CommandsTrain.cpp, beside `dacw train` and its help, which lists them.
/// The options of `dacw train` that `dacw experiment` takes too.
extern const std::vector<std::string> kTrainOptions;
std::vector<std::filesystem::path> paths(const std::vector<std::string>& v);
/// Fills a RunRequest from train/experiment options (method and out are the caller's).
RunRequest requestFrom(const Args& a);

}  // namespace dacw::cli
