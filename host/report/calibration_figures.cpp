// Figures of the calibrations: Fig. 6c (tilt fit).
#include "host/report/calibration_figures.hpp"

#include "amfm/kernels/tilt_correction.hpp"
#include "host/report/figures.hpp"
#include "host/report/plot_format.hpp"

namespace amfm {

void save_tilt_fit_figure(const std::string& stem, const TiltFitResult& fit, const std::string& title,
                          const plot::FigureOptions& out) {
    ErrorBarPlot p;
    p.title = title;
    p.x_label = "Tilt angle θ (°)";
    p.y_label = "Apparent / nominal modulus";
    p.x0 = 0.0;
    p.x1 = fit.options.slide_angle_deg;
    for (const TiltBin& b : fit.bins)
        if (b.count > 1) {
            p.x.push_back(b.mean_tilt_deg);
            p.y.push_back(b.mean_ratio);
            p.err.push_back(b.se_ratio);
        }
    p.points_label = "binned ratio ± SE (" + std::to_string(fit.n_binned) + " px)";
    ErrorBarPlot::Curve poly{"polynomial, order " + std::to_string(fit.polynomial.n_coefficients - 1), 0, {}, {}};
    ErrorBarPlot::Curve cosm{"cosⁿθ, n = " + plot::format_fixed(fit.cos_exponent, 2), 1, {}, {}};
    TiltCorrection cos_model = fit.polynomial;
    cos_model.model = KcModel::CosPower;
    for (int i = 0; i <= 200; ++i) {
        const double t = fit.polynomial.max_angle_deg * i / 200.0;
        poly.x.push_back(t);
        poly.y.push_back(kc_factor(fit.polynomial, t));
    }
    for (int i = 0; i <= 200; ++i) {
        const double t = p.x1 * i / 200.0;
        cosm.x.push_back(t);
        cosm.y.push_back(kc_factor(cos_model, t));
    }
    p.curves = {poly, cosm};
    p.vline_x = fit.polynomial.max_angle_deg;
    p.vline_label = "cutoff " + plot::format_fixed(fit.polynomial.max_angle_deg, 0) + "°";
    save_error_bar_plot(stem, p, out);
}

}  // namespace amfm
