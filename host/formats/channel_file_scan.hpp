// A scan file holding several named channels (an Asylum .ibw, any file Gwyddion's modules open)
// as an amfm Scan: the channels the reader's rule picks (or the user names with
// `channels.<role>.channel: NAME`), the parameters the file gives, and the user's YAMLs and
// --set over both, validated with the scan YAML rules. The readers differ only in how they read
// the file and which channel and metadata names they know; this is what they share.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "host/formats/open_scan.hpp"
#include "host/model/image.hpp"

namespace amfm {

struct FileChannel {
    std::string name;  // as the file names it, e.g. "HeightRetrace", "ZSensor"
    std::string unit;  // the value unit ("m", "deg", "Hz", "V", ...), from the file or its conventions
    int index = 0;     // what `ChannelFile::read` takes
};

struct ChannelFile {
    std::string path;
    std::string input_role;   // its InputFile role in regions.json: "ibw", "gwyddion"
    std::string kind;         // in messages: "an .ibw", "a file read by Gwyddion"
    std::string values_from;  // in messages: "the wave note", "the file's metadata"
    std::string sample;       // sample.name unless the user gives one
    std::vector<FileChannel> channels;
    std::vector<NoteParameter> parameters;      // every AM-FM parameter, found or with its problem
    std::map<std::string, std::string> metadata;  // kept in Scan::file_metadata
    // The channel for a role by the reader's rule; "" when the optional amplitude1 is absent;
    // DataError listing the file's channels when a required one is missing.
    std::function<std::string(const std::string& role)> pick;
    std::function<Image<double>(int index)> read;  // one channel's values in its file unit
};

// Builds the configuration (channels, parameters, sample), merges the extra YAMLs (relative
// paths in them resolve against the first one's folder) and the overrides over it, validates it,
// and reads the channels in canonical units; OpenedScan::scan is always set. ConfigError listing
// every required value the file could not give (with the reason) unless the user gives it;
// DataError for a channel the user names that the file does not hold.
OpenedScan open_channel_file(ChannelFile&& file, const OpenScanOptions& options);

// `amfm info`: the channel each role gets from `pick` (MISSING, with how to name one, where the
// rule finds none), one line each.
std::string describe_channel_choice(const std::function<std::string(const std::string& role)>& pick,
                                    ScanDirection direction);

// `amfm info`: every AM-FM parameter with its value and source, or NOT SET and why; `where`
// ("the note", "the metadata") is where an absent k2 was looked for.
std::string describe_file_parameters(const std::vector<NoteParameter>& parameters, const std::string& where);

}  // namespace amfm
