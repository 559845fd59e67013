#!/usr/bin/python3
"""End-to-end speed of `amfm process` and `amfm series` against a NumPy/SciPy script doing the same
method (bench/numpy_reference.py) and against the I/O floor (issue 18).

    /usr/bin/python3 bench/speed.py [--amfm build/amfm] [--base OTHER_AMFM] [--sizes 512,1024,2048,4096]
                                    [--repeats 3] [--series 40] [--series-size 1024] [--dir DIR] [--keep]

Scans are made once with `amfm simulate` (not timed). Per size and repeat, in turn (A/B interleaved,
warm page cache): `amfm process` with default outputs, with --no-figures, the same two with --base
when given, the NumPy script, and the I/O floor (`cat` of the inputs + `cp` of a --no-figures
results folder). Medians of the repeats; peak RSS per run from wait4(). Then a series of
--series copies of one --series-size scan, with and without figures (scans/s), and peak RSS with a
quarter of the scans, to show it does not grow with N.
"""
import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd, shell=False):
    """Wall seconds and peak RSS (MiB) of one child process; raises on failure."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, shell=shell, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode not in (0, 2):  # 2: amfm's "processed with warnings"
        raise RuntimeError("%s failed (%d): %s" % (cmd, proc.returncode, err[-2000:]))
    return wall, usage.ru_maxrss / 1024.0


def scan_inputs(scan_dir):
    return [os.path.join(scan_dir, f) for f in sorted(os.listdir(scan_dir)) if f.endswith((".tif", ".yaml"))]


def exponent(sizes, times):
    """Least-squares slope of log(time) over log(pixels)."""
    xs = [math.log(s * s) for s in sizes]
    ys = [math.log(t) for t in times]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def bench_sizes(args, work, programs):
    results = {}  # (name, size) -> list of (wall, rss)
    for size in args.sizes:
        scan = os.path.join(work, "scan%d" % size)
        if not os.path.isdir(scan):
            subprocess.run([args.amfm, "simulate", "--out", scan, "--size", str(size), "--cycle", "5"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        yaml_path = os.path.join(scan, "scan.yaml")
        inputs = scan_inputs(scan)
        floor_src = os.path.join(work, "floor_src")
        shutil.rmtree(floor_src, ignore_errors=True)
        subprocess.run([args.amfm, "process", yaml_path, "--out", floor_src, "--no-figures", "--quiet"], check=True)
        runs = []
        for label, exe in programs:
            runs.append((label + " default", [exe, "process", yaml_path, "--out", "OUT", "--quiet"]))
            runs.append((label + " --no-figures", [exe, "process", yaml_path, "--out", "OUT", "--quiet",
                                                   "--no-figures"]))
        runs.append(("numpy", ["/usr/bin/python3", os.path.join(HERE, "numpy_reference.py"), yaml_path, "OUT"]))
        runs.append(("floor", "cat %s > /dev/null && cp -r %s OUT" % (" ".join(inputs), floor_src)))
        subprocess.run("cat %s > /dev/null" % " ".join(inputs), shell=True, check=True)  # warm the cache
        for _ in range(args.repeats):
            for name, cmd in runs:
                out = os.path.join(work, "out")
                shutil.rmtree(out, ignore_errors=True)
                if isinstance(cmd, str):
                    wall, rss = timed(cmd.replace("OUT", out), shell=True)
                else:
                    wall, rss = timed([out if c == "OUT" else c for c in cmd])
                results.setdefault((name, size), []).append((wall, rss))
        shutil.rmtree(os.path.join(work, "out"), ignore_errors=True)
    return results


def report_sizes(args, programs, results):
    med = lambda name, size: statistics.median(w for w, _ in results[(name, size)])
    rss = lambda name, size: max(r for _, r in results[(name, size)])
    names = [label + suffix for label, _ in programs for suffix in (" default", " --no-figures")]
    print("wall seconds (median of %d), peak RSS MiB" % args.repeats)
    header = "%-8s" % "size" + "".join("%22s" % n for n in names + ["numpy", "floor"])
    print(header)
    for size in args.sizes:
        line = "%-8s" % ("%d^2" % size)
        for n in names + ["numpy", "floor"]:
            line += "%14.3f %5.0fM" % (med(n, size), rss(n, size))
        print(line)
    print()
    for label, _ in programs:
        print("%s: ratios" % label)
        for size in args.sizes:
            print("  %5d^2  default/numpy %.3f   --no-figures/numpy %.3f   --no-figures/floor %.2f" %
                  (size, med(label + " default", size) / med("numpy", size),
                   med(label + " --no-figures", size) / med("numpy", size),
                   med(label + " --no-figures", size) / med("floor", size)))
        if len(args.sizes) >= 2:
            print("  scaling exponent (time ~ pixels^k): default %.3f, --no-figures %.3f" %
                  (exponent(args.sizes, [med(label + " default", s) for s in args.sizes]),
                   exponent(args.sizes, [med(label + " --no-figures", s) for s in args.sizes])))
    print()


def bench_series(args, work, programs):
    if args.series <= 0:
        return
    scan = os.path.join(work, "series_scan")
    if not os.path.isdir(scan):
        subprocess.run([args.amfm, "simulate", "--out", scan, "--size", str(args.series_size), "--cycle", "5"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    files = []
    for n in (args.series, max(1, args.series // 4)):
        path = os.path.join(work, "series%d.yaml" % n)
        with open(path, "w") as f:
            f.write("name: speed\nsettings: {}\nscans:\n")
            for k in range(n):
                copy = os.path.join(work, "s%03d" % k)  # distinct files: each is hashed and read
                if not os.path.isdir(copy):
                    shutil.copytree(scan, copy)
                f.write("  - {scan: %s/scan.yaml, cycle: %d}\n" % (copy, k))
        files.append((n, path))
    subprocess.run("cat %s/s*/*.tif > /dev/null" % work, shell=True, check=True)
    print("series of %d^2 scans (warm cache)" % args.series_size)
    for label, exe in programs:
        for n, path in files:
            for flags in ([], ["--no-figures"]):
                out = os.path.join(work, "series_out")
                shutil.rmtree(out, ignore_errors=True)
                wall, rss = timed([exe, "series", path, "--out", out, "--quiet", "--force"] + flags)
                print("  %-6s %4d scans %-14s %6.2f s  %6.2f scans/s  peak RSS %5.0f MiB" %
                      (label, n, " ".join(flags) or "default", wall, n / wall, rss))
    shutil.rmtree(os.path.join(work, "series_out"), ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--amfm", default=os.path.join(HERE, "..", "build", "amfm"))
    ap.add_argument("--base", help="a second amfm to time A/B against (e.g. an older build)")
    ap.add_argument("--sizes", default="512,1024,2048,4096")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--series", type=int, default=40)
    ap.add_argument("--series-size", type=int, default=1024)
    ap.add_argument("--dir")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    work = args.dir or tempfile.mkdtemp(prefix="amfm-speed-")
    os.makedirs(work, exist_ok=True)
    programs = [("amfm", os.path.abspath(args.amfm))]
    if args.base:
        programs.append(("base", os.path.abspath(args.base)))
    print("amfm speed: %s%s, %d cores, scans in %s\n" % (programs[0][1], " vs " + args.base if args.base else "",
                                                        os.cpu_count(), work))
    try:
        if args.sizes:
            report_sizes(args, programs, bench_sizes(args, work, programs))
        bench_series(args, work, programs)
    finally:
        if not args.keep and not args.dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
