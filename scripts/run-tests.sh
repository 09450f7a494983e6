#!/usr/bin/env bash
# README command 2: set up, build, and run the whole test suite through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec ctest --test-dir "${COWCHECK_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" "$@"
