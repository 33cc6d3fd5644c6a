#include "Console.h"

#include <cmath>
#include <csignal>
#include <cstdio>

namespace dacw::cli {
namespace {

std::atomic<bool> gInterrupted{false};
extern "C" void onInterrupt(int) { gInterrupted.store(true); }

}  // namespace

std::atomic<bool>& interrupted() { return gInterrupted; }

void stopOnInterrupt(bool alsoTerminate) {
    std::signal(SIGINT, onInterrupt);
    if (alsoTerminate) std::signal(SIGTERM, onInterrupt);
}

std::string duration(double s) {
    if (!std::isfinite(s) || s < 0) return "--:--";
    const long t = std::lround(s);
    char buf[32];
    if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else std::snprintf(buf, sizeof buf, "%02ld:%02ld", t / 60, t % 60);
    return buf;
}

}  // namespace dacw::cli
