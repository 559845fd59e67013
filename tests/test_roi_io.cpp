// ImageJ/Fiji ROI files, RoiSet zips and mask PNGs -> label images, checked against label
// images built independently (pixel-centre rule) and through the scan loader.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <zip.h>

#include "amfm/kernels/error.hpp"
#include "host/formats/roi_io.hpp"
#include "host/formats/scan_yaml.hpp"
#include "host/model/config.hpp"
#include "host/model/scan.hpp"
#include "host/sim/simulate.hpp"
#include "test_util.hpp"

using namespace amfm;

namespace {

// A .roi file as ImageJ's RoiEncoder writes it: 64-byte big-endian header, then the vertices as
// shorts relative to the bounds (and, with sub_pixel, as absolute floats after them).
struct RoiBytes {
    std::vector<std::uint8_t> b = std::vector<std::uint8_t>(64, 0);
    void u16(std::size_t at, int v) {
        b[at] = (std::uint8_t)((v >> 8) & 255);
        b[at + 1] = (std::uint8_t)(v & 255);
    }
    void u32(std::size_t at, std::uint32_t v) {
        for (int k = 0; k < 4; ++k) b[at + k] = (std::uint8_t)(v >> (24 - 8 * k));
    }
};

std::vector<std::uint8_t> encode_roi(int type, int left, int top, int right, int bottom,
                                     const std::vector<double>& x = {}, const std::vector<double>& y = {},
                                     bool sub_pixel = false) {
    RoiBytes r;
    std::copy_n("Iout", 4, r.b.begin());
    r.u16(4, 228);
    r.b[6] = (std::uint8_t)type;
    r.u16(8, top);
    r.u16(10, left);
    r.u16(12, bottom);
    r.u16(14, right);
    const int n = (int)x.size();
    r.u16(16, n);
    if (sub_pixel) r.u16(50, 128);
    if (n > 0) {
        r.b.resize(64 + 4 * n + (sub_pixel ? 8 * n : 0), 0);
        for (int i = 0; i < n; ++i) {
            r.u16(64 + 2 * i, (int)std::floor(x[i]) - left);
            r.u16(64 + 2 * (n + i), (int)std::floor(y[i]) - top);
        }
        if (sub_pixel)
            for (int i = 0; i < n; ++i) {
                float fx = (float)x[i], fy = (float)y[i];
                std::uint32_t ux, uy;
                std::memcpy(&ux, &fx, 4);
                std::memcpy(&uy, &fy, 4);
                r.u32(64 + 4 * n + 4 * i, ux);
                r.u32(64 + 4 * n + 4 * (n + i), uy);
            }
    }
    return r.b;
}

void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream f(path, std::ios::binary);
    f.write((const char*)bytes.data(), (std::streamsize)bytes.size());
}

void write_zip(const std::string& path, const std::vector<std::pair<std::string, std::vector<std::uint8_t>>>& entries) {
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    ASSERT_NE(z, nullptr);
    for (const auto& e : entries) {
        zip_source_t* src = zip_source_buffer(z, e.second.data(), e.second.size(), 0);
        ASSERT_GE(zip_file_add(z, e.first.c_str(), src, ZIP_FL_OVERWRITE), 0);
    }
    ASSERT_EQ(zip_close(z), 0);  // the buffers must live until here: they are read on close
}

const int kNx = 64, kNy = 48;

// The shapes of the set and their pixels by the pixel-centre rule, computed independently of
// roi_io (OpenCV's point-in-polygon test and the ellipse equation).
struct Shapes {
    std::vector<std::pair<std::string, std::vector<std::uint8_t>>> rois;
    Image<std::uint16_t> expected = Image<std::uint16_t>(kNx, kNy, 0);
    int ties = 0;  // pixel centres exactly on a polygon edge: not asserted
    std::vector<char> tie = std::vector<char>(kNx * kNy, 0);
};

Shapes shapes() {
    Shapes s;
    // 1: rectangle [3, 15) x [4, 12)
    s.rois.push_back({"facet-I.roi", encode_roi(1, 3, 4, 15, 12)});
    for (int y = 4; y < 12; ++y)
        for (int x = 3; x < 15; ++x) s.expected.at(x, y) = 1;
    // 2: oval in [20, 41) x [2, 15)
    s.rois.push_back({"facet-II.roi", encode_roi(2, 20, 2, 41, 15)});
    for (int y = 0; y < kNy; ++y)
        for (int x = 0; x < kNx; ++x) {
            const double u = (x + 0.5 - 30.5) / 10.5, v = (y + 0.5 - 8.5) / 6.5;
            if (u * u + v * v < 1.0) s.expected.at(x, y) = 2;
        }
    // 3: integer polygon (a concave quadrilateral); 4: sub-pixel freehand; 5: traced outline
    const std::vector<std::vector<cv::Point2f>> polys = {
        {{5, 20}, {28, 24}, {12, 27}, {9, 44}},
        {{35.3f, 20.7f}, {60.2f, 23.1f}, {52.6f, 45.4f}, {40.1f, 38.9f}},
        {{14, 30}, {30, 30}, {30, 36}, {22, 36}, {22, 46}, {14, 46}}};
    const int types[3] = {0, 7, 8};
    for (int k = 0; k < 3; ++k) {
        std::vector<double> x, y;
        double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
        for (const cv::Point2f& p : polys[k]) {
            x.push_back(p.x);
            y.push_back(p.y);
            x0 = std::min<double>(x0, p.x), y0 = std::min<double>(y0, p.y);
            x1 = std::max<double>(x1, p.x), y1 = std::max<double>(y1, p.y);
        }
        s.rois.push_back({"shape" + std::to_string(k + 3) + ".roi",
                          encode_roi(types[k], (int)std::floor(x0), (int)std::floor(y0), (int)std::ceil(x1),
                                     (int)std::ceil(y1), x, y, k == 1)});
        for (int yy = 0; yy < kNy; ++yy)
            for (int xx = 0; xx < kNx; ++xx) {
                const double d = cv::pointPolygonTest(polys[k], cv::Point2f(xx + 0.5f, yy + 0.5f), false);
                if (d == 0.0) {
                    ++s.ties;
                    s.tie[yy * kNx + xx] = 1;
                } else if (d > 0.0) {
                    s.expected.at(xx, yy) = (std::uint16_t)(k + 3);
                }
            }
    }
    return s;
}

void expect_same_labels(const Image<std::uint16_t>& got, const Shapes& s) {
    ASSERT_EQ(got.nx, kNx);
    ASSERT_EQ(got.ny, kNy);
    long long differ = 0, labelled = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (s.tie[i]) continue;
        labelled += s.expected.px[i] != 0;
        differ += got.px[i] != s.expected.px[i];
    }
    EXPECT_EQ(differ, 0);
    EXPECT_GT(labelled, 800);
}

}  // namespace

TEST(RoiIo, RoiSetZipGivesTheSameLabelsAsALabelImage) {
    amfm_test::TempDir dir;
    const Shapes s = shapes();
    EXPECT_LT(s.ties, 10);
    write_zip(dir.file("RoiSet.zip"), s.rois);
    std::vector<std::string> names;
    const Image<std::uint16_t> labels = labels_from_rois(dir.file("RoiSet.zip"), kNx, kNy, &names);
    expect_same_labels(labels, s);
    EXPECT_EQ(names, (std::vector<std::string>{"facet-I", "facet-II", "shape3", "shape4", "shape5"}));

    // A single .roi file is label 1.
    write_file(dir.file("one.roi"), s.rois[1].second);
    const Image<std::uint16_t> one = labels_from_rois(dir.file("one.roi"), kNx, kNy);
    for (std::size_t i = 0; i < one.size(); ++i) ASSERT_EQ(one.px[i], s.expected.px[i] == 2 ? 1 : 0) << i;
}

TEST(RoiIo, MaskPngsGiveTheSameLabels) {
    amfm_test::TempDir dir;
    const Shapes s = shapes();
    std::map<int, std::string> masks;
    for (int l = 1; l <= 5; ++l) {
        cv::Mat m(kNy, kNx, CV_8U, cv::Scalar(0));  // Gwyddion exports masks as 0 / 255 greys
        for (std::size_t i = 0; i < s.expected.size(); ++i)
            if (s.expected.px[i] == l) m.data[i] = 255;
        masks[l] = dir.file("mask" + std::to_string(l) + ".png");
        ASSERT_TRUE(cv::imwrite(masks[l], m));
    }
    const Image<std::uint16_t> labels = labels_from_masks(masks, kNx, kNy);
    EXPECT_EQ(labels.px, s.expected.px);

    // Overlap and size mismatch are errors naming the file.
    masks[6] = masks[1];
    try {
        labels_from_masks(masks, kNx, kNy);
        ADD_FAILURE() << "overlapping masks accepted";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("mask1.png"), std::string::npos) << e.what();
    }
    EXPECT_THROW(labels_from_masks({{1, masks[1]}}, kNx + 1, kNy), DataError);
}

TEST(RoiIo, CorruptOrUnsupportedRoisNameTheFile) {
    amfm_test::TempDir dir;
    const std::vector<std::uint8_t> poly = encode_roi(0, 2, 2, 10, 10, {2, 10, 6}, {2, 2, 10});
    auto expect_error = [&](const std::string& path, const std::string& part) {
        try {
            labels_from_rois(path, kNx, kNy);
            ADD_FAILURE() << "accepted " << path;
        } catch (const DataError& e) {
            EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
        }
    };
    write_file(dir.file("truncated.roi"), std::vector<std::uint8_t>(poly.begin(), poly.end() - 4));
    expect_error(dir.file("truncated.roi"), "truncated");
    write_file(dir.file("line.roi"), encode_roi(3, 2, 2, 10, 10));
    expect_error(dir.file("line.roi"), "no area");
    std::vector<std::uint8_t> composite = poly;
    composite[36 + 3] = 40;  // ShapeRoi size > 0
    write_file(dir.file("composite.roi"), composite);
    expect_error(dir.file("composite.roi"), "composite");
    write_file(dir.file("text.roi"), std::vector<std::uint8_t>(100, 'x'));
    expect_error(dir.file("text.roi"), "Iout");
    // In a zip the entry is named too.
    write_zip(dir.file("set.zip"), {{"good.roi", poly}, {"bad.roi", encode_roi(10, 1, 1, 2, 2)}});
    expect_error(dir.file("set.zip"), "bad.roi");
    std::vector<std::uint8_t> broken_zip = {'P', 'K', 3, 4, 0, 0};
    write_file(dir.file("broken.zip"), broken_zip);
    expect_error(dir.file("broken.zip"), "zip");
}

TEST(RoiIo, ScanYamlRoisAndMasks) {
    amfm_test::TempDir dir;
    SimulationSpec spec;
    spec.nx = kNx;
    spec.ny = kNy;
    spec.regions = paper_region_truths(0);
    write_simulated_scan(simulate_scan(spec), dir.file("scan"));
    const Shapes s = shapes();
    write_zip(dir.file("scan/RoiSet.zip"), s.rois);
    cv::Mat m(kNy, kNx, CV_8U, cv::Scalar(0));
    for (std::size_t i = 0; i < s.expected.size(); ++i)
        if (s.expected.px[i] == 2) m.data[i] = 255;
    ASSERT_TRUE(cv::imwrite(dir.file("scan/ii.png"), m));

    const ScanConfig base = load_scan_config(dir.file("scan/scan.yaml"));
    const std::string yaml = dir.file("scan/scan.yaml");
    auto with_regions = [&](const std::string& regions) {
        std::ifstream in(yaml);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        text = text.substr(0, text.find("regions:")) + regions;
        return parse_scan_config(text, dir.file("scan"), "scan.yaml");
    };
    ASSERT_FALSE(base.regions.labels_file.empty());  // the simulator names a label image: replaced below

    const ScanConfig c = with_regions("regions: {rois: RoiSet.zip, names: {1: I, 2: II}, classes: {1: LNMO}}\n");
    EXPECT_EQ(c.regions.names.at(2), "II");
    const Scan scan = load_scan(c);
    expect_same_labels(scan.labels, s);
    bool recorded = false;
    for (const InputFile& f : scan.inputs) recorded |= f.path == c.regions.rois_file;
    EXPECT_TRUE(recorded);

    const ScanConfig cm = with_regions("regions: {masks: {2: ii.png}, names: {2: II}}\n");
    const Scan sm = load_scan(cm);
    for (std::size_t i = 0; i < sm.labels.size(); ++i) ASSERT_EQ(sm.labels.px[i], s.expected.px[i] == 2 ? 2 : 0);
    // The echo reads back to the same sources.
    const std::string echo = config_to_yaml(cm);
    const ScanConfig back = with_regions(echo.substr(echo.find("regions:")));
    EXPECT_EQ(back.regions.mask_files, cm.regions.mask_files);

    for (const char* bad : {"regions: {rois: RoiSet.zip, masks: {1: ii.png}}\n", "regions: {rois: RoiSet.zip, auto: true}\n",
                            "regions: {masks: {0: ii.png}}\n", "regions: {masks: ii.png}\n",
                            "regions: {roi: RoiSet.zip}\n"}) {
        try {
            with_regions(bad);
            ADD_FAILURE() << "accepted: " << bad;
        } catch (const ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find("regions"), std::string::npos) << e.what();
        }
    }
}
