#pragma once
// The lines `dacw train --json` writes on standard output (one JSON object each: progress,
// validation, message, finished, cancelled), read back into the trainer's own torch-free
// reports, so that a run in child processes reaches the dashboard like one in the workbench.
#include <string>
#include <vector>

#include "core/train/Progress.h"

namespace dacw {

struct TrainEvent {
    enum class Kind { None, Progress, Validation, Message, Finished, Cancelled };
    Kind kind = Kind::None;  // None: not such a line (a stray print, a partial line)
    /// Progress: iteration, total, losses, lr, throughput, ETA; `validated` when validation
    /// events of the same iteration follow. Validation: iteration and validation[sub][domain].
    train::Progress progress;
    std::string text;         // Message: the log line
    long long iteration = 0;  // every kind but Message
};

TrainEvent parseTrainEvent(const std::string& line);

/// Joins a progress event and the validation events after it into one report, as the trainer
/// made it. A report with validation is held until the next event shows it is complete.
class TrainEventJoiner {
public:
    /// The reports that are complete after `e` (none, one, or the held one and this one).
    std::vector<train::Progress> add(const TrainEvent& e);
    /// The report held back, if any (at the end of the output).
    std::vector<train::Progress> flush();

private:
    train::Progress held_;
    bool holding_ = false;
};

}  // namespace dacw
