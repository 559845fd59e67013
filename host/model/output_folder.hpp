// Output folders, the one way amfm writes them: one run at a time (a lock beside the folder),
// built in a staging folder and swapped in whole, and nothing half-written left behind when a
// run is interrupted or killed.
//
//   DIR.lock            held (flock) by the run writing DIR; holds its PID; removed when it ends
//   DIR.partial-PID     DIR being built by process PID (and DIR's old content while it is removed)
//   FILE.partial-PID    a file being written (write_file_atomic)
#pragma once

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

#include "amfm/kernels/error.hpp"

namespace amfm {

// Another run holds the folder's lock: the message names the folder and that run's PID.
struct OutputFolderBusy : DataError {
    using DataError::DataError;
};

// Holds DIR.lock for as long as it lives; OutputFolderBusy when another process holds it. Taking
// it removes what killed runs left: DIR.partial-* beside DIR (every writer of DIR holds this
// lock, so they are stale), and *.partial-PID of processes no longer alive inside DIR and its
// sub-folders (scans/<id>, page_NNN). DIR itself is not created.
class OutputLock {
public:
    explicit OutputLock(const std::filesystem::path& dir);
    ~OutputLock();
    OutputLock(const OutputLock&) = delete;
    OutputLock& operator=(const OutputLock&) = delete;

private:
    std::filesystem::path lock_path_;
    int fd_ = -1;
};

// A folder built beside `target` (TARGET.partial-PID, created empty) and swapped in by commit()
// with one rename: a reader sees the previous folder or the new one, never a mix, and nothing of
// the previous one stays. Destroyed without commit (an exception): the staging folder is removed.
// The caller holds the target's OutputLock, or the lock of a folder above it.
class StagedFolder {
public:
    explicit StagedFolder(std::filesystem::path target);
    ~StagedFolder();
    StagedFolder(const StagedFolder&) = delete;
    StagedFolder& operator=(const StagedFolder&) = delete;

    const std::filesystem::path& path() const { return staging_; }
    void commit();

private:
    std::filesystem::path target_, staging_;
    bool done_ = false;
};

// "NAME.partial-PID" for this process: the one staging name of a file or folder.
std::filesystem::path partial_path(const std::filesystem::path& target);

// SIGINT and SIGTERM from now on: every staging folder and partial file of this process is
// removed, "amfm: interrupted" goes to stderr and the process exits with 128 + the signal (130,
// 143). Called once, by the program, before any thread starts.
void handle_interruptions();

// The bookkeeping behind it, for writers of partial files: `create` makes `path` while it is
// registered for removal (an interruption sees it created or not at all); `settle` moves or
// removes it and forgets it, under the same lock (an interruption never removes it half-moved).
void create_partial(const std::filesystem::path& path, const std::function<void()>& create);
void settle_partial(const std::filesystem::path& path, const std::function<void()>& settle);

}  // namespace amfm
