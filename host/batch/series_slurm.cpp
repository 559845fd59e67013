// SLURM job scripts, submission through sbatch and the queue through squeue (never sacct: a
// cluster without an accounting database answers it only with "accounting disabled").
#include "host/batch/series_slurm.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "amfm/kernels/error.hpp"
#include "host/model/file_io.hpp"
#include "host/model/table_format.hpp"
#include "host/model/text.hpp"

namespace amfm {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct CommandResult {
    int exit_code = -1;  // 127: not found
    std::string out, err;
};

// Runs argv (no shell) and collects its stdout and stderr.
CommandResult run_command(const std::vector<std::string>& argv) {
    int out_pipe[2], err_pipe[2];
    if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) throw std::runtime_error("pipe: " + std::string(strerror(errno)));
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork: " + std::string(strerror(errno)));
    if (pid == 0) {
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    CommandResult r;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&r.out, &r.err};
    for (int open_fds = 2; open_fds > 0;) {
        if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
        for (int k = 0; k < 2; ++k) {
            if (fds[k].fd < 0 || !fds[k].revents) continue;
            char buf[4096];
            const ssize_t n = read(fds[k].fd, buf, sizeof buf);
            if (n > 0) sinks[k]->append(buf, (std::size_t)n);
            else if (n == 0 || errno != EINTR) {
                close(fds[k].fd);
                fds[k].fd = -1;
                --open_fds;
            }
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

std::string first_line(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    const auto nl = text.rfind('\n');
    return nl == std::string::npos ? text : text.substr(nl + 1);
}

// A word for a bash script: single-quoted unless plainly safe.
std::string shell_word(const std::string& s) {
    if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%") ==
                          std::string::npos)
        return s;
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

fs::path slurm_dir(const std::string& out_dir) { return fs::path(out_dir) / "slurm"; }

std::string sbatch_lines(const SlurmOptions& o) {
    std::string s;
    if (!o.partition.empty()) s += "#SBATCH --partition=" + o.partition + "\n";
    if (!o.time.empty()) s += "#SBATCH --time=" + o.time + "\n";
    if (!o.mem.empty()) s += "#SBATCH --mem=" + o.mem + "\n";
    if (o.cpus_per_task > 0) s += "#SBATCH --cpus-per-task=" + std::to_string(o.cpus_per_task) + "\n";
    for (const auto& a : o.sbatch_args) s += "#SBATCH " + a + "\n";
    return s;
}

json read_jobs(const std::string& out_dir) {
    const fs::path path = slurm_dir(out_dir) / "jobs.json";
    try {
        return json::parse(read_file(path));
    } catch (const json::exception& e) {
        throw DataError(path.string() + ": not a jobs file (" + e.what() + ")");
    }
}

}  // namespace

int write_slurm_scripts(const SlurmSeriesJob& job, std::size_t n_scans, const SlurmOptions& o) {
    const int n = o.shards > 0 ? o.shards : default_shard_count(n_scans);
    if (o.shards < 0 || (std::size_t)n > n_scans)
        throw ConfigError("--shards " + std::to_string(o.shards) + ": need 1.." + std::to_string(n_scans) +
                          " (one scan at least per shard)");
    const fs::path dir = slurm_dir(job.out_dir), logs = dir / "logs";
    fs::create_directories(logs);
    std::string series_cmd = shell_word(job.amfm) + " series " + shell_word(job.series_yaml) + " --out " +
                             shell_word((fs::path(job.out_dir) / "shards").string()) + "/shard_${SLURM_ARRAY_TASK_ID}" +
                             " --shard ${SLURM_ARRAY_TASK_ID}/" + std::to_string(n);
    for (const auto& a : job.series_args) series_cmd += " " + shell_word(a);
    const std::string last = std::to_string(n - 1);
    write_file_atomic(dir / "series.sbatch",
                      "#!/bin/bash\n"
                      "# amfm series on SLURM: task i of this job array processes shard i/" + std::to_string(n) +
                          " of the series.\n"
                          "# Written by `amfm series --slurm`; submit again by hand with\n"
                          "#   sbatch --array=0-" + last + " " + (dir / "series.sbatch").string() +
                          "   (or --array=1,3 for some shards)\n"
                          "#SBATCH --job-name=amfm-series\n#SBATCH --array=0-" + last + "\n#SBATCH --output=" +
                          (logs / "shard_%a.log").string() + "\n" + sbatch_lines(o) + "cd " + shell_word(job.work_dir) +
                          "\nexec " + series_cmd + "\n");
    std::string merge_cmd = shell_word(job.amfm) + " merge";
    for (int i = 0; i < n; ++i) merge_cmd += " " + shell_word(shard_folder(job.out_dir, i));
    write_file_atomic(dir / "merge.sbatch",
                      "#!/bin/bash\n"
                      "# Merges the shards of series.sbatch into " + job.out_dir + ".\n"
                      "# Submit by hand after the array: sbatch --dependency=afterok:ARRAY_JOB_ID " +
                          (dir / "merge.sbatch").string() + "\n"
                          "#SBATCH --job-name=amfm-merge\n#SBATCH --output=" + (logs / "merge.log").string() + "\n" +
                          sbatch_lines(o) + "cd " + shell_word(job.work_dir) + "\nexec " + merge_cmd + " --out " +
                          shell_word(job.out_dir) + "\n");
    const json jobs = {{"format", "amfm slurm jobs"}, {"format_version", 1}, {"shards", n},
                       {"submissions", json::array()}};
    write_file_atomic(dir / "jobs.json", json_text(jobs, 2) + "\n");
    return n;
}

SlurmSubmission submit_slurm_jobs(const std::string& out_dir, const std::vector<int>& shards,
                                  const std::vector<std::string>& merge_also_waits_for) {
    const fs::path dir = slurm_dir(out_dir);
    auto sbatch = [](const std::vector<std::string>& argv) {
        const CommandResult r = run_command(argv);
        if (r.exit_code == 127) throw ConfigError("sbatch not found: submit from a SLURM login node (or use --dry-run)");
        if (r.exit_code != 0) throw ConfigError("sbatch refused " + argv.back() + ": " + first_line(r.err));
        const std::string id = first_line(r.out);
        return id.substr(0, id.find(';'));  // "ID;cluster" on federated clusters
    };
    SlurmSubmission s;
    s.shards = shards;
    std::string array;
    for (int i : shards) array += (array.empty() ? "" : ",") + std::to_string(i);
    s.array_job = sbatch({"sbatch", "--parsable", "--array=" + array, (dir / "series.sbatch").string()});
    std::string deps = "afterok:" + s.array_job;
    for (const auto& j : merge_also_waits_for) deps += ":" + j;
    s.merge_job = sbatch({"sbatch", "--parsable", "--dependency=" + deps, (dir / "merge.sbatch").string()});
    s.submitted = utc_now_iso();
    json jobs = read_jobs(out_dir);
    jobs["submissions"].push_back(
        {{"array_job", s.array_job}, {"merge_job", s.merge_job}, {"shards", shards}, {"submitted", s.submitted}});
    write_file_atomic(dir / "jobs.json", json_text(jobs, 2) + "\n");
    return s;
}

std::string slurm_job_from_environment() {
    const char* array = std::getenv("SLURM_ARRAY_JOB_ID");
    const char* task = std::getenv("SLURM_ARRAY_TASK_ID");
    if (array && task) return std::string(array) + "_" + task;
    const char* job = std::getenv("SLURM_JOB_ID");
    return job ? job : "";
}

namespace {

struct QueueState {
    std::string state, reason;  // squeue's %T and %r
};

// squeue's view of the jobs ("12_3", "13"), recently ended ones included (-t all); jobs it no
// longer knows are absent. `note` says why squeue could not be asked.
std::map<std::string, QueueState> queue_states(const std::set<std::string>& jobs, std::string& note) {
    std::map<std::string, QueueState> states;
    std::set<std::string> ids;
    for (const auto& j : jobs) ids.insert(j.substr(0, j.find('_')));
    if (ids.empty()) return states;
    std::string list;
    for (const auto& id : ids) list += (list.empty() ? "" : ",") + id;
    const CommandResult r = run_command({"squeue", "-h", "-r", "-t", "all", "-o", "%i|%T|%r", "-j", list});
    if (r.exit_code == 127) note = "squeue not found: states from the shards' status files only";
    else if (r.exit_code != 0 && r.err.find("Invalid job id") == std::string::npos)
        note = "squeue failed (" + first_line(r.err) + "): states from the shards' status files only";
    std::size_t start = 0;
    while (r.exit_code == 0 && start < r.out.size()) {
        const std::size_t end = std::min(r.out.find('\n', start), r.out.size());
        const std::string line = r.out.substr(start, end - start);
        start = end + 1;
        const auto a = line.find('|'), b = line.find('|', a + 1);
        if (a == std::string::npos || b == std::string::npos) continue;
        states[line.substr(0, a)] = {line.substr(a + 1, b - a - 1), line.substr(b + 1)};
    }
    return states;
}

bool queue_active(const std::string& state) {
    return state == "PENDING" || state == "RUNNING" || state == "CONFIGURING" || state == "COMPLETING" ||
           state == "SUSPENDED" || state == "REQUEUED" || state == "RESIZING" || state == "STAGE_OUT";
}

// One shard's state from its status file and the queue's view of its latest job.
void resolve_shard(ShardReport& s, const std::map<std::string, QueueState>& queue, bool submitted) {
    const auto q = queue.find(s.job);
    const bool file_is_this_job = s.status && (s.job.empty() || s.status->job == s.job);
    if (file_is_this_job && (s.status->state == "done" || s.status->state == "failed")) {
        s.state = s.status->state;
        if (!s.status->error.empty()) s.detail = s.status->error;
    } else if (q != queue.end() && queue_active(q->second.state)) {
        s.state = q->second.state == "PENDING" ? "pending" : "running";
        if (q->second.state == "PENDING" && q->second.reason != "None") s.detail = q->second.reason;
    } else if (s.job.empty()) {
        s.state = s.status ? s.status->state : (submitted ? "not started" : "not submitted");
    } else {
        s.state = "failed";
        const std::string slurm = q != queue.end() ? "SLURM state " + q->second.state : "no longer in the queue";
        s.detail = file_is_this_job ? "ended without finishing (" + slurm + ")"
                                    : "ended before amfm started (" + slurm + ")";
        s.detail += "; see slurm/logs/shard_" + std::to_string(s.index) + ".log";
    }
}

void resolve_merge(SeriesJobsReport& r, const std::map<std::string, QueueState>& queue, const std::string& out_dir) {
    const auto q = queue.find(r.merge_job);
    if (q != queue.end() && q->second.state == "PENDING") {
        // afterok: one failed shard is enough, before SLURM's next pass says DependencyNeverSatisfied.
        bool never = q->second.reason == "DependencyNeverSatisfied";
        for (const auto& s : r.shard) never = never || s.state == "failed";
        r.merge_state = never ? "blocked" : "pending";
        r.merge_detail = never ? "will never run: a shard failed" : q->second.reason;
    } else if (q != queue.end() && queue_active(q->second.state)) {
        r.merge_state = "running";
    } else if (q != queue.end() && q->second.state != "COMPLETED") {
        r.merge_state = "failed";
        r.merge_detail = "SLURM state " + q->second.state + "; see slurm/logs/merge.log";
    } else {
        // Done when the merged series is newer than every shard's status.
        std::error_code ec;
        const auto merged = fs::last_write_time(fs::path(out_dir) / "series.json", ec);
        bool newer = !ec;
        for (const auto& s : r.shard) {
            const auto t = fs::last_write_time(fs::path(shard_folder(out_dir, s.index)) / "shard_status.json", ec);
            if (!ec && newer && t > merged) newer = false;
        }
        r.merge_state = newer ? "done" : q != queue.end() ? "failed" : "unknown";
        if (!newer) r.merge_detail = "no merged series.json; see slurm/logs/merge.log";
    }
}

}  // namespace

SeriesJobsReport series_jobs_status(const std::string& out_dir) {
    SeriesJobsReport r;
    std::error_code ec;
    r.slurm = fs::is_regular_file(slurm_dir(out_dir) / "jobs.json", ec);
    json submissions = json::array();
    if (r.slurm) {
        const json jobs = read_jobs(out_dir);
        r.shards = jobs.at("shards");
        submissions = jobs.at("submissions");
    } else {
        // No SLURM: the shard count from the shard folders' manifests.
        Shard sh;
        if (fs::is_directory(shard_folder(out_dir, 0), ec)) read_series_manifest(shard_folder(out_dir, 0), &sh);
        r.shards = fs::is_directory(shard_folder(out_dir, 0), ec) ? sh.count : 0;
    }
    if (r.shards < 1) throw ConfigError(out_dir + ": no shards (neither slurm/jobs.json nor shards/shard_0)");
    std::set<std::string> jobs;
    for (int i = 0; i < r.shards; ++i) {
        ShardReport s;
        s.index = i;
        for (const auto& sub : submissions)
            for (int k : sub.at("shards"))
                if (k == i) s.job = sub.at("array_job").get<std::string>() + "_" + std::to_string(i);
        s.status = read_shard_status(shard_folder(out_dir, i));
        if (!s.job.empty()) jobs.insert(s.job);
        r.shard.push_back(std::move(s));
    }
    if (!submissions.empty()) r.merge_job = submissions.back().at("merge_job");
    if (!r.merge_job.empty()) jobs.insert(r.merge_job);
    const auto queue = queue_states(jobs, r.queue_note);
    for (auto& s : r.shard) resolve_shard(s, queue, !r.slurm || !submissions.empty());
    if (!r.merge_job.empty()) resolve_merge(r, queue, out_dir);
    return r;
}

SlurmSubmission resubmit_failed_shards(const std::string& out_dir, const SeriesJobsReport& report) {
    if (!report.slurm) throw ConfigError(out_dir + ": not submitted with `amfm series --slurm` (no slurm/jobs.json)");
    std::vector<int> failed;
    std::vector<std::string> queued;
    for (const auto& s : report.shard) {
        if (s.state == "failed" || s.state == "not started" || s.state == "not submitted") failed.push_back(s.index);
        else if (s.state == "pending" || s.state == "running") queued.push_back(s.job);
    }
    if (failed.empty()) throw ConfigError(out_dir + ": no failed shards to resubmit");
    // The old merge waits for a shard that failed: it can never run.
    if (report.merge_state == "blocked" || report.merge_state == "pending")
        run_command({"scancel", report.merge_job});
    return submit_slurm_jobs(out_dir, failed, queued);
}

}  // namespace amfm
