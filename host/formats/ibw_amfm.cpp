// Asylum AM-FM conventions for .ibw files: which channels are height, phase1 and df2, and
// which wave-note keys give the cantilever and the scan size (rules in ibw_scan.hpp). No
// dependencies beyond the IBW reader, so the fuzz target links it alone.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "amfm/kernels/error.hpp"
#include "host/formats/ibw_scan.hpp"

namespace amfm {

namespace {

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

std::string note_source(const WaveNote& note, const std::string& key) {
    const WaveNote::Entry* e = note.find(key);
    return "note " + key + (e ? " (line " + std::to_string(e->line) + ")" : "");
}

// A note value usable as a physical parameter: present, finite, > 0, and not `bad_default`.
// Returns the reason when it is not ("" when it is).
std::string value_problem(const WaveNote& note, const std::string& key, double bad_default = 0.0,
                          const char* default_why = nullptr) {
    const WaveNote::Entry* e = note.find(key);
    if (!e) return key + " not in the note";
    const auto v = note.number(key);
    if (!v) return key + " = '" + e->value + "' is not a number";
    if (!std::isfinite(*v) || *v <= 0.0) return key + " = " + e->value;
    if (default_why && *v == bad_default) return key + " = " + e->value + " (" + default_why + ")";
    return "";
}

// First usable key of `keys`; fills p.value/p.source, or p.problem with every key's reason.
bool take_first(NoteParameter& p, const WaveNote& note, std::initializer_list<const char*> keys, double scale = 1.0) {
    std::string reasons;
    for (const char* k : keys) {
        const std::string why = value_problem(note, k);
        if (why.empty()) {
            p.value = *note.number(k) * scale;
            p.source = note_source(note, k);
            p.problem.clear();
            return true;
        }
        reasons += (reasons.empty() ? "" : "; ") + why;
    }
    p.problem = reasons;
    return false;
}

NoteParameter param(const std::string& key, const std::string& description) {
    NoteParameter p;
    p.key = key;
    p.description = description;
    return p;
}

bool disagree(double a, double b, double rel) { return std::fabs(a - b) > rel * std::max(std::fabs(a), std::fabs(b)); }

NoteParameter spring_constant(const WaveNote& note) {
    NoteParameter k1 = param("cantilever.k1", "first-mode spring constant k1 (N/m)");
    k1.problem = value_problem(note, "SpringConstant", 1.0, "Asylum's uncalibrated default");
    if (k1.problem.empty()) {
        k1.value = *note.number("SpringConstant");
        k1.source = note_source(note, "SpringConstant");
    }
    return k1;
}

// DriveFrequency1, else FrequencyRatio x f1; a warning when both are there and disagree.
NoteParameter second_resonance(const WaveNote& note, const NoteParameter& f1) {
    NoteParameter f2 = param("cantilever.f2", "second-mode resonance f2 (Hz)");
    const bool have_ratio = f1.usable() && value_problem(note, "FrequencyRatio").empty();
    const double f2_from_ratio = have_ratio ? *note.number("FrequencyRatio") * f1.value : 0.0;
    if (take_first(f2, note, {"DriveFrequency1"})) {
        if (have_ratio && disagree(f2.value, f2_from_ratio, 0.05))
            f2.warning = "FrequencyRatio x f1 gives " + num(f2_from_ratio) + " Hz";
    } else if (have_ratio) {
        f2.value = f2_from_ratio;
        f2.source = note_source(note, "FrequencyRatio") + " x f1";
        f2.problem.clear();
    }
    return f2;
}

// AmpInvOLS (m/V) when usable.
std::optional<double> amplitude_invols(const WaveNote& note) {
    const auto invols = note.number("AmpInvOLS");
    if (invols && std::isfinite(*invols) && *invols > 0.0) return invols;
    return std::nullopt;
}

NoteParameter free_amplitude(const WaveNote& note) {
    const std::optional<double> invols = amplitude_invols(note);
    NoteParameter a1free = param("cantilever.a1_free", "first-mode free amplitude A1free (m)");
    if (take_first(a1free, note, {"FreeAirAmplitude"}) && a1free.value > 1.0e-5) {
        // Metres above 10 um are not a cantilever amplitude: the value is the free-air reading in volts.
        if (invols) {
            a1free.value *= *invols;
            a1free.source += " (volts) x AmpInvOLS";
            a1free.warning = "FreeAirAmplitude read as volts";
        } else {
            a1free.problem = "FreeAirAmplitude = " + num(a1free.value) + " looks like volts and AmpInvOLS is missing";
        }
    }
    return a1free;
}

NoteParameter amplitude_setpoint(const WaveNote& note) {
    const std::optional<double> invols = amplitude_invols(note);
    NoteParameter a1set = param("cantilever.a1_set", "first-mode amplitude setpoint A1set (m)");
    const bool have_volts = invols && value_problem(note, "AmplitudeSetpointVolts").empty();
    const double set_from_volts = have_volts ? *note.number("AmplitudeSetpointVolts") * *invols : 0.0;
    if (take_first(a1set, note, {"AmplitudeSetpointMeters"})) {
        if (have_volts && disagree(a1set.value, set_from_volts, 0.05))
            a1set.warning = "AmplitudeSetpointVolts x AmpInvOLS gives " + num(set_from_volts) + " m";
    } else if (have_volts) {
        a1set.value = set_from_volts;
        a1set.source = note_source(note, "AmplitudeSetpointVolts") + " x AmpInvOLS";
        a1set.problem.clear();
    }
    return a1set;
}

// Fast/SlowScanSize, else ScanSize, else the wave's scaling (Asylum: sfA = size/(N-1)).
NoteParameter scan_size(const WaveNote& note, const IbwWave& wave, int axis) {
    NoteParameter s = param(axis == 0 ? "scan_size.x" : "scan_size.y",
                            axis == 0 ? "scan size along x, fast axis (m)" : "scan size along y, slow axis (m)");
    const std::int64_t n = wave.dims[(std::size_t)axis];
    const double from_wave = wave.sf_a[(std::size_t)axis] * (double)(n - 1);
    if (take_first(s, note, {axis == 0 ? "FastScanSize" : "SlowScanSize", "ScanSize"})) {
        if (n > 1 && std::isfinite(from_wave) && from_wave > 0 && disagree(s.value, from_wave, 0.01))
            s.warning = "the wave's scaling gives " + num(from_wave) + " m";
    } else if (n > 1 && std::isfinite(from_wave) && from_wave > 0 && wave.dim_units[(std::size_t)axis] == "m") {
        s.value = from_wave;
        s.source = "wave scaling sfA x (N-1)";
        s.problem.clear();
    }
    return s;
}

}  // namespace

std::vector<NoteParameter> amfm_note_parameters(const WaveNote& note, const IbwWave& wave) {
    std::vector<NoteParameter> out;
    out.push_back(spring_constant(note));
    NoteParameter q1 = param("cantilever.q1", "first-mode quality factor Q1");
    take_first(q1, note, {"ThermalQ", "TuneQResult"});
    out.push_back(q1);
    NoteParameter f1 = param("cantilever.f1", "first-mode resonance f1 (Hz)");
    take_first(f1, note, {"ResFreq1", "DriveFrequency"});
    out.push_back(f1);
    out.push_back(second_resonance(note, f1));
    NoteParameter k2 = param("cantilever.k2", "second-mode spring constant k2 (N/m; optional, else k1 (f2/f1)^2)");
    if (!take_first(k2, note, {"SpringConstant2", "Springconstant2"})) k2.problem.clear();  // optional
    out.push_back(k2);
    out.push_back(free_amplitude(note));
    out.push_back(amplitude_setpoint(note));
    for (int axis = 0; axis < 2; ++axis) out.push_back(scan_size(note, wave, axis));
    NoteParameter tip = param("tip.radius", "tip contact radius R (m)");
    tip.problem = "never taken from the note (calibrate on a reference sample)";
    out.push_back(tip);
    return out;
}

std::string pick_amfm_channel(const std::vector<IbwChannel>& channels, const std::string& role, ScanDirection dir,
                              const std::string& file) {
    const std::string d = dir == ScanDirection::Retrace ? "Retrace" : "Trace";
    std::vector<std::string> candidates;
    if (role == "height") candidates = {"Height" + d, "ZSensor" + d};
    else if (role == "phase1") candidates = {"Phase1" + d, "Phase" + d};
    else if (role == "df2") candidates = {"Frequency" + d, "Frequency2" + d};
    else if (role == "amplitude1") candidates = {"Amplitude1" + d};
    else throw ConfigError("unknown channel role '" + role + "' (height, phase1, df2, amplitude1)");
    for (const std::string& c : candidates)
        for (const IbwChannel& ch : channels)
            if (ch.name == c) return c;
    if (role == "amplitude1") return "";
    std::string have, want;
    for (const IbwChannel& ch : channels) have += (have.empty() ? "" : ", ") + ch.name;
    for (const std::string& c : candidates) want += (want.empty() ? "" : " or ") + c;
    throw DataError(file + ": no " + role + " channel (" + want + "); the file holds: " + have +
                    ". Name one with --set channels." + role + ".channel=NAME");
}

}  // namespace amfm
