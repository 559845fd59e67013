// Many scans through read -> process -> write, in order, with the stages overlapped: how a series
// and a stack get through hundreds of maps at the speed of the slowest stage.
#pragma once

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <future>
#include <type_traits>
#include <utility>

namespace amfm {

// Whether a stage of an overlapped loop may use more threads of its own: the reader, the
// pipeline and the writer already keep about three cores busy, so only with at least four.
// Without overlap a stage has the machine to itself. (On 2 cores, decoding a scan's files in
// parallel inside the overlapped reader made the series 8 % slower; sequentially, 17 % faster.)
inline bool stage_threads_have_spare_cores(bool overlap) {
    return !overlap || omp_get_num_procs() >= 4;
}

// Runs items 0..n-1 through `read(k)`, `process(k, read result, seconds the main thread waited
// for it)` and `write(k, process result)`, then `done(k, write result)` on the calling thread,
// in item order. With `overlap`, item k+1 is read on one more thread and item k-1 written on
// another while item k is processed, so at most three items are in memory whatever n is;
// without, each item is read, processed and written before the next is read. A stage that
// throws stops the run: the other threads are waited for, then the exception propagates.
//
// With overlap the reader and writer each keep about a core busy, so `process` (the calling
// thread) gets an OpenMP team two threads smaller than the core count (at least one) for the
// run. Otherwise its threads, spinning at every barrier while one of them waits for a core, make
// the run slower, not faster (2 cores: 5.3 vs 7.9 scans/s in amfm-bench-series). Results do not
// depend on the thread count.
template <class Read, class Process, class Write, class Done>
void run_pipelined(std::size_t n, bool overlap, Read&& read, Process&& process, Write&& write, Done&& done) {
    using R = std::invoke_result_t<Read&, std::size_t>;
    using P = std::invoke_result_t<Process&, std::size_t, R&&, double>;
    using W = std::invoke_result_t<Write&, std::size_t, P&&>;
    struct OmpTeam {
        int saved = omp_get_max_threads();
        explicit OmpTeam(bool limit) {
            if (limit) omp_set_num_threads(std::max(1, std::min(saved, omp_get_num_procs() - 2)));
        }
        ~OmpTeam() { omp_set_num_threads(saved); }
    } team(overlap);

    std::future<R> next;     // item k+1, being read
    std::future<W> written;  // item k-1, being written
    std::size_t written_k = 0;
    auto finish_writing = [&] {
        if (written.valid()) done(written_k, written.get());
    };
    try {
        for (std::size_t k = 0; k < n; ++k) {
            const auto t0 = std::chrono::steady_clock::now();
            R r = next.valid() ? next.get() : read(k);
            const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (overlap && k + 1 < n) next = std::async(std::launch::async, [&read, k] { return read(k + 1); });
            P p = process(k, std::move(r), waited);
            finish_writing();  // item k-1 is reported before item k
            if (overlap) {
                written = std::async(std::launch::async,
                                     [&write, k, p = std::move(p)]() mutable { return write(k, std::move(p)); });
                written_k = k;
            } else {
                done(k, write(k, std::move(p)));
            }
        }
        finish_writing();
    } catch (...) {
        // No thread is left behind touching the inputs or the output folder.
        if (next.valid()) next.wait();
        if (written.valid()) written.wait();
        throw;
    }
}

}  // namespace amfm
