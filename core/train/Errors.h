#pragma once
// Exceptions thrown by the training library. All derive from std::runtime_error and carry a
// message meant for the user as is.
#include <stdexcept>
#include <string>

namespace dacw::train {

/// Any failure of the training library.
class TrainError : public std::runtime_error {
public:
    explicit TrainError(const std::string& what) : std::runtime_error(what) {}
};

/// A configuration value or an input dataset the trainer cannot use (bad option, size mismatch,
/// labeled set without masks, ...).
class ConfigError : public TrainError {
public:
    explicit ConfigError(const std::string& what) : TrainError(what) {}
};

/// A dataset, checkpoint, model or weights file that is missing, truncated, corrupt, of another
/// kind, or does not match the network it is loaded into.
class FileFormatError : public TrainError {
public:
    explicit FileFormatError(const std::string& what) : TrainError(what) {}
};

/// Training produced a non-finite loss for `patience` iterations in a row.
class DivergenceError : public TrainError {
public:
    explicit DivergenceError(const std::string& what) : TrainError(what) {}
};

}  // namespace dacw::train
