// Igor binary waves (.ibw, WaveMetrics TN003), as Asylum Research AFMs (MFP-3D, Cypher) save
// every scan: one 2-D or 3-D wave, the channels on dimension 2 named by dimension labels, and
// the instrument's settings in the wave note.
//
// Version 5 is read (byte order from the header, checksum verified, float32/float64/integer
// data, dimension scaling and units, note, labels); versions 1-3 and text/complex waves are
// rejected by name. Asylum's thumbnail trailer after the IBW sections is ignored. Every size is
// checked against the bytes actually present before anything is allocated.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/model/image.hpp"

namespace amfm {

struct IbwWave {
    int version = 5;
    bool big_endian = false;
    int igor_type = 2;  // TN003 NT_* code: 2 float32, 4 float64, 8/16/32/128 int, +64 unsigned
    std::string name;
    std::array<std::int64_t, 4> dims{};  // points per dimension; 0 ends the list
    std::array<double, 4> sf_a{1, 1, 1, 1}, sf_b{};  // coordinate of index i: sf_a * i + sf_b
    std::string data_units;                  // UTF-8 (extended units when longer than 3 chars)
    std::array<std::string, 4> dim_units;
    std::string note;  // UTF-8 (converted from Latin-1), line ends as written (CR in Asylum files)
    // labels[d][0] names dimension d, labels[d][k + 1] names index k; trailing empty ones may be absent.
    std::array<std::vector<std::string>, 4> labels;
    std::vector<double> data;  // column-major (dimension 0 fastest), converted to double

    int n_dims() const;
    std::int64_t n_points() const;
    // Label of index k along dimension d ("" when none).
    std::string label(int d, std::int64_t k) const;
};

// Parses a whole .ibw file held in memory. `file` names it in errors: DataError("<file>: ...").
IbwWave parse_ibw(const std::uint8_t* bytes, std::size_t size, const std::string& file);

// True when `bytes` (the file's first 384 bytes suffice) start with version 5 headers whose
// checksum holds: how open_scan recognises a wave whatever the file is called.
bool looks_like_ibw(const std::uint8_t* bytes, std::size_t size);

// Reads and parses a file (refuses files over 4 GiB).
IbwWave read_ibw(const std::string& path);

// Writes `wave` as a little-endian version 5 file with float32 data (what Asylum writes);
// the note is converted back to Latin-1. Written to a temporary name, then renamed.
void write_ibw(const std::string& path, const IbwWave& wave);

// ---- the wave note ---------------------------------------------------------------------------

// Asylum's note: lines separated by CR (LF and CRLF accepted too), each `Key: Value` or
// `Key:Value`; the key ends at the first colon (values may hold colons). Lines without a colon
// are kept out. Keys may repeat; lookups return the first occurrence.
class WaveNote {
public:
    struct Entry {
        std::string key, value;
        int line = 0;  // 1-based line number in the note
    };
    WaveNote() = default;
    explicit WaveNote(const std::string& text);

    const std::vector<Entry>& entries() const { return entries_; }
    const Entry* find(const std::string& key) const;
    // The value as a number when the key exists and its whole value parses (NaN and inf
    // included: they are values the instrument wrote); nullopt otherwise.
    std::optional<double> number(const std::string& key) const;

private:
    std::vector<Entry> entries_;
};

// ---- Asylum images -------------------------------------------------------------------------

struct IbwChannel {
    std::string name;  // dimension-2 label, e.g. "HeightRetrace"
    std::string unit;  // "m", "deg", "Hz" or "V", from the name (the wave says "m" for every layer)
    int layer = 0;     // index along dimension 2
};

// The channels of an image wave (2-D: one channel named after the wave; 3-D: one per layer,
// named by the dimension-2 labels, "Channel<k>" where a label is missing). DataError for
// waves that are not images (1-D, 4-D, labels on dimension 1 as in force curves, fewer than 2
// points along x or y).
std::vector<IbwChannel> ibw_image_channels(const IbwWave& wave, const std::string& file);

// Unit of an Asylum channel from its name: Height/ZSensor/Amplitude/Deflection m, Phase deg,
// Frequency Hz, otherwise V.
std::string asylum_channel_unit(const std::string& channel_name);

// One layer as a row-major image in the wave's units, row 0 at the top: Igor's y index grows
// upwards (Asylum's first scan line is the bottom one), so rows are flipped as Gwyddion does.
Image<double> ibw_layer(const IbwWave& wave, int layer);

// The inverse of ibw_layer: a 3-D image wave (one layer per named channel, all nx x ny, row 0
// at the top) scaled as Asylum does (sfA = scan size / (N - 1), metres).
struct IbwLayer {
    std::string name;
    const Image<float>* image;
};
IbwWave ibw_image_wave(const std::string& wave_name, const std::vector<IbwLayer>& layers, double scan_size_x_m,
                       double scan_size_y_m);

}  // namespace amfm
