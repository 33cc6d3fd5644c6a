#include "core/image/Image.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace dacw {

std::string toString(PixelType t) {
    switch (t) {
    case PixelType::UInt8: return "uint8";
    case PixelType::Int8: return "int8";
    case PixelType::UInt16: return "uint16";
    case PixelType::Int16: return "int16";
    case PixelType::UInt32: return "uint32";
    case PixelType::Int32: return "int32";
    case PixelType::UInt64: return "uint64";
    case PixelType::Int64: return "int64";
    case PixelType::Float32: return "float32";
    case PixelType::Float64: return "float64";
    case PixelType::Unknown: break;
    }
    return "unknown";
}

bool Geometry::sameGrid(const Geometry& o, double tol) const {
    if (size != o.size) return false;
    for (int i = 0; i < 3; ++i) {
        if (std::abs(spacing[i] - o.spacing[i]) > tol * std::max(1.0, std::abs(spacing[i]))) return false;
        if (std::abs(origin[i] - o.origin[i]) > tol * std::max(1.0, std::abs(origin[i]))) return false;
    }
    for (int i = 0; i < 9; ++i)
        if (std::abs(direction[i] - o.direction[i]) > tol) return false;
    return true;
}

std::string Geometry::describe() const {
    std::ostringstream s;
    s << size[0] << " x " << size[1];
    if (dimension == 3) s << " x " << size[2];
    s << " voxels, spacing " << spacing[0] << " x " << spacing[1];
    if (dimension == 3) s << " x " << spacing[2];
    s << " mm";
    return s.str();
}

Image::Image(const Geometry& g, int components, PixelType original)
    : geom_(g), components_(components), original_(original),
      data_(g.voxelCount() * static_cast<std::size_t>(components), 0.0f) {}

std::pair<float, float> Image::range() const {
    if (data_.empty()) return {0.0f, 0.0f};
    auto [lo, hi] = std::minmax_element(data_.begin(), data_.end());
    return {*lo, *hi};
}

std::vector<LabelMap::Value> LabelMap::values() const {
    bool seen[256] = {};
    for (Value v : data_) seen[v] = true;
    std::vector<Value> out;
    for (int v = 0; v < 256; ++v)
        if (seen[v]) out.push_back(static_cast<Value>(v));
    return out;
}

}  // namespace dacw
