// Deep merge of YAML mappings (see yaml_merge.hpp).
#include "host/model/yaml_merge.hpp"

#include <string>

namespace amfm {

void merge_yaml_over(YAML::Node base, const YAML::Node& extra) {
    for (const auto& kv : extra) {
        const std::string key = kv.first.as<std::string>();
        YAML::Node b = base[key];
        if (b.IsMap() && kv.second.IsMap()) merge_yaml_over(b, kv.second);
        else base[key] = YAML::Clone(kv.second);
    }
}

}  // namespace amfm
