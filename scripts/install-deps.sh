#!/usr/bin/env bash
# Installs the Debian packages amfm builds and tests with, skipping those already present
# (gwyddion: the tests check that Gwyddion's own loader opens the maps amfm writes;
# libgwyddion20-dev and the GTK/FFTW headers its pkg-config file names: the Gwyddion reader; SLURM, munge
# and GNU parallel: tests/test_slurm.sh runs the sharded series on a throwaway cluster and under parallel).
# The CUDA toolkit is optional: when nvcc is on PATH the CUDA backend is built too.
set -euo pipefail

packages=(build-essential cmake pkg-config libopencv-dev libtiff-dev libeigen3-dev
          libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libgtest-dev libssl-dev libzip-dev
          libcairo2-dev libpango1.0-dev libfmt-dev libpng-dev python3 gwyddion libgwyddion20-dev libgtk2.0-dev
          libfftw3-dev libgtkglext1-dev fonts-dejavu-core poppler-utils slurmctld slurmd slurm-client munge
          parallel)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "amfm: installing ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
