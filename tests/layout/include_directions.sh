#!/usr/bin/env bash
# Dependencies point one way. Each rule below names a part of the tree and the includes it must never make;
# a new wrong-way include fails this test with the file, the line and the rule.
#
#   stages/          the public headers (feedgraph/...) and stages' own files only: a stage knows nothing of
#                    the engine's insides
#   bench/, cli/     the public API and their own files only
#   engine core      (every engine/src folder but tools/) never the tools, with one exception: a Pipeline whose
#                    file says `auto` tunes itself (embed/pipeline_object.cpp uses tools/tune.hpp)
#   public core      (engine/include/feedgraph/*.hpp but the umbrella feedgraph.hpp) never the tools' headers
#   engine/src/graph never embed/ (the embedding API sits above the graph)
#   engine/src/report never graph/ or embed/ (the report is computed from plain data below the graph)
#
# Usage: include_directions.sh [REPO_ROOT]
set -uo pipefail
root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$root"
failed=0

# rule NAME FILES_FIND_ARGS... -- ALLOWED_REGEX: every quoted include in those files must match ALLOWED_REGEX.
# (Angle-bracket includes are system and third-party headers: not this tree's.)
only() {
  local name=$1 allowed=$2
  shift 2
  while IFS= read -r hit; do
    local file=${hit%%:*} rest=${hit#*:}
    local line=${rest%%:*} text=${rest#*:}
    local path
    path=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$text")
    if ! grep -qE "$allowed" <<<"$path"; then
      echo "$file:$line: includes \"$path\": $name"
      failed=1
    fi
  done < <(grep -rnE '^\s*#\s*include "' "$@" --include='*.cpp' --include='*.hpp' --include='*.cu' --include='*.h' || true)
}

# never NAME FORBIDDEN_REGEX FILES...: no quoted include in those files matches FORBIDDEN_REGEX.
never() {
  local name=$1 forbidden=$2
  shift 2
  while IFS= read -r hit; do
    echo "$hit: $name"
    failed=1
  done < <(grep -rnE "^\s*#\s*include \"($forbidden)" "$@" --include='*.cpp' --include='*.hpp' --include='*.cu' --include='*.h' || true)
}

only "stages include the public headers and their own files only" \
  '^(feedgraph/|compute/|read/|transform/)' stages
only "the benchmarks use the public API and their own files only" \
  '^(feedgraph/|runner/)' bench
only "the command uses the public API and its own files only" \
  '^(feedgraph/|cli/)' cli

core_dirs=()
for d in engine/src/*/; do [[ $d == engine/src/tools/ ]] || core_dirs+=("$d"); done
while IFS= read -r hit; do
  [[ $hit == engine/src/embed/pipeline_object.cpp:* && $hit == *'"feedgraph/tools/tune.hpp"'* ]] && continue
  echo "$hit: the engine's core never includes the tools"
  failed=1
done < <(grep -rnE '^\s*#\s*include "(tools/|feedgraph/tools/)' "${core_dirs[@]}" --include='*.cpp' --include='*.hpp' --include='*.cu' || true)

# feedgraph.hpp is the umbrella over everything public, tools included.
core_headers=()
for h in engine/include/feedgraph/*.hpp; do [[ $h == */feedgraph.hpp ]] || core_headers+=("$h"); done
never "the public core headers never include the tools" 'feedgraph/tools/' "${core_headers[@]}"
never "the graph never includes the embedding API above it" 'embed/' engine/src/graph
never "the report never includes the graph or the embedding API" 'graph/|embed/' engine/src/report

if (( failed )); then
  echo "include directions: FAILED"
  exit 1
fi
echo "include directions: ok"
