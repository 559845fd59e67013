#!/usr/bin/env bash
# Configures and builds amfm in build/ (Release). Extra arguments go to `cmake --build`,
# e.g. `scripts/build.sh --target amfm`.
set -euo pipefail
cd "$(dirname "$0")/.."
# nvcc is usually installed outside PATH; the CUDA backend is built whenever it is found.
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release | { grep -E "^-- amfm:" || true; }
cmake --build build -j"$(nproc)" "$@"
