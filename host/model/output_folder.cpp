#include "host/model/output_folder.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

namespace amfm {

namespace fs = std::filesystem;

namespace {

// The partial files and staging folders of this process: what an interruption removes.
struct Partials {
    std::mutex mutex;
    std::set<std::string> paths;
};

Partials& partials() {
    static Partials p;
    return p;
}

// remove_all, retried: a writer thread may still add a file while a folder is being removed.
void remove_quietly(const fs::path& p) {
    std::error_code ec;
    for (int attempt = 0; attempt < 5; ++attempt) {
        fs::remove_all(p, ec);
        if (!ec) return;
    }
}

int interrupt_pipe[2] = {-1, -1};

extern "C" void on_interrupt(int sig) {
    const unsigned char s = (unsigned char)sig;
    [[maybe_unused]] const ssize_t n = write(interrupt_pipe[1], &s, 1);
}

// Waits for a signal on the pipe, then removes every partial under the lock (no writer can add
// one or move one into place after this) and exits.
void interrupt_watcher() {
    unsigned char sig = 0;
    while (read(interrupt_pipe[0], &sig, 1) != 1) {
        if (errno != EINTR) return;
    }
    Partials& p = partials();
    p.mutex.lock();  // held until _exit
    for (const std::string& path : p.paths) remove_quietly(path);
    const char line[] = "amfm: interrupted\n";
    [[maybe_unused]] const ssize_t n = write(STDERR_FILENO, line, sizeof line - 1);
    _exit(128 + sig);
}

// The PID in NAME.partial-PID (or NAME.partial-PID.old), or 0 when `name` is not a partial of
// `stem` ("": of any name).
pid_t partial_pid(const std::string& name, const std::string& stem) {
    const std::string mark = ".partial-";
    const auto at = name.rfind(mark);
    if (at == std::string::npos || at == 0 || (!stem.empty() && (at != stem.size() || name.compare(0, at, stem) != 0)))
        return 0;
    std::string digits = name.substr(at + mark.size());
    if (digits.size() > 4 && digits.compare(digits.size() - 4, 4, ".old") == 0) digits.resize(digits.size() - 4);
    if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return 0;
    return (pid_t)std::stol(digits);
}

bool process_alive(pid_t pid) { return pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH; }

// Partials of dead processes in `dir` and, `depth` levels down, in its sub-folders.
void remove_dead_partials(const fs::path& dir, int depth) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (const pid_t pid = partial_pid(name, ""); pid > 0) {
            if (!process_alive(pid)) remove_quietly(it->path());
        } else if (depth > 0 && it->is_directory(ec) && !it->is_symlink(ec)) {
            remove_dead_partials(it->path(), depth - 1);
        }
    }
}

std::string read_small(int fd) {
    char buf[32] = {};
    const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    std::string s(buf, n > 0 ? (std::size_t)n : 0);
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

fs::path partial_path(const fs::path& target) {
    return target.parent_path() / (target.filename().string() + ".partial-" + std::to_string(getpid()));
}

void create_partial(const fs::path& path, const std::function<void()>& create) {
    Partials& p = partials();
    const std::lock_guard<std::mutex> lock(p.mutex);
    p.paths.insert(path.string());
    try {
        create();
    } catch (...) {
        p.paths.erase(path.string());
        throw;
    }
}

void settle_partial(const fs::path& path, const std::function<void()>& settle) {
    Partials& p = partials();
    const std::lock_guard<std::mutex> lock(p.mutex);
    struct Forget {
        Partials& p;
        const std::string path;
        ~Forget() { p.paths.erase(path); }
    } forget{p, path.string()};
    settle();
}

void handle_interruptions() {
    if (interrupt_pipe[0] >= 0) return;
    if (pipe2(interrupt_pipe, O_CLOEXEC) != 0) return;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::thread(interrupt_watcher).detach();
}

OutputLock::OutputLock(const fs::path& dir) {
    std::error_code ec;
    const fs::path full = fs::absolute(dir, ec).lexically_normal();
    const fs::path target = full.filename().empty() ? full.parent_path() : full;
    const std::string shown = dir.string();
    lock_path_ = target.parent_path() / (target.filename().string() + ".lock");
    fs::create_directories(target.parent_path(), ec);
    // A lock file removed by its holder between our open and flock is not the lock any more:
    // retry until the file locked is the one the name points to.
    for (;;) {
        fd_ = open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd_ < 0)
            throw DataError(shown + ": cannot create the lock file " + lock_path_.string() + " (" +
                            std::strerror(errno) + ")");
        if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            const std::string holder = read_small(fd_);
            close(fd_);
            fd_ = -1;
            if (err == EWOULDBLOCK)
                throw OutputFolderBusy("output folder " + shown + " is in use by another amfm run (PID " +
                                       (holder.empty() ? std::string("unknown") : holder) + ", lock " +
                                       lock_path_.string() + "); wait for it to finish or choose another --out");
            throw DataError(shown + ": cannot lock " + lock_path_.string() + " (" + std::strerror(err) + ")");
        }
        struct stat held {}, named {};
        if (fstat(fd_, &held) == 0 && stat(lock_path_.c_str(), &named) == 0 && held.st_ino == named.st_ino &&
            held.st_dev == named.st_dev)
            break;
        close(fd_);
        fd_ = -1;
    }
    create_partial(lock_path_, [] {});  // an interruption removes it too
    // The PID is for the message of a refused run only: the lock holds without it.
    const std::string pid = std::to_string(getpid()) + "\n";
    [[maybe_unused]] const bool noted = ftruncate(fd_, 0) == 0 && pwrite(fd_, pid.data(), pid.size(), 0) > 0;
    for (fs::directory_iterator it(target.parent_path(), ec), end;
         !ec && it != end; it.increment(ec))
        if (partial_pid(it->path().filename().string(), target.filename().string()) > 0) remove_quietly(it->path());
    if (fs::is_directory(target, ec)) remove_dead_partials(target, 1);
}

OutputLock::~OutputLock() {
    if (fd_ < 0) return;
    // Unlinked while still held: a run that opened this file sees it is not the lock any more.
    settle_partial(lock_path_, [&] { unlink(lock_path_.c_str()); });
    close(fd_);
}

namespace {

// Replacing a folder removes what it holds: only amfm's own results folders (or an empty folder)
// are replaced, never the folder the program runs in or one above it.
void check_replaceable(const fs::path& target) {
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(target, ec);
    if (!fs::exists(st)) return;
    if (!fs::is_directory(st)) throw DataError(target.string() + ": exists and is not a folder; give another --out");
    const fs::path here = fs::current_path(ec), full = fs::absolute(target, ec).lexically_normal();
    const fs::path rel = here.lexically_relative(full);
    if (!rel.empty() && *rel.begin() != "..")
        throw ConfigError(target.string() + ": is the current folder or holds it; give another --out");
    if (fs::is_empty(target, ec)) return;
    for (const char* mark : {"regions.json", "series_entry.json"})
        if (fs::exists(target / mark, ec)) return;
    throw ConfigError(target.string() + ": exists and is not an amfm results folder (no regions.json), so it is not "
                                        "replaced; give another --out or remove it");
}

}  // namespace

StagedFolder::StagedFolder(fs::path target) : target_(std::move(target)), staging_(partial_path(target_)) {
    check_replaceable(target_);
    std::error_code ec;
    fs::remove_all(staging_, ec);
    if (!target_.parent_path().empty()) fs::create_directories(target_.parent_path(), ec);
    create_partial(staging_, [&] {
        if (!fs::create_directory(staging_, ec) || ec)
            throw DataError(target_.string() + ": cannot create the output folder " + staging_.string() + " (" +
                            (ec ? ec.message() : std::string("exists")) + ")");
    });
}

StagedFolder::~StagedFolder() {
    if (!done_) settle_partial(staging_, [&] { remove_quietly(staging_); });
}

void StagedFolder::commit() {
    settle_partial(staging_, [&] {
        struct stat st {};
        if (lstat(target_.c_str(), &st) != 0) {
            if (rename(staging_.c_str(), target_.c_str()) != 0)
                throw DataError(target_.string() + ": cannot move the new folder into place (" + std::strerror(errno) +
                                ")");
        } else {
            if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode))
                throw DataError(target_.string() + ": exists and is not a folder; amfm replaces folders only");
            // One rename swaps old and new; the old content, now under the staging name, goes after.
            if (renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
                remove_quietly(staging_);
                return;
            }
            if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
                throw DataError(target_.string() + ": cannot swap the new folder into place (" + std::strerror(errno) +
                                ")");
            // A file system without the exchange (some network ones): the old folder is moved aside
            // first, so for a moment there is no folder, but never a mixed one.
            const fs::path old = staging_.string() + ".old";
            partials().paths.insert(old.string());  // the lock is held: settle's
            const bool aside = rename(target_.c_str(), old.c_str()) == 0;
            if (!aside || rename(staging_.c_str(), target_.c_str()) != 0) {
                const int err = errno;
                if (aside) rename(old.c_str(), target_.c_str());
                partials().paths.erase(old.string());
                throw DataError(target_.string() + ": cannot move the new folder into place (" + std::strerror(err) +
                                ")");
            }
            remove_quietly(old);
            partials().paths.erase(old.string());
        }
    });
    done_ = true;
}

}  // namespace amfm
