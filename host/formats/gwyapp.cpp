// Files read through Gwyddion's file modules (gwyapp.hpp). Without AMFM_HAVE_GWYAPP only the
// rule and the messages are built; reading says the build has no Gwyddion.
#include "host/formats/gwyapp.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <regex>

#include "amfm/kernels/error.hpp"
#include "host/formats/ibw_scan.hpp"

#ifdef AMFM_HAVE_GWYAPP
#include <app/gwyapp.h>
#include <libgwyddion/gwyddion.h>
#include <libgwymodule/gwymodule-file.h>
#include <libprocess/gwyprocess.h>
#endif

namespace amfm {

namespace fs = std::filesystem;

#ifdef AMFM_HAVE_GWYAPP

bool gwyapp_built() { return true; }

namespace {

// Gwyddion's library state is global and not thread-safe: one call at a time, modules loaded
// on first use (about 30 ms) rather than at program start.
std::mutex& gwyapp_lock() {
    static std::mutex m;
    return m;
}

void init_gwyapp_locked() {
    static bool done = false;
    if (done) return;
    gwy_app_init_nongui(nullptr);
    done = true;
}

std::string take_gstring(gchar* s) {
    std::string out = s ? s : "";
    g_free(s);
    return out;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

struct ContainerRef {
    GwyContainer* c;
    ~ContainerRef() {
        if (c) g_object_unref(c);
    }
};

void collect_metadata(gpointer key, gpointer value, gpointer user) {
    auto* meta = static_cast<std::map<std::string, std::string>*>(user);
    const GValue* v = static_cast<const GValue*>(value);
    if (G_VALUE_HOLDS_STRING(v) && g_value_get_string(v))
        (*meta)[g_quark_to_string(GPOINTER_TO_UINT(key))] = g_value_get_string(v);
}

GwyappChannel channel_of(GwyContainer* c, int id) {
    GwyDataField* f = GWY_DATA_FIELD(gwy_container_get_object(c, gwy_app_get_data_key_for_id(id)));
    GwyappChannel ch;
    ch.title = take_gstring(gwy_app_get_data_field_title(c, id));
    ch.z_unit = take_gstring(gwy_si_unit_get_string(gwy_data_field_get_si_unit_z(f), GWY_SI_UNIT_FORMAT_PLAIN));
    ch.xy_unit = take_gstring(gwy_si_unit_get_string(gwy_data_field_get_si_unit_xy(f), GWY_SI_UNIT_FORMAT_PLAIN));
    ch.xreal = gwy_data_field_get_xreal(f);
    ch.yreal = gwy_data_field_get_yreal(f);
    ch.values = Image<double>(gwy_data_field_get_xres(f), gwy_data_field_get_yres(f));
    const gdouble* data = gwy_data_field_get_data_const(f);
    std::copy(data, data + ch.values.size(), ch.values.px.begin());
    return ch;
}

}  // namespace

std::string gwyapp_detect(const std::string& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return "";
    std::lock_guard<std::mutex> lock(gwyapp_lock());
    init_gwyapp_locked();
    const gchar* module = gwy_file_detect(path.c_str(), FALSE, GWY_FILE_OPERATION_LOAD);
    return module ? module : "";
}

GwyappFile read_gwyapp(const std::string& path) {
    std::lock_guard<std::mutex> lock(gwyapp_lock());
    init_gwyapp_locked();
    GError* err = nullptr;
    const gchar* module = nullptr;
    ContainerRef data{gwy_file_load_with_func(path.c_str(), GWY_RUN_NONINTERACTIVE, &module, &err)};
    if (!data.c) {
        const std::string why = err ? first_line(err->message) : "Gwyddion cannot read it";
        if (err) g_error_free(err);
        throw DataError(path + ": " + why);
    }
    GwyappFile file;
    file.module = module ? module : "";
    gint* ids = gwy_app_data_browser_get_data_ids(data.c);
    for (gint* id = ids; *id >= 0; ++id) {
        file.channels.push_back(channel_of(data.c, *id));
        GwyContainer* meta = nullptr;
        const std::string key = "/" + std::to_string(*id) + "/meta";
        if (file.metadata.empty() && gwy_container_gis_object_by_name(data.c, key.c_str(), &meta))
            gwy_container_foreach(meta, nullptr, collect_metadata, &file.metadata);
    }
    g_free(ids);
    if (file.channels.empty()) throw DataError(path + ": Gwyddion's " + file.module + " module found no image channel");
    return file;
}

void write_gwyapp(const std::string& path, const std::vector<GwyappChannel>& channels,
                  const std::map<std::string, std::string>& meta) {
    std::lock_guard<std::mutex> lock(gwyapp_lock());
    init_gwyapp_locked();
    ContainerRef data{gwy_container_new()};
    for (std::size_t i = 0; i < channels.size(); ++i) {
        const GwyappChannel& ch = channels[i];
        GwyDataField* f = gwy_data_field_new(ch.values.nx, ch.values.ny, ch.xreal, ch.yreal, FALSE);
        std::copy(ch.values.px.begin(), ch.values.px.end(), gwy_data_field_get_data(f));
        gwy_si_unit_set_from_string(gwy_data_field_get_si_unit_z(f), ch.z_unit.c_str());
        gwy_si_unit_set_from_string(gwy_data_field_get_si_unit_xy(f), ch.xy_unit.c_str());
        gwy_container_set_object(data.c, gwy_app_get_data_key_for_id((gint)i), f);
        g_object_unref(f);
        const std::string title_key = "/" + std::to_string(i) + "/data/title";
        gwy_container_set_const_string_by_name(data.c, title_key.c_str(), reinterpret_cast<const guchar*>(ch.title.c_str()));
    }
    if (!meta.empty()) {
        GwyContainer* m = gwy_container_new();
        for (const auto& kv : meta) gwy_container_set_const_string_by_name(m, kv.first.c_str(),
                                                                           reinterpret_cast<const guchar*>(kv.second.c_str()));
        gwy_container_set_object_by_name(data.c, "/0/meta", m);
        g_object_unref(m);
    }
    GError* err = nullptr;
    if (!gwy_file_save(data.c, path.c_str(), GWY_RUN_NONINTERACTIVE, &err)) {
        const std::string why = err ? first_line(err->message) : "Gwyddion cannot write it";
        if (err) g_error_free(err);
        throw DataError(path + ": " + why);
    }
}

#else

bool gwyapp_built() { return false; }

std::string gwyapp_detect(const std::string&) { return ""; }

GwyappFile read_gwyapp(const std::string& path) {
    throw DataError(path + ": this amfm is built without Gwyddion (libgwyddion20-dev), which reads this format");
}

void write_gwyapp(const std::string& path, const std::vector<GwyappChannel>&, const std::map<std::string, std::string>&) {
    throw DataError(path + ": this amfm is built without Gwyddion (libgwyddion20-dev)");
}

#endif

namespace {

std::string normalised(const std::string& title) {
    std::string out;
    for (unsigned char c : title)
        if (std::isalnum(c)) out += (char)std::tolower(c);
    return out;
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The title without its direction suffix; `dir` set to it, "" when the title has none.
std::string strip_direction(const std::string& name, std::string& dir) {
    static const std::pair<const char*, const char*> kSuffixes[] = {
        {"retrace", "retrace"}, {"backward", "retrace"}, {"bwd", "retrace"},
        {"trace", "trace"},     {"forward", "trace"},    {"fwd", "trace"}};
    for (const auto& s : kSuffixes)
        if (ends_with(name, s.first) && name.size() > std::char_traits<char>::length(s.first)) {
            dir = s.second;
            return name.substr(0, name.size() - std::char_traits<char>::length(s.first));
        }
    dir.clear();
    return name;
}

std::vector<std::string> role_patterns(const std::string& role) {
    if (role == "height") return {"height", "zsensor", "heightsensor", "topography", "topo", "z"};
    if (role == "phase1") return {"phase1", "phase"};
    if (role == "df2") return {"frequency", "frequency2", "df2", "frequencyshift", "df"};
    if (role == "amplitude1") return {"amplitude1"};
    throw ConfigError("unknown channel role '" + role + "' (height, phase1, df2, amplitude1)");
}

}  // namespace

std::string pick_gwyapp_channel(const std::vector<FileChannel>& channels, const std::string& role, ScanDirection dir,
                                const std::string& file) {
    const std::string wanted = dir == ScanDirection::Retrace ? "retrace" : "trace";
    const std::vector<std::string> patterns = role_patterns(role);
    for (const std::string& pattern : patterns)
        for (const char* accept : {wanted.c_str(), ""})
            for (const FileChannel& ch : channels) {
                std::string has;
                if (strip_direction(normalised(ch.name), has) == pattern && has == accept) return ch.name;
            }
    if (role == "amplitude1") return "";
    std::string have;
    for (const FileChannel& ch : channels) have += (have.empty() ? "" : ", ") + ch.name;
    throw DataError(file + ": no " + role + " channel (titles like " + patterns.front() + "); the file holds: " +
                    have + ". Name one with --set channels." + role + ".channel=NAME");
}

namespace {

bool plain_image_module(const std::string& module) {
    static const char* const kImageModules[] = {"pixmap", "tiff", "tiffbig", "hdrimage", "imgexport", "jpeg", "png"};
    return std::find(std::begin(kImageModules), std::end(kImageModules), module) != std::end(kImageModules);
}

int recognise_gwyapp(const std::string& path, const std::string& head) {
    if (head.empty()) return 0;
    const std::string module = gwyapp_detect(path);
    return module.empty() || plain_image_module(module) ? 0 : 1;
}

// Asylum's note keys, where the file's metadata holds them (an Asylum file read by Gwyddion);
// the scan size from the fields' physical size.
std::vector<NoteParameter> metadata_parameters(const GwyappFile& g) {
    std::string note_text;
    for (const auto& kv : g.metadata) note_text += kv.first + ": " + kv.second + "\n";
    std::vector<NoteParameter> out = amfm_note_parameters(WaveNote(note_text), IbwWave{});
    static const std::regex kLine(R"( \(line \d+\))");
    for (NoteParameter& p : out) {
        p.source = std::regex_replace(p.source, kLine, "");
        if (p.source.compare(0, 5, "note ") == 0) p.source = "metadata " + p.source.substr(5);
        p.problem = std::regex_replace(p.problem, std::regex("the note"), "the metadata");
        const GwyappChannel& first = g.channels.front();
        if (p.key != "scan_size.x" && p.key != "scan_size.y") continue;
        const double size = p.key == "scan_size.x" ? first.xreal : first.yreal;
        if (first.xy_unit == "m" && std::isfinite(size) && size > 0) {
            p.value = size;
            p.source = "the file's physical size";
            p.problem.clear();
            p.warning.clear();
        } else if (!p.usable()) {
            p.problem = "the file's lateral unit is '" + first.xy_unit + "', not m";
        }
    }
    return out;
}

std::vector<FileChannel> file_channels(const GwyappFile& g) {
    std::vector<FileChannel> out;
    for (std::size_t i = 0; i < g.channels.size(); ++i) out.push_back({g.channels[i].title, g.channels[i].z_unit, (int)i});
    return out;
}

OpenedScan open_gwyapp(const std::string& path, const OpenScanOptions& opt) {
    auto g = std::make_shared<const GwyappFile>(read_gwyapp(path));
    ChannelFile file;
    file.path = path;
    file.input_role = "gwyddion";
    file.kind = "a file read by Gwyddion";
    file.values_from = "the file's metadata";
    file.sample = fs::path(path).stem().string();
    file.channels = file_channels(*g);
    file.parameters = metadata_parameters(*g);
    file.metadata = g->metadata;
    const ScanDirection dir = opt.direction.value_or(ScanDirection::Retrace);
    file.pick = [channels = file.channels, dir, path](const std::string& role) {
        return pick_gwyapp_channel(channels, role, dir, path);
    };
    file.read = [g](int index) { return g->channels[(std::size_t)index].values; };
    OpenedScan result = open_channel_file(std::move(file), opt);
    result.reader = &kGwyappScanReader;
    return result;
}

std::string g6(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

std::string describe_gwyapp(const std::string& path, ScanDirection direction) {
    const GwyappFile g = read_gwyapp(path);
    std::string out = "file        " + path + "\nformat      read by Gwyddion's " + g.module + " module\n";
    char buf[512];
    std::snprintf(buf, sizeof buf, "channels    %-24s %-5s %-9s %-18s %14s %14s\n", "title", "unit", "pixels",
                  "size", "min", "max");
    out += buf;
    for (const GwyappChannel& c : g.channels) {
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        for (double v : c.values.px)
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        const std::string pixels = std::to_string(c.values.nx) + "x" + std::to_string(c.values.ny);
        const std::string size = c.xy_unit == "m" ? g6(c.xreal * 1e6) + " x " + g6(c.yreal * 1e6) + " um"
                                                  : g6(c.xreal) + " x " + g6(c.yreal) + " " + c.xy_unit;
        std::snprintf(buf, sizeof buf, "            %-24s %-5s %-9s %-18s %14s %14s\n", c.title.c_str(),
                      c.z_unit.empty() ? "-" : c.z_unit.c_str(), pixels.c_str(), size.c_str(), g6(lo).c_str(),
                      g6(hi).c_str());
        out += buf;
    }
    out += "metadata    " + std::to_string(g.metadata.size()) + " entries (kept in regions.json)\n";
    const std::vector<FileChannel> channels = file_channels(g);
    out += describe_channel_choice(
        [&](const std::string& role) { return pick_gwyapp_channel(channels, role, direction, path); }, direction);
    out += describe_file_parameters(metadata_parameters(g), "the metadata");
    return out;
}

}  // namespace

const ScanReader kGwyappScanReader = {"any format Gwyddion's file modules read",
                                      ".gwy, Bruker .spm/.di/.00N, JPK .jpk, Park .tiff, NT-MDT .mdt, Nanosurf .nid, ...",
                                      true, recognise_gwyapp, open_gwyapp, describe_gwyapp, true};

}  // namespace amfm
