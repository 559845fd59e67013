#!/usr/bin/env bash
# Proves the CUDA backend on a machine with an NVIDIA GPU, in one run of under ~8 minutes:
# builds for the present GPU with all cores (or, where amfm's build dependencies are missing,
# unpacks the bundle made by scripts/gpu-bundle.sh), runs the CUDA parity tests, compute-sanitizer
# memcheck and racecheck on them, the GPU benchmarks at 4096^2 and 8192^2, and `process` and
# `series` end to end on the GPU against the CPU; writes one report with every figure and
# pass/fail, and one log with every command's output.
#   scripts/gpu-check.sh [--report-dir DIR]      (default: docs/gpu)
# Report: DIR/<device>-<date>.md, log: DIR/<device>-<date>.log. Exit status 0 when every step
# passed, 1 when any failed. Without a GPU it builds, runs the parity tests (which then skip) and
# says so, writing no report.
set -uo pipefail
cd "$(dirname "$0")/.."
report_dir=docs/gpu
while [ $# -gt 0 ]; do
  case "$1" in
    --report-dir) report_dir="$2"; shift 2 ;;
    *) echo "usage: scripts/gpu-check.sh [--report-dir DIR]" >&2; exit 2 ;;
  esac
done
for d in /usr/local/cuda/bin /usr/local/cuda/compute-sanitizer; do
  [ -d "$d" ] && export PATH="$PATH:$d"
done
jobs=$(nproc)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu-check: no NVIDIA GPU or driver here (nvidia-smi -L failed): building only" >&2
  scripts/build.sh --target amfm amfm-bench amfm-bench-series test_backend_parity >/dev/null || exit 1
  build/test_backend_parity --gtest_filter='Cuda*' | grep -E 'SKIPPED|PASSED|FAILED' | head -20
  echo "gpu-check: built; the CUDA tests skipped (no device). Nothing was measured." >&2
  exit 0
fi

device=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
slug=$(echo "$device" | tr 'A-Z' 'a-z' | sed -E 's/nvidia //; s/[^a-z0-9]+/-/g; s/^-|-$//g')
stamp=$(date -u +%Y-%m-%d)
mkdir -p "$report_dir"
report="$report_dir/$slug-$stamp.md"
log="$report_dir/$slug-$stamp.log"
: > "$log"
results=()   # "step|PASS/FAIL/SKIP|seconds|detail"
failed=0

# step NAME TIMEOUT_S COMMAND...: runs COMMAND with a time limit, its output into the log
# (and $work/NAME.out), and records PASS or FAIL with the wall time.
step() {
  local name="$1" limit="$2"; shift 2
  local t0 t1 rc
  t0=$(date +%s.%N)
  { echo; echo "=== $name: $*"; } >> "$log"
  timeout "$limit" "$@" > "$work/$name.out" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  cat "$work/$name.out" >> "$log"
  local secs; secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
  local verdict=PASS detail="exit 0"
  if [ $rc -ne 0 ]; then
    verdict=FAIL; failed=1
    detail="exit $rc"; [ $rc -eq 124 ] && detail="timed out after ${limit} s"
  fi
  results+=("$name|$verdict|$secs|$detail")
  echo "gpu-check: $name $verdict ($secs s, $detail)" >&2
  return $rc
}
record() { results+=("$1|$2|-|$3"); [ "$2" = FAIL ] && failed=1; echo "gpu-check: $1 $2 ($3)" >&2; }

# ---- binaries: a build for this GPU, else the carried bundle ----------------------------------
bin=""
origin=""
if cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=native \
     >"$work/configure.out" 2>&1; then
  if step build 420 cmake --build build-gpu -j"$jobs" --target amfm amfm-bench amfm-bench-series \
       test_backend_parity; then
    bin=build-gpu; origin="built here (Release, CUDA architecture of this GPU, $jobs jobs)"
  fi
else
  cat "$work/configure.out" >> "$log"
  record configure SKIP "no build here: $(grep -m1 -A2 'CMake Error' "$work/configure.out" | tr -s ' \n' ' ' | cut -c1-160)"
fi
if [ -z "$bin" ] && [ -f .gpu-bundle/amfm-gpu.tar.xz ]; then
  mkdir -p "$work/bundle" && tar -C "$work/bundle" -xJf .gpu-bundle/amfm-gpu.tar.xz
  bin="$work/bundle/bin"; export LD_LIBRARY_PATH="$work/bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  origin="the bundle of commit $(cut -c1-12 "$work/bundle/commit") (scripts/gpu-bundle.sh; sm_80 and sm_90 code)"
fi
if [ -z "$bin" ]; then
  record binaries FAIL "no build and no .gpu-bundle/amfm-gpu.tar.xz (run scripts/gpu-bundle.sh and carry .gpu-bundle)"
fi

# ---- the checks ---------------------------------------------------------------------------------
if [ -n "$bin" ]; then
  step parity 240 "$bin/test_backend_parity"
  if grep -qE '^\[  SKIPPED \] Cuda' "$work/parity.out"; then
    record parity-ran FAIL "CUDA tests skipped on a GPU machine: $(grep -m1 -B1 '^\[  SKIPPED \] Cuda' "$work/parity.out" | head -1 | cut -c1-160)"
  fi
  # The sanitizers run the parity tests without the largest sizes (10-100x slower under them).
  small='Cuda*:-*Large*:*8192*'
  if command -v compute-sanitizer >/dev/null; then
    step memcheck 240 compute-sanitizer --tool memcheck --error-exitcode 1 --leak-check full \
      "$bin/test_backend_parity" --gtest_filter="$small" --gtest_brief=1
    step racecheck 240 compute-sanitizer --tool racecheck --error-exitcode 1 \
      "$bin/test_backend_parity" --gtest_filter="$small" --gtest_brief=1
  else
    record sanitizers SKIP "compute-sanitizer not on PATH"
  fi
  step bench 300 "$bin/amfm-bench" --sizes 4096,8192 --repeats 5 --backend cuda

  # process end to end: one 4096^2 simulated scan on each backend, masks and counts compared.
  step simulate 120 "$bin/amfm" simulate --out "$work/scan" --size 4096 --stiff-crystals --seed 7
  ran=0
  for b in cpu cuda; do
    step "process-$b" 120 "$bin/amfm" process "$work/scan/scan.yaml" --out "$work/out-$b" \
      --backend "$b" --no-figures --quiet && ran=$((ran + 1))
  done
  if [ $ran -ne 2 ]; then
    record process-parity SKIP "not compared: a process run failed"
  else
    if cmp -s "$work/out-cpu/mask.tif" "$work/out-cuda/mask.tif"; then
      record process-masks PASS "mask.tif identical (CPU vs CUDA)"
    else
      record process-masks FAIL "mask.tif differs between CPU and CUDA"
    fi
    if cmp -s "$work/out-cpu/regions.csv" "$work/out-cuda/regions.csv"; then
      record process-regions PASS "regions.csv identical (counts, centres, fits)"
    else
      diff "$work/out-cpu/regions.csv" "$work/out-cuda/regions.csv" >> "$log"
      record process-regions FAIL "regions.csv differs (diff in the log)"
    fi
  fi
  for b in cpu cuda; do
    step "series-$b" 200 "$bin/amfm-bench-series" --scans 60 --size 1024 --backend "$b" --no-figures --warm \
      --mode overlapped
  done
fi

# ---- the report -------------------------------------------------------------------------------
{
  echo "# GPU check: $device, $stamp"
  echo
  echo "Made by \`scripts/gpu-check.sh\` at commit \`$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)\`;"
  echo "programs: ${origin:-none}. Every command's output is in \`$(basename "$log")\`."
  echo
  echo '```'
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.memory --format=csv
  nvcc --version 2>/dev/null | tail -1
  echo "CPU: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo '```'
  echo
  echo "| step | result | seconds | detail |"
  echo "|---|---|---|---|"
  for r in "${results[@]}"; do echo "| ${r//|/ | } |"; done
  echo
  echo "Overall: $([ $failed -eq 0 ] && echo PASS || echo FAIL)"
  for name in bench process-cpu process-cuda series-cpu series-cuda parity; do
    [ -s "$work/$name.out" ] || continue
    echo
    echo "## $name"
    echo
    echo '```'
    if [ "$name" = parity ]; then grep -E '^\[ *(PASSED|FAILED|SKIPPED) *\]|tests? ran' "$work/$name.out"
    else tail -n 60 "$work/$name.out"; fi
    echo '```'
  done
} > "$report"
echo "gpu-check: report $report, log $log" >&2
exit $failed
