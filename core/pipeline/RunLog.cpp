#include "core/pipeline/RunLog.h"

#include <chrono>
#include <ctime>

namespace dacw {

RunLog::RunLog(const std::filesystem::path& file, std::function<void(const std::string&)> message)
    : message_(std::move(message)) {
    if (!file.empty()) out_.open(file, std::ios::app);
}

void RunLog::operator()(const std::string& line) {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    char stamp[32];
    std::tm local{};
    localtime_r(&now, &local);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
    if (out_.is_open()) {
        out_ << stamp << "  " << line << "\n";
        out_.flush();
    }
    if (message_) message_(line);
}

}  // namespace dacw
