#!/bin/sh
# bench/mshare.sh [BIN] — the mshare fixed model's clean depths, re-run by one command:
# explore at `small` with the mshare actions to depth 16 for every flush strategy and
# address mode, and with every action to depth 6, plus `check` at default (2*10^6 steps,
# seed 1) per strategy; every action to depth 7 (2 threads); BMC for mshare_flush_host_only at
# one mm and one folio; and the mermap's actions alone to depth 16 and with the process
# actions to depth 10; rows appended to
# bench/mshare-runs.md with the load.  The mutants'
# figures (random median over 5 seeds, explore, BMC) are bench/zoo.py's (bench/zoo.md).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build/cowcheck}
out=$here/bench/mshare-runs.md
[ -x "$bin" ] || { echo "bench/mshare.sh: no cowcheck binary at $bin" >&2; exit 2; }
actions=mshare_create,mshare_map,mshare_attach,mshare_attach_join,mshare_detach,mshare_unmap,mshare_advise,mshare_protect,mshare_flush,mshare_notifier,mshare_flush_all,mshare_free,fork,switch_mm,read,write,exit_mmap
if [ ! -f "$out" ]; then
    {
        echo "# mshare: the fixed model's clean depths (bench/mshare.sh)"
        echo
        echo "Appended by \`bench/mshare.sh\`; one thread per explore unless the command says --threads. Load: the 1-minute load average before the row."
        echo
        echo "| date (UTC) | command | result | clean depth | states or steps | wall s | load |"
        echo "|---|---|---|---|---|---|---|"
    } > "$out"
fi
# shellcheck source=bench/timed.sh
. "$here/bench/timed.sh"
row() {   # the cowcheck arguments
    timed_json /tmp/mshare-bench.$$.json "$@"
    python3 - /tmp/mshare-bench.$$.json "$*" "$wall" "$load" >> "$out" <<'PY'
import json, sys, time
j = json.load(open(sys.argv[1]))
work = j.get("states", j.get("steps", "-"))
acts = sys.argv[2].split("--actions ")[-1].split(" ")[0] if "--actions" in sys.argv[2] else ""
cmd = sys.argv[2].replace(acts, "<mshare actions>") if acts.startswith("mshare_create") else sys.argv[2]
print(f"| {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} | `{cmd}` | {j['result']} | {j.get('clean_depth', '-')} | {work} | "
      f"{float(sys.argv[3]):.1f} | {sys.argv[4]} |")
PY
    rm -f /tmp/mshare-bench.$$.json
}
for f in attacher_list notifier flush_all; do
    for a in per_process same; do
        row explore --design mshare --mshare-flush $f --mshare-addr $a --bounds small --depth 16 --threads 1 --actions $actions
    done
    row explore --design mshare --mshare-flush $f --bounds small --depth 6 --threads 1
    row check --design mshare --mshare-flush $f --seed 1 --budget 2000000
done
# Every action to depth 7 (the anon_vma model's depth at small), 2 threads, per strategy.
for f in attacher_list notifier flush_all; do
    row explore --design mshare --mshare-flush $f --bounds small --depth 7 --threads 2 --max-memory 12000
done
# BMC for a 6-step flush mutant with the one mm and one folio its trace uses.
row bmc --design mshare --inject mshare_flush_host_only --bounds small --mms 1 --vmas 1 --va-pages 1 --folios 1 --depth 6 --timeout 120
# The mermap (model/mermap.hpp): its actions with the process actions that free pages.
# The mermap's actions alone (a slot held across a wrap, model/mermap.hpp), to the end of
# their state space (depth 10 at small).
row explore --design mshare --bounds small --depth 16 --threads 1 --actions mmap,write,mermap_get,mermap_use,mermap_put
row explore --design mshare --bounds small --depth 10 --threads 1 \
    --actions mmap,write,munmap,tlb_finish_mmu,madvise_dontneed,migrate,mermap_get,mermap_use,mermap_put,switch_mm,fork,exit_mmap
cat "$out"
