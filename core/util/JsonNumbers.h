#pragma once
// Integers of the workbench's JSON files (project files, run folders, metrics.json) read with
// their range checked. nlohmann's get<int>() of 1e10 converts a double that does not fit
// (undefined behaviour), and get<std::uint8_t>() of 300 wraps to 44: a label value or a count
// read from a damaged file must be refused instead. The errors are nlohmann exceptions
// (type_error, out_of_range) naming the field, which each reader reports as an InputError that
// names the file.
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

namespace dacw::jsonnum {

/// `j` as an integer of type T in [lo, hi]: a JSON integer, or a number with an integral value
/// (3.0). `what` names the field in the error.
template <class T>
T integerIn(const nlohmann::json& j, const std::string& what, long long lo, unsigned long long hi) {
    using nlohmann::json;
    if (j.is_number_unsigned()) {
        const auto v = j.get<unsigned long long>();
        if (v <= hi && (lo <= 0 || v >= static_cast<unsigned long long>(lo))) return static_cast<T>(v);
    } else if (j.is_number_integer()) {
        const auto v = j.get<long long>();
        if (v >= lo && (v < 0 || static_cast<unsigned long long>(v) <= hi)) return static_cast<T>(v);
    } else if (j.is_number_float()) {
        const double d = j.get<double>();
        if (std::isfinite(d) && d == std::floor(d) && d >= double(lo) && d <= double(hi))
            return d < 0 ? static_cast<T>(static_cast<long long>(d)) : static_cast<T>(static_cast<unsigned long long>(d));
    } else {
        throw json::type_error::create(302, what + " must be a number, not " + j.type_name(), &j);
    }
    throw json::out_of_range::create(406, what + " = " + j.dump() + " is not an integer in " + std::to_string(lo) + ".." +
                                              std::to_string(hi), &j);
}

/// The integer at `key` of the object `j` (integerIn), or `fallback` when there is no such key.
template <class T>
T integerOr(const nlohmann::json& j, const char* key, T fallback, long long lo, unsigned long long hi) {
    if (!j.is_object()) throw nlohmann::json::type_error::create(306, std::string("cannot read '") + key + "' of a " + j.type_name(), &j);
    const auto it = j.find(key);
    return it == j.end() ? fallback : integerIn<T>(*it, key, lo, hi);
}

}  // namespace dacw::jsonnum
