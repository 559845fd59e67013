// Whole-file writes: atomic replacement, and errors that name the file with nothing left behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "amfm/kernels/error.hpp"
#include "host/model/file_io.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

TEST(FileIo, WritesReplacesAndReadsBackBytes) {
    amfm_test::TempDir tmp;
    const fs::path p = tmp.path() / "a.bin";
    const std::string bytes("x\0y\n\xff", 5);  // binary-safe: NUL and high bytes survive
    amfm::write_file_atomic(p, bytes);
    EXPECT_EQ(amfm::read_file(p), bytes);
    amfm::write_file_atomic(p, "shorter");
    EXPECT_EQ(amfm::read_file(p), "shorter");
    amfm::write_file_atomic(p, "");
    EXPECT_EQ(amfm::read_file(p), "");
    int entries = 0;
    for (const auto& e : fs::directory_iterator(tmp.path())) entries += e.is_regular_file();
    EXPECT_EQ(entries, 1);  // no temporary left beside it
}

TEST(FileIo, FailuresNameTheFileAndLeaveNothing) {
    amfm_test::TempDir tmp;
    const fs::path missing_dir = tmp.path() / "no_such_folder" / "b.txt";
    amfm_test::expect_error<amfm::DataError>([&] { amfm::write_file_atomic(missing_dir, "x"); },
                                             {"no_such_folder/b.txt", "cannot open"});
    // The target is a folder: the temporary is written, the rename fails and is cleaned up.
    fs::create_directories(tmp.path() / "dir_target");
    amfm_test::expect_error<amfm::DataError>([&] { amfm::write_file_atomic(tmp.path() / "dir_target", "x"); },
                                             {"dir_target", "cannot move"});
    int files = 0;
    for (const auto& e : fs::directory_iterator(tmp.path())) files += e.is_regular_file();
    EXPECT_EQ(files, 0);
    amfm_test::expect_error<amfm::DataError>([&] { amfm::read_file(tmp.path() / "absent.txt"); },
                                             {"absent.txt", "cannot open"});
}
