#include "core/image/ImageIO.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <unistd.h>

#include <gdcmSerieHelper.h>
#include <gdcmTrace.h>
#include <itkBMPImageIOFactory.h>
#include <itkGDCMImageIO.h>
#include <itkGDCMImageIOFactory.h>
#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkImageIOFactory.h>
#include <itkImageSeriesReader.h>
#include <itkFloatingPointExceptions.h>
#include <itkMetaImageIO.h>
#include <itkMultiThreaderBase.h>
#include <itkOutputWindow.h>
#include <itkJPEGImageIOFactory.h>
#include <itkMetaImageIOFactory.h>
#include <itkNiftiImageIOFactory.h>
#include <itkNrrdImageIOFactory.h>
#include <itkPNGImageIOFactory.h>
#include <itkTIFFImageIOFactory.h>
#include <itkVectorImage.h>

#include "core/image/FileChecks.h"
#include "core/util/Errors.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;

namespace dacw {
namespace {

using FloatVolume = itk::VectorImage<float, 3>;

void registerFactories() {
    static std::once_flag once;
    std::call_once(once, [] {
        // Registered explicitly so that the set of formats does not depend on how a
        // consumer's CMake includes ITK's factory-registration header.
        itk::PNGImageIOFactory::RegisterOneFactory();
        itk::JPEGImageIOFactory::RegisterOneFactory();
        itk::BMPImageIOFactory::RegisterOneFactory();
        itk::TIFFImageIOFactory::RegisterOneFactory();
        itk::NiftiImageIOFactory::RegisterOneFactory();
        itk::MetaImageIOFactory::RegisterOneFactory();
        itk::NrrdImageIOFactory::RegisterOneFactory();
        itk::GDCMImageIOFactory::RegisterOneFactory();
        // Problems reach the user as InputError messages; ITK's and GDCM's own console chatter
        // (non-uniform slice warnings, unknown tags) would only confuse the command line.
        itk::Object::GlobalWarningDisplayOff();
        gdcm::Trace::WarningOff();
        gdcm::Trace::DebugOff();
        // ITK 5.2 makes its global singletons on first use and inserts each into one std::map
        // without a lock: two threads making their first reads at once could corrupt it (a
        // SIGSEGV seen when the main window validated two domains at start-up). Make every one a
        // read or write touches here, on one thread; tests/core/test_itk_threads checks the list.
        itk::DataObject::GetGlobalReleaseDataFlag();
        itk::FloatingPointExceptions::GetEnabled();
        itk::MetaImageIO::GetDefaultDoublePrecision();
        itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads();
        itk::MultiThreaderBase::New();  // the default threader's own globals (the thread pool)
        itk::OutputWindow::GetInstance();
    });
}

std::size_t defaultBudget() {
    if (const char* env = std::getenv("DACW_MAX_IMAGE_BYTES")) {
        char* end = nullptr;
        unsigned long long v = std::strtoull(env, &end, 10);
        if (end != env && v > 0) return static_cast<std::size_t>(v);
    }
    return std::size_t(2) << 30;
}

std::size_t budgetOf(const ReadOptions& opt) { return opt.maxBytes ? opt.maxBytes : defaultBudget(); }

std::string humanBytes(double b) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    while (b >= 1024.0 && u < 5) { b /= 1024.0; ++u; }
    std::ostringstream s;
    s.precision(b < 10 ? 2 : 0);
    s << std::fixed << b << ' ' << units[u];
    return s.str();
}

PixelType fromItk(itk::IOComponentEnum c) {
    using C = itk::IOComponentEnum;
    switch (c) {
    case C::UCHAR: return PixelType::UInt8;
    case C::CHAR: return PixelType::Int8;
    case C::USHORT: return PixelType::UInt16;
    case C::SHORT: return PixelType::Int16;
    case C::UINT: return PixelType::UInt32;
    case C::INT: return PixelType::Int32;
    case C::ULONG: case C::ULONGLONG: return PixelType::UInt64;
    case C::LONG: case C::LONGLONG: return PixelType::Int64;
    case C::FLOAT: return PixelType::Float32;
    case C::DOUBLE: return PixelType::Float64;
    default: return PixelType::Unknown;
    }
}

std::string formatName(const itk::ImageIOBase* io) {
    std::string n = io->GetNameOfClass();
    if (n == "PNGImageIO") return "PNG";
    if (n == "JPEGImageIO") return "JPEG";
    if (n == "BMPImageIO") return "BMP";
    if (n == "TIFFImageIO") return "TIFF";
    if (n == "NiftiImageIO") return "NIfTI";
    if (n == "MetaImageIO") return "MetaImage";
    if (n == "NrrdImageIO") return "NRRD";
    if (n == "GDCMImageIO") return "DICOM";
    return n;
}

std::string itkMessage(const itk::ExceptionObject& e) {
    std::string d = e.GetDescription();
    // ITK descriptions often end with a newline and carry the source location; keep one line.
    while (!d.empty() && std::isspace(static_cast<unsigned char>(d.back()))) d.pop_back();
    auto nl = d.find('\n');
    if (nl != std::string::npos) d = d.substr(0, nl);
    return d;
}

bool isDicomFile(const fs::path& file) {
    char head[132] = {};
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) return false;
    const std::size_t n = std::fread(head, 1, sizeof head, f);
    std::fclose(f);
    return n == sizeof head && std::memcmp(head + 128, "DICM", 4) == 0;
}

/// `payload`: also check what only decoding the voxels needs (a second pass through compressed data).
itk::ImageIOBase::Pointer openIoOf(const fs::path& file, std::size_t budget, bool payload) {
    registerFactories();
    checkFileBeforeDecoding(file, budget, payload);
    itk::ImageIOBase::Pointer io;
    try {
        // A reader's CanReadFile may throw too (the TIFF reader does, for a directory it cannot read).
        io = itk::ImageIOFactory::CreateImageIO(file.c_str(), itk::IOFileModeEnum::ReadMode);
    } catch (const itk::ExceptionObject& e) {
        throw InputError("Cannot read the header of " + file.string() + ": " + itkMessage(e));
    }
    if (!io && isDicomFile(file))
        throw InputError(file.string() + " is a DICOM file without image pixel data (a structure set, report or "
                         "index?); DAC Workbench opens DICOM images");
    if (!io)
        throw InputError(file.string() + " is not an image in a format DAC Workbench reads "
                         "(PNG, JPEG, BMP, TIFF, NIfTI, MetaImage, NRRD, DICOM)");
    io->SetFileName(file.string());
    try {
        io->ReadImageInformation();
    } catch (const itk::ExceptionObject& e) {
        throw InputError("Cannot read the header of " + file.string() + ": " + itkMessage(e));
    }
    return io;
}

/// openIoOf `file`, which may be `copies`' padding-free copy of a DICOM file: messages name the
/// user's file, not the copy.
itk::ImageIOBase::Pointer openIo(const fs::path& file, std::size_t budget, bool payload, const UnpaddedDicom& copies) {
    try {
        return openIoOf(file, budget, payload);
    } catch (const InputError& e) {
        throw InputError(copies.originalNames(e.what()));
    }
}

ImageInfo infoFromIo(const itk::ImageIOBase* io, const fs::path& file, const ReadOptions& opt) {
    ImageInfo info;
    unsigned dims = io->GetNumberOfDimensions();
    if (dims < 2 || dims > 3) {
        // A 4D NIfTI with one time point is still a volume; more is not supported.
        bool singleTime = dims == 4 && io->GetDimensions(3) == 1;
        if (!singleTime)
            throw InputError(file.string() + " has " + std::to_string(dims) +
                             " dimensions; only 2D images and 3D volumes are supported");
        dims = 3;
    }
    info.geometry.dimension = static_cast<int>(dims);
    for (unsigned d = 0; d < 3; ++d) {  // a 2D image is one slice: unit spacing, identity axis
        const bool in = d < dims;
        info.geometry.size[d] = in ? io->GetDimensions(d) : 1;
        info.geometry.spacing[d] = in ? io->GetSpacing(d) : 1.0;
        info.geometry.origin[d] = in ? io->GetOrigin(d) : 0.0;
        const std::vector<double> dir = in ? io->GetDirection(d) : std::vector<double>();
        for (unsigned r = 0; r < 3; ++r) info.geometry.direction[r * 3 + d] = r < dir.size() ? dir[r] : (r == d ? 1 : 0);
    }
    info.components = static_cast<int>(io->GetNumberOfComponents());
    info.pixelType = fromItk(io->GetComponentType());
    info.format = formatName(io);
    // GetComponentSize() throws for an unknown type (a MetaImage "ElementType = MET_NONE").
    if (info.pixelType == PixelType::Unknown)
        throw InputError(file.string() + " has a pixel type DAC Workbench does not read (" +
                         std::string(itk::ImageIOBase::GetComponentTypeAsString(io->GetComponentType())) + ")");
    if (info.geometry.voxelCount() == 0)
        throw InputError(file.string() + " declares an empty image (a dimension of size 0)");
    if (info.components < 1 || info.components > 4)
        throw InputError(file.string() + " has " + std::to_string(info.components) +
                         " components per pixel; 1 (gray), 3 (RGB) or 4 (RGBA) are supported");

    // Refuse before anything is allocated: both the decoded buffer and our float copy count.
    const std::size_t budget = budgetOf(opt);
    // In double: a damaged header's sizes overflow a size_t product.
    const double voxels = double(info.geometry.size[0]) * double(info.geometry.size[1]) * double(info.geometry.size[2]);
    const double bytes = voxels * info.components * (io->GetComponentSize() + sizeof(float));
    if (bytes > double(budget))
        throw InputError(file.string() + " declares " + std::to_string(info.geometry.size[0]) + " x " +
                         std::to_string(info.geometry.size[1]) + " x " + std::to_string(info.geometry.size[2]) +
                         " voxels (" + humanBytes(bytes) + " to decode), over the limit of " + humanBytes(double(budget)) +
                         "; raise it with DACW_MAX_IMAGE_BYTES if the file is genuine");
    return info;
}

/// infoFromIo, with what ITK throws while the header is queried reported as InputError too.
ImageInfo infoFrom(const itk::ImageIOBase* io, const fs::path& file, const ReadOptions& opt) {
    try {
        return infoFromIo(io, file, opt);
    } catch (const itk::ExceptionObject& e) {
        throw InputError("Cannot read the header of " + file.string() + ": " + itkMessage(e));
    }
}

Image fromItkVolume(FloatVolume* vol, const ImageInfo& info) {
    Image img(info.geometry, static_cast<int>(vol->GetNumberOfComponentsPerPixel()), info.pixelType);
    const float* src = vol->GetBufferPointer();
    std::copy(src, src + img.data().size(), img.data().begin());
    return img;
}

template <class ImageT>
void applyGeometry(ImageT* image, const Geometry& g) {
    constexpr unsigned D = ImageT::ImageDimension;
    typename ImageT::RegionType region;
    typename ImageT::SpacingType spacing;
    typename ImageT::PointType origin;
    typename ImageT::DirectionType dir;
    for (unsigned d = 0; d < D; ++d) {
        region.SetIndex(d, 0);
        region.SetSize(d, g.size[d]);
        spacing[d] = g.spacing[d];
        origin[d] = g.origin[d];
        for (unsigned c = 0; c < D; ++c) dir[d][c] = g.direction[d * 3 + c];
    }
    image->SetRegions(region);
    image->SetSpacing(spacing);
    image->SetOrigin(origin);
    image->SetDirection(dir);
}

/// The message for a written file that does not read back as what was written.
[[noreturn]] void writtenBadly(const fs::path& file, const std::string& why) {
    throw InputError("Cannot write " + file.string() + ": the written file " + why +
                     " (is the disk full or the folder read-only?)");
}

/// Writes through `write(tmpPath)`, checks the result with `verify(tmpPath)`, then fsyncs and
/// renames onto `file`, so that a reader (or a crash) sees either the old file or the complete new
/// one. The check is needed because ITK does not report every failed write: its PNG writer ignores
/// errors of the final flush and its NIfTI writer only prints them, so a full disk or a read-only
/// folder would otherwise put an empty or cut file in place of a good one.
template <class WriteFn, class VerifyFn>
void writeAtomically(const fs::path& file, WriteFn write, VerifyFn verify) {
    std::error_code ec;
    if (!file.parent_path().empty()) fs::create_directories(file.parent_path(), ec);
    const std::string e = lowerExtension(file);
    if (e == ".mhd" || e == ".nhdr" || e == ".hdr") {
        // Header + data file pairs name each other: a renamed header would point at a temporary
        // data file, so these formats are written in place.
        write(file);
        verify(file);
        return;
    }
    std::random_device rd;
    fs::path tmp = file.parent_path() / ("." + file.filename().string() + ".tmp" + std::to_string(rd() % 1000000) + e);
    auto fail = [&](const char* what, int err) {
        throw InputError(std::string(what) + file.string() + ": " + std::strerror(err));
    };
    try {
        write(tmp);
        const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) writtenBadly(file, "was not created");  // ITK did not say so
        if (::fsync(fd) != 0) {
            const int err = errno;
            ::close(fd);
            fail("Cannot write ", err);
        }
        ::close(fd);
        verify(tmp);
        if (::rename(tmp.c_str(), file.c_str()) != 0) fail("Cannot replace ", errno);
    } catch (...) {
        fs::remove(tmp, ec);
        throw;
    }
    syncFolderOf(file);
}

}  // namespace

bool looksLikeImageFile(const fs::path& file) {
    static const char* exts[] = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".nii", ".nii.gz",
                                 ".mha", ".mhd", ".nrrd", ".nhdr", ".dcm", ".ima"};
    const std::string e = lowerExtension(file);
    return std::find(std::begin(exts), std::end(exts), e) != std::end(exts);
}

ImageInfo readImageInfo(const fs::path& file, const ReadOptions& opt) {
    UnpaddedDicom unpadded;  // a padded DICOM file is read through a copy without the padding
    auto io = openIo(isDicomFile(file) ? unpadded.readable(file, true) : file, budgetOf(opt), false, unpadded);
    return infoFrom(io.GetPointer(), file, opt);
}

Image readImage(const fs::path& file, const ReadOptions& opt) {
    UnpaddedDicom unpadded;
    const fs::path source = isDicomFile(file) ? unpadded.readable(file, true) : file;
    itk::ImageIOBase::Pointer io = openIo(source, budgetOf(opt), true, unpadded);
    ImageInfo info = infoFrom(io.GetPointer(), file, opt);
    using Reader = itk::ImageFileReader<FloatVolume>;
    auto reader = Reader::New();
    reader->SetImageIO(io);
    reader->SetFileName(source.string());
    try {
        reader->Update();
    } catch (const itk::ExceptionObject& e) {
        throw InputError(unpadded.originalNames("Cannot decode " + file.string() + " (" + info.format + "): " + itkMessage(e)));
    } catch (const std::exception& e) {
        throw InputError(unpadded.originalNames("Cannot decode " + file.string() + ": " + e.what()));
    }
    FloatVolume* vol = reader->GetOutput();
    auto size = vol->GetLargestPossibleRegion().GetSize();
    for (int d = 0; d < 3; ++d) info.geometry.size[d] = size[d];
    return fromItkVolume(vol, info);
}

namespace {
template <unsigned D, class PixelT>
void writeScalar(const std::vector<PixelT>& data, const Geometry& g, const fs::path& file) {
    using ImageT = itk::Image<PixelT, D>;
    auto image = ImageT::New();
    applyGeometry(image.GetPointer(), g);
    image->Allocate();
    std::copy(data.begin(), data.end(), image->GetBufferPointer());
    auto writer = itk::ImageFileWriter<ImageT>::New();
    writer->SetInput(image);
    writer->SetFileName(file.string());
    writer->SetUseCompression(true);
    writer->Update();
}

template <unsigned D, class PixelT>
void writeVector(const Image& img, const fs::path& file) {
    using ImageT = itk::VectorImage<PixelT, D>;
    auto image = ImageT::New();
    applyGeometry(image.GetPointer(), img.geometry());
    image->SetNumberOfComponentsPerPixel(static_cast<unsigned>(img.components()));
    image->Allocate();
    PixelT* dst = image->GetBufferPointer();
    for (std::size_t i = 0; i < img.data().size(); ++i) dst[i] = static_cast<PixelT>(img.data()[i]);
    auto writer = itk::ImageFileWriter<ImageT>::New();
    writer->SetInput(image);
    writer->SetFileName(file.string());
    writer->SetUseCompression(true);
    writer->Update();
}

template <unsigned D>
void writeImageDim(const Image& img, const fs::path& file) {
    // Formats such as PNG/JPEG/BMP hold 8 or 16 bits; keep the original type where possible.
    const std::string ext = lowerExtension(file);
    const bool eightBitOnly = ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
    switch (eightBitOnly ? PixelType::UInt8 : img.originalPixelType()) {
    case PixelType::UInt8: writeVector<D, unsigned char>(img, file); break;
    case PixelType::UInt16: writeVector<D, unsigned short>(img, file); break;
    case PixelType::Int16: writeVector<D, short>(img, file); break;
    case PixelType::Int8: writeVector<D, signed char>(img, file); break;
    case PixelType::Int32: writeVector<D, int>(img, file); break;
    case PixelType::UInt32: writeVector<D, unsigned int>(img, file); break;
    case PixelType::Float64: writeVector<D, double>(img, file); break;
    default: writeVector<D, float>(img, file); break;
    }
}
}  // namespace

void writeImage(const Image& img, const fs::path& file) {
    registerFactories();
    if (img.empty()) throw InputError("Cannot write an empty image to " + file.string());
    try {
        writeAtomically(
            file,
            [&](const fs::path& tmp) {
                if (img.geometry().dimension == 2) writeImageDim<2>(img, tmp);
                else writeImageDim<3>(img, tmp);
            },
            [&](const fs::path& written) {
                Image back;
                try {
                    back = readImage(written);
                } catch (const InputError& e) {
                    writtenBadly(file, std::string("does not read back: ") + e.what());
                }
                // Sizes only: gray BMPs come back as RGB, JPEG is lossy.
                if (back.geometry().size != img.geometry().size) writtenBadly(file, "reads back with another size");
            });
    } catch (const itk::ExceptionObject& e) {
        throw InputError("Cannot write " + file.string() + ": " + itkMessage(e));
    }
}

LabelMap readLabelMap(const fs::path& file, const ReadOptions& opt) {
    Image img = readImage(file, opt);
    if (img.components() != 1) {
        // Colour PNG masks are accepted when all channels agree (a gray image saved as RGB).
        const int c = img.components();
        for (std::size_t i = 0; i < img.geometry().voxelCount(); ++i)
            for (int k = 1; k < std::min(c, 3); ++k)
                if (img.data()[i * c + k] != img.data()[i * c])
                    throw InputError(file.string() + " is a colour image, not a label map (label maps hold one integer per pixel)");
    }
    LabelMap labels(img.geometry());
    const int c = img.components();
    for (std::size_t i = 0; i < labels.data().size(); ++i) {
        float v = img.data()[i * c];
        // Range first: NaN (from a float image) must not reach the integer conversion.
        if (!(v >= 0 && v <= 255) || v != std::floor(v))
            throw InputError(file.string() + " holds the value " + std::to_string(v) +
                             ", which is not a label (labels are integers 0..255)");
        labels.data()[i] = static_cast<LabelMap::Value>(v);
    }
    return labels;
}

void writeLabelMap(const LabelMap& labels, const fs::path& file) {
    registerFactories();
    if (labels.empty()) throw InputError("Cannot write an empty label map to " + file.string());
    const std::string ext = lowerExtension(file);
    if ((ext == ".png" || ext == ".bmp") && labels.depth() > 1)
        throw InputError("A " + std::to_string(labels.depth()) + "-slice label volume cannot be written as " + ext +
                         "; use .nii.gz");
    try {
        writeAtomically(
            file,
            [&](const fs::path& tmp) {
                if (labels.geometry().dimension == 2 || ext == ".png" || ext == ".bmp")
                    writeScalar<2>(labels.data(), labels.geometry(), tmp);
                else
                    writeScalar<3>(labels.data(), labels.geometry(), tmp);
            },
            [&](const fs::path& written) {
                LabelMap back;
                try {
                    back = readLabelMap(written);
                } catch (const InputError& e) {
                    writtenBadly(file, std::string("does not read back: ") + e.what());
                }
                const bool lossy = ext == ".jpg" || ext == ".jpeg";
                if (back.geometry().size != labels.geometry().size || (!lossy && back.data() != labels.data()))
                    writtenBadly(file, "reads back with other labels");
            });
    } catch (const itk::ExceptionObject& e) {
        throw InputError("Cannot write " + file.string() + ": " + itkMessage(e));
    }
}

namespace {
/// GDCM's series helper (what ITK's GDCMSeriesFileNames wraps), fed only the files given to it.
/// Its SetDirectory, which GDCMSeriesFileNames uses, parses every file of the folder as DICOM, and
/// on a file without the DICOM preamble it allocates whatever a damaged element length says (2 GiB
/// from a 678-byte file) or fails an assertion, with no check of ours before it. Series
/// identifiers and slice order stay GDCMSeriesFileNames's: the series UID refined by series
/// number, sequence name, slice thickness, rows and columns; slices ordered by position, else
/// instance number, else file name.
class SeriesOfFiles : public gdcm::SerieHelper {
public:
    SeriesOfFiles() {
        SetUseSeriesDetails(true);
        CreateDefaultUniqueSeriesIdentifier();
    }
    void add(const fs::path& file) { AddFileName(file.string()); }
};
}  // namespace

std::vector<DicomSeries> listDicomSeries(const fs::path& dir) {
    registerFactories();
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw InputError("Not a folder: " + dir.string());
    // Only files with the DICOM preamble are slices; each is walked first (a damaged one would abort
    // GDCM, as in readImage). Other files in the folder are not offered to GDCM at all.
    std::vector<fs::path> slices;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.is_regular_file(ec) && isDicomFile(entry.path())) slices.push_back(entry.path());
    std::sort(slices.begin(), slices.end());
    // GDCM reads each file here; padded ones through copies without the padding (FileChecks.h).
    UnpaddedDicom unpadded;
    std::map<std::string, fs::path> original, readable;
    for (const auto& f : slices) {
        const fs::path r = unpadded.readable(f);
        original[r.string()] = f;
        readable[f.string()] = r;
    }
    std::vector<DicomSeries> out;
    try {
        SeriesOfFiles helper;
        for (const auto& f : slices) helper.add(readable[f.string()]);
        for (gdcm::FileList* files = helper.GetFirstSingleSerieUIDFileSet(); files;
             files = helper.GetNextSingleSerieUIDFileSet()) {
            if (files->empty()) continue;
            DicomSeries s;
            s.uid = helper.CreateUniqueSeriesIdentifier((*files)[0]);
            helper.OrderFileList(files);
            for (const auto& f : *files) s.files.push_back(original.at(f->filename));
            auto io = itk::GDCMImageIO::New();
            io->SetFileName(readable[s.files.front().string()].string());
            try {
                io->ReadImageInformation();
                std::string desc, modality;
                io->GetValueFromTag("0008|103e", desc);
                io->GetValueFromTag("0008|0060", modality);
                while (!desc.empty() && desc.back() == ' ') desc.pop_back();
                while (!modality.empty() && modality.back() == ' ') modality.pop_back();
                s.description = modality.empty() ? desc : modality + (desc.empty() ? "" : " " + desc);
            } catch (const itk::ExceptionObject&) {
                s.description = "(unreadable header)";
            }
            out.push_back(std::move(s));
        }
    } catch (const itk::ExceptionObject& e) {
        throw InputError(unpadded.originalNames("Cannot list DICOM series in " + dir.string() + ": " + itkMessage(e)));
    }
    return out;
}

Image readDicomSeries(const fs::path& dir, const std::string& uid, const ReadOptions& opt) {
    auto series = listDicomSeries(dir);
    if (series.empty()) throw InputError("No DICOM series found in " + dir.string());
    const DicomSeries* chosen = &series.front();
    if (!uid.empty()) {
        auto it = std::find_if(series.begin(), series.end(), [&](const DicomSeries& s) { return s.uid == uid; });
        if (it == series.end()) throw InputError("No DICOM series with UID " + uid + " in " + dir.string());
        chosen = &*it;
    }
    UnpaddedDicom unpadded;
    std::vector<std::string> files;
    for (const auto& f : chosen->files) files.push_back(unpadded.readable(f).string());
    // Budget from the first slice's header times the slice count.
    itk::ImageIOBase::Pointer io0 = openIo(files.front(), budgetOf(opt), false, unpadded);
    ReadOptions sliceOpt = opt;
    ImageInfo first = infoFrom(io0.GetPointer(), chosen->files.front(), sliceOpt);
    const std::size_t budget = budgetOf(opt);
    const double bytes = double(first.geometry.voxelCount()) * chosen->files.size() * first.components * (io0->GetComponentSize() + 4);
    if (bytes > double(budget)) throw InputError("The DICOM series in " + dir.string() + " is over the decoding limit");

    using Reader = itk::ImageSeriesReader<FloatVolume>;
    auto reader = Reader::New();
    auto gdcm = itk::GDCMImageIO::New();
    reader->SetImageIO(gdcm);
    reader->SetFileNames(files);
    try {
        reader->Update();
    } catch (const itk::ExceptionObject& e) {
        throw InputError(unpadded.originalNames("Cannot read the DICOM series in " + dir.string() + ": " + itkMessage(e)));
    }
    FloatVolume* vol = reader->GetOutput();
    ImageInfo info;
    info.geometry.dimension = 3;
    auto size = vol->GetLargestPossibleRegion().GetSize();
    for (unsigned d = 0; d < 3; ++d) {
        info.geometry.size[d] = size[d];
        info.geometry.spacing[d] = vol->GetSpacing()[d];
        info.geometry.origin[d] = vol->GetOrigin()[d];
        for (unsigned c = 0; c < 3; ++c) info.geometry.direction[d * 3 + c] = vol->GetDirection()[d][c];
    }
    info.pixelType = first.pixelType;
    return fromItkVolume(vol, info);
}

Image readImageOrSeries(const fs::path& path, const ReadOptions& opt) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return readDicomSeries(path, {}, opt);
    return readImage(path, opt);
}

}  // namespace dacw
