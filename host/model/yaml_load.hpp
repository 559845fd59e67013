// Every YAML document amfm reads (scan YAML, --config files, --set values, an .ibw's extra YAML,
// series files) is checked here after parsing: yaml-cpp keeps an alias as a reference to its
// anchor, but anything that walks the document (settings flattened to overrides, the echo)
// expands it, and a few hundred bytes of nested aliases expand to billions of nodes.
#pragma once

#include <cstddef>
#include <string>

#include <yaml-cpp/yaml.h>

namespace amfm {

// Nodes a document may hold with its aliases expanded: far above any real configuration (a
// names: list of 65535 labels is 65536), far below what an alias bomb expands to.
constexpr std::size_t kMaxYamlNodes = std::size_t(1) << 20;

// ConfigError naming `source` when `root` expands to more than kMaxYamlNodes nodes. Counts no
// further than the budget, so checking a bomb costs no more than checking a large document.
void check_yaml_expansion(const YAML::Node& root, const std::string& source);

// YAML::Load(text) (its exceptions unchanged, for the caller's message) and the check above.
YAML::Node parse_yaml(const std::string& text, const std::string& source);

// YAML::LoadFile(path) and the check above.
YAML::Node parse_yaml_file(const std::string& path);

}  // namespace amfm
