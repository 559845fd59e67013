// Label image -> dense region indices with names and classes.
#include "host/method/regions.hpp"

#include <vector>

#include "amfm/kernels/error.hpp"

namespace amfm {

RegionMap build_region_map(const Image<std::uint16_t>& labels, const RegionsConfig& cfg, int nx, int ny) {
    RegionMap map;
    if (labels.size() == 0) {
        map.regions.push_back({1, "map", "all"});
        map.index = Image<std::int32_t>(nx, ny, 0);
        return map;
    }
    if (labels.nx != nx || labels.ny != ny)
        throw DataError((cfg.labels_file.empty() ? std::string("label image") : cfg.labels_file) + ": size " +
                        std::to_string(labels.nx) + "x" + std::to_string(labels.ny) + " does not match the scan (" +
                        std::to_string(nx) + "x" + std::to_string(ny) + ")");
    map.from_labels = true;

    // Labels present in the image or named in the YAML, in ascending order.
    std::vector<char> used(65536, 0);
    for (std::uint16_t l : labels.px) used[l] = 1;
    for (const auto& kv : cfg.names)
        if (kv.first >= 1 && kv.first <= 65535) used[kv.first] = 1;
    for (const auto& kv : cfg.classes)
        if (kv.first >= 1 && kv.first <= 65535) used[kv.first] = 1;

    std::vector<std::int32_t> dense(65536, -1);
    for (int l = 1; l < 65536; ++l) {
        if (!used[l]) continue;
        dense[l] = (std::int32_t)map.regions.size();
        RegionInfo r;
        r.label = l;
        const auto n = cfg.names.find(l);
        r.name = n != cfg.names.end() ? n->second : std::to_string(l);
        const auto c = cfg.classes.find(l);
        r.class_name = c != cfg.classes.end() ? c->second : "unclassified";
        map.regions.push_back(r);
    }

    map.index = Image<std::int32_t>(nx, ny, -1);
    for (std::size_t i = 0; i < labels.size(); ++i) map.index.px[i] = dense[labels.px[i]];
    return map;
}

}  // namespace amfm
