#include "ui/model/LabelRecovery.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

#include "core/image/ImageIO.h"
#include "core/util/Paths.h"

namespace dacw {

namespace fs = std::filesystem;

namespace {
constexpr const char* kSource = "source.txt";
constexpr const char* kLabels = "labels.nii.gz";

fs::path absoluteOf(const fs::path& p) {
    std::error_code ec;
    const fs::path a = fs::weakly_canonical(fs::absolute(p, ec), ec);
    return ec ? p : a;
}
}  // namespace

LabelRecovery::LabelRecovery(fs::path root) : root_(std::move(root)) {}

fs::path LabelRecovery::folderFor(const fs::path& image) const {
    // A readable prefix (the file name) and a hash of the full path keep entries apart.
    const fs::path a = absoluteOf(image);
    std::ostringstream key;
    std::string stem = a.filename().string();
    std::replace_if(stem.begin(), stem.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_'; }, '_');
    key << stem.substr(0, 40) << '-' << std::hex << std::hash<std::string>{}(a.string());
    return root_ / key.str();
}

BackgroundWriter::Job LabelRecovery::saveJob(const fs::path& image, const LabelMap& labels) const {
    auto copy = std::make_shared<LabelMap>(labels);
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
    if (!root_.empty()) fs::remove_all(folderFor(image), ec);
}

}  // namespace dacw
