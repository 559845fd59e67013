#include "host/model/yaml_load.hpp"

#include <vector>

#include "amfm/kernels/error.hpp"

namespace amfm {

void check_yaml_expansion(const YAML::Node& root, const std::string& source) {
    std::vector<YAML::Node> todo{root};  // a stack of its own: no recursion however deep
    std::size_t nodes = 0;
    while (!todo.empty()) {
        const YAML::Node node = todo.back();
        todo.pop_back();
        if (++nodes > kMaxYamlNodes)
            throw ConfigError(source + ": the YAML expands to more than " + std::to_string(kMaxYamlNodes) +
                              " nodes once its aliases (*name) are followed; amfm reads no larger documents");
        if (node.IsMap()) {
            for (const auto& kv : node) {
                todo.push_back(kv.first);
                todo.push_back(kv.second);
            }
        } else if (node.IsSequence()) {
            for (const auto& item : node) todo.push_back(item);
        }
    }
}

YAML::Node parse_yaml(const std::string& text, const std::string& source) {
    YAML::Node root = YAML::Load(text);
    check_yaml_expansion(root, source);
    return root;
}

YAML::Node parse_yaml_file(const std::string& path) {
    YAML::Node root = YAML::LoadFile(path);
    check_yaml_expansion(root, path);
    return root;
}

}  // namespace amfm
