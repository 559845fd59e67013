// libFuzzer target: the .gwy reader (GwyContainer / GwyDataField parser) on arbitrary bytes.
// Any input must end in parsed channels or a DataError; crashes, sanitizer reports and large
// allocations (-rss_limit_mb, -malloc_limit_mb) are failures.
#include <cstddef>
#include <cstdint>
#include <string>

#include "amfm/kernels/error.hpp"
#include "host/formats/gwy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto channels =
            amfm::read_gwy_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz.gwy");
        for (const amfm::GwyReadChannel& c : channels) {
            // Touch what a caller would use: a size that disagrees with the pixels is a bug.
            if (c.data.px.size() != (std::size_t)c.data.nx * (std::size_t)c.data.ny) __builtin_trap();
            if (!c.mask.px.empty() && c.mask.px.size() != (std::size_t)c.mask.nx * (std::size_t)c.mask.ny)
                __builtin_trap();
        }
    } catch (const amfm::DataError&) {
    }
    return 0;
}
