#!/usr/bin/env bash
# bench/shards.sh BIN — 1 vs 2 shards on this machine for `check` and `explore`, and the
# merge: wall time, work summed over the shards, and the duplicated work (explore: the
# prefix every shard searches, and deeper states two shards both reach).  Prints a
# Markdown table (bench/shards.md keeps the last one, with the machine's load).
set -euo pipefail
bin=${1:-build/cowcheck}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
row() { printf '| %s | %s | %s | %.1f | %s | %s |\n' "$@"; }
echo "| run | shards | result | wall s | work (states or steps, summed) | merge s |"
echo "|---|---|---|---|---|---|"
for spec in "explore --bounds small --depth 7 --threads 1|states" "check --seed 1 --budget 20000000|steps"; do
  args=${spec%|*}; field=${spec#*|}
  t0=$(now); $bin $args --json > "$tmp/one.json" || true; t1=$(now)
  row "$args" 1 "$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["result"])' "$tmp/one.json")" \
      "$(echo "$t1 - $t0" | bc)" "$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$tmp/one.json" "$field")" "-"
  # Two shards side by side; check gets half the steps each (the same total work).
  sargs=$args; [[ $args == check* ]] && sargs=${args/20000000/10000000}
  t0=$(now)
  for i in 0 1; do $bin $sargs --shard $i/2 --json > "$tmp/s$i.json" & done; wait || true
  t1=$(now)
  $bin merge --json "$tmp"/s0.json "$tmp"/s1.json > "$tmp/m.json" || true
  t2=$(now)
  row "$sargs" 2 "$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["result"])' "$tmp/m.json")" \
      "$(echo "$t1 - $t0" | bc)" "$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1])).get(sys.argv[2]))' "$tmp/m.json" "$field")" \
      "$(echo "$t2 - $t1" | bc)"
done
