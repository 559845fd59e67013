#!/usr/bin/env bash
# Packs the GPU-relevant programs of a Release build (amfm, amfm-bench, amfm-bench-series,
# test_backend_parity) with the shared libraries they load, for a GPU machine that has a CUDA
# driver but not amfm's build dependencies (yaml-cpp, libtiff, OpenCV, ...). scripts/gpu-check.sh
# uses the bundle when it cannot configure a build on that machine.
#   scripts/gpu-bundle.sh            # builds (scripts/build.sh) and writes .gpu-bundle/amfm-gpu.tar.xz
# The C library itself is left out: the GPU machine's own (same or newer) is used.
set -euo pipefail
cd "$(dirname "$0")/.."
programs=(amfm amfm-bench amfm-bench-series test_backend_parity)
scripts/build.sh --target "${programs[@]}" >/dev/null
grep -q '^AMFM_WITH_CUDA:BOOL=ON' build/CMakeCache.txt || {
  echo "gpu-bundle: the build has no CUDA backend (nvcc not found)" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib"
for p in "${programs[@]}"; do cp "build/$p" "$stage/bin/"; done
# Every library the programs load, except the C library's own parts and the loader.
for p in "${programs[@]}"; do ldd "build/$p" | awk '/=> \//{print $3}'; done | sort -u |
  grep -vE '/(libc|libm|libpthread|libdl|librt|libresolv|libutil)\.so' |
  while read -r lib; do cp -L "$lib" "$stage/lib/"; done
git rev-parse HEAD > "$stage/commit"
mkdir -p .gpu-bundle
tar -C "$stage" -cf - bin lib commit | xz -T0 -6 > .gpu-bundle/amfm-gpu.tar.xz
echo "gpu-bundle: .gpu-bundle/amfm-gpu.tar.xz ($(du -h .gpu-bundle/amfm-gpu.tar.xz | cut -f1)," \
     "$(ls "$stage/lib" | wc -l) libraries, commit $(cut -c1-12 "$stage/commit"))"
