#!/bin/sh
# bench/ci.sh [BIN] [quick|full|both] — wall time of `cowcheck ci` per budget (issue 11:
# quick must fit in 2 minutes and full in 30 on 2 cores), with the checks' verdicts and the
# machine load, appended as rows to bench/ci.md (the file keeps every run).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build/cowcheck}
which=${2:-both}
out=$here/bench/ci.md
[ -x "$bin" ] || { echo "bench/ci.sh: no cowcheck binary at $bin" >&2; exit 2; }
case $which in quick) budgets=quick ;; full) budgets=full ;; both) budgets="quick full" ;;
  *) echo "bench/ci.sh: budget must be quick, full or both" >&2; exit 2 ;; esac
cd "$here" || exit 4
tmp=$(mktemp -d) || exit 4
trap 'rm -rf "$tmp"' EXIT
if [ ! -f "$out" ]; then
    {
        echo "# \`cowcheck ci\` wall time per budget (bench/ci.sh)"
        echo
        echo "Appended by \`bench/ci.sh\`; each row one run of \`cowcheck ci --budget B --jobs 2\` (design anon_vma,"
        echo "the default) on this machine. Load: the 1-minute load average before the run (other jobs share"
        echo "the 2 cores)."
        echo
        echo "| date (UTC) | commit | budget | checks | passed | failed | unknown | skipped | wall s | limit s | load before |"
        echo "|---|---|---|---|---|---|---|---|---|---|---|"
    } > "$out"
fi
status=0
for b in $budgets; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    start=$(date +%s.%N)
    "$bin" ci --budget "$b" --json --out "$tmp/ci-$b" > "$tmp/$b.json"
    rc=$?
    end=$(date +%s.%N)
    [ $rc -eq 0 ] || status=1
    limit=120; [ "$b" = full ] && limit=1800
    python3 - "$tmp/$b.json" "$b" "$(awk "BEGIN{print $end - $start}")" "$limit" "$load" \
        "$(git -C "$here" rev-parse --short HEAD 2>/dev/null)" >> "$out" <<'PY'
import json, sys, time
j = json.load(open(sys.argv[1]))
print(f"| {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} | {sys.argv[6]} | {sys.argv[2]} | {j['checks_total']} | "
      f"{j['passed']} | {j['failed']} | {j['unknown']} | {j['skipped']} | {float(sys.argv[3]):.0f} | {sys.argv[4]} | {sys.argv[5]} |")
PY
done
cat "$out"
exit $status
