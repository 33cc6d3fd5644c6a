#pragma once
#include <functional>
#include <string>
#include <vector>

namespace dacw::cli {

struct Command {
    std::string name;      // "info", "dataset validate"
    std::string summary;   // one line for `dacw --help`
    std::string help;      // full usage text
    std::function<int(const std::vector<std::string>&)> run;
};

std::vector<Command> dataCommands();   // info, dataset validate, demo
std::vector<Command> trainCommands();  // train, predict, evaluate
std::vector<Command> experimentCommands();  // experiment
std::vector<Command> pretrainCommands();  // pretrain

enum ExitCode { kOk = 0, kBadInput = 1, kUsage = 2 };

}  // namespace dacw::cli
