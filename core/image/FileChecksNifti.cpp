// The NIfTI checks (image/FileCheckParts.h).
#include "core/image/FileCheckParts.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/util/Errors.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;

namespace dacw::checks {
/// ITK's NIfTI reader fills the voxels a short file lacks and reports success: a silently wrong volume.
/// So the voxel data the header declares (vox_offset + prod(dim) * bitpix / 8) is measured against the
/// file; a .nii.gz is decompressed as a stream (nothing kept) for that, and only with `payload`.
/// The header's geometry must be finite: ITK takes the SVD of the orientation matrix it builds from
/// the voxel sizes and the quaternion (qform_code > 0) or the affine rows (sform_code > 0), and
/// VNL aborts the process on a matrix with a NaN or an infinity.
void checkNiftiPayload(const fs::path& file, std::size_t budget, bool payload) {
    const std::string ext = lowerExtension(file);
    if (ext != ".nii" && ext != ".nii.gz") return;
    unsigned char h[540] = {};
    const bool gz = ext == ".nii.gz";
    const std::size_t n = readHead(file, h, sizeof h);
    if (n < 348) return;  // ITK refuses the header
    // The byte order is whichever makes sizeof_hdr 348 (NIfTI-1) or 540 (NIfTI-2). nifticlib goes by
    // the magic as well: a NIfTI-1 magic with another sizeof_hdr is read too, in the byte order that
    // makes dim[0] 1..7.
    bool swap = false;
    int version = 0;
    for (bool s : {false, true}) {
        const std::uint32_t v = s ? be32(h) : le32(h);
        if (v == 348 || (v == 540 && n >= 540)) {
            swap = s;
            version = v == 348 ? 1 : 2;
            break;
        }
    }
    // nifticlib's NIFTI_VERSION: "n+D" or "niD" and a NUL, D any digit 1..9.
    const auto niftiMagic = [](const unsigned char* m) {
        return m[0] == 'n' && (m[1] == '+' || m[1] == 'i') && m[2] >= '1' && m[2] <= '9' && m[3] == '\0';
    };
    if (version == 0 && niftiMagic(h + 344)) {
        version = 1;
        const std::uint16_t dim0 = le16(h + 40);
        swap = !(dim0 >= 1 && dim0 <= 7);
    }
    if (version == 0) return;
    const auto u16 = [&](std::size_t at) { return swap ? std::uint16_t((h[at] << 8) | h[at + 1]) : le16(h + at); };
    const auto u32 = [&](std::size_t at) { return swap ? be32(h + at) : le32(h + at); };
    const auto u64 = [&](std::size_t at) {
        return swap ? (std::uint64_t(be32(h + at)) << 32) | be32(h + at + 4)
                    : (std::uint64_t(le32(h + at + 4)) << 32) | le32(h + at);
    };
    const auto f32 = [&](std::size_t at) {
        const std::uint32_t bits = u32(at);
        float v;
        std::memcpy(&v, &bits, 4);
        return double(v);
    };
    const auto f64 = [&](std::size_t at) {
        const std::uint64_t bits = u64(at);
        double v;
        std::memcpy(&v, &bits, 8);
        return v;
    };
    {
        // Voxel sizes x, y, z; quatern_b, c, d and qoffset_x, y, z; srow_x, srow_y, srow_z.
        // Analyze 7.5 (no NIfTI magic) has other fields there, which nifticlib ignores.
        const bool one = version == 1;
        const unsigned char* magic = one ? h + 344 : h + 4;
        const bool nifti = niftiMagic(magic);
        const int qform = !nifti ? 0 : one ? std::int16_t(u16(252)) : std::int32_t(u32(344));
        const int sform = !nifti ? 0 : one ? std::int16_t(u16(254)) : std::int32_t(u32(348));
        std::vector<double> values;
        for (int i = 1; i <= 3; ++i) values.push_back(one ? f32(76 + 4 * i) : f64(104 + 8 * i));
        if (qform > 0)
            for (int i = 0; i < 6; ++i) values.push_back(one ? f32(256 + 4 * i) : f64(352 + 8 * i));
        if (sform > 0)
            for (int i = 0; i < 12; ++i) values.push_back(one ? f32(280 + 4 * i) : f64(400 + 8 * i));
        // Finite, and far from float's limits (real values are millimetres): ITK multiplies and
        // normalises them in float, where 1e38 overflows into an infinity.
        if (!std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v) && std::abs(v) <= 1e12; }))
            throw InputError("Cannot read " + file.string() + ": a damaged NIfTI header, its voxel size or orientation "
                             "holds a value that is not a number (NaN or infinite) or is beyond 1e12");
    }
    if (gz && !payload) return;
    double voxels = 1, offset;
    int bitpix, datatype;
    if (version == 1) {
        if (!niftiMagic(h + 344) || h[345] != '+') return;  // a header/image pair or Analyze: not one file
        const int dims = std::int16_t(u16(40));
        if (dims < 1 || dims > 7) return;
        for (int d = 1; d <= dims; ++d) voxels *= std::int16_t(u16(40 + 2 * d));
        datatype = std::int16_t(u16(70));
        bitpix = std::int16_t(u16(72));
        offset = std::max(f32(108), 352.0);  // the NIfTI-1 minimum for a single file
    } else {
        if (!niftiMagic(h + 4) || h[5] != '+') return;
        const auto dims = std::int64_t(u64(16));
        if (dims < 1 || dims > 7) return;
        for (int d = 1; d <= dims; ++d) voxels *= double(std::int64_t(u64(16 + 8 * d)));
        datatype = std::int16_t(u16(12));
        bitpix = std::int16_t(u16(14));
        offset = std::max(double(std::int64_t(u64(168))), 544.0);
    }
    // Like nifticlib, the voxel size comes from the datatype; bitpix only where the datatype is unknown.
    static const std::map<int, int> kBits = {{1, 1},     {2, 8},     {4, 16},    {8, 32},    {16, 32},   {32, 64},
                                             {64, 64},   {128, 24},  {256, 8},   {512, 16},  {768, 32},  {1024, 64},
                                             {1280, 64}, {1536, 128}, {1792, 128}, {2048, 256}, {2304, 32}};
    if (kBits.count(datatype)) bitpix = kBits.at(datatype);
    if (!(voxels >= 1) || bitpix <= 0) return;  // an empty or invalid header: ITK's and infoFrom's to refuse
    const double bytes = std::ceil(voxels * bitpix / 8);
    if (bytes > double(budget)) return;  // refused from its header anyway
    if (!(offset < 1e15))  // vox_offset: NaN, or a position no file has
        throw InputError("Cannot read " + file.string() + ": a damaged NIfTI header, its voxel data would start at byte " +
                         wholeNumber(offset));
    const auto declared = static_cast<std::uint64_t>(bytes);
    const auto needed = static_cast<std::uint64_t>(offset) + declared;
    std::string problem;
    // Past what is needed, a stream is read to its end only to check its trailer; a gzip bomb stops early.
    const std::uint64_t have = gz ? gzipLength(file, needed + (64u << 20), problem) : std::uint64_t(fileSize(file));
    const std::uint64_t held = have > offset ? have - std::uint64_t(offset) : 0;
    if (have < needed)
        throw InputError(file.string() + " is truncated: its header declares " + std::to_string(declared) +
                         " bytes of voxel data, the file holds " + std::to_string(held) +
                         (problem.empty() ? std::string() : "; " + problem));
    if (!problem.empty()) throw InputError(file.string() + " is truncated or damaged: " + problem);
}

}  // namespace dacw::checks
