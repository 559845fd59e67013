// A multi-channel scan file as an amfm Scan (channel_file_scan.hpp).
#include "host/formats/channel_file_scan.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "amfm/kernels/error.hpp"
#include "host/formats/scan_loading.hpp"
#include "host/model/channels.hpp"
#include "host/model/yaml_load.hpp"
#include "host/model/yaml_merge.hpp"

namespace amfm {

namespace fs = std::filesystem;

namespace {

bool has_key(const YAML::Node& root, const std::string& dotted) {
    YAML::Node n = YAML::Clone(root);
    std::stringstream ss(dotted);
    for (std::string part; std::getline(ss, part, '.');) {
        if (!n.IsMap() || !n[part].IsDefined() || n[part].IsNull()) return false;
        n.reset(n[part]);  // rebinds; plain assignment would overwrite the node's value
    }
    return true;
}

bool overridden(const std::vector<std::string>& overrides, const std::string& key) {
    for (const std::string& o : overrides)
        if (o.compare(0, key.size() + 1, key + "=") == 0) return true;
    return false;
}

// What the user gives over the file: the extra YAMLs merged in order, the overrides, and the
// channel names (`channels.<role>.channel`) taken out of both, since the scan YAML itself
// knows only files.
struct UserSettings {
    YAML::Node extra{YAML::NodeType::Map};
    std::string base_dir;  // relative paths: the first extra YAML's folder, else the scan file's
    std::string source;    // "scan.ibw + extra.yaml + ..."
    std::vector<std::string> overrides;
    std::map<std::string, std::string> channel;  // role -> channel name
};

void merge_extra_yaml(const std::string& path, const std::vector<std::string>& files, UserSettings& u) {
    u.base_dir = fs::path(path).parent_path().string();
    u.source = path;
    for (const std::string& file : files) {
        YAML::Node one;
        try {
            one = parse_yaml_file(file);
        } catch (const YAML::BadFile&) {
            throw ConfigError(file + ": no such file");
        } catch (const YAML::Exception& e) {
            throw ConfigError(file + ": cannot parse YAML: " + e.msg);
        }
        if (one.IsNull()) one = YAML::Node(YAML::NodeType::Map);
        if (!one.IsMap()) throw ConfigError(file + ": <document>: expected a mapping of sections");
        merge_yaml_over(u.extra, one);
        if (file == files.front()) u.base_dir = fs::path(file).parent_path().string();
        u.source += " + " + file;
    }
    if (u.base_dir.empty()) u.base_dir = ".";
}

// Explicit channel names: --set channels.<role>.channel=NAME first, then the YAML's.
void take_channel_names(const std::vector<std::string>& overrides, const std::string& abs_path, UserSettings& u) {
    for (const std::string& o : overrides) {
        bool taken = false;
        for (const ChannelRole& role : kChannelRoles) {
            const std::string key = std::string("channels.") + role.name + ".channel=";
            if (o.compare(0, key.size(), key) == 0) {
                u.channel[role.name] = o.substr(key.size());
                taken = true;
            }
        }
        if (!taken) u.overrides.push_back(o);
    }
    if (!u.extra["channels"].IsMap()) return;
    for (const ChannelRole& role : kChannelRoles) {
        YAML::Node ch = u.extra["channels"][role.name];
        if (!ch.IsMap() || !ch["channel"].IsDefined()) continue;
        if (!u.channel.count(role.name)) u.channel[role.name] = ch["channel"].as<std::string>();
        ch.remove("channel");
        if (!ch["file"].IsDefined()) ch["file"] = abs_path;
    }
}

UserSettings user_settings(const std::string& path, const std::string& abs_path, const OpenScanOptions& opt) {
    UserSettings u;
    merge_extra_yaml(path, opt.extra_yaml, u);
    take_channel_names(opt.overrides, abs_path, u);
    return u;
}

// The channel a role is read from: the user's name (checked), else the reader's rule; "" for none.
std::string channel_for(const ChannelFile& file, const ChannelRole& role, const UserSettings& u) {
    const auto named = u.channel.find(role.name);
    if (named == u.channel.end()) return file.pick(role.name);
    const std::string& name = named->second;
    if (name == "none" && !role.required) return "";
    const auto it = std::find_if(file.channels.begin(), file.channels.end(),
                                 [&](const FileChannel& c) { return c.name == name; });
    if (it == file.channels.end()) {
        std::string have;
        for (const FileChannel& c : file.channels) have += (have.empty() ? "" : ", ") + c.name;
        throw DataError(file.path + ": no channel '" + name + "' for " + role.name + "; the file holds: " + have);
    }
    return name;
}

// The channels as scan YAML keys (the scan file as every channel's file, in the channel's own
// unit: a volts channel must be given a unit and scale by the user); role -> channel index.
std::map<std::string, int> choose_channels(const ChannelFile& file, const UserSettings& u,
                                           const std::string& abs_path, YAML::Node& base, OpenedScan& result) {
    std::map<std::string, int> index_of;
    for (const ChannelRole& role : kChannelRoles) {
        const std::string name = channel_for(file, role, u);
        if (name.empty()) continue;
        for (const FileChannel& c : file.channels)
            if (c.name == name) {
                index_of[role.name] = c.index;
                base["channels"][role.name]["file"] = abs_path;
                base["channels"][role.name]["unit"] = c.unit;
            }
        result.channel_map.emplace_back(role.name, name);
    }
    return index_of;
}

// Marks what the user gives as "user"; one ConfigError for every required value that neither
// the file nor the user gives.
void require_file_values(std::vector<NoteParameter>& parameters, const UserSettings& u, const ChannelFile& file) {
    std::string missing;
    for (NoteParameter& p : parameters) {
        if (has_key(u.extra, p.key) || overridden(u.overrides, p.key)) {
            p.source = "user";
            p.problem.clear();
            continue;
        }
        if (p.key == "cantilever.k2" || p.usable()) continue;
        missing += "\n  " + p.key + " (" + p.description + "): " + p.problem;
    }
    if (!missing.empty())
        throw ConfigError(file.path + ": values " + file.values_from + " cannot give; set them with --set KEY=VALUE "
                          "(or --tip-radius) or in a --config YAML:" + missing);
}

// The values the user gave, as the validated configuration holds them.
void record_user_values(std::vector<NoteParameter>& parameters, const ScanConfig& cfg) {
    const Cantilever& c = cfg.cantilever;
    const std::pair<const char*, double> now[] = {
        {"cantilever.k1", c.k1_n_per_m}, {"cantilever.q1", c.q1},       {"cantilever.f1", c.f1_hz},
        {"cantilever.f2", c.f2_hz},      {"cantilever.k2", c.k2_n_per_m}, {"cantilever.a1_free", c.a1_free_m},
        {"cantilever.a1_set", c.a1_set_m}, {"scan_size.x", cfg.scan_size_x_m}, {"scan_size.y", cfg.scan_size_y_m},
        {"tip.radius", cfg.tip_radius_m}};
    for (NoteParameter& p : parameters)
        if (p.source == "user")
            for (const auto& kv : now)
                if (p.key == kv.first) p.value = kv.second;
}

// Rules a configuration from a channel file must keep beyond the scan YAML's.
void check_file_config(const ScanConfig& cfg, const std::map<std::string, int>& index_of, const ChannelFile& file,
                       const std::string& abs_path) {
    if (cfg.stack.enabled)
        throw ConfigError(file.path + ": stack: applies to multi-page TIFF channel files, not to " + file.kind);
    for (const auto& kv : index_of) {
        const std::string& role = kv.first;
        if ((cfg.*find_channel_role(role)->spec).file != abs_path)
            throw ConfigError(cfg.source + ": channels." + role + ".file: the channels of " + file.kind +
                              " come from the file itself; name one with channels." + role + ".channel: NAME");
    }
}

// The scan: the chosen channels, then the inputs and regions as every reader records them.
Scan read_channels(const ChannelFile& file, const std::map<std::string, int>& index_of, const ScanConfig& cfg,
                   const OpenScanOptions& opt) {
    Scan s;
    s.config = cfg;
    for (const std::string& yaml : opt.extra_yaml) s.inputs.push_back({"config", yaml, cached_sha256(yaml, opt.hashes)});
    s.inputs.push_back({file.input_role, file.path, cached_sha256(file.path, opt.hashes)});
    for (const ChannelRole& role : kChannelRoles) {
        const auto index = index_of.find(role.name);
        if (index == index_of.end()) continue;
        s.*role.image = to_canonical_units(file.read(index->second), cfg, role);
        if (role.image != &Scan::height_m) check_scan_size((s.*role.image).nx, (s.*role.image).ny, file.path, s);
    }
    s.file_metadata = file.metadata;
    if (!cfg.regions.labels_file.empty()) attach_labels(s, read_labels(cfg), opt.hashes);
    attach_hand_drawn_regions(s, opt.hashes);
    return s;
}

}  // namespace

OpenedScan open_channel_file(ChannelFile&& file, const OpenScanOptions& opt) {
    OpenedScan result;
    result.parameters = file.parameters;
    const std::string abs_path = fs::absolute(file.path).lexically_normal().string();
    const UserSettings user = user_settings(file.path, abs_path, opt);

    YAML::Node base(YAML::NodeType::Map);
    const std::map<std::string, int> index_of = choose_channels(file, user, abs_path, base, result);
    base["sample"]["name"] = file.sample;
    for (const NoteParameter& p : result.parameters) {
        if (!p.usable()) continue;
        const auto dot = p.key.find('.');
        base[p.key.substr(0, dot)][p.key.substr(dot + 1)] = p.value;
    }
    merge_yaml_over(base, user.extra);
    require_file_values(result.parameters, user, file);

    result.config = parse_scan_config(YAML::Dump(base), user.base_dir, user.source, user.overrides);
    record_user_values(result.parameters, result.config);
    check_file_config(result.config, index_of, file, abs_path);
    result.scan = read_channels(file, index_of, result.config, opt);
    return result;
}

namespace {

std::string line(const char* format, const std::string& a, const std::string& b, const std::string& c = "",
                 const std::string& d = "") {
    char buf[1024];
    std::snprintf(buf, sizeof buf, format, a.c_str(), b.c_str(), c.c_str(), d.c_str());
    return buf;
}

std::string g(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

}  // namespace

std::string describe_channel_choice(const std::function<std::string(const std::string& role)>& pick,
                                    ScanDirection direction) {
    std::string out = std::string("AM-FM channels (") + (direction == ScanDirection::Retrace ? "retrace" : "trace") +
                      "):\n";
    for (const ChannelRole& role : kChannelRoles) {
        std::string name;
        try {
            name = pick(role.name);
            if (name.empty()) name = "- (optional; the setpoint is used)";
        } catch (const DataError&) {
            name = "MISSING (name one with --set channels." + std::string(role.name) + ".channel=NAME)";
        }
        out += line("  %-11s %s\n", role.name, name);
    }
    return out;
}

std::string describe_file_parameters(const std::vector<NoteParameter>& parameters, const std::string& where) {
    std::string out = "AM-FM parameters:\n";
    for (const NoteParameter& p : parameters) {
        if (p.usable())
            out += line("  %-19s %-12s from %s   [%s]\n", p.key, g(p.value),
                        p.source + (p.warning.empty() ? "" : "; CHECK: " + p.warning), p.description);
        else if (p.key == "cantilever.k2")
            out += line("  %-19s %-12s not in %s: k2 = k1 (f2/f1)^2   [%s]\n", p.key, "derived", where, p.description);
        else
            out += line("  %-19s %-12s %s   [%s]\n", p.key, "NOT SET", p.problem, p.description);
    }
    return out;
}

}  // namespace amfm
