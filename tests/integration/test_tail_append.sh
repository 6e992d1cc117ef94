#!/usr/bin/env bash
# Appends to a followed file come out exactly once and in order; a file
# created later in the watched directory is followed from its start; a
# whole file moved into the directory (written elsewhere, then `mv`, like
# WSA's SCP push) comes out whole.
. "$(dirname "$0")/lib.sh"

CFG=$T/cfg.json
make_config "$CFG"

# a.log exists before the start.
gen_lines 1 100 a >"$T/logs/a.log"
start_daemon "$CFG"
wait_for "the 100 existing lines of a.log" out_has_at_least "$DOUT" 100

# Appends to a.log while running, in 20 bursts of 50 lines.
for k in $(seq 0 19); do
    gen_lines $((101 + k * 50)) 50 a >>"$T/logs/a.log"
    sleep 0.02
    if [ "$k" = 5 ]; then
        # A second file created later in the same directory.
        gen_lines 1 300 b >"$T/logs/b.log"
    fi
    if [ "$k" -ge 6 ]; then
        gen_lines $((301 + (k - 6) * 20)) 20 b >>"$T/logs/b.log"
    fi
done
# a: 1..1100; b: 1..300 + 14 * 20 = 1..580

# A whole file written elsewhere (same file system), then moved in.
mkdir -p "$T/staging"
gen_lines 1 3000 c >"$T/staging/c.log"
mv "$T/staging/c.log" "$T/logs/c.log"

# Not matched by the glob: must never come out.
gen_lines 1 50 ignored >"$T/logs/ignored.txt"

TOTAL=$((1100 + 580 + 3000))
wait_for "$TOTAL events" out_has_at_least "$DOUT" "$TOTAL"
stop_daemon

check_exactly_once "$DOUT" 1 1100 a "appended to a.log"
check_exactly_once "$DOUT" 1 580 b "b.log created while running"
check_exactly_once "$DOUT" 1 3000 c "c.log moved into the directory"
assert_eq 0 "$(out_seqs "$DOUT" ignored | wc -l)" "events from a file the glob does not match"
assert_eq "$TOTAL" "$(count_lines "$DOUT")" "events in total"
check_order "$DOUT" a
check_order "$DOUT" b
check_order "$DOUT" c

# "line" is the line number in its file (seq == line here) and "src" the
# file's path in the watched directory (not where it was written).
bad=$(awk '{
    if (!match($0, /"url":"http:\/\/[a-z]+\.example\.com\/seq\/[0-9]+/)) { print "no url: " $0; exit }
    u = substr($0, RSTART + 14, RLENGTH - 14); split(u, a, "/"); h = a[1]; sub(/\.example\.com$/, "", h)
    if (!match($0, /"line":[0-9]+/)) { print "no line: " $0; exit }
    l = substr($0, RSTART + 7, RLENGTH - 7)
    if (l != a[3]) { print "line " l " for seq " a[3] " of " h; exit }
    if (index($0, "\"src\":\"" dir "/" h ".log\"") == 0) { print "src not " dir "/" h ".log: " substr($0, 1, 200); exit }
}' dir="$T/logs" "$DOUT")
[ -z "$bad" ] || fail "event fields: $bad"
log "ok: line numbers and src of every event"

pass
