#!/usr/bin/env bash
# Shared set-up for demo.sh and test.sh: install the build dependencies that are missing (apt), then
# configure and build feedgraph (Release) into $FEEDGRAPH_BUILD_DIR (default: build). Safe to run again:
# nothing is installed twice, and an up-to-date build does nothing.
#
# Usage: scripts/setup.sh [--deps-only [PACKAGE...]]
#        --deps-only: install the missing packages, and the PACKAGEs named after it, then stop (sanitize.sh
#        builds a preset of its own)
#
# Environment: FEEDGRAPH_BUILD_DIR  build folder, relative to the repository root or absolute (default build)
#              FEEDGRAPH_JOBS       parallel build jobs (default: the number of cores)
#              FEEDGRAPH_SKIP_APT   1: install nothing (dependencies come from elsewhere, e.g. CMAKE_PREFIX_PATH)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(libtbb-dev libyaml-cpp-dev doctest-dev libcli11-dev nlohmann-json3-dev libfmt-dev libturbojpeg0-dev openmpi-bin
          cmake g++)
deps_only=0
if [[ ${1:-} == --deps-only ]]; then
  deps_only=1
  packages+=("${@:2}")
fi

missing=()
[[ ${FEEDGRAPH_SKIP_APT:-0} == 1 ]] && packages=()
for package in "${packages[@]}"; do
  # dpkg-query fails for a package it has never heard of; treat that as missing too.
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} > 0)); then
  echo "setup: installing missing packages: ${missing[*]}"
  as_root=()
  if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "setup: not root and no sudo: install these as root, then run this again: ${missing[*]}" >&2
      exit 1
    fi
    as_root=(sudo)
  fi
  # `update` only when something is missing: it is the slow part, and it needs the network.
  "${as_root[@]}" apt-get update
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
elif [[ ${FEEDGRAPH_SKIP_APT:-0} == 1 ]]; then
  echo "setup: FEEDGRAPH_SKIP_APT=1: installing nothing"
else
  echo "setup: every build dependency is installed"
fi

((deps_only)) && exit 0

build_dir=${FEEDGRAPH_BUILD_DIR:-build}
jobs=${FEEDGRAPH_JOBS:-$(nproc)}
echo "setup: configuring and building (Release) in $build_dir with $jobs jobs"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" --parallel "$jobs"
