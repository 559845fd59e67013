// An Asylum AM-FM scan (.ibw) as an amfm Scan: which channels are height, phase1 and df2, and
// which wave-note keys give the cantilever parameters and the scan size, each with its source.
//
// Channel rule (direction Retrace by default, or Trace):
//   height     Height<dir>, else ZSensor<dir>
//   phase1     Phase1<dir>, else Phase<dir>
//   df2        Frequency<dir>, else Frequency2<dir>   (frequency shift of the tracked 2nd mode, Hz)
//   amplitude1 Amplitude1<dir> when present (per-pixel A1; optional)
// `channels.<role>.channel: NAME` in the extra YAML (or --set) names a channel explicitly;
// `channels.amplitude1.channel: none` uses the setpoint instead of the amplitude channel.
//
// Note keys (first occurrence; values that are missing, 0, NaN, inf or a known uncalibrated
// default are flagged and not used, so the user must give the value):
//   cantilever.k1       SpringConstant (1 = Asylum's uncalibrated default)
//   cantilever.q1       ThermalQ, else TuneQResult
//   cantilever.f1       ResFreq1, else DriveFrequency
//   cantilever.f2       DriveFrequency1, else FrequencyRatio x f1 (warning when both disagree by > 5 %)
//   cantilever.k2       SpringConstant2 when > 0 (else k2 = k1 (f2/f1)^2)
//   cantilever.a1_free  FreeAirAmplitude (metres; a value above 10 um is taken as volts x AmpInvOLS)
//   cantilever.a1_set   AmplitudeSetpointMeters, else AmplitudeSetpointVolts x AmpInvOLS
//   scan_size.x / .y    FastScanSize / SlowScanSize, else ScanSize, else the wave's scaling
// The tip radius never comes from the note (it is a calibration on a reference sample).
// `stack:` does not apply (stacks are multi-page TIFF channel files): ConfigError.
#pragma once

#include <string>
#include <vector>

#include "host/formats/ibw.hpp"
#include "host/formats/open_scan.hpp"
#include "host/model/scan.hpp"

namespace amfm {

// Recognises a version 5 Igor binary wave by its headers (whatever the name), or by the name
// .ibw (so that a damaged one gets the wave reader's message); opens with load_ibw_scan and
// describes with describe_ibw.
extern const ScanReader kIbwScanReader;

// Every AM-FM parameter the note can give, in a fixed order, with its source or its problem.
// `wave` supplies the scan-size fallback from its dimension scaling.
std::vector<NoteParameter> amfm_note_parameters(const WaveNote& note, const IbwWave& wave);

// The channel for a role ("height", "phase1", "df2", "amplitude1") by the rule above; "" when
// the optional amplitude1 is absent. DataError listing the file's channels when a required
// one is missing.
std::string pick_amfm_channel(const std::vector<IbwChannel>& channels, const std::string& role, ScanDirection dir,
                              const std::string& file);

// Builds the scan configuration from the file (channels, note parameters), merges the extra
// YAMLs (relative paths in them resolve against the first one's folder) and the overrides over
// it, validates it with the scan YAML rules, and loads the channels in canonical units; the
// scan is always read (OpenedScan::scan is set). ConfigError listing every required value the
// note could not give (with the reason) unless the user gives it; DataError for unreadable
// files or missing channels.
OpenedScan load_ibw_scan(const std::string& path, const OpenScanOptions& options);

// `amfm info FILE.ibw`: channels with unit and value range, the AM-FM channel choice, every
// note parameter with its source (or why it cannot be used) and any warning.
std::string describe_ibw(const std::string& path, ScanDirection direction);

}  // namespace amfm
