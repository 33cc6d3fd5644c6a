#include "ui/model/LabelDescription.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/util/Paths.h"

namespace dacw {

namespace {
std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) out += c == '"' ? '\'' : c;
    return out + "\"";
}
}  // namespace

std::string itkSnapLabelDescription(const std::vector<LabelDisplay>& labels) {
    std::ostringstream s;
    s << "################################################\n"
         "# ITK-SnAP Label Description File\n"
         "# File format: \n"
         "# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL\n"
         "# Fields: \n"
         "#    IDX:   Zero-based index \n"
         "#    -R-:   Red color component (0..255)\n"
         "#    -G-:   Green color component (0..255)\n"
         "#    -B-:   Blue color component (0..255)\n"
         "#    -A-:   Label transparency (0.00 .. 1.00)\n"
         "#    VIS:   Label visibility (0 or 1)\n"
         "#    MSH:   Label mesh visibility (0 or 1)\n"
         "#  LABEL:   Label description \n"
         "################################################\n";
    char line[256];
    std::snprintf(line, sizeof line, "%5d %5d %4d %4d %8.2f %2d %2d    ", 0, 0, 0, 0, 0.0, 0, 0);
    s << line << quoted("Clear Label") << "\n";
    for (const auto& l : labels) {
        std::snprintf(line, sizeof line, "%5d %5d %4d %4d %8.2f %2d %2d    ", l.info.value, l.info.color[0], l.info.color[1],
                      l.info.color[2], l.opacity, l.visible ? 1 : 0, 1);
        s << line << quoted(l.info.name) << "\n";
    }
    return s.str();
}

std::string slicerColorTable(const std::vector<LabelDisplay>& labels) {
    std::ostringstream s;
    s << "# Color table file written by DAC Workbench\n";
    s << "# " << labels.size() + 1 << " values\n";
    s << "0 Background 0 0 0 0\n";
    for (const auto& l : labels) {
        std::string name = l.info.name;
        for (char& c : name)
            if (c == ' ') c = '_';  // Slicer's table is whitespace-separated
        s << int(l.info.value) << ' ' << name << ' ' << int(l.info.color[0]) << ' ' << int(l.info.color[1]) << ' '
          << int(l.info.color[2]) << ' ' << (l.visible ? 255 : 0) << "\n";
    }
    return s.str();
}

std::vector<LabelDisplay> parseItkSnapLabelDescription(const std::string& text) {
    std::vector<LabelDisplay> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ls(line);
        int idx, r, g, b, vis, msh;
        double a;
        if (!(ls >> idx >> r >> g >> b >> a >> vis >> msh) || idx <= 0 || idx > 255) continue;
        const auto q0 = line.find('"'), q1 = line.rfind('"');
        LabelDisplay l;
        // Out-of-range fields are clamped (a hand-edited 300 is full red, not 300 mod 256 = 44; an
        // opacity of 5 or -1 is 1 or 0, NaN is opaque): the viewers take colours 0..255 and
        // opacities 0..1 only.
        const auto channel = [](int v) { return static_cast<std::uint8_t>(std::clamp(v, 0, 255)); };
        l.info.value = static_cast<std::uint8_t>(idx);
        l.info.color = {channel(r), channel(g), channel(b)};
        l.info.name = q0 != std::string::npos && q1 > q0 ? line.substr(q0 + 1, q1 - q0 - 1) : std::to_string(idx);
        l.opacity = std::isnan(a) ? 1.0 : std::clamp(a, 0.0, 1.0);
        l.visible = vis != 0;
        out.push_back(l);
    }
    return out;
}

void writeLabelDescriptions(const std::filesystem::path& folder, const std::vector<LabelDisplay>& labels) {
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    writeTextAtomically(folder / "labels.txt", itkSnapLabelDescription(labels));
    writeTextAtomically(folder / "labels.ctbl", slicerColorTable(labels));
}

}  // namespace dacw
