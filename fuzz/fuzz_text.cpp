// libFuzzer target: text that reaches JSON and CSV (text.hpp) on arbitrary bytes. The result must
// be valid UTF-8 that nlohmann::json dumps and parses back unchanged; valid UTF-8 input must come
// back as it was.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "host/model/text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    const std::string text = amfm::utf8_text(bytes);
    bool valid = true;
    try {
        (void)nlohmann::json(bytes).dump();
    } catch (const nlohmann::json::type_error&) {
        valid = false;
    }
    if (valid && text != bytes) __builtin_trap();       // valid UTF-8 is kept as it is
    if (amfm::utf8_text(text) != text) __builtin_trap();  // the result is valid UTF-8
    const nlohmann::json doc = {{bytes, {bytes, 1}}};
    const nlohmann::json back = nlohmann::json::parse(amfm::json_text(doc, 1));
    if (back.begin().key() != text || back.begin().value().at(0) != text) __builtin_trap();
    return 0;
}
