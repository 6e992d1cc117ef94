#!/usr/bin/env bash
# retention "1h": lines stamped 2 h ago are not exported and are counted in
# wtexport_events_expired_total; lines from now and from 50 min ago are
# exported. Expired lines still advance the checkpoint.
. "$(dirname "$0")/lib.sh"

CFG=$T/cfg.json
A=$T/logs/access.log
CFG_EXTRA='"retention": "1h"' make_config "$CFG"

# In the file before the start, interleaved.
{
    gen_lines 1 200 old 7200
    gen_lines 1 300 new
    gen_lines 201 300 old 7200
    gen_lines 1 100 recent 3000
    gen_lines 301 200 new
} >"$A"
start_daemon "$CFG"
wait_for "the 600 fresh lines" out_has_at_least "$DOUT" 600

# Appended while running.
gen_lines 501 100 old 7200 >>"$A"
gen_lines 501 100 new >>"$A"
wait_for "the 100 appended fresh lines" grep -q 'new.example.com/seq/600?' "$DOUT"
wait_for "wtexport_events_expired_total 600" metric_is wtexport_events_expired_total 600
assert_eq 1300 "$(metric wtexport_lines_read_total)" "wtexport_lines_read_total"
assert_eq 0 "$(metric wtexport_lines_malformed_total)" "wtexport_lines_malformed_total"
stop_daemon

check_exactly_once "$DOUT" 1 600 new "lines from now"
check_exactly_once "$DOUT" 1 100 recent "lines from 50 min ago"
assert_eq 0 "$(out_seqs "$DOUT" old | wc -l)" "events of lines 2 h old"
assert_eq 700 "$(count_lines "$DOUT")" "events in total"
assert_eq "$(stat -c %s "$A")" \
    "$(grep -o '"offset":"[0-9]*"' "$T/state/checkpoints.json" | grep -o '[0-9]*')" \
    "checkpoint offset (= file size, expired lines included)"
dlog | grep 'stopped: .* expired=600 ' >/dev/null || fail "the final counters do not say expired=600: $(dlog | grep 'stopped:')"
log "ok: final counters say expired=600"

pass
