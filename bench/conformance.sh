#!/bin/sh
# bench/conformance.sh — the conformance figures of issue 9, re-run by one command:
# the litmus suite and 1,000 generated programs of 25 steps (plus 500 of 40) through the
# real kernel and the model, written to bench/conformance.md with the kernel, its
# configuration and the machine load.  Needs root (the kernel runner reads
# /proc/<pid>/pagemap PFNs and /proc/kpage*): without it, it says so and exits 3.
#
# Usage: bench/conformance.sh [build/cowcheck]
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cowcheck=${1:-$here/build/cowcheck}
out=$here/bench/conformance.md
[ -x "$cowcheck" ] || { echo "bench/conformance.sh: no cowcheck binary at $cowcheck (build first)" >&2; exit 2; }
if [ "$(id -u)" != 0 ]; then
    echo "bench/conformance.sh: needs root to observe the kernel (pagemap PFNs, /proc/kpagecount)" >&2
    exit 3
fi
cd "$here" || exit 4
tmp=$(mktemp -d) || exit 4
trap 'rm -rf "$tmp"' EXIT

run() {   # name, the command as shown, then the litmus check arguments: one table row
    name=$1; shown=$2; shift 2
    start=$(date +%s.%N)
    "$cowcheck" litmus check "$@" > "$tmp/out" 2>&1
    rc=$?
    end=$(date +%s.%N)
    summary=$(grep '^litmus check:' "$tmp/out" | tail -1)
    [ -n "$summary" ] || summary=$(tail -1 "$tmp/out")
    printf '| %s | `litmus check %s` | %s | %s | %.1f |\n' "$name" "$shown" "$rc" "$summary" \
        "$(awk "BEGIN{print $end - $start}")" >> "$tmp/rows"
    grep -v ': agree (' "$tmp/out" | grep -v '^litmus check:' | head -40 >> "$tmp/details"
}

run "the suite" "conformance/litmus/*.jsonl" conformance/litmus/*.jsonl
run "random, 25 steps" "--generate 1000 --seed 42 --steps 25 --quiet" --generate 1000 --seed 42 --steps 25 --quiet
run "random, 40 steps" "--generate 500 --seed 43 --steps 40 --quiet" --generate 500 --seed 43 --steps 40 --quiet

{
    echo "# Conformance: the model against the running kernel"
    echo
    echo "Written by \`bench/conformance.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); do not edit by hand."
    echo
    echo "- kernel: \`$(uname -r) $(uname -v)\` ($(uname -m)), as root"
    echo "- THP: \`$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)\` (the runner disables it for the arena)"
    echo "- swap devices: $(($(wc -l < /proc/swaps) - 1)); KSM run: $(cat /sys/kernel/mm/ksm/run 2>/dev/null || echo n/a)"
    echo "- machine: $(nproc) cores, load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- model: \`$("$cowcheck" --version 2>/dev/null | head -1)\`, commit $(git -C "$here" rev-parse --short HEAD 2>/dev/null)"
    echo
    echo "Exit code 0: every program agrees (a difference covered by a documented rule —"
    echo "\`vm_account\`, \`reuse_or_copy\`, conformance/README.md — is counted as classified, not as agreement"
    echo "in every field); 1: some program disagrees."
    echo
    echo "| what | command | exit | summary | wall s |"
    echo "|---|---|---|---|---|"
    cat "$tmp/rows"
    if [ -s "$tmp/details" ]; then
        echo
        echo "Classified differences and disagreements (first lines):"
        echo
        echo '```'
        cat "$tmp/details"
        echo '```'
    fi
} > "$out"
cat "$out"
