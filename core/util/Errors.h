#pragma once
#include <stdexcept>
#include <string>

namespace dacw {

/// Bad input from the user's files or arguments: the message is shown as is, and the command
/// line exits with code 1. Code that catches it must leave every earlier state untouched.
class InputError : public std::runtime_error {
public:
    explicit InputError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace dacw
