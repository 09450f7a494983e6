#!/usr/bin/env bash
# bench/soak.sh [STEPS] — soak the fixed model at the default preset with `cowcheck check`'s
# own defaults (swarm testing, 250-step runs), on one core; writes bench/soak.json and
# bench/soak.md.  (bench/run.sh --soak soaks with the in-process defaults instead: every
# operation, 60-step runs.)  Exit: check's own (0 clean, 1 violation, 3 unknown).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-100000000}
seed=${SEED:-20261206}
[ -x build/cowcheck ] || { echo "soak: build/cowcheck not found (scripts/setup.sh first)" >&2; exit 2; }
rc=0
taskset -c 0 build/cowcheck check --seed "$seed" --budget "$steps" --json --quiet > bench/soak.json || rc=$?
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
python3 - "$rc" "$commit" "$seed" <<'PY'
import json, sys, datetime
rc, commit, seed = int(sys.argv[1]), sys.argv[2], sys.argv[3]
j = json.load(open("bench/soak.json"))
j["commit"], j["exit"] = commit, rc
json.dump(j, open("bench/soak.json", "w"), indent=2)
b = j["budget"]
open("bench/soak.md", "w").write(
    "# Soak with `cowcheck check`'s defaults\n\nWritten by `bench/soak.sh`; do not edit by hand.\n\n"
    f"- {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%MZ')}, commit {commit}, one core (taskset -c 0)\n"
    f"- `cowcheck check --seed {seed} --budget {b['steps']}` on the fixed model, default preset, "
    f"swarm {'on' if j.get('swarm') else 'off'}, {b['steps_per_run']}-step runs\n"
    f"- result: **{j['result']}** (exit {rc}): {j['steps']} steps in {j['runs']} runs, "
    f"{j['seconds']:.1f} s ({j['steps_per_second']:.0f} steps/s)\n")
PY
cat bench/soak.md
exit $rc
