#!/usr/bin/env bash
# Syslog input (issue 16): a real rsyslog (private config, work dir and pid
# file; `rsyslogd -n` in the background) reads an access log with imfile
# and forwards every line to four syslog inputs of one daemon: UDP (BSD
# header), TCP with octet counting (RFC 5424), TCP LF-terminated over IPv6
# (RFC 3339 BSD header) and TLS (gtls, octet counting, x509 client
# certificate checked by the daemon's tls_ca_file). Every line must reach
# the file sink once per TCP/TLS input, and once per UDP datagram received
# (sent = received + counted drops). Then logger (util-linux) sends in both
# TCP framings and UDP, plus oversized and malformed messages, which are
# counted and never reach the sink; and a client without a certificate is
# refused by the TLS input (counted); max_connections and idle_timeout
# close connections (counted).
. "$(dirname "$0")/lib.sh"
command -v rsyslogd >/dev/null || { echo "SKIP: rsyslogd not installed"; exit 77; }
command -v logger >/dev/null || { echo "SKIP: logger not installed"; exit 77; }
N=${WT_SYSLOG_LINES:-5000}
CFG=$T/cfg.json
RS=$T/rs
mkdir -p "$RS"
P_UDP=$(free_port) && P_OCT=$(free_port) && P_LF=$(free_port) && P_TLS=$(free_port) &&
    P_LIM=$(free_port) || fail "no free ports"

# Certificates: the test CA signs the server's and a client's.
bash "$WT_SRC/tests/sse_server/gen_certs.sh" "$T/certs" >/dev/null 2>&1 || fail "gen_certs.sh"
(
    cd "$T/certs" || exit 1
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out client.key 2>/dev/null &&
        openssl req -new -key client.key -subj "/O=wtexport tests/CN=rsyslog-client" \
            -out client.csr 2>/dev/null &&
        openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
            -sha256 -out client.pem 2>/dev/null
) || fail "client certificate"

cat >"$CFG" <<EOF2
{
  "state_dir": "$T/state",
  "inputs": [
    {"type": "syslog", "listen": "udp://127.0.0.1:$P_UDP", "rcvbuf": "4MiB"},
    {"type": "syslog", "listen": "tcp://127.0.0.1:$P_OCT", "max_message": "2KiB"},
    {"type": "syslog", "listen": "tcp://[::1]:$P_LF", "max_message": "2KiB"},
    {"type": "syslog", "listen": "tls://127.0.0.1:$P_TLS",
     "tls_cert_file": "$T/certs/server.pem", "tls_key_file": "$T/certs/server.key",
     "tls_ca_file": "$T/certs/ca.pem"},
    {"type": "syslog", "listen": "tcp://127.0.0.1:$P_LIM", "max_connections": 2,
     "idle_timeout": "1s"}
  ],
  "sinks": [{"type": "file", "path": "$DOUT", "compress": "none"}],
  "batch": {"linger": "200ms"},
  "metrics": {"listen": "127.0.0.1:$PORT"}
}
EOF2
"$WT" check-config -c "$CFG" >/dev/null || fail "config refused"
start_daemon "$CFG"

cat >"$RS/rsyslog.conf" <<EOF2
global(workDirectory="$RS" maxMessageSize="8k"
       defaultNetstreamDriverCAFile="$T/certs/ca.pem"
       defaultNetstreamDriverCertFile="$T/certs/client.pem"
       defaultNetstreamDriverKeyFile="$T/certs/client.key")
module(load="imfile")
input(type="imfile" File="$RS/access.log" Tag="accesslogs:" Facility="local0"
      Severity="info" ruleset="fwd")
ruleset(name="fwd") {
  action(type="omfwd" target="127.0.0.1" port="$P_UDP" protocol="udp"
         template="RSYSLOG_TraditionalForwardFormat" UDP.SendDelay="20")
  action(type="omfwd" target="127.0.0.1" port="$P_OCT" protocol="tcp"
         TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
         queue.type="LinkedList" action.resumeRetryCount="-1")
  action(type="omfwd" target="::1" port="$P_LF" protocol="tcp"
         template="RSYSLOG_ForwardFormat"
         queue.type="LinkedList" action.resumeRetryCount="-1")
  action(type="omfwd" target="127.0.0.1" port="$P_TLS" protocol="tcp"
         TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
         StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/certvalid"
         queue.type="LinkedList" action.resumeRetryCount="-1")
}
EOF2
# rsyslog drops a UDP message itself when its socket's send buffer is full
# (nobody counts that); a small send delay keeps it from happening, so that
# sent = received + kernel drops holds at the daemon (checked below).
gen_lines 1 "$N" rs >"$RS/access.log"
rsyslogd -n -f "$RS/rsyslog.conf" -i "$RS/rsyslogd.pid" >"$RS/rsyslogd.out" 2>&1 &
RS_PID=$!
bg_track "$RS_PID"
log "rsyslogd started (pid $RS_PID)"

src_count() { grep -c "\"src\":\"$1\"" "$DOUT" 2>/dev/null || echo 0; }
udp_accounted() {
    local got kern
    got=$(metric "wtexport_syslog_messages_total{input=\"udp://127.0.0.1:$P_UDP\"}")
    kern=$(metric "wtexport_syslog_dropped_total{input=\"udp://127.0.0.1:$P_UDP\",reason=\"kernel\"}")
    [ $((${got:-0} + ${kern:-0})) -ge "$N" ]
}
# The waits follow progress (lines at the sink, datagrams at the input), so
# a loaded machine makes them slower, never failed.
sink_lines() {
    local got
    got=$(metric "wtexport_syslog_messages_total{input=\"udp://127.0.0.1:$P_UDP\"}")
    echo "$(wc -l <"$DOUT" 2>/dev/null || echo 0) ${got:-0}"
}
oct_done() { [ "$(src_count "tcp://127.0.0.1:$P_OCT")" -ge "$N" ]; }
lf_done() { [ "$(src_count "tcp://\\[::1\\]:$P_LF")" -ge "$N" ]; }
tls_done() { [ "$(src_count "tls://127.0.0.1:$P_TLS")" -ge "$N" ]; }
WT_WAIT_DEADLINE=60 wait_progress "$N events from tcp (octet counting)" oct_done sink_lines
WT_WAIT_DEADLINE=60 wait_progress "$N events from tcp (LF, IPv6)" lf_done sink_lines
WT_WAIT_DEADLINE=60 wait_progress "$N events from tls" tls_done sink_lines
WT_WAIT_DEADLINE=60 wait_progress "$N UDP datagrams received or counted as dropped" \
    udp_accounted sink_lines
kill -TERM "$RS_PID"
wait_exit "$RS_PID"

for s in "tcp://127.0.0.1:$P_OCT" "tcp://\\[::1\\]:$P_LF" "tls://127.0.0.1:$P_TLS"; do
    grep "\"src\":\"$s\"" "$DOUT" >"$T/one.ndjson"
    check_exactly_once "$T/one.ndjson" 1 "$N" rs "rsyslog over $s"
done
udp_msgs=$(metric "wtexport_syslog_messages_total{input=\"udp://127.0.0.1:$P_UDP\"}")
udp_kern=$(metric "wtexport_syslog_dropped_total{input=\"udp://127.0.0.1:$P_UDP\",reason=\"kernel\"}")
udp_full=$(metric "wtexport_syslog_dropped_total{input=\"udp://127.0.0.1:$P_UDP\",reason=\"queue_full\"}")
wait_for "UDP events at the sink" \
    eval '[ "$(src_count "udp://127.0.0.1:$P_UDP")" -ge $((udp_msgs - udp_full)) ]'
udp_out=$(src_count "udp://127.0.0.1:$P_UDP")
log "udp: sent $N, received $udp_msgs, kernel drops $udp_kern, queue-full drops $udp_full, at the sink $udp_out"
assert_eq "$N" $((udp_msgs + udp_kern)) "UDP datagrams sent = received + kernel drops"
assert_eq $((udp_msgs - udp_full)) "$udp_out" "UDP events at the sink = received - queue-full drops"
grep -m1 "\"src\":\"udp://127.0.0.1:$P_UDP\"" "$DOUT" >"$T/one.ndjson"
grep '"syslog_host":"' "$T/one.ndjson" >/dev/null || fail "no syslog_host in a UDP event"

# logger: both TCP framings and UDP, 3164 and 5424 headers.
gen_lines 100001 200 lg >"$T/lg.log"
logger -T -n 127.0.0.1 -P "$P_OCT" --octet-count --rfc5424 -t accesslogs -f "$T/lg.log" ||
    fail "logger octet-count"
logger -T -n ::1 -P "$P_LF" --rfc3164 -t accesslogs -f "$T/lg.log" || fail "logger tcp LF"
logger -d -n 127.0.0.1 -P "$P_UDP" --rfc3164 -t accesslogs -f "$T/lg.log" || fail "logger udp"
lg_count() { out_seqs "$DOUT" lg | wc -l; }
wait_for "600 logger events" eval '[ "$(lg_count)" -ge 600 ]'
n=$(grep '"url":"http://lg.example.com/seq/100001?' "$DOUT" | grep -c '"syslog_host":"')
assert_eq 3 "$n" "logger events of line 100001 with a syslog_host"

# Oversized (3 KiB > max_message 2KiB) and malformed messages: counted, dropped.
big=$(head -c 3000 /dev/zero | tr '\0' x)
oct_over0=$(metric "wtexport_syslog_oversize_total{input=\"tcp://127.0.0.1:$P_OCT\"}")
lf_bad0=$(metric "wtexport_syslog_malformed_total{input=\"tcp://[::1]:$P_LF\"}")
printf '%s\n' "$big" | logger -T -n 127.0.0.1 -P "$P_OCT" --octet-count -t t --size 4096 ||
    fail "logger oversize"
exec 8<>"/dev/tcp/::1/$P_LF" 2>/dev/null || exec 8<>"/dev/tcp/localhost/$P_LF"
printf 'no header at all\n<999>bad pri\n' >&8
exec 8>&-
wait_for "one oversized message counted" metric_is \
    "wtexport_syslog_oversize_total{input=\"tcp://127.0.0.1:$P_OCT\"}" $((oct_over0 + 1))
wait_for "two malformed messages counted" metric_is \
    "wtexport_syslog_malformed_total{input=\"tcp://[::1]:$P_LF\"}" $((lf_bad0 + 2))

# TLS without a client certificate: refused, counted.
tls_fail0=$(metric "wtexport_syslog_tls_failures_total{input=\"tls://127.0.0.1:$P_TLS\"}")
echo "<13>1 - - - - - - x" | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$P_TLS" \
    -CAfile "$T/certs/ca.pem" >/dev/null 2>&1
wait_for "a TLS failure counted for a client without a certificate" metric_is \
    "wtexport_syslog_tls_failures_total{input=\"tls://127.0.0.1:$P_TLS\"}" $((tls_fail0 + 1))

# Limits: a third connection is refused, idle ones are closed after 1 s.
LIM="input=\"tcp://127.0.0.1:$P_LIM\""
exec 5<>"/dev/tcp/127.0.0.1/$P_LIM" 6<>"/dev/tcp/127.0.0.1/$P_LIM"
wait_for "two connections open" metric_is "wtexport_syslog_connections{$LIM}" 2
exec 4<>"/dev/tcp/127.0.0.1/$P_LIM"
wait_for "the third connection refused" metric_is \
    "wtexport_syslog_connections_refused_total{$LIM}" 1
wait_for "both idle connections closed" metric_is "wtexport_syslog_idle_closed_total{$LIM}" 2
metric_is "wtexport_syslog_connections{$LIM}" 0 || fail "connections left open after idle_timeout"
exec 4>&- 5>&- 6>&-

total=$(count_lines "$DOUT")
stop_daemon
assert_eq "$total" "$(count_lines "$DOUT")" "events after the stop (nothing more written)"
grep -q 'xxxxxxxxxx' "$DOUT" && fail "an oversized message reached the sink"
grep -q 'no header at all' "$DOUT" && fail "a malformed message reached the sink"
pass
