// Multi-page TIFF stacks: one scan per page (stack:) and one channel per page (channels.X.page).
// Stacks are written here with libtiff directly, so the reader is checked against files it did
// not write itself; every page's results must equal processing that page as a single-page scan.
#include <gtest/gtest.h>
#include <tiffio.h>
#include <yaml-cpp/yaml.h>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <type_traits>
#include <vector>

#include "amfm/kernels/error.hpp"
#include "host/batch/stack.hpp"
#include "host/formats/scan_yaml.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/method/pipeline.hpp"
#include "host/model/config.hpp"
#include "host/model/scan.hpp"
#include "host/report/outputs.hpp"
#include "host/sim/simulate.hpp"
#include "test_util.hpp"

using namespace amfm;
namespace fs = std::filesystem;

namespace {

constexpr int kPages = 3;
constexpr int kSize = 64;

// float32 (or uint16 label) pages, one strip per row, uncompressed: the plainest multi-page
// layout (ImageJ's).
template <class T>
void write_stack(const std::string& path, const std::vector<const Image<T>*>& pages) {
    TIFF* tif = TIFFOpen(path.c_str(), "w");
    ASSERT_NE(tif, nullptr) << path;
    for (const Image<T>* img : pages) {
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (std::uint32_t)img->nx);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (std::uint32_t)img->ny);
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (int)(8 * sizeof(T)));
        TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, std::is_floating_point<T>::value ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 1u);
        for (int y = 0; y < img->ny; ++y) {
            std::vector<T> row(img->data() + (std::size_t)y * img->nx, img->data() + (std::size_t)(y + 1) * img->nx);
            ASSERT_EQ(TIFFWriteScanline(tif, row.data(), (std::uint32_t)y, 0), 1);
        }
        ASSERT_TRUE(TIFFWriteDirectory(tif));
    }
    TIFFClose(tif);
}

std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    EXPECT_TRUE(f.good()) << p;
    return std::string(std::istreambuf_iterator<char>(f), {});
}

void write_text(const fs::path& p, const std::string& text) {
    std::ofstream f(p, std::ios::binary);
    f << text;
}

using amfm_test::expect_error;

// Three different simulated scans (cycles 0, 30, 200; different seeds): written once as
// single-page folders (single_k/, with their own scan.yaml) and once as three 3-page stacks.
class Stack : public ::testing::Test {
protected:
    void SetUp() override {
        const int cycles[kPages] = {0, 30, 200};
        for (int k = 0; k < kPages; ++k) {
            SimulationSpec spec;
            spec.nx = spec.ny = kSize;
            spec.cycle = cycles[k];
            spec.seed = 100 + (unsigned)k;
            spec.regions = paper_region_truths(cycles[k]);
            sims.push_back(simulate_scan(spec));
            write_simulated_scan(sims.back(), single(k).string());
        }
        auto pages = [&](Image<float> SimulatedScan::*channel) {
            std::vector<const Image<float>*> v;
            for (const SimulatedScan& s : sims) v.push_back(&(s.*channel));
            return v;
        };
        write_stack(file("stack_height.tif"), pages(&SimulatedScan::height_m));
        write_stack(file("stack_phase1.tif"), pages(&SimulatedScan::phase1_deg));
        write_stack(file("stack_df2.tif"), pages(&SimulatedScan::df2_hz));
        // The single scans' YAMLs with the stacks as channels and scan 0's labels for every page.
        YAML::Node y = YAML::LoadFile((single(0) / "scan.yaml").string());
        y["channels"]["height"]["file"] = "stack_height.tif";
        y["channels"]["phase1"]["file"] = "stack_phase1.tif";
        y["channels"]["df2"]["file"] = "stack_df2.tif";
        y["regions"]["labels"] = "single_0/labels.tif";
        y["stack"]["pages"] = "all";
        write_text(tmp.path() / "stack.yaml", YAML::Dump(y));
        // The reference: the same YAML (cantilever, regions, ...) on each single-page scan.
        for (int k = 0; k < kPages; ++k) {
            YAML::Node s = YAML::Clone(y);
            s.remove("stack");
            for (const char* ch : {"height", "phase1", "df2"})
                s["channels"][ch]["file"] = std::string(ch) + ".tif";
            s["regions"]["labels"] = "../single_0/labels.tif";
            write_text(single(k) / "same_labels.yaml", YAML::Dump(s));
        }
    }

    fs::path single(int k) const { return tmp.path() / ("single_" + std::to_string(k)); }
    std::string file(const std::string& name) const { return tmp.file(name); }
    // Without figures: the tests compare numbers, and PNGs would only cost time.
    ScanConfig stack_config(std::vector<std::string> overrides = {}) const {
        overrides.push_back("outputs.figures=false");
        return load_scan_config(file("stack.yaml"), overrides);
    }

    amfm_test::TempDir tmp;
    std::vector<SimulatedScan> sims;
};

TEST_F(Stack, ConfigReadsStackAndPageKeys) {
    const ScanConfig all = stack_config();
    EXPECT_TRUE(all.stack.enabled);
    EXPECT_TRUE(all.stack.pages.empty());
    const ScanConfig some = stack_config({"stack.pages=[2, 0]"});
    EXPECT_EQ(some.stack.pages, (std::vector<int>{0, 2}));  // ascending: page folders in order
    // The echo in regions.json reads back to the same stack.
    const ScanConfig back = parse_scan_config(config_to_yaml(some), tmp.path().string(), "echo");
    EXPECT_TRUE(back.stack.enabled);
    EXPECT_EQ(back.stack.pages, some.stack.pages);

    expect_error<ConfigError>([&] { stack_config({"stack.pages=[1, 1]"}); }, {"stack.yaml", "stack.pages[1]", "twice"});
    expect_error<ConfigError>([&] { stack_config({"stack.pages=[-1]"}); }, {"stack.pages[0]"});
    expect_error<ConfigError>([&] { stack_config({"stack.pages=some"}); }, {"stack.pages", "all"});
    expect_error<ConfigError>([&] { stack_config({"stack.every=2"}); }, {"stack.every"});
    expect_error<ConfigError>([&] { stack_config({"channels.df2.page=2"}); },
                              {"stack.yaml", "channels.df2.page", "stack"});
    // Other commands (series, calibrate-tip) load single scans: a stack is refused clearly.
    expect_error<ConfigError>([&] { load_scan(stack_config()); }, {"stack.yaml", "stack", "amfm process"});
}

TEST_F(Stack, EveryPageEqualsItsSinglePageScan) {
    const ScanConfig cfg = stack_config();
    ASSERT_EQ(stack_page_count(cfg), kPages);
    auto backend = make_cpu_backend();
    const RunInfo run{"test", "amfm process stack.yaml"};
    const fs::path out = tmp.path() / "out";
    std::vector<std::string> lines;
    const StackRun sr = process_stack(cfg, *backend, out.string(), run,
                                      [&](const std::string& m) { lines.push_back(m); });
    ASSERT_EQ(sr.pages, (std::vector<int>{0, 1, 2}));
    EXPECT_EQ(lines.size(), (std::size_t)kPages);

    std::vector<std::string> csvs;
    std::size_t expected_rows = 0;
    for (int k = 0; k < kPages; ++k) {
        SCOPED_TRACE("page " + std::to_string(k));
        const fs::path page_dir = out / stack_page_folder(k);
        ASSERT_TRUE(fs::is_regular_file(page_dir / "regions.csv"));
        // The same page processed as an ordinary single-page scan.
        const Scan ref_scan = load_scan(load_scan_config((single(k) / "same_labels.yaml").string()));
        const ScanResult ref = process_scan(ref_scan, *backend);
        csvs.push_back(slurp(page_dir / "regions.csv"));
        EXPECT_EQ(csvs.back(), regions_csv(ref));
        const Image<float> modulus = read_tiff_float((page_dir / "modulus_gpa.tif").string());
        ASSERT_EQ(modulus.px.size(), ref.modulus_gpa.px.size());
        for (std::size_t i = 0; i < modulus.px.size(); ++i) {
            const float a = modulus.px[i], b = ref.modulus_gpa.px[i];
            ASSERT_TRUE(a == b || (std::isnan(a) && std::isnan(b))) << "pixel " << i << ": " << a << " vs " << b;
        }
        // The page's metadata says which page of which file it came from.
        const std::string json = slurp(page_dir / "regions.json");
        EXPECT_NE(json.find("stack_height.tif"), std::string::npos);
        EXPECT_NE(json.find("page " + std::to_string(k)), std::string::npos);

        // stack.csv's rows of this page: every region's Gaussian and every class's mean +- SD.
        std::vector<const StackRow*> rows;
        for (const StackRow& r : sr.rows)
            if (r.page == k) rows.push_back(&r);
        ASSERT_EQ(rows.size(), ref.stats.regions.size() + ref.stats.classes.size());
        expected_rows += rows.size();
        for (std::size_t i = 0; i < ref.stats.regions.size(); ++i) {
            const RegionStats& reg = ref.stats.regions[i];
            const StatsRow& row = rows[i]->stats;
            EXPECT_EQ(row.kind, "region");
            EXPECT_EQ(row.label, reg.info.label);
            EXPECT_EQ(row.name, reg.info.name);
            EXPECT_EQ(row.pixels.n_valid, reg.pixels.n_valid);
            EXPECT_TRUE(row.gaussian.center_gpa == reg.gaussian.center_gpa ||
                        (std::isnan(row.gaussian.center_gpa) && std::isnan(reg.gaussian.center_gpa)));
            EXPECT_TRUE(row.gaussian.sigma_gpa == reg.gaussian.sigma_gpa ||
                        (std::isnan(row.gaussian.sigma_gpa) && std::isnan(reg.gaussian.sigma_gpa)));
        }
        for (std::size_t i = 0; i < ref.stats.classes.size(); ++i) {
            const StatsRow& r = rows[ref.stats.regions.size() + i]->stats;
            EXPECT_EQ(r.kind, "class");
            EXPECT_EQ(r.class_name, ref.stats.classes[i].class_name);
            EXPECT_EQ(r.pixels.mean_gpa, ref.stats.classes[i].pixels.mean_gpa);
            EXPECT_EQ(r.pixels.sd_gpa, ref.stats.classes[i].pixels.sd_gpa);
        }
    }
    // The pages hold different scans: a reader stuck on page 0 would fail here.
    EXPECT_NE(csvs[0], csvs[1]);
    EXPECT_NE(csvs[1], csvs[2]);

    const std::string csv = slurp(out / "stack.csv");
    EXPECT_EQ(csv, stack_csv(sr.rows));
    EXPECT_EQ(csv.rfind("page,kind,label,region,class,pixels,valid,gaussian_center_gpa,gaussian_sigma_gpa,", 0), 0u);
    EXPECT_EQ(sr.rows.size(), expected_rows);
    EXPECT_EQ((std::size_t)std::count(csv.begin(), csv.end(), '\n'), 1 + expected_rows);
    for (const auto& e : fs::directory_iterator(out))
        EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos) << e.path();
}

// A label stack (page k labels scan k): each page equals its single scan with its own labels.
// A label file whose page count is neither 1 nor the stack's is refused before anything runs,
// and so is a multi-page label file for a single scan.
TEST_F(Stack, LabelStackGivesEachPageItsOwnLabels) {
    std::vector<const Image<std::uint16_t>*> labels;
    for (const SimulatedScan& s : sims) labels.push_back(&s.labels);
    write_stack(file("stack_labels.tif"), labels);
    auto backend = make_cpu_backend();
    const fs::path out = tmp.path() / "own_labels";
    process_stack(stack_config({"regions.labels=stack_labels.tif"}), *backend, out.string(), {"test", ""});
    for (int k = 0; k < kPages; ++k) {
        SCOPED_TRACE("page " + std::to_string(k));
        // The stack's settings (names, classes) on the single scan with that scan's own labels.
        const Scan ref_scan = load_scan(load_scan_config((single(k) / "same_labels.yaml").string(),
                                                         {"regions.labels=labels.tif", "outputs.figures=false"}));
        EXPECT_EQ(slurp(out / stack_page_folder(k) / "regions.csv"), regions_csv(process_scan(ref_scan, *backend)));
    }
    EXPECT_NE(slurp(out / stack_page_folder(0) / "regions.csv"), slurp(out / stack_page_folder(2) / "regions.csv"));

    write_stack(file("two_labels.tif"), std::vector<const Image<std::uint16_t>*>{labels[0], labels[1]});
    const std::string bad = (tmp.path() / "bad_labels").string();
    expect_error<DataError>(
        [&] { process_stack(stack_config({"regions.labels=two_labels.tif"}), *backend, bad, {"test", ""}); },
        {"two_labels.tif", "2 pages", "stack_height.tif", "3 pages"});
    EXPECT_FALSE(fs::exists(bad));
    ScanConfig single_scan = load_scan_config((single(0) / "scan.yaml").string());
    single_scan.regions.labels_file = file("stack_labels.tif");
    expect_error<ConfigError>([&] { load_scan(single_scan); }, {"regions.labels", "stack_labels.tif", "3 pages"});
}

// Overlapped (the default: next page read, previous written, while one is processed) and one
// page at a time give the same files, and progress comes in page order either way.
TEST_F(Stack, OverlappedAndSequentialRunsAgree) {
    auto backend = make_cpu_backend();
    std::vector<std::string> lines[2];
    for (int sequential = 0; sequential < 2; ++sequential)
        process_stack(stack_config(), *backend, (tmp.path() / ("run" + std::to_string(sequential))).string(),
                      {"test", ""}, [&](const std::string& m) { lines[sequential].push_back(m.substr(0, 13)); },
                      sequential == 0);
    EXPECT_EQ(lines[0], (std::vector<std::string>{"[1/3] page 0 ", "[2/3] page 1 ", "[3/3] page 2 "}));
    EXPECT_EQ(lines[0], lines[1]);
    EXPECT_EQ(slurp(tmp.path() / "run0" / "stack.csv"), slurp(tmp.path() / "run1" / "stack.csv"));
    for (int k = 0; k < kPages; ++k)
        for (const char* f : {"regions.csv", "modulus_gpa.tif", "mask.tif"})
            EXPECT_TRUE(slurp(tmp.path() / "run0" / stack_page_folder(k) / f) ==
                        slurp(tmp.path() / "run1" / stack_page_folder(k) / f))
                << k << " " << f;
}

// A rerun resumes: pages whose folder records the same inputs and settings are not processed
// again, a missing page folder (an interrupted run) is; stack.csv comes out the same either way.
TEST_F(Stack, RerunResumesUnchangedPages) {
    auto backend = make_cpu_backend();
    const fs::path out = tmp.path() / "resume";
    const StackRun first = process_stack(stack_config(), *backend, out.string(), {"test", ""});
    EXPECT_TRUE(first.skipped.empty());
    const std::string csv = slurp(out / "stack.csv");
    fs::remove_all(out / stack_page_folder(1));
    fs::remove(out / "stack.csv");
    const StackRun second = process_stack(stack_config(), *backend, out.string(), {"test", ""});
    EXPECT_EQ(second.skipped, (std::vector<int>{0, 2}));
    ASSERT_FALSE(second.rows.empty());
    for (const StackRow& r : second.rows) EXPECT_EQ(r.page, 1);
    EXPECT_EQ(slurp(out / "stack.csv"), csv);
    // Changed settings reprocess every page; force reprocesses unchanged ones.
    EXPECT_TRUE(process_stack(stack_config({"histogram.bins=40"}), *backend, out.string(), {"test", ""}).skipped.empty());
    EXPECT_NE(slurp(out / "stack.csv"), csv);
    EXPECT_TRUE(process_stack(stack_config({"histogram.bins=40"}), *backend, out.string(), {"test", ""}, {}, true, true)
                    .skipped.empty());
    EXPECT_EQ(process_stack(stack_config(), *backend, out.string(), {"test", ""}).skipped.size(), 0u);
    EXPECT_EQ(slurp(out / "stack.csv"), csv);
    EXPECT_EQ(process_stack(stack_config(), *backend, out.string(), {"test", ""}).skipped.size(), 3u);
}

TEST_F(Stack, SelectedPagesOnly) {
    auto backend = make_cpu_backend();
    const fs::path out = tmp.path() / "some";
    const StackRun sr = process_stack(stack_config({"stack.pages=[2]"}), *backend, out.string(), {"test", ""});
    EXPECT_EQ(sr.pages, (std::vector<int>{2}));
    EXPECT_TRUE(fs::is_directory(out / "page_002"));
    EXPECT_FALSE(fs::exists(out / "page_000"));
    for (const StackRow& r : sr.rows) EXPECT_EQ(r.page, 2);
}

TEST_F(Stack, PageOutOfRangeNamesFileAndPage) {
    auto backend = make_cpu_backend();
    const std::string out = (tmp.path() / "bad").string();
    expect_error<ConfigError>(
        [&] { process_stack(stack_config({"stack.pages=[0, 5]"}), *backend, out, {"test", ""}); },
        {"stack.yaml", "stack.pages", "page 5", "stack_height.tif", "3 pages"});
    EXPECT_FALSE(fs::exists(fs::path(out) / "page_000"));  // checked before anything is processed
}

TEST_F(Stack, MismatchedPageCountsNameBothFiles) {
    write_stack<float>(file("short_phase1.tif"), {&sims[0].phase1_deg, &sims[1].phase1_deg});
    auto backend = make_cpu_backend();
    expect_error<DataError>(
        [&] {
            process_stack(stack_config({"channels.phase1.file=short_phase1.tif"}), *backend,
                          (tmp.path() / "bad").string(), {"test", ""});
        },
        {"short_phase1.tif", "2 pages", "stack_height.tif", "3 pages"});
}

TEST_F(Stack, OneChannelPerPage) {
    // height, phase1 and df2 of scan 1 as pages 0, 1, 2 of one file.
    write_stack<float>(file("channels.tif"), {&sims[1].height_m, &sims[1].phase1_deg, &sims[1].df2_hz});
    const std::vector<std::string> per_page = {"channels.height.file=channels.tif", "channels.height.page=0",
                                               "channels.phase1.file=channels.tif", "channels.phase1.page=1",
                                               "channels.df2.file=channels.tif",    "channels.df2.page=2",
                                               "stack=null"};
    const Scan s = load_scan(stack_config(per_page));
    const Scan ref = load_scan(load_scan_config((single(1) / "same_labels.yaml").string()));
    EXPECT_EQ(s.height_m.px, ref.height_m.px);
    EXPECT_EQ(s.phase1_deg.px, ref.phase1_deg.px);
    EXPECT_EQ(s.df2_hz.px, ref.df2_hz.px);
    // The echo records the pages.
    EXPECT_NE(config_to_yaml(s.config).find("page: 2"), std::string::npos);

    // A page past the end is the YAML's mistake: key, file and page named.
    std::vector<std::string> bad = per_page;
    bad[5] = "channels.df2.page=7";
    expect_error<ConfigError>([&] { load_scan(stack_config(bad)); },
                              {"channels.df2.page", "channels.tif", "page 7", "3 pages"});
    // Without `page`, taking page 0 of a multi-page file silently would be wrong.
    std::vector<std::string> none = per_page;
    none[3] = "channels.phase1.page=null";
    expect_error<ConfigError>([&] { load_scan(stack_config(none)); },
                              {"channels.phase1", "channels.tif", "3 pages", "page", "stack"});
}

TEST(TiffPages, ReadsTheRequestedPageOnly) {
    amfm_test::TempDir d;
    Image<float> a(4, 3, 1.0f), b(4, 3, 2.0f), c(5, 2, 3.0f);  // pages may differ in size
    write_stack<float>(d.file("p.tif"), {&a, &b, &c});
    TiffInfo info;
    EXPECT_EQ(read_tiff_float(d.file("p.tif"), &info, 1).px, b.px);
    EXPECT_EQ(info.pages, 3);
    const Image<double> last = read_tiff_double(d.file("p.tif"), nullptr, 2);
    EXPECT_EQ(last.nx, 5);
    EXPECT_EQ(last.px[0], 3.0);
    EXPECT_EQ(tiff_page_count(d.file("p.tif")), 3);
    expect_error<DataError>([&] { read_tiff_float(d.file("p.tif"), nullptr, 3); },
                            {"p.tif", "page 3", "3 pages (0..2)"});
    expect_error<DataError>([&] { read_tiff_float(d.file("p.tif"), nullptr, -1); }, {"p.tif", "page -1"});
}

// The command line: page folders, stack.csv and a table on stdout.
TEST_F(Stack, ProcessCommandWritesPageFoldersAndSummary) {
    const std::string cmd = "cd '" + tmp.path().string() + "' && '" AMFM_CLI_PATH
                            "' process stack.yaml --out res --no-figures --backend cpu >stdout.txt 2>stderr.txt";
    const int status = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << slurp(tmp.path() / "stderr.txt");
    for (int k = 0; k < kPages; ++k) EXPECT_TRUE(fs::is_regular_file(tmp.path() / "res" / stack_page_folder(k) / "regions.json"));
    EXPECT_TRUE(fs::is_regular_file(tmp.path() / "res" / "stack.csv"));
    EXPECT_NE(slurp(tmp.path() / "stdout.txt").find("b/c"), std::string::npos);

    // A bad page is a configuration error: exit code 2, one line naming key and file.
    const std::string bad = "cd '" + tmp.path().string() + "' && '" AMFM_CLI_PATH
                            "' process stack.yaml --out res2 --set 'stack.pages=[9]' >stdout.txt 2>stderr.txt";
    const int bad_status = std::system(bad.c_str());
    ASSERT_TRUE(WIFEXITED(bad_status));
    EXPECT_EQ(WEXITSTATUS(bad_status), 2);
    const std::string err = slurp(tmp.path() / "stderr.txt");
    EXPECT_NE(err.find("stack.pages"), std::string::npos) << err;
    EXPECT_NE(err.find("page 9"), std::string::npos) << err;
}

}  // namespace
