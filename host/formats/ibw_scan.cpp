// Asylum AM-FM .ibw files as amfm Scans (rules in ibw_scan.hpp).
#include "host/formats/ibw_scan.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
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
    std::string base_dir;  // relative paths: the first extra YAML's folder, else the .ibw's
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

// The channel a role is read from: the user's name (checked), else the rule; "" for none.
std::string channel_for(const std::vector<IbwChannel>& channels, const ChannelRole& role, const UserSettings& u,
                        ScanDirection dir, const std::string& path) {
    const auto named = u.channel.find(role.name);
    if (named == u.channel.end()) return pick_amfm_channel(channels, role.name, dir, path);
    const std::string& name = named->second;
    if (name == "none" && !role.required) return "";
    const auto it = std::find_if(channels.begin(), channels.end(), [&](const IbwChannel& c) { return c.name == name; });
    if (it == channels.end()) {
        std::string have;
        for (const IbwChannel& c : channels) have += (have.empty() ? "" : ", ") + c.name;
        throw DataError(path + ": no channel '" + name + "' for " + role.name + "; the file holds: " + have);
    }
    return name;
}

// The channels as scan YAML keys (the .ibw as every channel's file, in the channel's own unit:
// a volts channel must be given a unit and scale by the user); role -> layer.
std::map<std::string, int> choose_channels(const std::vector<IbwChannel>& channels, const UserSettings& u,
                                           ScanDirection dir, const std::string& path, const std::string& abs_path,
                                           YAML::Node& base, OpenedScan& result) {
    std::map<std::string, int> layer_of;
    for (const ChannelRole& role : kChannelRoles) {
        const std::string name = channel_for(channels, role, u, dir, path);
        if (name.empty()) continue;
        for (const IbwChannel& c : channels)
            if (c.name == name) {
                layer_of[role.name] = c.layer;
                base["channels"][role.name]["file"] = abs_path;
                base["channels"][role.name]["unit"] = c.unit;
            }
        result.channel_map.emplace_back(role.name, name);
    }
    return layer_of;
}

// Marks what the user gives as "user"; one ConfigError for every required value that neither
// the note nor the user gives.
void require_note_values(std::vector<NoteParameter>& parameters, const UserSettings& u, const std::string& path) {
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
        throw ConfigError(path + ": values the wave note cannot give; set them with --set KEY=VALUE (or --tip-radius) "
                                 "or in a --config YAML:" + missing);
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

// Rules a configuration from an .ibw must keep beyond the scan YAML's.
void check_ibw_config(const ScanConfig& cfg, const std::map<std::string, int>& layer_of, const std::string& path,
                      const std::string& abs_path) {
    if (cfg.stack.enabled)
        throw ConfigError(path + ": stack: applies to multi-page TIFF channel files, not to an .ibw");
    for (const auto& kv : layer_of) {
        const std::string& role = kv.first;
        if ((cfg.*find_channel_role(role)->spec).file != abs_path)
            throw ConfigError(cfg.source + ": channels." + role + ".file: the channels of a .ibw come from the file "
                                           "itself; name one with channels." + role + ".channel: NAME");
    }
}

// The scan: channels from their layers, then the inputs and regions as every reader records them.
Scan read_layers(const IbwWave& wave, const std::map<std::string, int>& layer_of, const ScanConfig& cfg,
                 const std::string& path, const OpenScanOptions& opt) {
    Scan s;
    s.config = cfg;
    for (const std::string& file : opt.extra_yaml) s.inputs.push_back({"config", file, cached_sha256(file, opt.hashes)});
    s.inputs.push_back({"ibw", path, cached_sha256(path, opt.hashes)});
    for (const ChannelRole& role : kChannelRoles) {
        const auto layer = layer_of.find(role.name);
        if (layer != layer_of.end()) s.*role.image = to_canonical_units(ibw_layer(wave, layer->second), cfg, role);
    }
    if (!cfg.regions.labels_file.empty()) attach_labels(s, read_labels(cfg), opt.hashes);
    attach_hand_drawn_regions(s, opt.hashes);
    return s;
}

int recognise_ibw(const std::string& path, const std::string& head) {
    if (looks_like_ibw(reinterpret_cast<const std::uint8_t*>(head.data()), head.size())) return 100;
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return (char)std::tolower(c); });
    return ext == ".ibw" ? 50 : 0;
}

}  // namespace

const ScanReader kIbwScanReader = {"Asylum .ibw", ".ibw", true, recognise_ibw, load_ibw_scan, describe_ibw};

OpenedScan load_ibw_scan(const std::string& path, const OpenScanOptions& opt) {
    const IbwWave wave = read_ibw(path);
    const std::vector<IbwChannel> channels = ibw_image_channels(wave, path);
    OpenedScan result;
    result.reader = &kIbwScanReader;
    result.parameters = amfm_note_parameters(WaveNote(wave.note), wave);
    const std::string abs_path = fs::absolute(path).lexically_normal().string();
    const UserSettings user = user_settings(path, abs_path, opt);

    YAML::Node base(YAML::NodeType::Map);
    const std::map<std::string, int> layer_of = choose_channels(
        channels, user, opt.direction.value_or(ScanDirection::Retrace), path, abs_path, base, result);
    base["sample"]["name"] = wave.name;
    for (const NoteParameter& p : result.parameters) {
        if (!p.usable()) continue;
        const auto dot = p.key.find('.');
        base[p.key.substr(0, dot)][p.key.substr(dot + 1)] = p.value;
    }
    merge_yaml_over(base, user.extra);
    require_note_values(result.parameters, user, path);

    result.config = parse_scan_config(YAML::Dump(base), user.base_dir, user.source, user.overrides);
    record_user_values(result.parameters, result.config);
    check_ibw_config(result.config, layer_of, path, abs_path);
    result.scan = read_layers(wave, layer_of, result.config, path, opt);
    return result;
}

namespace {

void appendf(std::string& out, const char* format, ...) {
    va_list args, copy;
    va_start(args, format);
    va_copy(copy, args);
    const int n = std::vsnprintf(nullptr, 0, format, copy);
    va_end(copy);
    if (n > 0) {
        std::string line((std::size_t)n + 1, '\0');
        std::vsnprintf(&line[0], line.size(), format, args);
        out.append(line.data(), (std::size_t)n);
    }
    va_end(args);
}

std::string g(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

void describe_channels(std::string& out, const IbwWave& w, const std::vector<IbwChannel>& channels) {
    appendf(out, "channels    %-24s %-5s %14s %14s\n", "name", "unit", "min", "max");
    for (const IbwChannel& c : channels) {
        const Image<double> img = ibw_layer(w, c.layer);
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        for (double v : img.px)
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        appendf(out, "            %-24s %-5s %14s %14s\n", c.name.c_str(), c.unit.c_str(), g(lo).c_str(), g(hi).c_str());
    }
}

void describe_amfm_channels(std::string& out, const std::vector<IbwChannel>& channels, ScanDirection dir,
                            const std::string& path) {
    appendf(out, "AM-FM channels (%s):\n", dir == ScanDirection::Retrace ? "retrace" : "trace");
    for (const ChannelRole& role : kChannelRoles) {
        std::string name;
        try {
            name = pick_amfm_channel(channels, role.name, dir, path);
            if (name.empty()) name = "- (optional; the setpoint is used)";
        } catch (const DataError&) {
            name = "MISSING (name one with --set channels." + std::string(role.name) + ".channel=NAME)";
        }
        appendf(out, "  %-11s %s\n", role.name, name.c_str());
    }
}

void describe_parameters(std::string& out, const WaveNote& note, const IbwWave& w) {
    appendf(out, "AM-FM parameters:\n");
    for (const NoteParameter& p : amfm_note_parameters(note, w)) {
        if (p.usable())
            appendf(out, "  %-19s %-12s from %s%s   [%s]\n", p.key.c_str(), g(p.value).c_str(), p.source.c_str(),
                    p.warning.empty() ? "" : ("; CHECK: " + p.warning).c_str(), p.description.c_str());
        else if (p.key == "cantilever.k2")
            appendf(out, "  %-19s %-12s not in the note: k2 = k1 (f2/f1)^2   [%s]\n", p.key.c_str(), "derived",
                    p.description.c_str());
        else
            appendf(out, "  %-19s %-12s %s   [%s]\n", p.key.c_str(), "NOT SET", p.problem.c_str(), p.description.c_str());
    }
}

}  // namespace

std::string describe_ibw(const std::string& path, ScanDirection direction) {
    const IbwWave w = read_ibw(path);
    const std::vector<IbwChannel> channels = ibw_image_channels(w, path);  // first: a non-image says so alone
    std::string out;
    appendf(out, "file        %s\n", path.c_str());
    appendf(out, "wave        %s (Igor binary wave v%d, %s-endian)\n", w.name.c_str(), w.version,
            w.big_endian ? "big" : "little");
    std::string dims;
    for (int d = 0; d < w.n_dims(); ++d) dims += (d ? " x " : "") + std::to_string(w.dims[(std::size_t)d]);
    appendf(out, "points      %s\n", dims.c_str());
    const WaveNote note(w.note);
    appendf(out, "note        %zu key: value lines\n", note.entries().size());
    describe_channels(out, w, channels);
    describe_amfm_channels(out, channels, direction, path);
    describe_parameters(out, note, w);
    return out;
}

}  // namespace amfm
