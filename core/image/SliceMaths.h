#pragma once
// The pixel maths of a slice view, without any rendering: the pixels of one slice of an image or
// a label map, the outlines of label regions, and the default window/level. Plain C++ (no VTK,
// no Qt): viewers/SliceViewPipeline writes the results straight into its VTK layers, and the unit
// tests check them without a display.
//
// The extractors write into a buffer the caller owns (width * height pixels of the frame, u
// fastest), so that the pipeline fills a vtkImageData without an intermediate copy.
#include <cstddef>
#include <cstdint>
#include <utility>

#include "core/image/Image.h"
#include "core/image/SliceGeometry.h"

namespace dacw {

/// The intensities of slice f, one float per pixel: the first component of each voxel.
void extractGraySlice(const Image& img, const SliceFrame& f, float* dst);
/// The colours of slice f of an RGB(A) image, 3 bytes per pixel: each of the first three
/// components clamped to 0..255 and rounded to the nearest integer (alpha is dropped).
void extractRgbSlice(const Image& img, const SliceFrame& f, std::uint8_t* dst);
/// The label values of slice f, one byte per pixel.
void extractLabelSlice(const LabelMap& m, const SliceFrame& f, std::uint8_t* dst);

/// Turns a label slice (width * height bytes, u fastest) into the outlines of its regions: a
/// labelled pixel is kept when one of its 4 neighbours has another value or when it lies on the
/// slice edge; the other labelled pixels become 0.
void keepLabelOutlines(std::uint8_t* pixels, std::size_t width, std::size_t height);
/// Outlines as dashes: keepLabelOutlines, then outline pixels are kept in runs of `period`
/// pixels and dropped in the next `period` (by u + v, so that edges of every direction are
/// dashed). Predictions are drawn so, beside labels drawn filled or as solid outlines.
void keepDashedLabelOutlines(std::uint8_t* pixels, std::size_t width, std::size_t height, std::size_t period = 3);

/// The window/level an image is first shown with: the 0.5 % .. 99.5 % percentiles of its
/// intensities (window, level = width and centre of that range; a window of at least 1e-3), or
/// 0..255 for 8-bit, RGB and empty images.
std::pair<double, double> automaticWindowLevel(const Image& img);

}  // namespace dacw
