#!/usr/bin/env bash
# bench/cost.sh [BIN] — the issue-8 cost comparison: `cowcheck compare --out bench/` writes
# bench/cost.md (the tables) and bench/cost-{depth,width,vmas,mremaps}.png (gnuplot); the
# README section "What it costs" shows them.  Deterministic: no timings, the same figures
# on every machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/cowcheck}
"$bin" compare --out bench/ > /dev/null
echo "wrote bench/cost.md and bench/cost-*.png"
