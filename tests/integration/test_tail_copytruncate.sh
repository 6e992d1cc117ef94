#!/usr/bin/env bash
# copytruncate rotation (`cp access.log access.log.1 && : > access.log`)
# while a writer appends through an O_APPEND descriptor at a steady pace
# (~1000 lines/s). The copy does not match the glob (*.log).
#
# Lines written between cp and the truncation are lost by copytruncate
# itself, so the writer pauses for cp + truncate, after the test let the
# daemon catch up: then every line, before and after the truncation, must
# come out exactly once, and no event may come from the middle of a line.
#
# Three cases, each with a fresh daemon:
#   late     the truncation happens after 1000 lines (~130 KB): the new
#            content takes long to grow past the old read offset
#   small    after 30 lines (~4 KB), once the daemon had time (1.5 s) to poll
#            and fingerprint the file: the new content grows past the old
#            offset within milliseconds, before the next 1 s poll
#   fresh    after 30 lines, right after the file appeared (before any poll)
. "$(dirname "$0")/lib.sh"

N=1500
export WRITER_CHUNK=20 # lines per write (pace ~1-2k lines/s)
CFG=$T/cfg.json
CHECK_SOFT=1 # every case runs; the test fails at the end if any check did

run_case() { # NAME AT SETTLE
    local name=$1 at=$2 settle=$3
    log "case $name: copytruncate after $at lines${settle:+ (after a poll)}"
    rm -rf "$T/logs" "$T/state" "$DOUT"
    mkdir -p "$T/logs"
    CFG_GLOB="$T/logs/*.log" make_config "$CFG"
    : >"$T/logs/access.log"
    start_daemon "$CFG"
    start_writer "$T/logs/access.log" 1 "$N"

    wait_for "writer past line $at" writer_past "$at"
    writer_pause
    local written=$(($(writer_pos) - 1))
    wait_for "all $written lines written so far to come out" out_has_at_least "$DOUT" "$written"
    if [ -n "$settle" ]; then
        sleep 1.5 # the daemon's 1 s poll fingerprints the file
    fi
    cp "$T/logs/access.log" "$T/logs/access.log.1"
    : >"$T/logs/access.log"
    writer_resume
    log "case $name: truncated after line $written"

    wait_writer
    wait_for "the last line (seq $N) to come out" grep -q "/seq/$N?" "$DOUT"
    sleep 1.5 # one more poll: a late truncation check would re-read now
    local trunc
    trunc=$(metric wtexport_file_truncations_total)
    check_alive "case $name" && stop_daemon

    check_exactly_once "$DOUT" 1 "$N" host "case $name"
    assert_eq 0 "$(grep -c -v '"url":"http://host\.example\.com/seq/[0-9]*?q=x"' "$DOUT")" \
        "case $name: events with a damaged url (read from the middle of a line)"
    assert_eq 0 "$(dlog | grep -c 'malformed line')" "case $name: malformed-line warnings"
    assert_eq 1 "$trunc" "case $name: wtexport_file_truncations_total"
}

run_case late 1000 1
run_case small 30 1
run_case fresh 30 ""

pass
