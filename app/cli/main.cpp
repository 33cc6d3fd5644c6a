// dacw: the command-line face of DAC Workbench. Exit codes: 0 ok, 1 bad input, 2 usage.
#include <iostream>
#include <string>
#include <vector>

#include "Args.h"
#include "Commands.h"
#include "core/util/Errors.h"

using namespace dacw::cli;

namespace {

void printOverview(const std::vector<Command>& cmds, std::ostream& out) {
    out << "dacw - DAC Workbench command line (dual-supervised asymmetric co-training)\n\n"
           "Usage: dacw <command> [options]     dacw <command> --help\n\nCommands:\n";
    for (const auto& c : cmds) {
        std::string n = c.name;
        n.resize(20, ' ');
        out << "  " << n << c.summary << "\n";
    }
    out << "\nExit codes: 0 success, 1 bad input (files, folders, data), 2 usage error.\n";
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<Command> cmds = dataCommands();
    for (auto& c : trainCommands()) cmds.push_back(std::move(c));
    for (auto& c : experimentCommands()) cmds.push_back(std::move(c));
    for (auto& c : pretrainCommands()) cmds.push_back(std::move(c));
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        printOverview(cmds, args.empty() ? std::cerr : std::cout);
        return args.empty() ? kUsage : kOk;
    }
    if (args[0] == "--version") {
        std::cout << "dacw 0.1.0\n";
        return kOk;
    }
    // Longest match: "dataset validate" before "dataset".
    const Command* chosen = nullptr;
    std::size_t used = 0;
    for (const auto& c : cmds) {
        std::vector<std::string> words;
        for (std::size_t p = 0, q; p <= c.name.size(); p = q + 1) {
            q = c.name.find(' ', p);
            if (q == std::string::npos) q = c.name.size();
            words.push_back(c.name.substr(p, q - p));
        }
        if (words.size() > args.size() || words.size() <= used) continue;
        if (std::equal(words.begin(), words.end(), args.begin())) {
            chosen = &c;
            used = words.size();
        }
    }
    if (!chosen) {
        // "dacw dataset" alone: list its subcommands.
        bool group = false;
        for (const auto& c : cmds)
            if (c.name.rfind(args[0] + " ", 0) == 0) {
                if (!group) std::cerr << "dacw " << args[0] << ": choose a subcommand:\n";
                group = true;
                std::cerr << "  dacw " << c.name << "  - " << c.summary << "\n";
            }
        if (!group) {
            std::cerr << "dacw: unknown command '" << args[0] << "'\n\n";
            printOverview(cmds, std::cerr);
        }
        return kUsage;
    }
    std::vector<std::string> rest(args.begin() + long(used), args.end());
    for (const auto& a : rest)
        if (a == "--help" || a == "-h") {
            std::cout << chosen->help;
            return kOk;
        }
    try {
        return chosen->run(rest);
    } catch (const UsageError& e) {
        std::cerr << "dacw " << chosen->name << ": " << e.what() << "\n\n" << chosen->help;
        return kUsage;
    } catch (const dacw::InputError& e) {
        std::cerr << "dacw " << chosen->name << ": error: " << e.what() << "\n";
        return kBadInput;
    } catch (const std::exception& e) {
        // Anything else reaching here is still reported as bad input rather than a crash: the
        // message names what failed.
        std::cerr << "dacw " << chosen->name << ": error: " << e.what() << "\n";
        return kBadInput;
    }
}
