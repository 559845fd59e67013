// Layering YAML documents: a scan YAML with --config files over it, an .ibw scan's note with
// its extra YAML over it.
#pragma once

#include <yaml-cpp/yaml.h>

namespace amfm {

// Merges `extra` over `base`: mappings key by key (recursively), anything else replaced.
void merge_yaml_over(YAML::Node base, const YAML::Node& extra);

}  // namespace amfm
