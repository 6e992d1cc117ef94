#!/usr/bin/env bash
# test_replay.sh - `wtexport replay` end to end: plain, .gz (also two
# members) and .zst copies of a generated log with current timestamps go
# through a file sink (NDJSON, then zstd); the events shipped, the summary
# counters (expired, malformed, out_of_range), --since/--until windows in
# each TIME form, and the exit codes of usage errors, a missing file and a
# truncated archive are checked.
#
# Environment (set by ctest): WT_BIN (dir of wtexport), WT_SRC, WT_TEST_DATA.
set -euo pipefail

WT_BIN=${WT_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin}
WTEXPORT=$WT_BIN/wtexport
[[ -x $WTEXPORT ]] || { echo "FAIL: no wtexport at $WTEXPORT" >&2; exit 1; }
for tool in gzip zstd; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is needed" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wt_replay.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fails=0
fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}
ok() { echo "ok: $*"; }

# ---------------------------------------------------------------------------
# Input: one log of 105 lines
#   1-3    older than the 30d retention (expired)
#   4-5    malformed
#   6-105  valid, line L at base + (L-5) minutes (.123), the last one without
#          a trailing newline
# ---------------------------------------------------------------------------
now=$(date +%s)
base=$(( (now - 3 * 3600) / 60 * 60 ))
old=$(( now - 40 * 86400 ))
squid_line() { # epoch host-number
    printf '%s.123 97 172.16.%d.%d TCP_MISS/200 %d GET http://h%d.example.com/p?q=%d - DIRECT/h%d.example.com text/html' \
        "$1" $(( $2 / 250 )) $(( $2 % 250 + 1 )) $(( 1000 + $2 )) "$2" "$2" "$2"
}
{
    for i in 1 2 3; do squid_line $(( old + i )) "$i"; printf '\n'; done
    printf 'this is not an access log line\n'
    printf '1714521600.000 garbage\n'
    for k in $(seq 1 100); do
        squid_line $(( base + k * 60 )) $(( k + 5 ))
        (( k < 100 )) && printf '\n'
    done
} > "$tmp/access.log"
(( $(wc -l < "$tmp/access.log") == 104 )) || { echo "FAIL: generator" >&2; exit 1; }
gzip -c "$tmp/access.log" > "$tmp/access.log.1.gz"
zstd -q -c "$tmp/access.log" > "$tmp/access.log.2.zst"
# Two gzip members, split inside a line; named without a suffix.
head -c 3000 "$tmp/access.log" | gzip -c > "$tmp/rotated"
tail -c +3001 "$tmp/access.log" | gzip -c >> "$tmp/rotated"

write_config() { # sink-path compress
    cat > "$tmp/config.json" <<EOF
{
  "state_dir": "$tmp/state",
  "retention": "30d",
  "inputs": [{"path": "/var/log/squid/access.log", "format": "squid"}],
  "batch": {"max_events": 40, "linger": "100ms"},
  "sinks": [{"type": "file", "path": "$1", "compress": "$2", "fsync": true}],
  "metrics": {"listen": ""},
  "log": {"level": "info"}
}
EOF
}

# run NAME ARGS...: replay, stderr in $tmp/NAME.err, exit code in $rc.
run() {
    local name=$1
    shift
    rc=0
    "$WTEXPORT" replay "$@" > "$tmp/$name.out" 2> "$tmp/$name.err" || rc=$?
}

show() { sed 's/^/    | /' "$tmp/$1.err" >&2; }

# expect_counter NAME KEY VALUE: the summary has KEY=VALUE.
expect_counter() {
    if grep -Eq "^replay: (.* )?$2=$3( |\$)" "$tmp/$1.err"; then
        ok "$1: $2=$3"
    else
        fail "$1: summary lacks $2=$3"
        show "$1"
    fi
}

# line numbers of the events of src $2 in NDJSON file $1, sorted, one line
lines_of() {
    grep -F "\"src\":\"$2\"" "$1" | grep -o '^{"line":[0-9]*' | cut -d: -f2 | sort -n | tr '\n' ' ' | sed 's/ $//'
}

expect_lines() { # what got want
    if [[ $2 == "$3" ]]; then
        ok "$1"
    else
        fail "$1: lines [$2], want [$3]"
    fi
}

all_valid=$(seq 6 105 | tr '\n' ' ' | sed 's/ $//')

# --- 1. plain file, NDJSON sink --------------------------------------------
out=$tmp/events.ndjson
write_config "$out" none
run plain -c "$tmp/config.json" "$tmp/access.log"
if (( rc != 0 )); then fail "plain: exit $rc, want 0"; show plain; fi
n=$(wc -l < "$out")
(( n == 100 )) && ok "plain: 100 events" || fail "plain: $n events, want 100"
expect_counter plain lines 105
expect_counter plain parsed 103
expect_counter plain expired 3
expect_counter plain malformed 2
expect_counter plain out_of_range 0
expect_counter plain events 100
expect_counter plain failed_batches 0
expect_lines "plain: every valid line once" "$(lines_of "$out" "$tmp/access.log")" "$all_valid"
grep -q '"domain":"h105.example.com"' "$out" && ok "plain: last line without newline" ||
    fail "plain: the last line (no newline) is missing"

# --- 2. every kind, zstd sink ----------------------------------------------
outz=$tmp/events.ndjson.zst
write_config "$outz" zstd
run kinds -c "$tmp/config.json" "$tmp/access.log" "$tmp/access.log.1.gz" \
    "$tmp/access.log.2.zst" "$tmp/rotated"
if (( rc != 0 )); then fail "kinds: exit $rc, want 0"; show kinds; fi
zstd -dc "$outz" > "$tmp/kinds.ndjson" || fail "kinds: output is not valid zstd"
n=$(wc -l < "$tmp/kinds.ndjson")
(( n == 400 )) && ok "kinds: 400 events" || fail "kinds: $n events, want 400"
expect_counter kinds expired 12
expect_counter kinds malformed 8
expect_counter kinds events 400
for src in access.log access.log.1.gz access.log.2.zst rotated; do
    expect_lines "kinds: $src" "$(lines_of "$tmp/kinds.ndjson" "$tmp/$src")" "$all_valid"
done
grep -q 'reading .*rotated (gzip' "$tmp/kinds.err" && ok "kinds: gzip found by content" ||
    fail "kinds: $tmp/rotated not read as gzip"

# --- 3. --since / --until ---------------------------------------------------
# [base+30min, base+60min): k = 30..59, lines 35..64.
since=$(( base + 30 * 60 ))
until=$(( base + 60 * 60 ))
want=$(seq 35 64 | tr '\n' ' ' | sed 's/ $//')
since_rfc=$(date -u -d "@$since" +%Y-%m-%dT%H:%M:%SZ)
until_plus2=$(date -u -d "@$(( until + 7200 ))" +%Y-%m-%dT%H:%M:%S+02:00)
until_minus0530=$(date -u -d "@$(( until - 19800 ))" +%Y-%m-%dT%H:%M:%S-05:30)
forms=(
    "rfc3339 --since $since_rfc --until $until_plus2"
    "epoch --since $since --until $until"
    "mixed --since @$since --until $until_minus0530"
)
for f in "${forms[@]}"; do
    read -r name a1 v1 a2 v2 <<< "$f"
    out=$tmp/window-$name.ndjson
    write_config "$out" none
    run "window-$name" -c "$tmp/config.json" "$a1" "$v1" "$a2" "$v2" "$tmp/access.log.2.zst"
    if (( rc != 0 )); then fail "window-$name: exit $rc, want 0"; show "window-$name"; continue; fi
    expect_lines "window-$name: lines 35..64" "$(lines_of "$out" "$tmp/access.log.2.zst")" "$want"
    expect_counter "window-$name" events 30
    expect_counter "window-$name" out_of_range 70
    expect_counter "window-$name" expired 3
done
# --since alone (date form: nothing before today's midnight UTC is in range
# unless base is earlier; compare with awk's own count).
day=$(date -u -d "@$base" +%Y-%m-%d)
day_s=$(date -u -d "$day" +%s)
want_n=0
for k in $(seq 1 100); do (( base + k * 60 >= day_s )) && want_n=$((want_n + 1)); done
out=$tmp/window-day.ndjson
write_config "$out" none
run window-day -c "$tmp/config.json" --since "$day" "$tmp/access.log"
n=$(wc -l < "$out")
(( rc == 0 && n == want_n )) && ok "window-day: --since $day: $n events" ||
    { fail "window-day: exit $rc, $n events, want 0 and $want_n"; show window-day; }
# An empty window: nothing shipped, still exit 0.
out=$tmp/window-empty.ndjson
write_config "$out" none
run window-empty -c "$tmp/config.json" --since "$(( now + 3600 ))" "$tmp/access.log"
(( rc == 0 )) && ok "window-empty: exit 0" || { fail "window-empty: exit $rc"; show window-empty; }
[[ ! -s $out ]] && ok "window-empty: nothing shipped" || fail "window-empty: events shipped"
expect_counter window-empty out_of_range 100

# --- 4. errors ----------------------------------------------------------------
out=$tmp/errors.ndjson
write_config "$out" none
expect_exit() { # name want args...
    local name=$1 want=$2
    shift 2
    run "$name" "$@"
    if (( rc == want )); then ok "$name: exit $want"; else fail "$name: exit $rc, want $want"; show "$name"; fi
}
expect_exit missing-file 2 -c "$tmp/config.json" "$tmp/access.log" "$tmp/nope.log"
grep -q 'nope.log: No such file or directory' "$tmp/missing-file.err" ||
    fail "missing-file: no clear message"
[[ ! -e $out ]] && ok "missing-file: nothing shipped" || fail "missing-file: the sink was written"
expect_exit directory 2 -c "$tmp/config.json" "$tmp"
expect_exit bad-since 2 -c "$tmp/config.json" --since yesterday "$tmp/access.log"
grep -q -- "--since: invalid time 'yesterday'" "$tmp/bad-since.err" || fail "bad-since: no clear message"
expect_exit no-zone 2 -c "$tmp/config.json" --until 2024-05-01T00:00:00 "$tmp/access.log"
expect_exit since-after-until 2 -c "$tmp/config.json" --since 2024-05-02 --until 2024-05-01 "$tmp/access.log"
expect_exit bad-format 2 -c "$tmp/config.json" --format nginx "$tmp/access.log"
expect_exit no-config 2 "$tmp/access.log"
expect_exit no-files 2 -c "$tmp/config.json"
expect_exit bad-option 2 -c "$tmp/config.json" --bogus "$tmp/access.log"
expect_exit missing-config 2 -c "$tmp/none.json" "$tmp/access.log"
[[ ! -e $out ]] && ok "usage errors: nothing shipped" || fail "usage errors: the sink was written"
run help --help
(( rc == 0 )) && grep -q '^usage: wtexport replay' "$tmp/help.out" && ok "help: exit 0" ||
    fail "help: exit $rc"

# A truncated archive: the lines before the cut are shipped, exit 1.
head -c $(( $(stat -c %s "$tmp/access.log.1.gz") - 20 )) "$tmp/access.log.1.gz" > "$tmp/cut.gz"
expect_exit truncated 1 -c "$tmp/config.json" "$tmp/cut.gz" "$tmp/access.log"
grep -q 'truncated gzip data' "$tmp/truncated.err" || { fail "truncated: no clear message"; show truncated; }
n=$(lines_of "$out" "$tmp/access.log" | wc -w)
(( n == 100 )) && ok "truncated: the next file is still replayed" || fail "truncated: $n events of the next file"
grep -q '^replay: finished with errors' "$tmp/truncated.err" || fail "truncated: summary does not say errors"

# --- 5. SIGTERM: summary, exit 1 ------------------------------------------
big=$tmp/big.log
for _ in $(seq 1 400); do cat "$tmp/access.log"; printf '\n'; done > "$big"
out=$tmp/sigterm.ndjson
write_config "$out" none
"$WTEXPORT" replay -c "$tmp/config.json" "$big" "$big" "$big" "$big" 2> "$tmp/sigterm.err" &
pid=$!
sleep 0.2
kill -TERM "$pid" 2>/dev/null || true
rc=0
wait "$pid" || rc=$?
if grep -q '^replay: interrupted' "$tmp/sigterm.err"; then
    (( rc == 1 )) && ok "sigterm: interrupted, exit 1" || fail "sigterm: exit $rc, want 1"
elif grep -q '^replay: finished' "$tmp/sigterm.err"; then
    (( rc == 0 )) && ok "sigterm: finished before the signal (fast machine)" || fail "sigterm: exit $rc"
else
    fail "sigterm: no summary (exit $rc)"
    show sigterm
fi

if (( fails > 0 )); then
    echo "$fails check(s) failed" >&2
    exit 1
fi
echo "all replay checks passed"
