#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (CPU tests run everywhere;
# GPU tests skip without a device). Tests that read real instrument files need ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"

# A bounded libFuzzer run of the IBW reader and note parser, seeded with the real
# files in ../shared/data/ibw, where clang is installed (FUZZ_SECONDS=0 skips it).
fuzz_seconds="${FUZZ_SECONDS:-30}"
if command -v clang++ >/dev/null && [ -d ../shared/data/ibw ] && [ "$fuzz_seconds" -gt 0 ]; then
  cmake -S fuzz -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ >/dev/null
  cmake --build build-fuzz -j"$(nproc)" >/dev/null
  corpus="$(mktemp -d)"
  trap 'rm -rf "$corpus"' EXIT
  cp ../shared/data/ibw/*.ibw "$corpus/" && chmod u+w "$corpus"/*
  build-fuzz/fuzz_ibw -max_total_time="$fuzz_seconds" -rss_limit_mb=1024 -malloc_limit_mb=128 \
    -max_len=65536 -print_final_stats=1 "$corpus" 2>&1 | tail -n 3
else
  echo "test.sh: IBW fuzzing skipped (needs clang++ and ../shared/data/ibw)"
fi

# The same for the .gwy reader (FUZZ_GWY_SECONDS, default 15), seeded with a small results.gwy
# written here and the real files in ../shared/data/gwy when present.
gwy_seconds="${FUZZ_GWY_SECONDS:-15}"
if command -v clang++ >/dev/null && [ "$fuzz_seconds" -gt 0 ] && [ "$gwy_seconds" -gt 0 ]; then
  cmake -S fuzz -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ >/dev/null
  cmake --build build-fuzz -j"$(nproc)" --target fuzz_gwy >/dev/null
  gwy_work="$(mktemp -d)"
  trap 'rm -rf "${corpus:-}" "$gwy_work"' EXIT
  mkdir "$gwy_work/corpus"
  build/amfm simulate --cycle 5 --size 32 --out "$gwy_work/scan" -q
  build/amfm process "$gwy_work/scan/scan.yaml" --out "$gwy_work/res" --no-figures --gwy -q
  cp "$gwy_work/res/results.gwy" "$gwy_work/corpus/"
  if [ -d ../shared/data/gwy ]; then cp ../shared/data/gwy/*.gwy "$gwy_work/corpus/" && chmod u+w "$gwy_work/corpus"/*; fi
  build-fuzz/fuzz_gwy -max_total_time="$gwy_seconds" -rss_limit_mb=1024 -malloc_limit_mb=128 \
    -max_len=65536 -print_final_stats=1 "$gwy_work/corpus" 2>&1 | tail -n 3
else
  echo "test.sh: GWY fuzzing skipped (needs clang++)"
fi

# Text to JSON/CSV (FUZZ_TEXT_SECONDS, default 5) from the committed seeds in fuzz/corpus/text.
text_seconds="${FUZZ_TEXT_SECONDS:-5}"
if command -v clang++ >/dev/null && [ "$fuzz_seconds" -gt 0 ] && [ "$text_seconds" -gt 0 ]; then
  cmake -S fuzz -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ >/dev/null
  cmake --build build-fuzz -j"$(nproc)" --target fuzz_text >/dev/null
  text_work="$(mktemp -d)"
  trap 'rm -rf "${corpus:-}" "${gwy_work:-}" "$text_work"' EXIT
  cp fuzz/corpus/text/* "$text_work/"
  build-fuzz/fuzz_text -max_total_time="$text_seconds" -rss_limit_mb=1024 -print_final_stats=1 "$text_work" 2>&1 | tail -n 3
else
  echo "test.sh: text fuzzing skipped (needs clang++)"
fi
