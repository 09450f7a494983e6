#!/usr/bin/env bash
# The corpus's HTML pages: for every counterexamples/DESIGN/[harm/]NAME.itf.json, NAME.html
# (`cowcheck show NAME.itf.json --html NAME.html`), and counterexamples/index.html
# listing every trace with its design, mutant, invariant, length, engine and
# minimality certification (from #meta).  Called by regen-corpus.sh; run it alone
# after changing the viewer.  Needs Graphviz (`dot`).  Usage:
#   scripts/corpus-html.sh [path/to/cowcheck]      (default build/cowcheck)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/cowcheck}
[ -x "$bin" ] || { echo "corpus-html: $bin not found (build first, or pass the binary)" >&2; exit 2; }
status=0
shopt -s nullglob globstar
for f in counterexamples/**/*.itf.json; do
  page=${f%.itf.json}.html
  if "$bin" show "$f" --html "$page" >/dev/null 2>"$page.err"; then
    rm -f "$page.err"
    echo "$page"
  else
    echo "corpus-html: $f: $(head -1 "$page.err")" >&2
    rm -f "$page.err"
    status=1
  fi
done
python3 - <<'EOF'
import glob, html, json, os
rows = []
for f in sorted(glob.glob("counterexamples/**/*.itf.json", recursive=True)):
    meta = json.load(open(f))["#meta"]
    page = f[len("counterexamples/"):-len(".itf.json")] + ".html"
    found = meta.get("engine", "?")
    if "seed" in meta: found += f", seed {meta['seed']}"
    if "depth" in meta: found += f", depth {meta['depth']}"
    fixed = meta.get("fixed_expect", "")
    if isinstance(fixed, dict):
        fixed = ", ".join(f"{k} {v}" for k, v in fixed.items())
    cells = [meta.get("design", "?"), ", ".join(meta.get("mutants", [])) or "none", meta.get("invariant", "?"),
             str(meta.get("violated_at", "?")), found, meta.get("minimal", "not recorded"), str(fixed)]
    exists = os.path.exists(os.path.join("counterexamples", page))
    name = page[:-len(".html")].split("/", 1)[-1]   # e.g. gup_cow_leak, harm/gup_cow_leak
    link = (f'<a href="{html.escape(page)}">{html.escape(name)}</a>' if exists
            else f'{html.escape(name)} (no page)')
    rows.append("<tr><td>" + link + "</td>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
out = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cowcheck counterexample corpus</title>
<style>
body { font: 14px/1.4 system-ui, Helvetica, Arial, sans-serif; margin: 16px; color: #1f2328; }
table { border-collapse: collapse; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td:nth-child(5) { text-align: right; }
td:nth-child(7) { font-size: 12px; max-width: 32em; }
</style></head><body>
<h1>cowcheck counterexample corpus</h1>
<p>One page per trace (<code>cowcheck show FILE --html PAGE</code>): step through it with the slider or the
arrow keys. Length is the number of steps; minimal says whether a breadth-first search certified that no
shorter trace exists at those bounds. Regenerate with <code>scripts/corpus-html.sh</code>.</p>
<table id="corpus">
<tr><th>trace</th><th>design</th><th>mutant</th><th>invariant</th><th>length</th><th>found by</th>
<th>minimal</th><th>fixed model</th></tr>
""" + "\n".join(rows) + """
</table>
</body></html>
"""
open("counterexamples/index.html", "w").write(out)
print("counterexamples/index.html (%d traces)" % len(rows))
EOF
exit $status
