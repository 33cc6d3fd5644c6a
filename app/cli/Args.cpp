#include "Args.h"

#include <algorithm>

namespace dacw::cli {

Args::Args(const std::vector<std::string>& argv, const std::vector<std::string>& flags) {
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
            std::string name = a.substr(2), value;
            auto eq = name.find('=');
            if (eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
            } else if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
                value = "1";
            } else {
                if (i + 1 >= argv.size()) throw UsageError("option --" + name + " needs a value");
                value = argv[++i];
            }
            values_[name].push_back(value);
        } else if (a == "-h") {
            values_["help"].push_back("1");
        } else {
            positional_.push_back(a);
        }
    }
}

std::string Args::get(const std::string& name, const std::string& def) const {
    auto it = values_.find(name);
    return it == values_.end() ? def : it->second.back();
}

std::string Args::require(const std::string& name) const {
    if (!has(name)) throw UsageError("missing required option --" + name);
    return get(name);
}

std::vector<std::string> Args::all(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
}

int Args::getInt(const std::string& name, int def) const {
    if (!has(name)) return def;
    const std::string v = get(name);
    try {
        std::size_t pos = 0;
        int x = std::stoi(v, &pos);
        if (pos != v.size()) throw std::invalid_argument(v);
        return x;
    } catch (const std::exception&) {
        throw UsageError("--" + name + " expects an integer, got '" + v + "'");
    }
}

double Args::getDouble(const std::string& name, double def) const {
    if (!has(name)) return def;
    const std::string v = get(name);
    try {
        std::size_t pos = 0;
        double x = std::stod(v, &pos);
        if (pos != v.size()) throw std::invalid_argument(v);
        return x;
    } catch (const std::exception&) {
        throw UsageError("--" + name + " expects a number, got '" + v + "'");
    }
}

void Args::allowOnly(const std::vector<std::string>& known) const {
    for (const auto& [name, v] : values_)
        if (name != "help" && std::find(known.begin(), known.end(), name) == known.end())
            throw UsageError("unknown option --" + name);
}

}  // namespace dacw::cli
