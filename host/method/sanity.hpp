// Sanity checks that catch the user's mistakes: channel values implausible for their declared
// unit, a scan_size other than the files' own, a cantilever and tip left at the template's
// examples, a modulus outside any material's range, most pixels masked, a PLL that lost lock. Each
// finding is a warning (a code and a message naming the channel, key or region); process_scan
// collects them in ScanResult::warnings, the CLI prints them and `--strict` makes them fatal.
// Where nothing meaningful can be computed (every pixel masked) the scan is an error instead.
#pragma once

#include <string>
#include <vector>

#include "host/model/scan.hpp"

namespace amfm {

struct ScanResult;

struct SanityWarning {
    std::string code;     // stable identifier: "height_span", "phase_unit", ...
    std::string message;  // one line naming the channel / key / region and the likely mistake
};

// The loaded channels against their declared units and scan_size, and a cantilever and tip left
// at the template's examples (before any processing).
std::vector<SanityWarning> check_scan_inputs(const Scan& scan);

// What the method made of the scan: most pixels masked, a modulus outside 1 kPa..1 TPa, and
// every region whose quality is not ok (code: the quality's name, e.g. "mostly_beyond_cutoff";
// the whole map's own fit is not one: a map of crystals and binder is rarely one Gaussian).
std::vector<SanityWarning> check_scan_result(const Scan& scan, const ScanResult& result);

// DataError when no pixel of the map is valid, naming the dominant mask reason and the unit
// mistake that most likely caused it (from result.warnings, so check the inputs first).
void require_valid_pixels(const Scan& scan, const ScanResult& result);

// "code: message", as stderr and the reports show a warning.
std::string warning_text(const SanityWarning& w);

}  // namespace amfm
