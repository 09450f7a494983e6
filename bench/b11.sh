#!/bin/sh
# bench/b11.sh [BIN] — the B11 figures the README quotes ("mremap against the rmap walk"),
# re-run by one command: explore with mremap_skips_rmap_locks at its trace's bounds, with
# and without the action subset; the fixed model with both phases (--phased mremap, --phased
# walk) there, to depth 20 with the subset and depth 9 with every operation; check at
# `default` (check's defaults) for seeds 1-5.  Rows appended to bench/b11-runs.md with the
# load.  The zoo row (random median, explore time) is bench/zoo.py's (bench/zoo.md).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build/cowcheck}
out=$here/bench/b11-runs.md
[ -x "$bin" ] || { echo "bench/b11.sh: no cowcheck binary at $bin" >&2; exit 2; }
bounds="--bounds default --mms 1 --vmas 2 --va-pages 3 --folios 1 --anon-vmas 1 --cpus 1"
subset=mmap,write,mremap,mremap_move,mremap_done,anon_walk_begin,anon_walk_step
if [ ! -f "$out" ]; then
    {
        echo "# B11: mremap against the anon_vma walk (bench/b11.sh)"
        echo
        echo "Appended by \`bench/b11.sh\` on the 2-core machine; explore on 2 threads. Load: the 1-minute load average before the row. Wall: the cowcheck process."
        echo
        echo "| date (UTC) | command | result | clean depth | violation length | states or steps | wall s | load |"
        echo "|---|---|---|---|---|---|---|---|"
    } > "$out"
fi
# shellcheck source=bench/timed.sh
. "$here/bench/timed.sh"
row() {   # the cowcheck arguments
    timed_json /tmp/b11-bench.$$.json "$@"
    python3 - /tmp/b11-bench.$$.json "$*" "$wall" "$load" >> "$out" <<'PY'
import json, sys, time
j = json.load(open(sys.argv[1]))
v = j.get("violation") or {}
print(f"| {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} | `{sys.argv[2]}` | {j['result']} | "
      f"{j.get('clean_depth', '-')} | {v.get('length', '-')} | {j.get('states', j.get('steps', '-'))} | "
      f"{float(sys.argv[3]):.2f} | {sys.argv[4]} |")
PY
    rm -f /tmp/b11-bench.$$.json
}
# shellcheck disable=SC2086
row explore --inject mremap_skips_rmap_locks $bounds --depth 10 --actions $subset
# shellcheck disable=SC2086
row explore --inject mremap_skips_rmap_locks $bounds --depth 10
# shellcheck disable=SC2086
row explore --phased mremap --phased walk $bounds --depth 20 --actions $subset
# shellcheck disable=SC2086
row explore --phased mremap --phased walk $bounds --depth 9 --seconds 300
for s in 1 2 3 4 5; do
    row check --inject mremap_skips_rmap_locks --seed $s --budget 200000000 --seconds 60
done
