#!/usr/bin/env bash
# bench/soak.sh [STEPS] [CHECK-FLAGS...] — soak the fixed model at the default preset with
# `cowcheck check`'s own defaults (swarm testing, 250-step runs), on one core, with any extra
# check flags (e.g. `--phased mremap --phased walk`, the phases of B11's fixed model).
# CPU=N pins it to core N instead of 0 (two soaks at once, one per core).
# Records the run in bench/soak.json (the latest run per set of flags) and rewrites
# bench/soak.md from it.  (bench/run.sh --soak soaks with the in-process defaults instead:
# every operation, 60-step runs.)  Exit: check's own (0 clean, 1 violation, 3 unknown).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-100000000}
shift || true
seed=${SEED:-20261206}
cpu=${CPU:-0}
[ -x build/cowcheck ] || { echo "soak: build/cowcheck not found (scripts/setup.sh first)" >&2; exit 2; }
case "$steps" in ''|*[!0-9]*) echo "soak: STEPS must be a number, got '$steps'" >&2; exit 2;; esac
rc=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
taskset -c "$cpu" build/cowcheck check --seed "$seed" --budget "$steps" --json --quiet "$@" > "$out" || rc=$?
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
# flock: two soaks at once update bench/soak.json one after the other.
flock bench/soak.sh python3 - "$rc" "$commit" "$seed" "$out" "$*" "$cpu" <<'PY'
import json, sys, datetime, os
rc, commit, seed, out, flags, cpu = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
j = json.load(open(out))
j["commit"], j["exit"], j["flags"], j["cpu"] = commit, rc, flags, cpu
j["date"] = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%MZ')
path = "bench/soak.json"
runs = []
if os.path.exists(path):
    old = json.load(open(path))
    runs = old.get("runs", [old])   # one run, before the file kept several
    for r in runs:
        r.setdefault("flags", "")
runs = [r for r in runs if r["flags"] != flags] + [j]
json.dump({"runs": runs}, open(path, "w"), indent=2)
lines = ["# Soak with `cowcheck check`'s defaults", "",
         "Written by `bench/soak.sh`; do not edit by hand. The latest run per set of extra flags.", ""]
for r in runs:
    b = r["budget"]
    extra = f" {r['flags']}" if r["flags"] else ""
    when = r.get("date", "")
    lines += [f"- {when}, commit {r.get('commit', '?')}, one core (taskset -c {r.get('cpu', '0')})",
              f"  - `cowcheck check --seed {r['seed']} --budget {b['steps']}{extra}` on the fixed model, default preset, "
              f"swarm {'on' if r.get('swarm') else 'off'}, {b['steps_per_run']}-step runs",
              f"  - result: **{r['result']}** (exit {r['exit']}): {r['steps']} steps in {r['runs']} runs, "
              f"{r['seconds']:.1f} s ({r['steps_per_second']:.0f} steps/s)"]
open("bench/soak.md", "w").write("\n".join(lines) + "\n")
PY
cat bench/soak.md
exit $rc
