#!/usr/bin/env bash
# Build and run the benchmark; writes bench/results.json and bench/results.md.
#   bench/run.sh            rates only (about a minute)
#   bench/run.sh --soak N   also a soak of N steps on the fixed default model
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
exec taskset -c 0 build/cowcheck_bench --cowcheck build/cowcheck "$@"
