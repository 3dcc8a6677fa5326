#!/usr/bin/env bash
# Every doctest case can be picked out by its label and by its name:
#   - no case name holds a comma, `*`, `?` or `;`. doctest reads the first three in `--test-case=` as a list
#     separator and wildcards, so such a name is not found by itself, and CMake's doctest_discover_tests,
#     which asks for each case's suite that way, gives it no label; a `;` splits the name in CMake's lists;
#   - every case is in a suite (TEST_SUITE, TEST_SUITE_BEGIN or a test_suite decorator), which ctest turns into
#     its label: `ctest -L graph` runs the graph suite, and the sanitizer runs leave labels out by name.
#     Checked on what discovery wrote: the ctest file in TEST_DIR, when given.
# A name or a case that breaks a rule fails this test, named.
#
# Usage: test_names.sh [REPO_ROOT [TEST_DIR]]
set -uo pipefail
root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
test_dir=${2:-}
cd "$root"
failed=0

while IFS= read -r hit; do
  echo "$hit"
  echo "  ^ a test case name with a comma, '*', '?' or ';': --test-case cannot select it, so it gets no label"
  failed=1
done < <(grep -rnE 'TEST_CASE\("[^"]*[,*?;][^"]*"' tests --include='*.cpp' --include='*.hpp')

if [[ -n $test_dir ]]; then
  shopt -s nullglob
  discovered=("$test_dir"/feedgraph_tests_tests-*.cmake)
  if ((${#discovered[@]} == 0)); then
    echo "$test_dir: no feedgraph_tests_tests-*.cmake (doctest_discover_tests did not run)"
    failed=1
  fi
  for file in "${discovered[@]}"; do
    while IFS= read -r name; do
      echo "test case in no suite, so without a label: $name"
      failed=1
    done < <(grep -oE 'set_tests_properties\( \[==\[.*\]==\] PROPERTIES .* LABELS\)' "$file" |
               sed -E 's/^set_tests_properties\( \[==\[(.*)\]==\] PROPERTIES.*/\1/')
  done
fi

if ((failed)); then
  exit 1
fi
echo "test names: every case name is selectable by --test-case${test_dir:+ and every discovered case has a label}"
