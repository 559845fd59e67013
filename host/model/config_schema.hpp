// The scan YAML schema: one row per key, from which config.cpp derives the validating reader,
// the commented template (`amfm config`) and the echo of every effective parameter.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/config_reader.hpp"

namespace amfm {

enum class KeyType {
    Section,  // a mapping of the keys below it
    Number,   // a finite double
    Integer,  // within [lo, hi]
    Boolean,
    Text,
    Path,    // a file name, resolved against the YAML's folder
    Choice,  // one of `choices`
    Custom,  // lists, label maps, 'auto'-or-number: `read` and `emit` hooks
    Note,    // a template-only comment line (`note`)
};

enum class Need {
    Optional,  // absent: the default (ScanConfig's member initialiser)
    Required,  // absent: an error (`missing`)
    Unset,     // optional without a meaningful default: commented out in the template, echoed only when given
};

using ReadHook = void (*)(const ConfigReader& r, const YAML::Node& value, const std::string& key, ScanConfig& c);
// Runs after a value key is read (or left at its default), after a section only when it is given:
// checks between keys, units, ranges with their own wording.
using FinishHook = void (*)(const ConfigReader& r, const std::string& key, ScanConfig& c);
// Custom values: writes the value; sections: writes the whole section (key included) or nothing.
using EmitHook = void (*)(YAML::Emitter& out, const ScanConfig& c);
using GivenHook = bool (*)(const ScanConfig& c);

struct ConfigKey {
    std::string key;     // dotted: "cantilever.k1"; for a Note the section it sits in
    std::string parent;  // "cantilever" ("" for a top-level section)
    std::string leaf;    // "k1"
    KeyType type = KeyType::Note;
    Need need = Need::Optional;

    // Where the value lives in a ScanConfig (the one for its type). The accessors only locate
    // the member; readers of a const ScanConfig do not write through them.
    double* (*number)(ScanConfig&) = nullptr;
    int* (*integer)(ScanConfig&) = nullptr;       // Integer; Boolean kept as 0/1
    bool* (*flag)(ScanConfig&) = nullptr;         // Boolean
    std::string* (*text)(ScanConfig&) = nullptr;  // Text, Path; Choice kept as its name
    int (*get)(const ScanConfig&) = nullptr;      // Choice kept as an enum: the value of its name
    void (*set)(ScanConfig&, int) = nullptr;
    std::vector<std::pair<int, std::string>> choices;  // Choice: value and name

    long long lo = 0, hi = 0;                      // Integer: allowed range
    bool positive = false;                         // Number: must be > 0
    double plausible_max = 0.0;                    // Number: larger values are a unit mistake (0: no limit) ...
    const char* unit_hint = "";                    // ... and the error says which unit is meant
    std::string missing = "required key missing";  // the error for an absent Required key

    std::string doc, unit, doc_after_unit;  // template comment: "doc, unit doc_after_unit"
    std::string note;                       // Note: the commented text
    const char* shown = nullptr;            // template value where the default is no example ("10.0e-6")
    bool in_template = true;                // false: accepted and echoed, not (yet) in the template
    bool flow = false;                      // Section echoed as {k: v, ...}

    ReadHook read = nullptr;
    FinishHook finish = nullptr;
    EmitHook emit = nullptr;
    GivenHook given = nullptr;  // Section: echoed only when this holds

    // Modifiers for the table rows.
    ConfigKey& in(const char* u, const char* after = "") {
        unit = u, doc_after_unit = after;
        return *this;
    }
    ConfigKey& show(const char* value) {
        shown = value;
        return *this;
    }
    ConfigKey& hidden() {
        in_template = false;
        return *this;
    }
    ConfigKey& must_be_positive(double max = 0.0, const char* hint = "") {
        positive = true, plausible_max = max, unit_hint = hint;
        return *this;
    }
    ConfigKey& then(FinishHook f) {
        finish = f;
        return *this;
    }
    ConfigKey& when(GivenHook g) {
        given = g;
        return *this;
    }
    ConfigKey& echo(EmitHook e) {
        emit = e;
        return *this;
    }
    ConfigKey& echo_as_flow() {
        flow = true;
        return *this;
    }
    ConfigKey& if_missing(const char* what) {
        missing = what;
        return *this;
    }
};

// Every key of the scan YAML, in template and echo order (a section before its keys).
const std::vector<ConfigKey>& config_schema();

// The first line(s) of the template.
extern const char* const kConfigTemplateHeader;

// Checks across sections, after every key is read.
void check_scan_config(const ConfigReader& r, const ScanConfig& c);

// Writes `key: value` of one row (config.cpp); for section emit hooks.
void emit_config_key(YAML::Emitter& out, const std::string& dotted_key, const ScanConfig& c);

}  // namespace amfm
