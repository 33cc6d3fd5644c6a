#include "Commands.h"

namespace dacw::cli {
std::vector<Command> trainCommands() { return {}; }
}  // namespace dacw::cli
