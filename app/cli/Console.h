#pragma once
// What the long-running commands (train, experiment, pretrain) share on the terminal: Ctrl-C,
// which stops a run within one iteration, durations, and the progress line of a training run.
#include <atomic>
#include <string>

#include "core/train/Progress.h"

namespace dacw::cli {

/// Set once SIGINT (or SIGTERM, see stopOnInterrupt) arrived: the commands hand it to the trainer
/// as its cancel flag.
std::atomic<bool>& interrupted();
/// From now on SIGINT, and with `alsoTerminate` SIGTERM, set interrupted() instead of ending the
/// process.
void stopOnInterrupt(bool alsoTerminate = true);

/// Seconds as mm:ss, h:mm:ss from an hour on; "--:--" when unknown or negative.
std::string duration(double seconds);

/// A one-line progress bar on a terminal, a plain line every few percent otherwise.
struct ProgressPrinter {
    bool tty = false;
    long long lastPlain = -1;
    ProgressPrinter();
    void operator()(const train::Progress& p);
};

}  // namespace dacw::cli
