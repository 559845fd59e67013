// TIFF channel reading and writing (libtiff). Errors are DataError naming the file.
#pragma once

#include <cstdint>
#include <string>

#include "host/model/image.hpp"

namespace amfm {

// What a channel file held before conversion to float.
struct TiffInfo {
    int bits_per_sample = 0;
    std::string sample_format;  // "float", "int", "uint"
    int pages = 1;
    // The page's own pixel size (ImageJ's `unit=` with X/YResolution, or a centimetre or inch
    // ResolutionUnit finer than any print resolution); 0: the file claims none.
    double pixel_size_x_m = 0.0, pixel_size_y_m = 0.0;
};

// Reads one page (0-based IFD index; the first by default) of a single-channel TIFF holding
// float32, float64, int8/16/32 or uint8/16/32 samples, any compression or strip/tile layout
// libtiff supports, as float. Only that page is decoded (multi-page stacks are read page by
// page). `info->pages` is the file's page count. Throws DataError("<path>: ...") for a
// missing, unreadable, corrupt or multi-sample file and for a page past the end.
Image<float> read_tiff_float(const std::string& path, TiffInfo* info = nullptr, int page = 0);

// Same in double precision, for channels whose raw values need more than float's 24 bits
// before conversion (absolute frequencies, scaled 32-bit integers).
Image<double> read_tiff_double(const std::string& path, TiffInfo* info = nullptr, int page = 0);

// Same as float, each sample converted as (float)(sample * factor - offset) in double precision:
// a channel into its working units in one pass, without a double image on the way, with the
// values read_tiff_double's image, scaled and rounded to float, would give. With `sha256`, the
// file's SHA-256 (sha256_file's) is taken from the bytes the decoder reads: one read per file.
Image<float> read_tiff_scaled(const std::string& path, double factor, double offset, TiffInfo* info = nullptr,
                              int page = 0, std::string* sha256 = nullptr);

// Number of pages (IFDs) of a TIFF without decoding any; DataError naming the file.
int tiff_page_count(const std::string& path);

// Reads an integer label image (8- or 16-bit unsigned TIFF or PNG; 0 = unlabelled): page `page`
// of a multi-page TIFF (a PNG has one page). `info->pages` is the file's page count. Throws
// DataError for float or colour images and for a page past the end.
Image<std::uint16_t> read_label_image(const std::string& path, TiffInfo* info = nullptr, int page = 0);

// Pages of a label image without decoding any (1 for a PNG); DataError naming the file.
int label_image_pages(const std::string& path);

// Physical calibration written into output TIFFs (ImageJ's ImageDescription fields and the
// resolution tags) so Fiji shows real sizes and the value unit.
struct TiffCalibration {
    double pixel_size_x_m = 0.0;  // 0: none written
    double pixel_size_y_m = 0.0;
    std::string description;  // our line of the ImageDescription (e.g. "modulus, GPa")
    bool compress = false;    // deflate (small committed maps; integers with predictor 2, floats without,
                              // as ImageJ decodes no other); plain strips otherwise
    std::string value_unit;   // ImageJ's value unit ("vunit") of a floating-point map, e.g. "GPa";
                              // DataError on an integer image (labels and bits carry none)
};

// Writers, each to a temporary name then renamed, so a failure leaves nothing half-written.
void write_tiff(const std::string& path, const Image<float>& img, const TiffCalibration& cal = {});
void write_tiff(const std::string& path, const Image<double>& img, const TiffCalibration& cal = {});
void write_tiff(const std::string& path, const Image<std::uint8_t>& img, const TiffCalibration& cal = {});
void write_tiff(const std::string& path, const Image<std::uint16_t>& img, const TiffCalibration& cal = {});
void write_tiff(const std::string& path, const Image<std::int16_t>& img, const TiffCalibration& cal = {});

}  // namespace amfm
