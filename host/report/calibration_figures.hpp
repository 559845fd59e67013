// Figures of the calibrations (calibration/calibration.hpp).
#pragma once

#include <string>

#include "host/calibration/calibration.hpp"

namespace amfm {

// The binned ratio with standard-error bars, the polynomial and the cos model (Fig. 6c),
// drawn by figures.hpp's save_error_bar_plot_png.
void save_tilt_fit_png(const std::string& path, const TiltFitResult& fit, const std::string& title);

}  // namespace amfm
