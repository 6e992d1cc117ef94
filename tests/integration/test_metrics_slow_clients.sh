#!/usr/bin/env bash
# test_metrics_slow_clients.sh - slow clients cannot silence /healthz:
#   - 300 connections from another local address (127.0.0.2) that send an
#     incomplete request one byte every 5 s: the server keeps at most
#     metrics.max_connections_per_ip of them and closes the rest at once;
#     those it keeps are closed within request_timeout (2 s) + slack;
#   - meanwhile, /healthz from 127.0.0.1 answers every probe, in under 1 s
#     (median; every probe within 3 s, the slack a loaded CI machine needs);
#   - right after the slow client goes, /healthz answers the same way;
#   - the HTTP server's complaints are counted, not logged one by one.
. "$(dirname "$0")/lib.sh"

SLOW=$WT_BIN/wt-slowclient
[ -x "$SLOW" ] || fail "wt-slowclient not built"
free_port
make_config "$T/c.json"
gen_lines 1 10 host >"$T/logs/a.log"
start_daemon "$T/c.json"
wait_for "health" healthz_ok

# probe N OUT: N /healthz probes, one time_total (seconds) per line in OUT.
probe() {
    local i code
    : >"$2"
    for i in $(seq 1 "$1"); do
        code=$(curl -s -o /dev/null -m 3 -w '%{http_code} %{time_total}' \
            "http://127.0.0.1:$PORT/healthz" 2>/dev/null)
        [ "${code%% *}" = 200 ] || fail "probe $i: /healthz answered '$code' (held by slow clients?)"
        echo "${code#* }" >>"$2"
    done
}
median() { sort -g "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

"$SLOW" --connect "127.0.0.1:$PORT" --bind 127.0.0.2 --conns 300 --interval-ms 5000 \
    --duration-ms 9000 >"$T/slow.out" 2>&1 &
slow_pid=$!
bg_track "$slow_pid"
wait_for "the slow client to connect" grep -q '^held' "$T/slow.out"
probe 12 "$T/during"
log "during: median $(median "$T/during") s, max $(sort -g "$T/during" | tail -1) s"
assert_lt "$(awk -v m="$(median "$T/during")" 'BEGIN { print int(m * 1000) }')" 1000 \
    "median /healthz time (ms) while 300 slow connections are held"

wait "$slow_pid"
cat "$T/slow.out" >&2
# Every slow connection was closed by the server: refused over the per-IP limit, or
# dropped by the request timeout (it sends one byte per 5 s, the timeout is 2 s).
closed=$(sed -n 's/^closed \([0-9]*\) of 300.*/\1/p' "$T/slow.out")
assert_eq 300 "$closed" "slow connections closed by the server within 9 s"
probe 5 "$T/after"
log "after: median $(median "$T/after") s"
assert_lt "$(awk -v m="$(median "$T/after")" 'BEGIN { print int(m * 1000) }')" 1000 \
    "median /healthz time (ms) right after the slow client left"

# One incomplete request alone: closed after request_timeout (2 s), not the old 10 s.
"$SLOW" --connect "127.0.0.1:$PORT" --bind 127.0.0.3 --conns 1 --interval-ms 60000 \
    --duration-ms 6000 >"$T/one.out" 2>&1
cat "$T/one.out" >&2
grep -q '^closed 1 of 1' "$T/one.out" || fail "an idle incomplete request was kept 6 s"
first=$(sed -n 's/.*first close after \([0-9]*\) ms/\1/p' "$T/one.out")
assert_ge "$first" 1500 "an incomplete request lives about request_timeout"
assert_lt "$first" 4500 "an incomplete request is closed within request_timeout + slack (ms)"
healthz_ok || fail "/healthz after the slow clients"
# The server's complaints are counted, and logged at most once a minute.
errors=$(metric wtexport_metrics_http_errors_total)
assert_ge "${errors:-0}" 100 "HTTP server errors counted"
nlog=$(dlog | grep -c 'metrics.http')
assert_lt "$nlog" 4 "log lines about them"
stop_daemon
pass
