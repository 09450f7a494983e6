#!/usr/bin/env python3
"""bench/engines.py — the exhaustive engines and the shrinker, measured (bench/engines.json, .md).

  explore   per preset (small, default, double), plain and with --symmetry: states per
            depth, time, states/s and bytes per stored state, until 60 s or 8 GiB;
  bmc       per depth at small (to depth 4) and default (to depth 3), one run each with a
            150 s budget: build + solve time and formula size per depth;
  shrink    a random violating trace of at least 200 steps (`check --save-as-found`),
            shrunk by `cowcheck shrink --certify none` (certification timed separately).

Usage: bench/engines.py [--cowcheck build/cowcheck] [--only explore,bmc,shrink]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, timeout):
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, time.monotonic() - t0, None
    try:
        j = json.loads(p.stdout)
    except json.JSONDecodeError:
        j = None
    return p.returncode, time.monotonic() - t0, j


def bench_explore(b, presets):
    rows = []
    for preset in presets:
        for sym in (False, True):
            cmd = [b, "explore", "--bounds", preset, "--depth", "40", "--seconds", "60", "--max-memory", "8192",
                   "--threads", "2", "--json"] + (["--symmetry"] if sym else [])
            rc, wall, j = run(cmd, 400)
            if not j:
                rows.append({"preset": preset, "symmetry": sym, "error": f"exit {rc}"})
                continue
            levels = j.get("levels", [])
            rows.append({"preset": preset, "symmetry": sym, "result": j["result"], "clean_depth": j["clean_depth"],
                         "states": j["states"], "seconds": j["seconds"], "peak_memory_mb": j["peak_memory_mb"],
                         "states_per_second": j["states"] / j["seconds"] if j["seconds"] else None,
                         "bytes_per_state": j["peak_memory_mb"] * 1048576 / j["states"] if j["states"] else None,
                         "states_checked": j.get("states_checked"),
                         "checked_per_second": j["states_checked"] / j["seconds"] if j.get("states_checked") and j["seconds"] else None,
                         "bytes_per_checked_state": j["peak_memory_mb"] * 1048576 / j["states_checked"] if j.get("states_checked") else None,
                         "stopped": j.get("stopped", ""), "levels": levels})
            print(json.dumps({k: v for k, v in rows[-1].items() if k != "levels"}), flush=True)
    return rows


def bench_bmc(b):
    rows = []
    for preset, depth, budget in (("small", 4, 150), ("default", 3, 150)):
        cmd = [b, "bmc", "--bounds", preset, "--depth", str(depth), "--timeout", str(budget), "--json"]
        rc, wall, j = run(cmd, budget + 60)
        if not j:
            rows.append({"preset": preset, "error": f"exit {rc}"})
            continue
        rows.append({"preset": preset, "result": j["result"], "clean_depth": j["clean_depth"], "actions": j["actions"],
                     "seconds": j["seconds"], "depths": j.get("depths", []), "reason": j.get("reason", "")})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def bench_shrink(b):
    tmp = tempfile.mkdtemp(prefix="cowcheck-shrink-")
    # Mutants the random search finds within a run (anon_vma_no_reuse and the degree reuse
    # it does not find at all), in the order tried.
    for m in ("gup_cow_leak", "anon_vma_clone_stale_anon_vma", "mremap_flush_after_unlock", "fork_shares_pinned_page"):
        for seed in range(1, 6):
            out = os.path.join(tmp, f"{m}-{seed}")
            rc, _, j = run([b, "check", "--inject", m, "--seed", str(seed), "--steps", "600", "--budget", "2000000",
                            "--quiet", "--json", "--save", out, "--save-as-found"], 300)
            if rc != 1 or j["violation"]["found_length"] < 200:
                continue
            f = os.path.join(out, m + ".itf.json")
            rc, wall, s = run([b, "shrink", f, "--certify", "none", "--json", "--quiet"], 300)
            rc2, wall2, c = run([b, "shrink", f, "--json", "--quiet", "--certify-seconds", "120"], 300)
            row = {"mutant": m, "seed": seed, "length_before": s["length_before"], "length": s["length"],
                   "shrink_seconds": s["shrink_seconds"], "process_wall_seconds": wall,
                   "certified": c["minimal"] if c else None, "certify_seconds": c["certify_seconds"] if c else None,
                   "certified_length": c["length"] if c else None}
            print(json.dumps(row), flush=True)
            return row
    return {"error": "no random trace of >= 200 steps found"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cowcheck", default=os.path.join(ROOT, "build", "cowcheck"))
    ap.add_argument("--only", default="explore,bmc,shrink")
    ap.add_argument("--presets", default="small,default,double", help="explore: which presets")
    o = ap.parse_args()
    path = os.path.join(ROOT, "bench", "engines.json")
    res = json.load(open(path)) if os.path.exists(path) else {}
    res["meta"] = {"date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count(),
                   "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                            cwd=ROOT).stdout.strip()}
    parts = o.only.split(",")
    if "explore" in parts:
        res["explore"] = bench_explore(o.cowcheck, o.presets.split(","))
    if "bmc" in parts:
        res["bmc"] = bench_bmc(o.cowcheck)
    if "shrink" in parts:
        res["shrink"] = bench_shrink(o.cowcheck)
    res["meta"]["load_average_end"] = os.getloadavg()
    json.dump(res, open(path, "w"), indent=2)

    md = ["# Exhaustive engines and shrinking", "",
          f"Written by `bench/engines.py` (commit {res['meta']['commit']}, {res['meta']['date']}, "
          f"{res['meta']['cores']} cores, load average {res['meta']['load_average_end'][0]:.1f} at the end); do not "
          "edit by hand.", "",
          "Targets (issue 5/6): explore clean to depth >= 9 at small within 60 s, >= 500,000 new states/s, <= 64 B per "
          "stored state; BMC clean to depth >= 5 at small within 60 s per depth; shrinking a 200-step trace < 1 s.", ""]
    if "explore" in res:
        md += ["## explore (60 s or 8 GiB, 2 threads)", "",
               "States: the finished levels (what the clean depth speaks for); checked: every distinct state "
               "stored and checked, the level unfinished at the limit included. Rates are over the whole run's wall "
               "time; bytes are the peak of the visited set, the per-level links and the transient candidates.", "",
               "| preset | symmetry | result | clean depth | states | seconds | states/s | bytes/state (peak) "
               "| checked | checked/s | bytes/checked |",
               "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in res["explore"]:
            if "error" in r:
                md.append(f"| {r['preset']} | {r['symmetry']} | {r['error']} | | | | | | | | |")
                continue
            md.append(f"| {r['preset']} | {'yes' if r['symmetry'] else 'no'} | {r['result']} | {r['clean_depth']} | "
                      f"{r['states']} | {r['seconds']:.1f} | {r['states_per_second']:.0f} | {r['bytes_per_state']:.0f} | "
                      + (f"{r['states_checked']} | {r['checked_per_second']:.0f} | {r['bytes_per_checked_state']:.0f} |"
                         if r.get("states_checked") else "— | — | — |"))
        md += ["", "Per depth (new states, cumulative seconds):", ""]
        for r in res["explore"]:
            if "levels" in r:
                md.append(f"- {r['preset']}{' (symmetry)' if r['symmetry'] else ''}: " + ", ".join(
                    f"{lv['depth']}: {lv['new']} ({lv['seconds']:.1f} s)" for lv in r["levels"]))
        md.append("")
    if "bmc" in res:
        md += ["## bmc (per depth: build + solve seconds, step terms)", ""]
        for r in res["bmc"]:
            if "error" in r:
                md.append(f"- {r['preset']}: {r['error']}")
                continue
            md.append(f"- {r['preset']} ({r['actions']} actions/step): {r['result']}, clean to depth {r['clean_depth']}"
                      + (f" ({r['reason']})" if r["reason"] else "") + ": " + ", ".join(
                          f"{d['depth']}: {d['result']} {d['build_seconds'] + d['solve_seconds']:.1f} s "
                          f"{d['step_terms']} terms" for d in r["depths"]))
        md.append("")
    if "shrink" in res:
        s = res["shrink"]
        md += ["## shrink", ""]
        if "error" in s:
            md.append(s["error"])
        else:
            md.append(f"`check --inject {s['mutant']} --seed {s['seed']} --steps 600 --save-as-found`: "
                      f"{s['length_before']} steps -> {s['length']} in {s['shrink_seconds']:.3f} s (shrink only; process "
                      f"{s['process_wall_seconds']:.2f} s wall); certification: {s['certified']} in "
                      f"{s['certify_seconds']:.1f} s, length {s['certified_length']}.")
        md.append("")
    open(os.path.join(ROOT, "bench", "engines.md"), "w").write("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    sys.exit(main())
