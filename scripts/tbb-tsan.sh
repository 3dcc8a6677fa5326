#!/usr/bin/env bash
# Build oneTBB with -fsanitize=thread into build-tsan-tbb/prefix for the `tsan` preset.
#
# Why: TSan sees only synchronization that is instrumented. Debian's libtbb.so is not, so every hand-off
# through TBB's task pool or small-object pool (a message from one node to the next, a task's memory
# reused on another thread) looks like a race: against the system library the host tests gave 3098
# reports, nearly all on TBB's own task objects and on batches passed between nodes. Suppressing them
# would suppress everything. So the tsan build links a oneTBB compiled with TSan, from the Debian source
# package of the installed libtbb-dev: the same version and patches as the library the other builds use.
#
# The source comes through apt (apt-get source, checked against the signed Sources index) with a private
# list of deb-src entries derived from the system's deb entries; the system's apt configuration is not
# touched. Needs dpkg-dev (dpkg-source). Safe to run again: a prefix built from the same version is kept.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

root=$PWD/build-tsan-tbb
prefix=$root/prefix
read -r package version < <(dpkg-query -W -f='${source:Package} ${source:Version}\n' libtbb-dev)
if [[ -f $prefix/version && $(<"$prefix/version") == "$package $version" ]]; then
  echo "tbb-tsan: $package $version with -fsanitize=thread is already in $prefix"
  exit 0
fi
echo "tbb-tsan: building $package $version with -fsanitize=thread into $prefix"
rm -rf "$root"
mkdir -p "$root/apt/lists/partial" "$root/apt/cache/archives/partial" "$root/apt/sources.list.d" "$root/src"

# The system's deb entries, as deb-src (one-line .list files and deb822 .sources files alike).
shopt -s nullglob
for list in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [[ -f $list ]] && sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$list" >>"$root/apt/sources.list.d/src.list"
done
for sources in /etc/apt/sources.list.d/*.sources; do
  sed 's/^Types:.*/Types: deb-src/' "$sources" >"$root/apt/sources.list.d/$(basename "$sources")"
done
touch "$root/apt/sources.list.d/src.list"
apt_options=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$root/apt/sources.list.d"
             -o "Dir::State::Lists=$root/apt/lists" -o "Dir::Cache=$root/apt/cache"
             -o "APT::Sandbox::User=$(id -un)")  # the download user must be able to write into $root
apt-get "${apt_options[@]}" update -qq
(cd "$root/src" && apt-get "${apt_options[@]}" source -qq "$package=$version")
source_dir=$(find "$root/src" -mindepth 1 -maxdepth 1 -type d | head -1)

# Only the tbb library: feedgraph links TBB::tbb alone (no tbbmalloc, no hwloc-bound tbbbind).
# TBB_STRICT=OFF: TBB's -Werror is about its own code's warnings under this compiler, not ours to police.
cmake -S "$source_dir" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DTBB_SANITIZE=thread -DTBB_TEST=OFF -DTBB_EXAMPLES=OFF -DTBB_STRICT=OFF -DTBBMALLOC_BUILD=OFF \
  -DTBB_DISABLE_HWLOC_AUTOMATIC_SEARCH=ON -DCMAKE_INSTALL_PREFIX="$prefix" >"$root/configure.log"
cmake --build "$root/build" --parallel "${FEEDGRAPH_JOBS:-$(nproc)}"
cmake --install "$root/build" >/dev/null
echo "$package $version" >"$prefix/version"
echo "tbb-tsan: installed into $prefix"
