#!/usr/bin/env python3
"""bench/runs.py — the single runs the COW context findings quote beside the tables (bench/runs.md, bench/runs.json).

docs/cow-context-findings.md and the README quote figures that are neither a row of
bench/findings.md nor of bench/zoo.md: a deeper search of a fixed model, the fixed model with
combinations of --phased operations, a solver budget past the zoo's.  Each is one `cowcheck`
command in RUNS below, with what the text says of it; this script runs them and records, per
run, the command, the verdict and exit code, the figures `--json` reports (depth, states,
steps, length, invariant) and the wall time of the process, with the date and commit.

A run's flags name the fixes it leaves off, never the ones it keeps: "every fix" is what
`cowcheck list --json` lists when the script runs.

Usage: bench/runs.py [--cowcheck build/cowcheck] [--only NAME,...] [--list]
       (--only keeps the other runs' rows from bench/runs.json, each with the date of its run)
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo import ROOT, fmt, run  # noqa: E402  (the same process runner and wall clock as the zoo)

F11_BOUNDS = "--bounds default --mms 1 --vmas 2 --va-pages 4 --folios 2 --anon-vmas 1 --cpus 1"
F12_BOUNDS = "--bounds double --mms 1 --vmas 4 --va-pages 4 --folios 3 --anon-vmas 1 --cpus 1"
F12_FROM = "--from counterexamples/cow_context/unmap_shifts_remap_array.itf.json --from-step 9"
F12_THREE_SLOTS = "--bounds double --mms 1 --vmas 3 --va-pages 4 --folios 3 --anon-vmas 1 --cpus 1"
F12_SIX = "--actions mmap,write,mremap,munmap,walk_begin,walk_step"
F14_BOUNDS = ("--bounds default --mms 4 --vmas 1 --va-pages 1 --folios 2 --anon-vmas 4 --cpus 1 "
              "--invariant no_kernel_bug --actions mmap,write,fork,migrate,walk_step")
SLIP_BOUNDS = "--bounds default --mms 1 --vmas 2 --va-pages 3 --folios 1 --anon-vmas 1 --cpus 1"
TEN_MILLION = "--budget 10000000 --quiet"

# (name, where the text quotes it, fixes left off, cowcheck arguments after the design flags,
#  the verdict the text states, the process's time limit in seconds)
RUNS = [
    ("f11_migrate", "findings doc, finding 11: its harm under --phased migrate",
     ["walk_rereads_remaps", "unmap_removes_records", "walk_parent_first"],
     f"explore --phased walk_remap --phased migrate {F11_BOUNDS} --depth 11 --invariant no_kernel_bug "
     "--actions mmap,write,mremap,migrate,walk_step --seconds 120", "violation", 150),
    ("f11_migrate_fixed", "findings doc, finding 11: the same search with every fix", [],
     f"explore --phased walk_remap --phased migrate {F11_BOUNDS} --depth 11 --invariant no_kernel_bug "
     "--actions mmap,write,mremap,migrate,walk_step --seconds 120", "clean", 150),
    ("f12_setup_fixed", "findings doc, finding 12: from the setup, three actions, every fix", [],
     f"explore --phased walk_remap_slots {F12_BOUNDS} --depth 12 --actions munmap,walk_begin,walk_step {F12_FROM} "
     "--seconds 120", "clean", 150),
    ("f12_setup_fixed_six", "findings doc, finding 12: from the setup, six actions, every fix", [],
     f"explore --phased walk_remap_slots {F12_BOUNDS} --depth 10 {F12_SIX} {F12_FROM} --seconds 300", "clean", 330),
    ("f12_scratch_fixed", "findings doc, finding 12: from scratch at three VMA slots, every fix", [],
     f"explore --phased walk_remap_slots {F12_THREE_SLOTS} --depth 11 {F12_SIX} --seconds 500", "clean", 530),
    ("f12_scratch_finds_f11", "findings doc, finding 12: from scratch, finding 11 comes first",
     ["walk_rereads_remaps"],
     f"explore --phased walk_remap_slots {F12_THREE_SLOTS} --depth 12 {F12_SIX} --seconds 400", "violation", 430),
    ("f12_scratch_random_f11", "findings doc, finding 12: random search there, finding 11 first",
     ["walk_rereads_remaps"],
     f"check --phased walk_remap_slots {F12_THREE_SLOTS} --seed 1 --budget 200000000 --seconds 120 --quiet",
     "violation", 150),
    ("f12_random_double", "findings doc, finding 12: random search at double, every other fix (finding 11 first)",
     ["walk_rereads_remaps"],
     "check --phased walk_remap_slots --bounds double --seed 1 --budget 200000000 --seconds 60 --quiet", "violation",
     90),
    ("f12_random_double_no_swarm", "findings doc, finding 12: the same without swarm testing",
     ["walk_rereads_remaps"],
     "check --phased walk_remap_slots --bounds double --seed 1 --budget 200000000 --seconds 60 --no-swarm --quiet",
     "unknown", 90),
    ("f12_check_slots", "findings doc, finding 12: every fix, --phased walk_remap_slots", [],
     f"check --phased walk_remap_slots --seed 3 {TEN_MILLION}", "clean", 300),
    ("f12_check_three_phases", "findings doc, finding 12: every fix, fork, walk_vma, walk_remap_slots", [],
     f"check --phased fork --phased walk_vma --phased walk_remap_slots --seed 3 {TEN_MILLION}", "clean", 300),
    ("f12_check_no_phase", "findings doc, finding 12: every fix, no phase", [],
     f"check --seed 3 {TEN_MILLION}", "clean", 300),
    ("f12_check_double", "findings doc, finding 12: every fix, --phased walk_remap_slots at double", [],
     f"check --phased walk_remap_slots --bounds double --seed 4 {TEN_MILLION}", "clean", 400),
    ("refine_random_fixed", "findings doc, findings 12 and 13: refine, every fix, random sequences at default", [],
     "refine --random --runs 20000 --seed 1", "clean", 600),
    ("f14_fixed_depth12", "findings doc and README, finding 14: every fix, to depth 12", [],
     f"explore --phased migrate {F14_BOUNDS} --depth 12 --seconds 120", "clean", 150),
    ("f14_check_migrate_three", "findings doc, finding 14: every fix, migrate, walk_vma, walk_remap_slots, fork", [],
     f"check --phased migrate --phased walk_vma --phased walk_remap_slots --phased fork --seed 1 {TEN_MILLION}",
     "clean", 300),
    ("f14_check_migrate_remap", "findings doc, finding 14: every fix, migrate and walk_remap", [],
     f"check --phased migrate --phased walk_remap --seed 1 {TEN_MILLION}", "clean", 300),
    ("f14_check_migrate_fork", "findings doc, finding 14: every fix, migrate and fork", [],
     f"check --phased migrate --phased fork --seed 1 {TEN_MILLION}", "clean", 300),
    ("prove_one_process", "findings doc, k-induction: every fix, one process", [],
     "prove --bounds small --mms 1 --vmas 1 --va-pages 1 --folios 1 --anon-vmas 1 --timeout 300", "clean", 330),
    ("prove_two_process_one_page", "findings doc, k-induction: every fix, two processes with a page each", [],
     "prove --bounds small --mms 2 --vmas 1 --va-pages 1 --folios 1 --anon-vmas 2 --timeout 300", "clean", 330),
    ("prove_small", "findings doc, k-induction: every fix, the whole small preset", [],
     "prove --bounds small --timeout 1500", "unknown", 1560),
    ("bmc_partial_remap_unrecorded", "README, the design's mutants: BMC past the zoo's 150 s", [],
     f"bmc --inject cow_partial_remap_unrecorded {SLIP_BOUNDS} --depth 3 --timeout 400", "violation", 430),
    ("bmc_remap_wrong_side", "README, the design's mutants: BMC past the zoo's 150 s", [],
     f"bmc --inject cow_remap_wrong_side {SLIP_BOUNDS} --depth 3 --timeout 400", "violation", 430),
]

VERDICT = {0: "clean", 1: "violation", 2: "usage error", 3: "unknown", 4: "internal error", None: "timeout"}


def command(every_fix, off, args):
    fixes = " ".join(f"--cow-fix {f}" for f in every_fix if f not in off)
    verb, rest = args.split(" ", 1)
    return f"{verb} --design cow_context {fixes} {rest} --json"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cowcheck", default=os.path.join(ROOT, "build", "cowcheck"))
    ap.add_argument("--only", help="comma-separated run names")
    ap.add_argument("--list", action="store_true", help="print the run names and commands and exit")
    o = ap.parse_args()
    b = o.cowcheck
    listing = json.loads(subprocess.run([b, "list", "--json"], capture_output=True, text=True, check=True).stdout)
    every_fix = [f["name"] for f in listing["cow_fixes"]]
    names = [r[0] for r in RUNS]
    only = set(o.only.split(",")) if o.only else None
    if only and not only <= set(names):
        ap.error(f"unknown run(s): {', '.join(sorted(only - set(names)))}; --list names them")
    if o.list:
        for name, _, off, args, expect, _ in RUNS:
            print(f"{name}: cowcheck {command(every_fix, off, args)}  (expect {expect})")
        return 0
    date = time.strftime("%Y-%m-%d %H:%M")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    old_path = os.path.join(ROOT, "bench", "runs.json")
    kept = {}
    if only and os.path.exists(old_path):
        with open(old_path) as f:
            kept = {r["name"]: r for r in json.load(f)["runs"]}
    rows = []
    for name, quoted, off, args, expect, limit in RUNS:
        if only and name not in only:
            if name in kept:
                rows.append(kept[name])
            continue
        cmd = command(every_fix, off, args)
        rc, wall, j = run(b, cmd, limit)
        j = j or {}
        v = j.get("violation") or {}
        row = {"name": name, "quoted": quoted, "fixes_off": off, "command": "cowcheck " + cmd, "expect": expect,
               "exit": rc, "verdict": VERDICT.get(rc, f"exit {rc}"), "s": wall, "date": date, "commit": commit,
               "clean_depth": j.get("clean_depth"), "states": j.get("states"), "steps": j.get("steps"),
               "length": v.get("length"), "invariant": v.get("invariant")}
        if args.startswith("prove"):   # k-induction: how many invariants proved, which ones not
            row.update(counts=j.get("counts"),
                       not_proved=[i["name"] for i in j.get("invariants", []) if i.get("result") != "proved"])
        if args.startswith("refine"):   # refine --random: sequences of `steps` steps, state pairs compared
            row.update(steps=None, sequences=j.get("runs"), steps_per_sequence=j.get("steps"), pairs=j.get("pairs"))
        rows.append(row)
        print(json.dumps(row), flush=True)
    with open(old_path, "w") as f:
        json.dump({"runs": rows}, f, indent=2)
    write_table(rows)
    return 0 if all(r["verdict"] == r["expect"] for r in rows) else 1


def write_table(rows):
    lines = ["# Single runs the COW context findings quote", "",
             "Generated by `bench/runs.py`; do not edit by hand. Each row is one `cowcheck` command (the design flags "
             "spelled out: every `--cow-fix` the binary lists but those named off), its verdict from the exit code "
             "(0 clean, 1 violation, 3 unknown: a limit came first, or for `prove` a counterexample to induction), what the text expects, the figures its `--json` "
             "reports and the wall time of the process, on the 2-core machine.", "",
             "| run | quoted in | fixes off | verdict (expected) | figures | wall | date, commit |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        figs = []
        if r.get("length"):
            figs.append(f"length {r['length']} ({r['invariant']})")
        if r.get("clean_depth") is not None:
            figs.append(f"clean to depth {r['clean_depth']}")
        if r.get("states"):
            figs.append(f"{r['states']:,} states")
        if r.get("steps"):
            figs.append(f"{r['steps']:,} steps")
        if r.get("counts"):
            c = r["counts"]
            figs.append(f"{c['proved']} proved, {c['cti']} CTI, {c['violation']} violated, {c['unknown']} unknown"
                        + (f" (not proved: {', '.join(r['not_proved'])})" if r.get("not_proved") else ""))
        if r.get("sequences"):
            figs.append(f"{r['sequences']:,} sequences of {r['steps_per_sequence']} steps, "
                        f"{r['pairs']:,} state pairs")
        mark = "" if r["verdict"] == r["expect"] else " **(not as expected)**"
        lines.append(f"| `{r['name']}` | {r['quoted']} | {', '.join(r['fixes_off']) or '—'} | {r['verdict']} "
                     f"({r['expect']}){mark} | {'; '.join(figs) or '—'} | {fmt(r['s'])} | {r['date']}, {r['commit']} |")
    lines += ["", "Commands:", ""]
    lines += [f"- `{r['name']}`: `{r['command']}`" for r in rows]
    lines.append("")
    with open(os.path.join(ROOT, "bench", "runs.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
