#!/usr/bin/env python3
"""bench/findings.py — the COW context findings' figures (bench/findings.md, bench/findings.json).

For every finding of docs/cow-context-findings.md that has a trace (FINDINGS below, the one
table of them: scripts/regen-corpus.sh reads it with --corpus-lines), on the proof of concept
with every --cow-fix but the finding's own and those of later findings (LATER_FIXES), and its
--phased operation:
  explore  `cowcheck explore` at the finding's bounds: the certified shortest trace (length,
           invariant, states, wall time);
  random   `cowcheck check` at the default preset, seeds 1..5, the same flags as the bug zoo's
           random column: median wall time to the violation, shrunk lengths, invariants;
(a finding searched from a prefix, --from, has no random column: from scratch another finding
closed by the same fix comes first) and with every fix (the finding closed):
  explore  the same search, 60 s: the clean depth reached (or the depth asked);
  random   `cowcheck check` for 10^7 steps, seed 1, once per --phased setting.

Usage: bench/findings.py [--cowcheck build/cowcheck] [--quick] [--only N,...]
       (--only keeps the other findings' rows from bench/findings.json, each with the date of its run)
       bench/findings.py --corpus-lines   (NAME INVARIANT FIXES-OFF PHASE EXPLORE-ARGS..., FIXES-OFF the
                                           finding's fix and LATER_FIXES, comma-separated; PHASE '-' for none)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo import ROOT, fmt, run  # noqa: E402  (the same process runner, wall clock and figures as the zoo)

# Bounds lowered from `default` to the objects the trace needs: one mm, two VMA slots
# (an mremap moves a VMA into the second), one folio and one context; N pages.
def _one_mm(pages):
    return f"--bounds default --mms 1 --vmas 2 --va-pages {pages} --folios 1 --anon-vmas 1 --cpus 1"

# (finding, trace name in counterexamples/cow_context, fix that closes it, --phased or None,
#  invariant its shortest trace breaks, explore arguments)
FINDINGS = [
    (1, "exclusive_early_stop", "early_stop_if_found", None, "rmap_complete", "--bounds small --depth 8"),
    (2, "fork_no_remap_records", "fork_records_remaps", None, "rmap_complete", "--bounds small --depth 8"),
    # mremap of a two-page VMA to pages 2-3, then of one page back: four pages.
    (3, "remap_rewrites_whole_entry", "remap_clips_entries", None, "cow_remap_recorded", _one_mm(4) + " --depth 8"),
    (4, "copy_vma_merge_unrecorded", "copy_vma_merge_records", None, "rmap_complete", _one_mm(3) + " --depth 8"),
    (5, "wipeonfork_first_fault", "fault_records_remap", None, "rmap_complete", "--bounds small --depth 8"),
    # offset 2 recorded, the VMA moved back to 0 (the record stays), then offset 1 inserted
    # before 2: three pages.
    (6, "dynarray_insert_overwrites", "dynarray_insert_moves", None, "rmap_complete", _one_mm(3) + " --depth 8"),
    (7, "fork_window_walk", "fork_links_first", "fork", "rmap_complete", "--bounds small --depth 6"),
    # Finding 8 has no trace (safe as coded); tests/test_cow_refine.cpp explores it clean.
    (9, "walk_vma_freed", "walk_locks_vma", "walk_vma", "no_kernel_bug",
     "--bounds small --depth 8 --actions mmap,write,fork,exit_mmap,munmap,walk_begin,walk_step"),
    # offsets 1 and 2: three pages, and a second mm to fork into.
    (10, "walk_remap_freed", "remap_expand_rcu", "walk_remap", "no_kernel_bug",
     "--bounds default --mms 2 --vmas 2 --va-pages 3 --folios 1 --anon-vmas 2 --cpus 1 --depth 10 "
     "--actions mmap,write,mremap,fork,walk_begin,walk_step"),
    # offsets 1, 2 and 3: four pages.
    (11, "walk_moved_missed", "walk_rereads_remaps", "walk_remap", "rmap_complete",
     _one_mm(4) + " --depth 11 --actions mmap,write,mremap,walk_begin,walk_step"),
    # Race (a): three VMAs of one mm moved away from pgoff 0 (offsets 1, 2, 3: four pages,
    # and a fourth VMA slot for the mremaps' copy_vma).  The search starts from the state
    # after that hand-built setup (the trace's first 9 steps, --from): from scratch,
    # finding 11 (an mremap during the walk) is shorter and comes first, and
    # walk_rereads_remaps closes both.  No mremap from there.
    (12, "unmap_shifts_remap_array", "walk_rereads_remaps", "walk_remap_slots", "rmap_complete",
     "--bounds double --mms 1 --vmas 4 --va-pages 4 --folios 3 --anon-vmas 1 --cpus 1 --depth 7 "
     "--actions munmap,walk_begin,walk_step --from counterexamples/cow_context/unmap_shifts_remap_array.itf.json "
     "--from-step 9"),
    # A folio shared after fork, migrated: remove_migration_ptes stops after the parent's entry
    # (the harm, the BUG, is what the finding is about: the model also clears the entry it
    # leaves, so the child's page reads zeroes and every_read_matches_reference breaks with it).
    (13, "migration_entry_left", "exclusive_at_walk_start", None, "no_kernel_bug",
     "--bounds small --depth 8 --invariant no_kernel_bug"),
    # Three generations share a folio (mm0 -> mm1 -> mm2); remove_migration_ptes visits
    # mm2's context before mm1's, and mm1 forks a fourth mm meanwhile: four mms, one VMA
    # and page each, a second folio slot to migrate to, four contexts.
    (14, "fork_copies_entry_behind_walk", "walk_parent_first", "migrate", "no_kernel_bug",
     "--bounds default --mms 4 --vmas 1 --va-pages 1 --folios 2 --anon-vmas 4 --cpus 1 --depth 9 "
     "--invariant no_kernel_bug --actions mmap,write,fork,migrate,walk_step"),
]

# Fixes that came with a later finding, left off for the earlier ones: their shortest traces
# keep a stale remap record, which unmap_removes_records (finding 12) removes; and
# walk_parent_first (finding 14), so that the earlier rows and traces stay as recorded (it
# changes only a walk in steps over contexts two or more generations deep).
LATER_FIXES = {"unmap_removes_records": 12, "walk_parent_first": 14}

CHECK_FLAGS = "--budget 200000000 --seconds 60 --quiet --json"   # bench/zoo.py's random column
FIXED_CHECK_STEPS = 10_000_000
FIXED_EXPLORE_SECONDS = 60


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cowcheck", default=os.path.join(ROOT, "build", "cowcheck"))
    ap.add_argument("--quick", action="store_true", help="one seed instead of five")
    ap.add_argument("--only", help="comma-separated finding numbers")
    ap.add_argument("--corpus-lines", action="store_true",
                    help="print one line per finding for scripts/regen-corpus.sh and exit")
    o = ap.parse_args()
    if o.corpus_lines:
        for n, name, fix, phase, inv, eargs in FINDINGS:
            off = [fix] + [f for f, k in LATER_FIXES.items() if k > n]
            print(name, inv, ",".join(off), phase or "-", eargs)
        return 0
    b = o.cowcheck
    listing = json.loads(subprocess.run([b, "list", "--json"], capture_output=True, text=True, check=True).stdout)
    every_fix = [f["name"] for f in listing["cow_fixes"]]
    seeds = [1] if o.quick else [1, 2, 3, 4, 5]
    only = {int(x) for x in o.only.split(",")} if o.only else None
    date = time.strftime("%Y-%m-%d %H:%M")
    rows, fixed_checks, kept = [], {}, {}
    old_path = os.path.join(ROOT, "bench", "findings.json")
    if only and os.path.exists(old_path):
        with open(old_path) as f:
            old = json.load(f)
        for r in old["findings"]:
            if r["finding"] not in only:
                r.setdefault("date", old["meta"]["date"])
                kept[r["finding"]] = r
        fixed_checks = {(None if k == "-" else k): dict(v, date=v.get("date", old["meta"]["date"]))
                        for k, v in old["fixed_checks"].items()}
    for n, name, fix, phase, inv, eargs in FINDINGS:
        if only and n not in only:
            if n in kept:
                rows.append(kept[n])
            continue
        phased = f"--phased {phase} " if phase else ""
        others = [f for f in every_fix if f != fix and LATER_FIXES.get(f, 0) <= n]
        as_coded = "--design cow_context " + " ".join(f"--cow-fix {f}" for f in others) + " " + phased
        fixed = "--design cow_context " + " ".join(f"--cow-fix {f}" for f in every_fix) + " " + phased
        row = {"finding": n, "trace": name, "fix": fix, "phased": phase, "invariant": inv, "explore_args": eargs,
               "date": date}
        rc, wall, j = run(b, f"explore {as_coded}{eargs} --seconds 120 --quiet --json", 150)
        v = (j or {}).get("violation") or {}
        row["explore"] = {"exit": rc, "s": wall, "states": (j or {}).get("states"), "length": v.get("length"),
                          "invariant": v.get("invariant")}
        times, runs = [], []
        for s in ([] if "--from" in eargs else seeds):
            rc, wall, j = run(b, f"check {as_coded}--seed {s} {CHECK_FLAGS}", 90)
            v = (j or {}).get("violation") or {}
            runs.append({"seed": s, "exit": rc, "s": wall, "length": v.get("length"), "invariant": v.get("invariant")})
            if rc == 1:   # every other hole is closed: the first invariant this one breaks
                times.append(wall)
        row["random"] = runs
        row["random_median_s"] = statistics.median(times) if runs and len(times) == len(seeds) else None
        rc, wall, j = run(b, f"explore {fixed}{eargs} --seconds {FIXED_EXPLORE_SECONDS} --quiet --json",
                          FIXED_EXPLORE_SECONDS + 60)
        row["fixed_explore"] = {"exit": rc, "s": wall, "result": (j or {}).get("result", "timeout"),
                                "clean_depth": (j or {}).get("clean_depth"), "states": (j or {}).get("states")}
        if fixed_checks.get(phase, {}).get("date") != date:   # not yet in this run
            rc, wall, j = run(b, f"check {fixed}--seed 1 --budget {FIXED_CHECK_STEPS} --quiet --json", 600)
            v = (j or {}).get("violation") or {}
            fixed_checks[phase] = {"exit": rc, "s": wall, "result": (j or {}).get("result", "timeout"),
                                   "invariant": v.get("invariant"), "date": date}
        rows.append(row)
        print(json.dumps(row), flush=True)
    meta = {"date": date, "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                                   capture_output=True, text=True).stdout.strip(),
            "load_average": os.getloadavg(), "cores": os.cpu_count(), "seeds": seeds}
    write_tables(meta, rows, fixed_checks)   # rows are in FINDINGS order, kept ones included
    ok = all(r["explore"]["exit"] == 1 and r["explore"]["invariant"] == r["invariant"] and
             r["fixed_explore"]["exit"] in (0, 3) for r in rows) and all(c["exit"] in (0, 3) for c in fixed_checks.values())
    return 0 if ok else 1


def write_tables(meta, rows, fixed_checks):
    """bench/findings.json and bench/findings.md."""
    with open(os.path.join(ROOT, "bench", "findings.json"), "w") as f:
        json.dump({"meta": meta, "findings": rows,
                   "fixed_checks": {k or "-": v for k, v in fixed_checks.items()}}, f, indent=2)

    lines = ["# The COW context findings: what the engines take to find each, and the fixed model", "",
             f"Generated by `bench/findings.py` on {meta['date']} at commit {meta['commit']} ({meta['cores']} cores, "
             f"load average {meta['load_average'][0]:.1f} at the end; wall times of the `cowcheck` process).", "",
             "Each finding (docs/cow-context-findings.md) on the proof of concept with every `--cow-fix` but its own, "
             "and with its `--phased` operation. Explore: the certified shortest trace at the bounds of the last column "
             "(the trace in `counterexamples/cow_context/`, regenerated by scripts/regen-corpus.sh from the same table). "
             f"Random: `cowcheck check {CHECK_FLAGS}` at the default preset, seeds {meta['seeds']}: median wall time "
             "when every seed found a violation, then each seed's shrunk length and the invariant it broke first "
             "(every other hole is closed, so a violation is this finding; the first invariant a random run breaks "
             "may be a structural one, such as `cow_remap_recorded`, before the missed mapping explore's shortest "
             "trace shows). "
             f"Fixed: every fix on, the same explore search for {FIXED_EXPLORE_SECONDS} s (the depth it is clean to). "
             "A search with `--from` starts from the state after the first steps of the finding's trace (a hand-built "
             "setup): the length is the whole trace's, setup included, only the continuation is certified shortest, "
             "and it has no random column (from scratch another finding closed "
             "by the same fix comes first). Rows of an earlier run (`--only` re-runs some) say its date.", "",
             "| # | trace | fix | phased | invariant | explore: length, states, time | random median (shrunk lengths) | "
             "fixed: explore clean depth (states, time) | explore bounds |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        e, fe = r["explore"], r["fixed_explore"]
        found = (f"{e['length']} ({e['invariant']}), {e['states']} states, {fmt(e['s'])}" if e["exit"] == 1
                 else f"not found (exit {e['exit']})")
        shrunk = ", ".join(f"{x['length']} {x['invariant']}" if x["exit"] == 1 else f"seed {x['seed']}: exit {x['exit']}"
                           for x in r["random"]) or "not run: searched from a prefix"
        fixed = (f"{fe['clean_depth']} ({fe['result']}; {fe['states']} states, {fmt(fe['s'])})")
        when = "" if r.get("date", meta["date"]) == meta["date"] else f" (run {r['date']})"
        lines.append(f"| {r['finding']}{when} | {r['trace']} | {r['fix']} | {r['phased'] or '—'} | {r['invariant']} | "
                     f"{found} | {fmt(r['random_median_s'])} ({shrunk}) | {fixed} | `{r['explore_args']}` |")
    lines += ["", f"Fixed model, random: `cowcheck check` with every fix, seed 1, {FIXED_CHECK_STEPS:,} steps at the "
              "default preset:", ""]
    for phase, c in fixed_checks.items():
        what = c["result"] + (f" ({c['invariant']})" if c.get("invariant") else "")
        when = "" if c.get("date", meta["date"]) == meta["date"] else f" (run {c['date']})"
        lines.append(f"- {('--phased ' + phase) if phase else 'no --phased'}: {what}, {fmt(c['s'])}{when}")
    lines.append("")
    with open(os.path.join(ROOT, "bench", "findings.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
