#include "Console.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

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

ProgressPrinter::ProgressPrinter() : tty(::isatty(STDERR_FILENO) != 0) {}

void ProgressPrinter::operator()(const train::Progress& p) {
    const double frac = p.total ? double(p.iteration) / double(p.total) : 0.0;
    auto loss = p.losses.count("total") ? p.losses.at("total") : NAN;
    std::ostringstream s;
    s << std::fixed << std::setprecision(3);
    if (tty) {
        const int width = 28, fill = int(frac * width);
        s << "\r[" << std::string(std::size_t(fill), '#') << std::string(std::size_t(width - fill), '.') << "] " << p.iteration << "/"
          << p.total << " loss " << loss << " " << std::setprecision(1) << p.imagesPerSecond << " img/s ETA "
          << duration(p.etaSeconds) << "   ";
        std::cerr << s.str() << std::flush;
        if (p.iteration == p.total) std::cerr << "\n";
    } else {
        const long long step = std::max<long long>(1, p.total / 20);
        if (p.iteration / step != lastPlain || p.iteration == p.total) {
            lastPlain = p.iteration / step;
            s << "iteration " << p.iteration << "/" << p.total << " loss " << loss << " lr " << std::setprecision(6) << p.lr
              << std::setprecision(1) << " " << p.imagesPerSecond << " img/s ETA " << duration(p.etaSeconds);
            // One write per line (std::cerr is unbuffered): a reader of the pipe or log file gets
            // whole lines, as they happen.
            std::cerr << s.str() + "\n";
        }
    }
    if (p.validated)
        for (const auto& [sub, doms] : p.validation)
            for (const auto& [dom, vals] : doms) {
                std::ostringstream v;
                v << (tty ? "\n" : "") << "  validation " << sub << " " << dom << ":";
                for (double d : vals) v << " " << std::fixed << std::setprecision(3) << d;
                std::cerr << v.str() + "\n";
            }
}

}  // namespace dacw::cli
