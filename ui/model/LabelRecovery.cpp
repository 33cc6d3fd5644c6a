#include "ui/model/LabelRecovery.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/image/ImageIO.h"
#include "core/util/Paths.h"

namespace dacw {

namespace fs = std::filesystem;

namespace {
constexpr const char* kSource = "source.txt";
constexpr const char* kLabels = "labels.nii.gz";
constexpr const char* kOwner = "owner.lock";

fs::path absoluteOf(const fs::path& p) {
    std::error_code ec;
    const fs::path a = fs::weakly_canonical(fs::absolute(p, ec), ec);
    return ec ? p : a;
}
}  // namespace

struct LabelRecovery::Claims {
    std::map<fs::path, int> fds;
    ~Claims() {
        for (const auto& [folder, fd] : fds) ::close(fd);
    }
};

LabelRecovery::LabelRecovery(fs::path root) : root_(std::move(root)), claims_(std::make_shared<Claims>()) {}

void LabelRecovery::claim(const fs::path& folder) const {
    if (claims_->fds.count(folder)) return;
    std::error_code ec;
    fs::create_directories(folder, ec);  // a failure is reported by the save job itself
    const int fd = ::open((folder / kOwner).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);  // another workbench writes the same image's entry: both keep writing it
        return;
    }
    claims_->fds[folder] = fd;
}

void LabelRecovery::release(const fs::path& folder) const {
    auto it = claims_->fds.find(folder);
    if (it == claims_->fds.end()) return;
    ::close(it->second);
    claims_->fds.erase(it);
}

bool LabelRecovery::claimed(const fs::path& image) const { return claims_->fds.count(folderFor(image)) > 0; }

fs::path LabelRecovery::folderFor(const fs::path& image) const {
    // A readable prefix (the file name) and a hash of the full path keep entries apart.
    const fs::path a = absoluteOf(image);
    std::ostringstream key;
    std::string stem = a.filename().string();
    std::replace_if(
        stem.begin(), stem.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_'; },
        '_');
    key << stem.substr(0, 40) << '-' << std::hex << std::hash<std::string>{}(a.string());
    return root_ / key.str();
}

BackgroundWriter::Job LabelRecovery::saveJob(const fs::path& image, const LabelMap& labels) const {
    auto copy = std::make_shared<LabelMap>(labels);
    claim(folderFor(image));
    return [folder = folderFor(image), source = absoluteOf(image), copy]() -> std::string {
        try {
            std::error_code ec;
            fs::create_directories(folder, ec);
            if (ec) return "Cannot create the recovery folder " + folder.string() + " (" + ec.message() + ").";
            // The label map first: an entry counts once source.txt names its image.
            writeLabelMap(*copy, folder / kLabels);
            writeTextAtomically(folder / kSource, source.string() + "\n");
            return {};
        } catch (const std::exception& e) {
            return std::string("Could not write the recovery copy of the labels: ") + e.what();
        }
    };
}

std::vector<RecoveredLabels> LabelRecovery::entries() const {
    std::vector<RecoveredLabels> out;
    std::error_code ec;
    if (root_.empty() || !fs::is_directory(root_, ec)) return out;
    for (fs::directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path folder = it->path();
        std::ifstream in(folder / kSource);
        std::string line;
        if (!in || !std::getline(in, line) || line.empty() || !fs::is_regular_file(folder / kLabels, ec)) continue;
        // Claimed by another running workbench: its live work, not left behind.
        const int fd = claims_->fds.count(folder) ? -1 : ::open((folder / kOwner).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0;
            ::close(fd);
            if (held) continue;
        }
        RecoveredLabels r;
        r.image = line;
        r.labels = folder / kLabels;
        r.written = fs::last_write_time(r.labels, ec);
        out.push_back(std::move(r));
    }
    std::sort(out.begin(), out.end(), [](const RecoveredLabels& a, const RecoveredLabels& b) { return a.written > b.written; });
    return out;
}

void LabelRecovery::discard(const fs::path& image) const {
    std::error_code ec;
    if (root_.empty()) return;
    const fs::path folder = folderFor(image);
    release(folder);
    fs::remove_all(folder, ec);
}

}  // namespace dacw
