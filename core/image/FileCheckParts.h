#pragma once
// Internal to core/image: what the format checks of FileChecks.cpp share. One file per format
// family: FileChecksRaster.cpp (PNG, JPEG, BMP, TIFF), FileChecksDicom.cpp (the element walk,
// JPEG 2000 in DICOM), FileChecksNifti.cpp, FileChecksMetaImage.cpp. Each check throws InputError
// naming the file and the problem; a check that does not apply to the file's format returns.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <zlib.h>

namespace dacw::checks {

// --- byte readers -------------------------------------------------------------------------

inline std::uint32_t be32(const unsigned char* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}
inline std::uint32_t le32(const unsigned char* p) {
    return (std::uint32_t(p[3]) << 24) | (std::uint32_t(p[2]) << 16) | (std::uint32_t(p[1]) << 8) | p[0];
}
inline std::uint16_t le16(const unsigned char* p) { return std::uint16_t(p[0] | (p[1] << 8)); }
inline std::uint16_t be16(const unsigned char* p) { return std::uint16_t((p[0] << 8) | p[1]); }
inline std::uint64_t le64(const unsigned char* p) { return (std::uint64_t(le32(p + 4)) << 32) | le32(p); }
inline std::uint64_t be64(const unsigned char* p) { return (std::uint64_t(be32(p)) << 32) | be32(p + 4); }

/// A byte count computed in double (it may exceed every integer type), as digits.
std::string wholeNumber(double v);
long long fileSize(const std::filesystem::path& file);
/// Reads up to `n` bytes, of a plain or a gzip-compressed file, from its start.
std::size_t readHead(const std::filesystem::path& file, unsigned char* out, std::size_t n);
/// Counts the bytes of a gzip file's uncompressed stream up to `cap`; `problem` is set when the stream
/// is damaged, or ends early (a cut file loses its CRC and length trailer: zlib says "unexpected end of file").
std::uint64_t gzipLength(const std::filesystem::path& file, std::uint64_t cap, std::string& problem);

/// Inflates a zlib or gzip stream piece by piece only to count the bytes it holds and to see whether it
/// ends cleanly (its checksum verified); nothing is kept.
class InflateCounter {
public:
    explicit InflateCounter(int windowBits) { ok_ = inflateInit2(&z_, windowBits) == Z_OK; }
    ~InflateCounter() { inflateEnd(&z_); }
    InflateCounter(const InflateCounter&) = delete;
    InflateCounter& operator=(const InflateCounter&) = delete;

    /// Bytes after the end of the stream are ignored, as the decoders ignore them.
    void feed(const unsigned char* p, std::size_t n) {
        z_.next_in = const_cast<Bytef*>(p);
        z_.avail_in = static_cast<uInt>(n);
        while (ok_ && !ended_ && z_.avail_in > 0) {
            z_.next_out = out_;
            z_.avail_out = sizeof out_;
            const int r = inflate(&z_, Z_NO_FLUSH);
            total_ += sizeof out_ - z_.avail_out;
            if (r == Z_STREAM_END) ended_ = true;
            else if (r == Z_BUF_ERROR) break;
            else if (r != Z_OK) {
                ok_ = false;
                error_ = z_.msg ? z_.msg : "invalid compressed data";
            }
        }
    }
    bool damaged() const { return !ok_; }
    bool ended() const { return ended_; }
    std::uint64_t total() const { return total_; }
    const std::string& error() const { return error_; }

private:
    z_stream z_{};
    unsigned char out_[1 << 15];
    std::uint64_t total_ = 0;
    bool ok_ = false, ended_ = false;
    std::string error_;
};

// --- the checks, one family per file --------------------------------------------------------

/// libpng aborts the process (inside ITK's PNG reader, which installs no error handler) on a chunk whose
/// CRC is wrong, on invalid header values, on chunks out of place and on image data that runs short. So
/// the whole chunk sequence is checked here first: every CRC, IHDR first and valid, PLTE where a palette
/// needs one, contiguous IDAT, IEND present. With `payload`, the IDAT stream is also inflated (without
/// keeping it) to see that it ends cleanly and holds every row the header declares.
void checkPngStructure(const std::filesystem::path& file, std::size_t budget, bool payload);
/// ITK's JPEG reader crashes (in jpeg_destroy) on some truncated files, so a JPEG's marker
/// segments are walked here first: every segment up to the scan must lie inside the file, and
/// the end-of-image marker must follow the scan. Then libjpeg reads the header, and with `payload`
/// decodes the image once (within `budget`): ITK mishandles a fatal libjpeg error, in its
/// CanReadFile (a bad table: a call through a null pointer in jpeg_destroy) and in Read (a stray
/// SOF marker between progressive scans: a crash inside jpeg_read_scanlines), so a file that
/// libjpeg refuses must not reach it.
void checkJpegStructure(const std::filesystem::path& file, std::size_t budget, bool payload);
/// ITK's BMP reader fills what a short file lacks (headers included) and reports success, so the
/// headers and the pixel rows they declare must lie inside the file.
void checkBmpPayload(const std::filesystem::path& file);
/// ITK's TIFF reader copies every extra tag of the first directory into its metadata dictionary,
/// trusting libtiff's field table over what the file holds: it copies 20 bytes of a DateTime tag
/// that libtiff stored with fewer (a heap-buffer overflow), and passes one pointer where libtiff
/// writes the two values of a DotRange tag (a wild write). So those tags are looked at in every
/// directory (classic TIFF and BigTIFF) first: a DateTime shorter than its 19 characters, or any
/// DotRange tag, is refused. libtiff itself checks the rest.
void checkTiffTags(const std::filesystem::path& file);
/// GDCM aborts the process (assertions) or reads past its buffers on malformed DICOM: the element
/// walk checks every element's tag, VR and length against the file first (FileChecksDicom.cpp).
/// Returns where trailing zero padding starts (-1: none, or not a DICOM file).
long long walkDicom(const std::filesystem::path& file);
/// ITK's NIfTI reader fills the voxels a short file lacks and reports success: a silently wrong volume.
/// So the voxel data the header declares (vox_offset + prod(dim) * bitpix / 8) is measured against the
/// file; a .nii.gz is decompressed as a stream (nothing kept) for that, and only with `payload`.
/// The header's geometry must be finite: ITK takes the SVD of the orientation matrix it builds from
/// the voxel sizes and the quaternion (qform_code > 0) or the affine rows (sform_code > 0), and
/// VNL aborts the process on a matrix with a NaN or an infinity.
void checkNiftiPayload(const std::filesystem::path& file, std::size_t budget, bool payload);
/// MetaImage data (inline in a .mha, or in the data file a .mhd names) that is shorter than DimSize
/// declares reads "successfully" with the rest left zero, compressed data included. So the raw bytes
/// are measured against the header, and compressed data is inflated as a stream (only with `payload`).
/// MetaIO also keeps header fields in fixed-size buffers without bounds checks, so the header itself
/// is checked first: a field name (the text before '=' or ':') of 255 characters or more overflows
/// its 255-byte name (glibc aborts: "buffer overflow detected"); NDims outside 1..4 makes it read
/// that many DimSize, ElementSpacing, ... values, and NDims squared TransformMatrix values, into
/// arrays of 4096 (a negative NDims, read as a huge count, too); a string value of 255 characters
/// or more overflows the 255-byte member it is copied to; and a data file list or pattern is split
/// into words of at most 79 characters.
void checkMetaImagePayload(const std::filesystem::path& file, std::size_t budget, bool payload);

}  // namespace dacw::checks
