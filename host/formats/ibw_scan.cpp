// Asylum AM-FM .ibw files as amfm Scans (rules in ibw_scan.hpp).
#include "host/formats/ibw_scan.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "amfm/kernels/error.hpp"
#include "host/formats/roi_io.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/model/channels.hpp"
#include "host/model/hash.hpp"
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

}  // namespace

IbwScan load_ibw_scan(const std::string& path, const IbwScanOptions& opt) {
    const IbwWave wave = read_ibw(path);
    const std::vector<IbwChannel> channels = ibw_image_channels(wave, path);
    const WaveNote note(wave.note);
    IbwScan result;
    result.parameters = amfm_note_parameters(note, wave);

    YAML::Node extra(YAML::NodeType::Map);
    std::string base_dir = fs::path(path).parent_path().string();
    std::string source = path;
    for (const std::string& file : opt.extra_yaml) {
        YAML::Node one;
        try {
            one = YAML::LoadFile(file);
        } catch (const YAML::BadFile&) {
            throw ConfigError(file + ": no such file");
        } catch (const YAML::Exception& e) {
            throw ConfigError(file + ": cannot parse YAML: " + e.msg);
        }
        if (one.IsNull()) one = YAML::Node(YAML::NodeType::Map);
        if (!one.IsMap()) throw ConfigError(file + ": <document>: expected a mapping of sections");
        merge_yaml_over(extra, one);
        if (file == opt.extra_yaml.front()) base_dir = fs::path(file).parent_path().string();
        source += " + " + file;
    }
    if (base_dir.empty()) base_dir = ".";

    const std::string abs_path = fs::absolute(path).lexically_normal().string();
    // Channel names: explicit (YAML or --set channels.<role>.channel), else the rule. The
    // `channel` keys are taken out here: the scan YAML itself knows only files.
    std::vector<std::string> overrides;
    std::map<std::string, std::string> explicit_channel;
    for (const std::string& o : opt.overrides) {
        bool taken = false;
        for (const char* role : {"height", "phase1", "df2", "amplitude1"}) {
            const std::string key = std::string("channels.") + role + ".channel=";
            if (o.compare(0, key.size(), key) == 0) {
                explicit_channel[role] = o.substr(key.size());
                taken = true;
            }
        }
        if (!taken) overrides.push_back(o);
    }
    if (extra["channels"].IsMap())
        for (const char* role : {"height", "phase1", "df2", "amplitude1"}) {
            YAML::Node ch = extra["channels"][role];
            if (!ch.IsMap() || !ch["channel"].IsDefined()) continue;
            if (!explicit_channel.count(role)) explicit_channel[role] = ch["channel"].as<std::string>();
            ch.remove("channel");
            if (!ch["file"].IsDefined()) ch["file"] = abs_path;
        }

    YAML::Node base(YAML::NodeType::Map);
    std::map<std::string, int> layer_of;
    for (const char* role : {"height", "phase1", "df2", "amplitude1"}) {
        std::string name;
        if (explicit_channel.count(role)) {
            name = explicit_channel[role];
            if (name == "none" && std::string(role) == "amplitude1") continue;
            const auto it = std::find_if(channels.begin(), channels.end(), [&](const IbwChannel& c) { return c.name == name; });
            if (it == channels.end()) {
                std::string have;
                for (const IbwChannel& c : channels) have += (have.empty() ? "" : ", ") + c.name;
                throw DataError(path + ": no channel '" + name + "' for " + role + "; the file holds: " + have);
            }
        } else {
            name = pick_amfm_channel(channels, role, opt.direction, path);
            if (name.empty()) continue;
        }
        for (const IbwChannel& c : channels)
            if (c.name == name) {
                layer_of[role] = c.layer;
                base["channels"][role]["file"] = abs_path;
                // Always the channel's own unit: a volts channel must be given a unit and scale by the user.
                base["channels"][role]["unit"] = c.unit;
            }
        result.channel_map.emplace_back(role, name);
    }
    base["sample"]["name"] = wave.name;
    for (const NoteParameter& p : result.parameters) {
        if (!p.usable()) continue;
        const auto dot = p.key.find('.');
        base[p.key.substr(0, dot)][p.key.substr(dot + 1)] = p.value;
    }
    merge_yaml_over(base, extra);

    // Required values the note could not give and the user did not either: one message for all.
    std::string missing;
    for (NoteParameter& p : result.parameters) {
        const bool user = has_key(extra, p.key) || overridden(overrides, p.key);
        if (user) {
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

    const ScanConfig cfg = parse_scan_config(YAML::Dump(base), base_dir, source, overrides);
    for (NoteParameter& p : result.parameters)
        if (p.source == "user") {
            const Cantilever& c = cfg.cantilever;
            const std::pair<const char*, double> now[] = {
                {"cantilever.k1", c.k1_n_per_m}, {"cantilever.q1", c.q1},       {"cantilever.f1", c.f1_hz},
                {"cantilever.f2", c.f2_hz},      {"cantilever.k2", c.k2_n_per_m}, {"cantilever.a1_free", c.a1_free_m},
                {"cantilever.a1_set", c.a1_set_m}, {"scan_size.x", cfg.scan_size_x_m}, {"scan_size.y", cfg.scan_size_y_m},
                {"tip.radius", cfg.tip_radius_m}};
            for (const auto& kv : now)
                if (p.key == kv.first) p.value = kv.second;
        }

    for (const auto& kv : layer_of) {
        const std::string& role = kv.first;
        const ChannelSpec& spec = role == "height" ? cfg.height : role == "phase1" ? cfg.phase1 : role == "df2" ? cfg.df2 : cfg.amplitude1;
        if (spec.file != abs_path)
            throw ConfigError(source + ": channels." + role + ".file: the channels of a .ibw come from the file itself; "
                                       "name one with channels." + role + ".channel: NAME");
    }
    Scan& s = result.scan;
    s.config = cfg;
    for (const std::string& file : opt.extra_yaml) s.inputs.push_back({"config", file, sha256_file(file)});
    s.inputs.push_back({"ibw", path, sha256_file(path)});
    auto load = [&](const char* role, const ChannelSpec& spec, double offset) {
        const Image<double> raw = ibw_layer(wave, layer_of.at(role));
        const double factor = spec.scale * channel_unit_factor(role, spec.unit);
        Image<float> img(raw.nx, raw.ny);
        for (std::size_t i = 0; i < raw.size(); ++i) img.px[i] = (float)(raw.px[i] * factor - offset);
        return img;
    };
    s.height_m = load("height", cfg.height, 0.0);
    s.phase1_deg = load("phase1", cfg.phase1, 0.0);
    s.df2_hz = load("df2", cfg.df2, cfg.df2.absolute ? cfg.cantilever.f2_hz : 0.0);
    if (layer_of.count("amplitude1")) s.amplitude1_m = load("amplitude1", cfg.amplitude1, 0.0);
    if (!cfg.regions.labels_file.empty()) {
        s.labels = read_label_image(cfg.regions.labels_file);
        if (s.labels.nx != s.nx() || s.labels.ny != s.ny())
            throw DataError(cfg.regions.labels_file + ": size " + std::to_string(s.labels.nx) + "x" +
                            std::to_string(s.labels.ny) + " does not match " + path + " (" + std::to_string(s.nx()) +
                            "x" + std::to_string(s.ny()) + ")");
        s.inputs.push_back({"labels", cfg.regions.labels_file, sha256_file(cfg.regions.labels_file)});
    }
    if (!cfg.regions.rois_file.empty() || !cfg.regions.mask_files.empty()) {  // ImageJ ROIs or masks
        s.labels = hand_drawn_labels(cfg.regions, s.nx(), s.ny());
        for (const std::string& f : hand_drawn_files(cfg.regions)) s.inputs.push_back({"regions", f, sha256_file(f)});
    }
    return result;
}

}  // namespace amfm
