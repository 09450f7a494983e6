#!/usr/bin/env bash
# Regenerate counterexamples/: for every mutant, the shortest violating trace that
# `cowcheck explore` finds at the small preset (certified minimal), or, where the bug
# is out of that search's reach, the shrunk trace of `cowcheck check` at the default
# preset (uncertified).  Fails if a mutant is no longer found, or if its trace got
# longer than the one it replaces.  Then the HTML pages and
# counterexamples/index.html (scripts/corpus-html.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# COWCHECK_BIN=path uses an already built cowcheck instead of building build/cowcheck.
if [ -n "${COWCHECK_BIN:-}" ]; then
  bin=$COWCHECK_BIN
else
  scripts/setup.sh >/dev/null
  bin=build/cowcheck
fi
out=counterexamples/anon_vma
mkdir -p "$out"
status=0
# The search that reaches each mutant: `cowcheck list --json`'s explore_args (cli/common.hpp
# explore_args_for, which `cowcheck ci` and bench/zoo.py use too): the small preset at depth
# 8, or bounds lowered from a preset with an action subset where the plain search does not
# reach the bug. The mshare and mermap mutants run it under --design mshare.
declare -A explore_args
while IFS=$'\t' read -r name search; do
  explore_args[$name]=$search
done < <("$bin" list --json | python3 -c 'import json,sys
for m in json.load(sys.stdin)["mutants"]: print(m["name"] + "\t" + m["explore_args"])')
# CVE-2022-42703: the structural break (I4) at depth 11, 4.75 million states, 80-140 s on
# one thread.  The use-after-free it leads to (depth 15-16) is beyond explore; check
# (swarm testing) finds it at the default preset: the harm trace below.
explore_args[anon_vma_degree_reuse]+=" --threads 1"
# Time limit of those searches (seconds; 60 unless listed).
declare -A explore_seconds=(
  [anon_vma_degree_reuse]=400
)
# Length (steps) of a saved trace, or empty if there is none.
trace_len() { [ -f "$1" ] && python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["states"]) - 1)' "$1"; }
for m in $("$bin" list --json | python3 -c 'import json,sys; print(" ".join(x["name"] for x in json.load(sys.stdin)["mutants"] if x.get("designs") != ["cow_context"]))'); do
  case $m in
    mshare_*|mermap_*) out=counterexamples/mshare; check_design="--design mshare" ;;
    *) out=counterexamples/anon_vma; check_design="" ;;
  esac
  args="${check_design:+$check_design }${explore_args[$m]}"
  mkdir -p "$out"
  old=$(trace_len "$out/$m.itf.json" || true)
  secs=${explore_seconds[$m]:-60}
  rc=0
  # shellcheck disable=SC2086
  "$bin" explore $args --inject "$m" --seconds "$secs" --quiet --save "$out" --force >/dev/null 2>&1 || rc=$?
  if [ $rc -eq 1 ]; then
    echo "$m: explore ($args): certified shortest"
    new=$(trace_len "$out/$m.itf.json")
    if [ -n "$old" ] && [ "$new" -gt "$old" ]; then
      echo "$m: the trace grew from $old to $new steps" >&2
      status=1
    fi
    continue
  fi
  rc=0
  # shellcheck disable=SC2086
  "$bin" check $check_design --inject "$m" --seed 1 --budget 20000000 --quiet --save "$out" --force >/dev/null 2>&1 || rc=$?
  if [ $rc -eq 1 ]; then
    echo "$m: check (default preset, seed 1): shrunk, uncertified"
  else
    echo "$m: NOT FOUND (explore $args; check 2*10^7 steps at default)" >&2
    status=1
  fi
done
# CVE-2022-42703's harm, the use-after-free (a mapped folio's anon_vma freed), which no
# exhaustive engine reaches: check at the default preset (swarm, seed 1: about 80 s).
rc=0
"$bin" check --inject anon_vma_degree_reuse --invariant mapped_folio_anon_vma_live --seed 1 --budget 200000000 \
  --quiet --save counterexamples/anon_vma/harm --force >/dev/null 2>&1 || rc=$?
if [ $rc -eq 1 ]; then
  echo "anon_vma_degree_reuse (harm, mapped_folio_anon_vma_live): check (default preset, seed 1): shrunk, uncertified"
else
  echo "anon_vma_degree_reuse (harm): NOT FOUND (check 2*10^8 steps at default, seed 1)" >&2
  status=1
fi
# The COW context design's mutants (`cowcheck list`: designs cow_context), found on the
# design with every --cow-fix on (as coded its holes would come first), into
# counterexamples/cow_context/<mutant>.itf.json.
cow_out=counterexamples/cow_context
all_fixes=$("$bin" list --json | python3 -c 'import json,sys; print(" ".join("--cow-fix " + f["name"] for f in json.load(sys.stdin)["cow_fixes"]))')
for m in $("$bin" list --json | python3 -c 'import json,sys; print(" ".join(x["name"] for x in json.load(sys.stdin)["mutants"] if x.get("designs") == ["cow_context"]))'); do
  old=$(trace_len "$cow_out/$m.itf.json" || true)
  cargs=${explore_args[$m]}
  rc=0
  # shellcheck disable=SC2086
  "$bin" explore --design cow_context $all_fixes $cargs --inject "$m" --seconds 120 --quiet \
    --save "$cow_out" --force >/dev/null 2>&1 || rc=$?
  if [ $rc -eq 1 ]; then
    echo "$m: explore (cow_context, every --cow-fix, $cargs): certified shortest"
    new=$(trace_len "$cow_out/$m.itf.json")
    if [ -n "$old" ] && [ "$new" -gt "$old" ]; then echo "$m: the trace grew from $old to $new steps" >&2; status=1; fi
    continue
  fi
  rc=0
  # shellcheck disable=SC2086
  "$bin" check --design cow_context $all_fixes --inject "$m" --seed 1 --budget 20000000 --quiet --save "$cow_out" \
    --force >/dev/null 2>&1 || rc=$?
  if [ $rc -eq 1 ]; then echo "$m: check (cow_context, default preset, seed 1): shrunk, uncertified"
  else echo "$m: NOT FOUND on cow_context" >&2; status=1; fi
done
# A finding of docs/cow-context-findings.md: explore on the PoC with every fix but the one
# that closes it and those of later findings (FIXES, comma-separated), and its --phased
# operation (PHASE '-' for none); the trace breaking INVARIANT is saved as NAME (certified
# shortest).  The findings, their bounds and their invariants are bench/findings.py's
# table (which also times them).  A search with --from (finding 12) starts from the first
# steps of the finding's own committed trace, a hand-built setup (tests/test_cow_refine.cpp,
# the race (a) trace's first 9 steps) that the new trace keeps: only the continuation is
# searched (and certified shortest), so the trace is saved as minimal: uncertified.
#   cow_finding NAME INVARIANT FIXES PHASE EXPLORE-ARGS...
cow_finding() {
  local name=$1 inv=$2 fix=$3 phase=$4; shift 4
  local tmp rc=0 phased=() fixes=$all_fixes f
  for f in ${fix//,/ }; do fixes=${fixes/--cow-fix $f/}; done
  [ "$phase" = - ] || phased=(--phased "$phase")
  tmp=$(mktemp -d)
  # shellcheck disable=SC2086
  "$bin" explore --design cow_context $fixes "${phased[@]}" --seconds 120 \
    "$@" --quiet --save "$tmp" --force >/dev/null 2>&1 || rc=$?
  if [ $rc -eq 1 ] && [ -f "$tmp/$inv.itf.json" ]; then
    for ext in itf.json txt dot; do
      sed "s/$inv\\.itf\\.json/$name.itf.json/g" "$tmp/$inv.$ext" > "$cow_out/$name.$ext"
    done
    case " $* " in
      *" --from "*) echo "$name: explore (--cow-fix all but $fix, --phased $phase, $*): continuation certified shortest" ;;
      *) echo "$name: explore (--cow-fix all but $fix, --phased $phase, $*): certified shortest" ;;
    esac
  else
    echo "$name: NOT FOUND (explore, --cow-fix all but $fix, --phased $phase, $*)" >&2
    status=1
  fi
  rm -rf "$tmp"
}
while read -r -a finding; do
  cow_finding "${finding[@]}"
done < <(python3 bench/findings.py --corpus-lines)
scripts/corpus-html.sh "$bin" >/dev/null || status=1
exit $status
