#!/bin/sh
# scripts/check-test-names.sh PATH/TO/cowcheck_tests — fails if a test name holds ';'.
# catch_discover_tests (CMake) splits a test name at ';', a list separator: the halves match
# no Catch test, so ctest "passes" a test that never ran.  Run by ctest itself.
[ -x "$1" ] || { echo "check-test-names: $1 is not an executable" >&2; exit 2; }
bad=$("$1" --list-test-names-only | grep ';')
if [ -n "$bad" ]; then
  echo "test names with ';' (ctest would not run them; use ',' instead):"
  echo "$bad"
  exit 1
fi
echo "$("$1" --list-test-names-only | grep -c .) test names, none with ';'"
