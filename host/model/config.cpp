// The scan YAML contract: reading with strict validation, overrides, template and echo, all
// walking the one schema table (config_schema.cpp).
#include "host/model/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "amfm/kernels/error.hpp"
#include "host/model/config_reader.hpp"
#include "host/model/config_schema.hpp"
#include "host/model/yaml_load.hpp"
#include "host/model/yaml_merge.hpp"
#include "host/model/yaml_text.hpp"

namespace amfm {

namespace {

namespace fs = std::filesystem;

// The rows directly below `parent` ("" for the top-level sections), notes included.
std::vector<const ConfigKey*> keys_below(const std::string& parent) {
    std::vector<const ConfigKey*> out;
    for (const ConfigKey& k : config_schema())
        if (k.parent == parent) out.push_back(&k);
    return out;
}

const ConfigKey& schema_key(const std::string& dotted) {
    for (const ConfigKey& k : config_schema())
        if (k.key == dotted && k.type != KeyType::Note) return k;
    throw std::logic_error("config schema: no key " + dotted);
}

// The writable member a const ScanConfig's row points at, for reading it.
ScanConfig& located(const ScanConfig& c) { return const_cast<ScanConfig&>(c); }

// ---- reading ---------------------------------------------------------------------------------

void read_value(const ConfigReader& r, const ConfigKey& k, const YAML::Node& n, ScanConfig& c) {
    switch (k.type) {
        case KeyType::Number:
            *k.number(c) = k.positive ? r.positive(n, k.key, k.plausible_max, k.unit_hint) : r.number(n, k.key);
            break;
        case KeyType::Integer: *k.integer(c) = r.integer(n, k.key, k.lo, k.hi); break;
        case KeyType::Boolean:
            if (k.flag)
                *k.flag(c) = r.boolean(n, k.key);
            else
                *k.integer(c) = r.boolean(n, k.key) ? 1 : 0;
            break;
        case KeyType::Text: *k.text(c) = r.text(n, k.key); break;
        case KeyType::Path:
            *k.text(c) = r.path(n, k.key);
            if (k.text(c)->empty() && k.need == Need::Required) r.fail(k.key, k.missing);
            break;
        case KeyType::Choice: {
            std::vector<std::string> names;
            for (const auto& ch : k.choices) names.push_back(ch.second);
            const std::string name = r.choice(n, k.key, names);
            if (k.text) *k.text(c) = name;
            for (const auto& ch : k.choices)
                if (ch.second == name && k.set) k.set(c, ch.first);
            break;
        }
        case KeyType::Custom: k.read(r, n, k.key, c); break;
        case KeyType::Section:
        case KeyType::Note: break;
    }
}

// The keys of the mapping `node` at `path`: known, each read and checked in table order.
void read_keys(const ConfigReader& r, const std::string& path, const YAML::Node& node, ScanConfig& c) {
    const std::vector<const ConfigKey*> keys = keys_below(path);
    std::vector<std::string> allowed;
    for (const ConfigKey* k : keys)
        if (k->type != KeyType::Note) allowed.push_back(k->leaf);
    r.check_map(node, path, allowed);
    for (const ConfigKey* k : keys) {
        if (k->type == KeyType::Note) continue;
        const YAML::Node n = node[k->leaf];
        if (!present(n)) {
            if (k->need == Need::Required) r.fail(k->key, k->missing);
            if (k->type != KeyType::Section && k->finish) k->finish(r, k->key, c);  // checks the default too
            continue;
        }
        if (k->type == KeyType::Section)
            read_keys(r, k->key, n, c);
        else
            read_value(r, *k, n, c);
        if (k->finish) k->finish(r, k->key, c);
    }
}

ScanConfig parse_document(const YAML::Node& root, const ConfigReader& r, const std::string& source) {
    ScanConfig c;
    c.source = source;
    if (present(root) && !root.IsMap()) r.fail("<document>", "expected a mapping of sections");
    read_keys(r, "", present(root) ? root : YAML::Node(YAML::NodeType::Map), c);
    check_scan_config(r, c);
    return c;
}

// Sets root[k1][k2]...[kn] = value, creating mappings on the way.
void set_dotted(YAML::Node node, const std::vector<std::string>& parts, std::size_t i, const YAML::Node& value,
                const std::string& file, const std::string& ov) {
    const std::string& k = parts[i];
    if (i + 1 == parts.size()) {
        node[k] = value;
        return;
    }
    if (!present(node[k])) node[k] = YAML::Node(YAML::NodeType::Map);
    if (!node[k].IsMap())
        throw ConfigError(file + ": override '" + ov + "': '" + k + "' holds a value, not a section of keys");
    set_dotted(node[k], parts, i + 1, value, file, ov);
}

void apply_override(YAML::Node& root, const std::string& ov, const std::string& file) {
    const auto eq = ov.find('=');
    if (eq == std::string::npos || eq == 0)
        throw ConfigError(file + ": override '" + ov + "': expected dotted.key=value (e.g. tip.radius=8e-9)");
    const std::string key = ov.substr(0, eq);
    std::vector<std::string> parts;
    std::stringstream ss(key);
    for (std::string p; std::getline(ss, p, '.');) {
        if (p.empty()) throw ConfigError(file + ": override '" + ov + "': empty component in key '" + key + "'");
        parts.push_back(p);
    }
    if (key.back() == '.') throw ConfigError(file + ": override '" + ov + "': empty component in key '" + key + "'");
    YAML::Node value;
    try {
        value = parse_yaml(ov.substr(eq + 1), file + ": override '" + ov + "'");
    } catch (const YAML::Exception& e) {
        throw ConfigError(file + ": override '" + ov + "': value is not valid YAML (" + e.msg + ")");
    }
    if (!present(root)) root = YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) throw ConfigError(file + ": <document>: expected a mapping of sections");
    set_dotted(root, parts, 0, value, file, ov);
}

// ---- writing ---------------------------------------------------------------------------------

void emit_value(YAML::Emitter& out, const ConfigKey& k, const ScanConfig& c) {
    ScanConfig& m = located(c);
    switch (k.type) {
        case KeyType::Number: out << yaml_number(*k.number(m)); break;
        case KeyType::Integer: out << *k.integer(m); break;
        case KeyType::Boolean: out << (k.flag ? *k.flag(m) : *k.integer(m) != 0); break;
        case KeyType::Text:
        case KeyType::Path: out << *k.text(m); break;
        case KeyType::Choice:
            if (k.text) {
                out << *k.text(m);
                break;
            }
            for (const auto& ch : k.choices)
                if (ch.first == k.get(c)) out << ch.second;
            break;
        case KeyType::Custom: k.emit(out, c); break;
        case KeyType::Section:
        case KeyType::Note: break;
    }
}

// A value as the echo writes it ("26.0", "[1, 2]", "\"\"").
std::string value_text(const ConfigKey& k, const ScanConfig& c) {
    YAML::Emitter out;
    emit_value(out, k, c);
    return out.c_str();
}

void emit_keys(YAML::Emitter& out, const std::string& parent, const ScanConfig& c) {
    static const ScanConfig defaults;
    for (const ConfigKey* k : keys_below(parent)) {
        if (k->type == KeyType::Note) continue;
        if (k->type != KeyType::Section) {
            // A key without a default is echoed only when given.
            if (k->need != Need::Unset || value_text(*k, c) != value_text(*k, defaults))
                emit_config_key(out, k->key, c);
            continue;
        }
        if (k->emit) {
            k->emit(out, c);
            continue;
        }
        if (k->given && !k->given(c)) continue;
        out << YAML::Key << k->leaf << YAML::Value;
        if (k->flow) out << YAML::Flow;
        out << YAML::BeginMap;
        emit_keys(out, k->key, c);
        out << YAML::EndMap;
    }
}

// One template line: key text, then its comment in a common column.
std::string line(const std::string& key_value, const std::string& comment) {
    std::string s = key_value;
    s.resize(std::max<std::size_t>(s.size() + 1, 30), ' ');
    return s + "# " + comment + "\n";
}

// The template lines of the keys below `parent`: keys without a default commented out (a
// section with all its keys), each with its doc.
void template_keys(std::string& s, const std::string& parent, int depth, bool in_commented_section,
                   const ScanConfig& d) {
    const std::string indent(2 * depth, ' ');
    for (const ConfigKey* k : keys_below(parent)) {
        if (!k->in_template) continue;
        const std::string comment = k->doc + (k->unit.empty() ? "" : ", " + k->unit) + k->doc_after_unit;
        if (k->type == KeyType::Note) {
            s += line((in_commented_section ? "# " + indent : indent + "# ") + k->note, comment);
            continue;
        }
        const bool commented = k->need == Need::Unset;
        std::string text = k->leaf + ":";
        if (k->shown)
            text += std::string(" ") + k->shown;
        else if (k->type != KeyType::Section)
            text += " " + value_text(*k, d);
        s += line(in_commented_section ? "# " + indent + text
                  : commented          ? indent + "# " + text
                                       : indent + text,
                  comment);
        if (k->type == KeyType::Section && !k->shown)
            template_keys(s, k->key, depth + 1, in_commented_section || commented, d);
    }
}

}  // namespace

void emit_config_key(YAML::Emitter& out, const std::string& dotted_key, const ScanConfig& c) {
    const ConfigKey& k = schema_key(dotted_key);
    out << YAML::Key << k.leaf << YAML::Value;
    emit_value(out, k, c);
}

ScanConfig parse_scan_config(const std::string& yaml_text, const std::string& base_dir, const std::string& source_name,
                             const std::vector<std::string>& overrides) {
    YAML::Node root;
    try {
        root = parse_yaml(yaml_text, source_name);
    } catch (const YAML::ParserException& e) {
        throw ConfigError(source_name + ": YAML syntax error at line " + std::to_string(e.mark.line + 1) + ", column " +
                          std::to_string(e.mark.column + 1) + ": " + e.msg);
    } catch (const YAML::Exception& e) {
        throw ConfigError(source_name + ": cannot parse YAML: " + e.msg);
    }
    for (const std::string& ov : overrides) apply_override(root, ov, source_name);
    const ConfigReader r(source_name, base_dir);
    try {
        return parse_document(root, r, source_name);
    } catch (const YAML::Exception& e) {  // anything the checks above did not anticipate
        throw ConfigError(source_name + ": invalid configuration: " + e.msg);
    }
}

ScanConfig load_scan_config(const std::string& yaml_path, const std::vector<std::string>& overrides) {
    std::error_code ec;
    if (!fs::is_regular_file(yaml_path, ec)) throw ConfigError(yaml_path + ": no such file");
    std::ifstream in(yaml_path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in.good() && !in.eof()) throw ConfigError(yaml_path + ": cannot read");
    fs::path dir = fs::path(yaml_path).parent_path();
    if (dir.empty()) dir = ".";
    return parse_scan_config(text.str(), dir.string(), yaml_path, overrides);
}

// ---- merged configurations (process --config EXTRA.yaml) ---------------------------------

namespace {

YAML::Node load_yaml_file(const std::string& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw ConfigError(path + ": no such file");
    try {
        const YAML::Node n = parse_yaml_file(path);
        if (present(n) && !n.IsMap()) throw ConfigError(path + ": <document>: expected a mapping of sections");
        return n;
    } catch (const YAML::ParserException& e) {
        throw ConfigError(path + ": YAML syntax error at line " + std::to_string(e.mark.line + 1) + ", column " +
                          std::to_string(e.mark.column + 1) + ": " + e.msg);
    } catch (const YAML::Exception& e) {
        throw ConfigError(path + ": cannot parse YAML: " + e.msg);
    }
}

}  // namespace

ScanConfig load_scan_config_merged(const std::string& yaml_path, const std::vector<std::string>& extra_yaml_paths,
                                   const std::vector<std::string>& overrides) {
    if (extra_yaml_paths.empty()) return load_scan_config(yaml_path, overrides);
    YAML::Node root = load_yaml_file(yaml_path);
    if (!present(root)) root = YAML::Node(YAML::NodeType::Map);
    std::string source = yaml_path;
    for (const std::string& extra : extra_yaml_paths) {
        const YAML::Node e = load_yaml_file(extra);
        if (present(e)) merge_yaml_over(root, e);
        source += " + " + extra;
    }
    // Relative paths (in either file) resolve against the scan YAML's folder.
    fs::path dir = fs::path(yaml_path).parent_path();
    if (dir.empty()) dir = ".";
    ScanConfig cfg = parse_scan_config(YAML::Dump(root), dir.string(), source, overrides);
    cfg.source = yaml_path;  // the files hashed into the run metadata; the merged values are in `params`
    cfg.merged_files = extra_yaml_paths;
    return cfg;
}

std::string default_config_yaml() {
    std::string s = kConfigTemplateHeader;
    template_keys(s, "", 0, false, ScanConfig());
    return s;
}

std::string config_to_yaml(const ScanConfig& c) {
    YAML::Emitter out;
    out << YAML::BeginMap;
    emit_keys(out, "", c);
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

const char* leveling_name(Leveling l) {
    for (const LevelingName& n : kLevelingNames)
        if (n.level == l) return n.name;
    return "?";
}

const char* tilt_method_name(TiltMethod m) {
    for (const TiltMethodName& n : kTiltMethodNames)
        if (n.method == m) return n.name;
    return "?";
}

const char* kc_model_name(KcModel m) {
    for (const KcModelName& k : kKcModelNames)
        if (k.model == m) return k.name;
    return "?";
}

bool kc_model_from_name(const std::string& name, KcModel* model) {
    for (const KcModelName& k : kKcModelNames)
        if (name == k.name) {
            *model = k.model;
            return true;
        }
    return false;
}

}  // namespace amfm
