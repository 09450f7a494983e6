#!/usr/bin/env bash
# k-induction figures: runs `cowcheck prove --json` at the given bounds and writes
# bench/prove.md (one line per invariant: result, time of its own inductive-step query
# when the options hold --each, k) and bench/prove-<label>.json.  Usage:
#   bench/prove.sh [LABEL BOUNDS-OPTIONS...]...   e.g.
#   bench/prove.sh tiny "--bounds small --mms 2 --vmas 1 --va-pages 1 --each" small "--bounds small"
# Without arguments it runs the set the README quotes (below).  Each run gets --timeout
# ${PROVE_TIMEOUT:-1800} seconds.  COWCHECK (default build/cowcheck).
#
# --each (every proved invariant's own query, timed) costs one query per action and
# invariant: seconds at the lowered bounds, hours at small, so the presets run without it.
# small-joint is small with the merged-step query (--joint), the form per-action replaced.
# prove asks the per-action queries on 2 threads by default; small-1-thread asks them one
# after the other (--threads 1).  "solve" is summed over the threads; "wall" is the run's.
set -euo pipefail
cd "$(dirname "$0")/.."
if (($# == 0)); then
  set -- \
    one-process "--bounds small --mms 1 --vmas 1 --va-pages 1 --folios 1 --anon-vmas 1 --each" \
    two-process-one-page "--bounds small --mms 2 --vmas 1 --va-pages 1 --folios 1 --anon-vmas 2 --each" \
    small "--bounds small" \
    small-1-thread "--bounds small --threads 1" \
    small-joint "--bounds small --joint" \
    default "--bounds default"
fi
bin="${COWCHECK:-build/cowcheck}"
out=bench/prove.md
{
  echo "# cowcheck prove: k-induction figures"
  echo
  echo "Written by \`bench/prove.sh\`; do not edit by hand."
  echo
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores (shared), commit $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- inductive step (k = 1): one query per action, Houdini rounds over the whole registry (see"
  echo "  solver/prove.hpp); \"alone\" is the invariant's own inductive-step queries afterwards (--each),"
  echo "  under the final strengthening"
} > "$out"
while (($# >= 2)); do
  label="$1"; opts="$2"; shift 2
  json="bench/prove-$label.json"
  set +e
  # shellcheck disable=SC2086
  "$bin" prove $opts --json --timeout "${PROVE_TIMEOUT:-1800}" > "$json"
  code=$?
  set -e
  {
    echo
    echo "## $label: \`cowcheck prove $opts\` (exit $code)"
    echo
    jq -r '"- bounds: \(.bounds | "mms \(.mms), vmas/mm \(.vmas_per_mm), pages/mm \(.va_pages), folios \(.folios), anon_vmas \(.anon_vmas), cpus \(.cpus)") (preset \(.bounds.preset)); \(.actions) actions per step; \(.step_terms) terms in the unrolled step",
           "- total \(.seconds | .*100 | round / 100) s wall, \(.cpu_seconds | .*10 | round / 10) s CPU: base case \(.base_seconds | .*100 | round / 100) s, build \(.build_seconds | .*100 | round / 100) s, solve \(.solve_seconds | .*100 | round / 100) s in \(.rounds | length) rounds (\([.rounds[] | .*10 | round / 10 | tostring] | join(", ")) s; \([.round_queries[] | tostring] | join(", ")) queries; \(.step_form), \(.threads // 1) thread\(if (.threads // 1) > 1 then "s" else "" end))",
           "- frame: \(.frame_leaves) of \(.leaves) state leaves\(if (.excluded | length) > 0 then "; excluded: " + (.excluded | join(", ")) else "" end)",
           "- result: \(.result)\(if .reason then " (" + .reason + ")" else "" end)",
           "",
           "| invariant | result | alone (s) | k |",
           "|---|---|---|---|",
           (.k as $k | .invariants[] | "| \(.name) | \(.result)\(if .round then " (round \(.round))" else "" end) | \(if .seconds then (.seconds | .*100 | round / 100 | tostring) else "-" end) | \($k) |")' "$json"
  } >> "$out"
done
echo "wrote $out" >&2
