// The row builders of the scan YAML schema table (config_schema.cpp), one per kind of key: each
// makes a ConfigKey with its type, need, accessor and doc. Included by config_schema.cpp only.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "host/model/config_schema.hpp"

namespace amfm::schema_rows {

inline ConfigKey row(const std::string& key, KeyType type, Need need, const char* doc) {
    ConfigKey k;
    k.key = key;
    const auto dot = key.rfind('.');
    k.parent = dot == std::string::npos ? "" : key.substr(0, dot);
    k.leaf = dot == std::string::npos ? key : key.substr(dot + 1);
    k.type = type;
    k.need = need;
    k.doc = doc;
    return k;
}

inline ConfigKey section(const std::string& key, Need need, const char* doc) {
    return row(key, KeyType::Section, need, doc);
}

inline ConfigKey note(const std::string& in_section, const char* text, const char* doc) {
    ConfigKey k = row(in_section + ".", KeyType::Note, Need::Unset, doc);
    k.key = k.parent = in_section;
    k.leaf.clear();
    k.note = text;
    return k;
}

inline ConfigKey number(const std::string& key, Need need, double* (*at)(ScanConfig&), const char* doc) {
    ConfigKey k = row(key, KeyType::Number, need, doc);
    k.number = at;
    return k;
}

inline ConfigKey integer(const std::string& key, Need need, int* (*at)(ScanConfig&), long long lo, long long hi,
                  const char* doc) {
    ConfigKey k = row(key, KeyType::Integer, need, doc);
    k.integer = at;
    k.lo = lo, k.hi = hi;
    return k;
}

inline ConfigKey boolean(const std::string& key, bool* (*at)(ScanConfig&), const char* doc) {
    ConfigKey k = row(key, KeyType::Boolean, Need::Optional, doc);
    k.flag = at;
    return k;
}

inline ConfigKey boolean(const std::string& key, int* (*at)(ScanConfig&), const char* doc) {
    ConfigKey k = row(key, KeyType::Boolean, Need::Optional, doc);
    k.integer = at;
    return k;
}

inline ConfigKey text(const std::string& key, Need need, std::string* (*at)(ScanConfig&), const char* doc) {
    ConfigKey k = row(key, KeyType::Text, need, doc);
    k.text = at;
    return k;
}

inline ConfigKey path(const std::string& key, Need need, std::string* (*at)(ScanConfig&), const char* doc) {
    ConfigKey k = row(key, KeyType::Path, need, doc);
    k.text = at;
    return k;
}

// "{}" in a choice's doc lists its names ("a | b | c"), so a new name shows in the template.
inline void list_choices_in_doc(ConfigKey& k) {
    const auto at = k.doc.find("{}");
    if (at == std::string::npos) return;
    std::string names;
    for (const auto& c : k.choices) names += (names.empty() ? "" : " | ") + c.second;
    k.doc.replace(at, 2, names);
}

// A choice kept as its name.
inline ConfigKey choice(const std::string& key, std::string* (*at)(ScanConfig&),
                        std::initializer_list<const char*> names, const char* doc) {
    ConfigKey k = row(key, KeyType::Choice, Need::Optional, doc);
    k.text = at;
    int i = 0;
    for (const char* n : names) k.choices.emplace_back(i++, n);
    list_choices_in_doc(k);
    return k;
}

// The {value, name} rows of an enum's names table, e.g. names_of(kKcModelNames, &KcModelName::model).
template <class Row, std::size_t N, class Enum>
inline std::vector<std::pair<int, std::string>> names_of(const Row (&table)[N], Enum Row::*value) {
    std::vector<std::pair<int, std::string>> out;
    for (const Row& r : table) out.emplace_back((int)(r.*value), r.name);
    return out;
}

// A choice kept as an enum.
inline ConfigKey choice(const std::string& key, int (*get)(const ScanConfig&), void (*set)(ScanConfig&, int),
                 std::vector<std::pair<int, std::string>> names, const char* doc) {
    ConfigKey k = row(key, KeyType::Choice, Need::Optional, doc);
    k.get = get, k.set = set;
    k.choices = std::move(names);
    list_choices_in_doc(k);
    return k;
}

inline ConfigKey custom(const std::string& key, Need need, ReadHook read, EmitHook emit, const char* doc) {
    ConfigKey k = row(key, KeyType::Custom, need, doc);
    k.read = read, k.emit = emit;
    return k;
}

}  // namespace amfm::schema_rows
