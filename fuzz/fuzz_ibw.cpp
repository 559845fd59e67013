// libFuzzer target: the IBW parser, the wave-note parser and the AM-FM mapping on arbitrary
// bytes. Any input must end in a parsed wave or a DataError; crashes, sanitizer reports and
// large allocations (-rss_limit_mb) are failures.
#include <cstddef>
#include <cstdint>

#include "amfm/kernels/error.hpp"
#include "host/formats/ibw.hpp"
#include "host/formats/ibw_scan.hpp"
#include "host/model/channels.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        amfm::looks_like_ibw(data, size);
        const amfm::IbwWave w = amfm::parse_ibw(data, size, "fuzz.ibw");
        const amfm::WaveNote note(w.note);
        for (const auto& e : note.entries()) note.number(e.key);
        amfm::amfm_note_parameters(note, w);
        const auto channels = amfm::ibw_image_channels(w, "fuzz.ibw");
        for (const amfm::IbwChannel& c : channels) amfm::ibw_layer(w, c.layer);
        for (const amfm::ChannelRole& role : amfm::kChannelRoles) {
            try {
                amfm::pick_amfm_channel(channels, role.name, amfm::ScanDirection::Retrace, "fuzz.ibw");
            } catch (const amfm::DataError&) {
            }
        }
    } catch (const amfm::DataError&) {
    }
    // The note parser alone, on the raw bytes as text.
    const amfm::WaveNote raw(std::string(reinterpret_cast<const char*>(data), size));
    for (const auto& e : raw.entries()) raw.number(e.key);
    return 0;
}
