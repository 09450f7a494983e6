# bench/timed.sh — sourced by the bench scripts that append one table row per cowcheck run
# (bench/b11.sh, bench/mshare.sh).  timed_json FILE ARGS...: runs "$bin" ARGS... --json into
# FILE, and sets $load (the 1-minute load average before the run) and $wall (its seconds).
timed_json() {
    file=$1
    shift
    load=$(cut -d' ' -f1 /proc/loadavg)
    start=$(date +%s.%N)
    "$bin" "$@" --json > "$file" 2>/dev/null
    end=$(date +%s.%N)
    wall=$(awk "BEGIN{print $end - $start}")
}
