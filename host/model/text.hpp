// Text from files and YAML (region, sample and channel names, notes, paths) as valid UTF-8: the
// one rule for every JSON, CSV and figure amfm writes. Bytes that are not UTF-8 are read as
// Latin-1 (ISO 8859-1, what older instrument software and file systems write), so nothing is
// lost and nothing throws.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace amfm {

// `bytes` unchanged when it is valid UTF-8, else every byte decoded as Latin-1.
std::string utf8_text(std::string_view bytes);

// j.dump(indent) with every string and key made valid UTF-8 by utf8_text (nlohmann::json throws
// type_error 316 on invalid UTF-8 when dumping).
std::string json_text(const nlohmann::json& j, int indent);

}  // namespace amfm
