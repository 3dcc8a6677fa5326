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
#              FEEDGRAPH_PYTHON_EXECUTABLE  the Python the package is built for (default /usr/bin/python3)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The build dependencies (Debian 12 names); scripts/fuzz.sh adds clang to them. The Python package needs
# python3-dev, pybind11-dev and libdlpack-dev; its tests python3-numpy and python3-pytest (scripts/test.sh adds
# python3-torch).
packages=(libtbb-dev libyaml-cpp-dev doctest-dev libcli11-dev nlohmann-json3-dev libfmt-dev libturbojpeg0-dev openmpi-bin
          python3-dev pybind11-dev libdlpack-dev python3-numpy python3-pytest cmake g++)
if [[ ${1:-} == --deps-only ]]; then
  scripts/apt-install.sh "${packages[@]}" "${@:2}"
  exit 0
fi
scripts/apt-install.sh "${packages[@]}"

build_dir=${FEEDGRAPH_BUILD_DIR:-build}
jobs=${FEEDGRAPH_JOBS:-$(nproc)}
# The interpreter Debian's python3-* packages serve, unless another is named: a pyenv or venv python3 earlier
# on PATH would build a module that its own interpreter can load but that cannot find numpy or pytest.
python=${FEEDGRAPH_PYTHON_EXECUTABLE:-}
if [[ -z $python ]]; then
  if [[ -x /usr/bin/python3 ]]; then python=/usr/bin/python3; else python=$(command -v python3 || true); fi
fi
echo "setup: configuring and building (Release) in $build_dir with $jobs jobs (Python: ${python:-none})"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release ${python:+-DPython3_EXECUTABLE="$python"}
cmake --build "$build_dir" --parallel "$jobs"
