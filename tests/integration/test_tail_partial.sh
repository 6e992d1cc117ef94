#!/usr/bin/env bash
# Partial and over-long lines, delete and re-create:
#   - a last line without its newline is not emitted; once the rest of it
#     and the newline arrive it is emitted once, whole
#   - a 1 MiB line (default max_line 64 KiB) is skipped and counted
#     (wtexport_lines_too_long_total 1), never emitted, and the lines after
#     it come out with the right line numbers
#   - the file deleted and created again with new content: the new content
#     comes out from its start
# "Not emitted" is observed with a sentinel: a line written to a second file
# after the partial one; once the sentinel is out, the daemon has read past
# the partial line.
. "$(dirname "$0")/lib.sh"

CFG=$T/cfg.json
A=$T/logs/a.log
S=$T/logs/sentinel.log
make_config "$CFG"
gen_lines 1 2 a >"$A"
: >"$S"
start_daemon "$CFG"
wait_for "lines 1-2 of a.log" out_has_at_least "$DOUT" 2

# --- a partial last line
line3=$(gen_lines 3 1 a)
cut=60 # inside the URL
printf '%s' "${line3:0:$cut}" >>"$A"
gen_lines 1 1 s >>"$S"
wait_for "sentinel 1" grep -q 's.example.com/seq/1?' "$DOUT"
assert_eq 0 "$(seq_count "$DOUT" 3 a)" "events of the partial line 3 while it has no newline"
assert_eq 0 "$(metric wtexport_lines_malformed_total)" "malformed lines after a partial line"

printf '%s\n' "${line3:$cut}" >>"$A"
wait_for "line 3 once completed" grep -q 'a.example.com/seq/3?' "$DOUT"
gen_lines 2 1 s >>"$S"
wait_for "sentinel 2" grep -q 's.example.com/seq/2?' "$DOUT"
assert_eq 1 "$(seq_count "$DOUT" 3 a)" "events of line 3 after it was completed"
ev3=$(grep 'a.example.com/seq/3?' "$DOUT")
case $ev3 in
*'"line":3,'*'"client_ip":"10.0.0.3"'*'"url":"http://a.example.com/seq/3?q=x","domain":"a.example.com"'*'"mime":"text/html"'*) 
    log "ok: line 3 emitted whole" ;;
*) fail "line 3 not emitted whole: $ev3" ;;
esac

# --- a 1 MiB line, then 100 normal lines (seq 4..103, file lines 5..104)
big=$T/big.line
{
    printf '%s.000 1 10.0.0.9 TCP_MISS/200 1 GET http://a.example.com/seq/999999?q=' "$(date +%s)"
    head -c $((1024 * 1024)) /dev/zero | tr '\0' x
    printf ' - DIRECT/a.example.com text/html\n'
} >"$big"
cat "$big" >>"$A"
gen_lines 4 100 a >>"$A"
wait_for "line 103 after the 1 MiB line" grep -q 'a.example.com/seq/103?' "$DOUT"
wait_for "wtexport_lines_too_long_total 1" metric_is wtexport_lines_too_long_total 1
assert_eq 0 "$(seq_count "$DOUT" 999999 a)" "events of the 1 MiB line"
assert_eq 0 "$(metric wtexport_lines_malformed_total)" "malformed lines after the 1 MiB line"
dlog_has 'line longer than max_line' || fail "no warning about the over-long line in the log"
log "ok: the over-long line was skipped, counted and logged"
ev4=$(grep 'a.example.com/seq/4?' "$DOUT")
case $ev4 in
*'"line":5,'*) log "ok: the line after the skipped one has line number 5" ;;
*) fail "line after the skipped one: expected \"line\":5: ${ev4:0:200}" ;;
esac

# --- delete and create again with new content (host n, seq 1..100)
rm "$A"
gen_lines 1 100 n >"$A"
wait_for "the re-created a.log (100 lines)" grep -q 'n.example.com/seq/100?' "$DOUT"
gen_lines 3 1 s >>"$S"
wait_for "sentinel 3" grep -q 's.example.com/seq/3?' "$DOUT"
# The deleted file is closed after its grace period at EOF; the daemon goes on.
wait_log "a.log: finished" "the daemon to finish the deleted a.log"
sleep 1.5 # a poll and a reader turn after it
NSENT=3
if check_alive "after finishing the deleted file"; then
    NSENT=4
    gen_lines 4 1 s >>"$S"
    wait_for "sentinel 4" grep -q "s.example.com/seq/4?" "$DOUT"
    stop_daemon
fi

check_exactly_once "$DOUT" 1 103 a "the first a.log"
check_exactly_once "$DOUT" 1 100 n "the re-created a.log"
check_order "$DOUT" n
first_n=$(grep -m1 'n.example.com/seq/' "$DOUT")
case $first_n in
*'"line":1,'*'n.example.com/seq/1?'*) log "ok: the re-created file is read from its start (line 1)" ;;
*) fail "first event of the re-created file: ${first_n:0:200}" ;;
esac
CHECK_SOFT=1 check_exactly_once "$DOUT" 1 "$NSENT" s "sentinels"

pass
