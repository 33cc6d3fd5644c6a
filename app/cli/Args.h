#pragma once
// A small command-line parser: "--name value", "--name=value", repeated options and flags.
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dacw::cli {

/// A usage mistake: the command prints it with the subcommand's help and exits with code 2.
class UsageError : public std::runtime_error {
public:
    explicit UsageError(const std::string& w) : std::runtime_error(w) {}
};

class Args {
public:
    /// `flags` take no value; every other "--x" takes one.
    Args(const std::vector<std::string>& argv, const std::vector<std::string>& flags);

    bool has(const std::string& name) const { return values_.count(name) > 0; }
    bool flag(const std::string& name) const { return has(name); }
    std::string get(const std::string& name, const std::string& def = {}) const;
    std::string require(const std::string& name) const;
    std::vector<std::string> all(const std::string& name) const;
    int getInt(const std::string& name, int def) const;
    double getDouble(const std::string& name, double def) const;
    const std::vector<std::string>& positional() const { return positional_; }
    /// Throws UsageError for an option not in `known`.
    void allowOnly(const std::vector<std::string>& known) const;

private:
    std::map<std::string, std::vector<std::string>> values_;
    std::vector<std::string> positional_;
};

}  // namespace dacw::cli
