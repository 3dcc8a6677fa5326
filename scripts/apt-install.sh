#!/usr/bin/env bash
# Install the Debian packages named as arguments that are not installed yet (apt; with sudo when not root),
# for setup.sh and fuzz.sh. `apt-get update` runs only when something is missing: it is the slow part, and it
# needs the network. FEEDGRAPH_SKIP_APT=1 installs nothing (dependencies come from elsewhere).
set -euo pipefail

if [[ ${FEEDGRAPH_SKIP_APT:-0} == 1 ]]; then
  echo "setup: FEEDGRAPH_SKIP_APT=1: installing nothing"
  exit 0
fi

missing=()
for package in "$@"; do
  # dpkg-query fails for a package it has never heard of; treat that as missing too.
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  echo "setup: every package needed is installed"
  exit 0
fi

echo "setup: installing missing packages: ${missing[*]}"
as_root=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "setup: not root and no sudo: install these as root, then run this again: ${missing[*]}" >&2
    exit 1
  fi
  as_root=(sudo)
fi
"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
