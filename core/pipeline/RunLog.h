#pragma once
// log.txt of a run: time-stamped lines, appended and flushed one by one (a kill loses at most the
// line being written), each also passed to the observer (the GUI's log tab, the CLI's stderr).
// An empty file name writes no file (ranks other than 0 of a distributed run).
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

namespace dacw {

class RunLog {
public:
    RunLog(const std::filesystem::path& file, std::function<void(const std::string&)> message);
    void operator()(const std::string& line);

private:
    std::ofstream out_;
    std::function<void(const std::string&)> message_;
};

}  // namespace dacw
