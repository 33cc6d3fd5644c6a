#pragma once
// Reading and writing images and label maps through ITK's ImageIO factory.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "core/image/Image.h"

namespace dacw {

struct ReadOptions {
    /// Largest decoded size accepted for one image, in bytes (checked from the header, before any
    /// pixel is allocated). 0 means the default: 2 GiB, or DACW_MAX_IMAGE_BYTES if set.
    std::size_t maxBytes = 0;
};

/// What a header says, without decoding pixels.
struct ImageInfo {
    Geometry geometry;
    int components = 1;
    PixelType pixelType = PixelType::Unknown;
    std::string format;   // "PNG", "NIfTI", "DICOM", ...
};

/// Throws InputError with a message naming the file for: missing, empty, unreadable, unknown
/// format, truncated, or over budget.
ImageInfo readImageInfo(const std::filesystem::path& file, const ReadOptions& opt = {});
Image readImage(const std::filesystem::path& file, const ReadOptions& opt = {});
/// Writes by extension (.nii, .nii.gz, .mha, .nrrd, .png, .tif ...), original pixel type kept
/// where the format allows it.
void writeImage(const Image& img, const std::filesystem::path& file);

/// Label maps: any integer image whose values fit 0..255; written as NIfTI (volumes) or PNG.
LabelMap readLabelMap(const std::filesystem::path& file, const ReadOptions& opt = {});
/// Writes atomically (temporary file, then rename).
void writeLabelMap(const LabelMap& labels, const std::filesystem::path& file);

struct DicomSeries {
    std::string uid;
    std::string description;
    std::vector<std::filesystem::path> files;  // ordered by slice position
};
/// All DICOM series in a folder (not recursive). Empty when none.
std::vector<DicomSeries> listDicomSeries(const std::filesystem::path& dir);
/// Reads one series (the first when uid is empty) as a 3D volume.
Image readDicomSeries(const std::filesystem::path& dir, const std::string& uid = {}, const ReadOptions& opt = {});
/// Reads a file, or a folder holding a DICOM series.
Image readImageOrSeries(const std::filesystem::path& path, const ReadOptions& opt = {});

bool looksLikeImageFile(const std::filesystem::path& file);  // by extension

}  // namespace dacw
