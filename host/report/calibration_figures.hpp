// Figures of the calibrations (calibration/calibration.hpp).
#pragma once

#include <string>

#include "host/calibration/calibration.hpp"
#include "host/report/plot_kit.hpp"

namespace amfm {

// The binned ratio with standard-error bars, the polynomial and the cos model (Fig. 6c),
// drawn by figures.hpp's save_error_bar_plot; `stem` is the path without extension.
void save_tilt_fit_figure(const std::string& stem, const TiltFitResult& fit, const std::string& title,
                          const plot::FigureOptions& out);

}  // namespace amfm
