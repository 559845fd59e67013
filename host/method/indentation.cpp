// Indentation depth per pixel and its medians (rules in indentation.hpp).
#include "host/method/indentation.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <string>

#include "amfm/kernels/mask.hpp"
#include "amfm/kernels/physics.hpp"
#include "host/method/quantiles.hpp"

namespace amfm {

namespace {

double median_of(std::vector<float>& values) { return quantiles_inplace(values, {0.5})[0]; }

}  // namespace

Image<float> indentation_map_nm(const Scan& scan, const Image<std::uint8_t>& mask) {
    const ModulusModel model = make_modulus_model(scan.config.cantilever, scan.config.tip_radius_m);
    Image<float> out(scan.nx(), scan.ny(), kUninitialized);  // every pixel written below
    const float* phase = scan.phase1_deg.data();
    const float* df2 = scan.df2_hz.data();
    const std::uint8_t* m = mask.data();
    float* depth = out.data();
    const long long n = (long long)out.size();
#pragma omp parallel for schedule(static)
    for (long long i = 0; i < n; ++i) {
        const double d_m = amfm_indentation_m(model, (double)phase[i], (double)df2[i]);
        depth[i] = (m[i] & kMaskInvalid) ? NAN : (float)(d_m * 1e9);
    }
    return out;
}

IndentationStats indentation_stats(const Image<float>& indentation_nm, const RegionMap& regions,
                                   const StatisticsResult& stats) {
    const std::size_t n_regions = regions.regions.size();
    std::vector<std::vector<float>> by_region(n_regions);
    for (std::size_t r = 0; r < n_regions && r < stats.regions.size(); ++r)
        by_region[r].reserve((std::size_t)stats.regions[r].pixels.n_valid);
    const std::int32_t* index = regions.index.data();
    for (std::size_t i = 0; i < indentation_nm.size(); ++i) {
        const float d = indentation_nm.px[i];
        if (std::isfinite(d) && index[i] >= 0) by_region[(std::size_t)index[i]].push_back(d);
    }
    std::map<int, std::size_t> region_of_label;
    for (std::size_t r = 0; r < n_regions; ++r) region_of_label[regions.regions[r].label] = r;

    IndentationStats out;
    for (const ClassStats& c : stats.classes) {
        std::vector<float> joined;
        for (int label : c.labels) {
            const std::vector<float>& v = by_region[region_of_label.at(label)];
            joined.insert(joined.end(), v.begin(), v.end());
        }
        out.class_median_nm.push_back(median_of(joined));
    }
    for (std::vector<float>& v : by_region) out.region_median_nm.push_back(median_of(v));
    // The whole map's median straight from the map: no list of its values.
    std::vector<double> map_median;
    auto finite = [](float d) { return std::isfinite(d); };
    if (indentation_nm.size() >= kMinRadixQuantiles && radix_quantiles(indentation_nm.px, finite, {0.5}, map_median)) {
        out.map_median_nm = map_median[0];
    } else {
        std::vector<float> whole_map;
        for (float d : indentation_nm.px)
            if (finite(d)) whole_map.push_back(d);
        out.map_median_nm = median_of(whole_map);
    }
    return out;
}

std::vector<SanityWarning> indentation_warnings(const StatisticsResult& stats, const IndentationStats& indentation,
                                                double interphase_thickness_nm) {
    std::vector<SanityWarning> out;
    const double limit_nm = kIndentationThicknessShare * interphase_thickness_nm;
    for (std::size_t r = 0; r < stats.regions.size() && r < indentation.region_median_nm.size(); ++r) {
        const double median_nm = indentation.region_median_nm[r];
        if (!(median_nm > limit_nm)) continue;
        const RegionInfo& info = stats.regions[r].info;
        char text[256];
        std::snprintf(text, sizeof text,
                      "region %d '%s': median indentation %.3g nm exceeds %.0f %% of the interphase thickness "
                      "(%.3g nm, regions.interphase_thickness_nm): the substrate may stiffen its modulus",
                      info.label, info.name.c_str(), median_nm, 100.0 * kIndentationThicknessShare,
                      interphase_thickness_nm);
        out.push_back({"indentation", text});
    }
    return out;
}

}  // namespace amfm
