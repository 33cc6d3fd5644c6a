#pragma once
// The one image type of DAC Workbench: 2D or 3D, scalar or multi-component (RGB/RGBA),
// with the physical geometry ITK reads and the pixel type the file had on disk.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dacw {

enum class PixelType { UInt8, Int8, UInt16, Int16, UInt32, Int32, UInt64, Int64, Float32, Float64, Unknown };
std::string toString(PixelType t);

/// Physical placement of a voxel grid. 2D images have dimension 2 and size[2] == 1.
struct Geometry {
    int dimension = 2;
    std::array<std::size_t, 3> size{0, 0, 1};
    std::array<double, 3> spacing{1.0, 1.0, 1.0};
    std::array<double, 3> origin{0.0, 0.0, 0.0};
    std::array<double, 9> direction{1, 0, 0, 0, 1, 0, 0, 0, 1};  // row-major 3x3

    std::size_t voxelCount() const { return size[0] * size[1] * size[2]; }
    bool sameGrid(const Geometry& o, double tol = 1e-4) const;  // size, spacing, origin, direction
    bool sameSize(const Geometry& o) const { return size == o.size; }
    std::string describe() const;  // "512 x 512 x 1, spacing 1 x 1 x 1 mm"
};

/// Intensities stored as float, components interleaved, x fastest, then y, then z:
/// value(x,y,z,c) = data[((z*ny + y)*nx + x)*components + c].
class Image {
public:
    Image() = default;
    Image(const Geometry& g, int components, PixelType original = PixelType::Float32);

    const Geometry& geometry() const { return geom_; }
    Geometry& geometry() { return geom_; }
    int components() const { return components_; }
    PixelType originalPixelType() const { return original_; }
    void setOriginalPixelType(PixelType t) { original_ = t; }
    bool isRgb() const { return components_ >= 3; }
    bool empty() const { return data_.empty(); }

    std::size_t width() const { return geom_.size[0]; }
    std::size_t height() const { return geom_.size[1]; }
    std::size_t depth() const { return geom_.size[2]; }

    float& at(std::size_t x, std::size_t y, std::size_t z = 0, int c = 0) {
        return data_[((z * geom_.size[1] + y) * geom_.size[0] + x) * components_ + c];
    }
    float at(std::size_t x, std::size_t y, std::size_t z = 0, int c = 0) const {
        return data_[((z * geom_.size[1] + y) * geom_.size[0] + x) * components_ + c];
    }
    std::vector<float>& data() { return data_; }
    const std::vector<float>& data() const { return data_; }

    /// Minimum and maximum over all voxels and components.
    std::pair<float, float> range() const;

private:
    Geometry geom_;
    int components_ = 1;
    PixelType original_ = PixelType::Float32;
    std::vector<float> data_;
};

/// Integer label volume sharing an image's geometry; 0 is background.
class LabelMap {
public:
    using Value = std::uint8_t;
    LabelMap() = default;
    explicit LabelMap(const Geometry& g, Value fill = 0) : geom_(g), data_(g.voxelCount(), fill) {}

    const Geometry& geometry() const { return geom_; }
    Geometry& geometry() { return geom_; }
    std::size_t width() const { return geom_.size[0]; }
    std::size_t height() const { return geom_.size[1]; }
    std::size_t depth() const { return geom_.size[2]; }
    bool empty() const { return data_.empty(); }

    Value& at(std::size_t x, std::size_t y, std::size_t z = 0) {
        return data_[(z * geom_.size[1] + y) * geom_.size[0] + x];
    }
    Value at(std::size_t x, std::size_t y, std::size_t z = 0) const {
        return data_[(z * geom_.size[1] + y) * geom_.size[0] + x];
    }
    std::vector<Value>& data() { return data_; }
    const std::vector<Value>& data() const { return data_; }

    /// Sorted distinct values present.
    std::vector<Value> values() const;
    bool operator==(const LabelMap& o) const { return geom_.sameGrid(o.geom_) && data_ == o.data_; }

private:
    Geometry geom_;
    std::vector<Value> data_;
};

}  // namespace dacw
