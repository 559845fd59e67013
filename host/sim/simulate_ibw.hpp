// A simulated scan as an Asylum-style AM-FM .ibw (amfm simulate --format ibw).
#pragma once

#include <string>

#include "host/sim/simulate.hpp"

namespace amfm {

// Writes into `dir` (which write_simulated_scan has filled): scan.ibw, a 3-D float32 wave with
// layers HeightRetrace (m), Phase1Retrace (deg), FrequencyRetrace (Hz) and an Asylum-style note
// holding the cantilever (SpringConstant, ThermalQ, ResFreq1, DriveFrequency1, FrequencyRatio,
// FreeAirAmplitude, AmplitudeSetpointMeters/Volts, AmpInvOLS, Fast/SlowScanSize); and
// ibw_extra.yaml with what a note never holds: tip radius, Kc model, label image and names.
void write_simulated_ibw(const SimulatedScan& sim, const std::string& dir);

}  // namespace amfm
