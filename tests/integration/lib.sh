# shellcheck shell=bash
#
# lib.sh - shared helpers of the integration tests (tests/integration/test_*.sh).
#
# Sourced by each test: `. "$(dirname "$0")/lib.sh"`. Environment (set by
# ctest, see tests/CMakeLists.txt):
#   WT_BIN        directory holding the wtexport binary
#   WT_SRC        repository root
#   WT_TEST_DATA  tests/data
# Optional:
#   WT_IT_DEADLINE  seconds wait_for polls before giving up (default 30)
#   WT_KEEP_TMP=1   keep the temp directory (its path is printed)
#
# What it gives a test:
#   $T              a fresh temp dir, removed at exit (with every process the
#                   test started through bg_track / start_daemon / start_writer)
#   $WT             the wtexport binary
#   $PORT           a free 127.0.0.1 port for metrics (free_port)
#   gen_lines       valid WSA squid lines, current timestamps, URL marker
#                   http://HOST.example.com/seq/N?q=x (N maps an event to its line)
#   make_config     a working config (file sink, NDJSON, linger 200ms)
#   start_daemon / stop_daemon / kill_daemon, metric, healthz
#   wait_for        poll a condition with a deadline (never fixed sleeps alone)
#   out_seqs, check_exactly_once, check_order, assert_eq, fail
#   start_writer    a steady writer (like the proxy) with pause/reopen controls
#   soft_fail       record a failure and go on; CHECK_SOFT=1 makes the check_*
#                   and assert_* helpers do that; pass() then fails the test
#
# Shell options: nounset and pipefail; not errexit (assertions fail explicitly).

set -u -o pipefail

TEST_NAME=$(basename "$0" .sh)
WT_SRC=${WT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
WT_BIN=${WT_BIN:-$WT_SRC/build/bin}
WT_TEST_DATA=${WT_TEST_DATA:-$WT_SRC/tests/data}
WT=$WT_BIN/wtexport
DEADLINE=${WT_IT_DEADLINE:-30}

T=$(mktemp -d "${TMPDIR:-/tmp}/wt-it-$TEST_NAME.XXXXXX") || {
    echo "$TEST_NAME: mktemp failed" >&2
    exit 1
}
mkdir -p "$T/logs" # state_dir ($T/state) is created by the daemon

DLOG=$T/daemon.log   # stderr of every daemon start, appended
DLOG_FROM=1          # first line of the current start in DLOG
DPID=                # pid of the running daemon
DOUT=$T/out.ndjson   # the file sink (make_config default)
PORT=
BGPIDS=()            # everything to kill at exit
SOFT_FAILS=()        # failed checks the test went on after (soft_fail)
NSTART=0

log() { printf '[%s %s] %s\n' "$(date +%T.%3N)" "$TEST_NAME" "$*" >&2; }

# Is PID still a child of this shell (and not a reused pid of someone else)?
our_child() {
    local ppid
    [ -r "/proc/$1/stat" ] || return 1
    ppid=$(sed "s/^.*) //" "/proc/$1/stat" 2>/dev/null | cut -d" " -f2)
    [ "$ppid" = "$$" ]
}

cleanup() {
    local rc=$?
    local p
    if [ "$rc" = 0 ] && [ "${#SOFT_FAILS[@]}" -gt 0 ]; then
        # The script ended without pass(): its failed checks still fail it.
        echo "FAIL: $TEST_NAME: ${#SOFT_FAILS[@]} check(s) failed:" >&2
        printf "  - %s\n" "${SOFT_FAILS[@]}" >&2
        rc=1
    fi
    for p in "${BGPIDS[@]}"; do
        if our_child "$p"; then
            kill -KILL "$p" 2>/dev/null
            wait "$p" 2>/dev/null
        fi
    done
    if [ "${WT_KEEP_TMP:-0}" = 1 ]; then
        echo "$TEST_NAME: kept $T" >&2
    else
        rm -rf "$T"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [ ! -x "$WT" ]; then
    echo "$TEST_NAME: no wtexport binary at $WT (set WT_BIN)" >&2
    exit 1
fi

# Register a background process started by the test (killed at exit).
bg_track() { BGPIDS+=("$1"); }

# ---------------------------------------------------------------------------
# Failure reporting
# ---------------------------------------------------------------------------

# Show the end of the daemon log.
show_context() {
    if [ -s "$DLOG" ]; then
        echo "---- daemon log (last 40 lines of $DLOG) ----" >&2
        tail -n 40 "$DLOG" >&2
        echo "---- end of daemon log ----" >&2
    fi
    if [ -n "$DPID" ] && alive "$DPID"; then
        echo "(daemon pid $DPID still running)" >&2
    fi
}

fail() {
    echo "FAIL: $TEST_NAME: $*" >&2
    show_context
    if [ "${#SOFT_FAILS[@]}" -gt 0 ]; then
        echo "FAIL: $TEST_NAME: earlier failed check(s):" >&2
        printf "  - %s\n" "${SOFT_FAILS[@]}" >&2
    fi
    exit 1
}

assert_eq() { # EXPECTED ACTUAL WHAT
    if [ "$1" != "$2" ]; then
        check_fail "$3: expected '$1', got '$2'"
        return 1
    fi
    log "ok: $3 = $2"
}

assert_ge() { # ACTUAL MIN WHAT
    if ! [ "$1" -ge "$2" ] 2>/dev/null; then
        check_fail "$3: expected >= $2, got '$1'"
        return 1
    fi
    log "ok: $3 = $1 (>= $2)"
}

assert_lt() { # ACTUAL BOUND WHAT
    if ! [ "$1" -lt "$2" ] 2>/dev/null; then
        check_fail "$3: expected < $2, got '$1'"
        return 1
    fi
    log "ok: $3 = $1 (< $2)"
}

# A failure that does not stop the test (later checks still run); the test
# fails at pass().
soft_fail() {
    echo "FAIL (continuing): $TEST_NAME: $*" >&2
    show_context
    SOFT_FAILS+=("$*")
}

# fail, or soft_fail when CHECK_SOFT=1 (check_exactly_once, assert_eq use it).
check_fail() {
    if [ "${CHECK_SOFT:-0}" = 1 ]; then
        soft_fail "$@"
    else
        fail "$@"
    fi
}

pass() {
    if [ "${#SOFT_FAILS[@]}" -gt 0 ]; then
        echo "FAIL: $TEST_NAME: ${#SOFT_FAILS[@]} check(s) failed:" >&2
        printf "  - %s\n" "${SOFT_FAILS[@]}" >&2
        exit 1
    fi
    log "PASS"
    exit 0
}

# ---------------------------------------------------------------------------
# Waiting
# ---------------------------------------------------------------------------

# wait_for DESC CMD [ARGS...]: run CMD every 0.1 s until it succeeds; fail
# with DESC after $DEADLINE seconds (WT_WAIT_DEADLINE overrides per call).
wait_for() {
    local desc=$1
    shift
    local limit=${WT_WAIT_DEADLINE:-$DEADLINE}
    local end=$((SECONDS + limit))
    while ! "$@"; do
        if [ "$SECONDS" -ge "$end" ]; then
            fail "timed out after ${limit}s waiting for: $desc"
        fi
        sleep 0.1
    done
}

# A child of this shell, alive (not a zombie)? (Never a reused pid.)
alive() {
    local st ppid
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
    read -r st ppid < <(sed "s/^.*) //" "/proc/$1/stat" 2>/dev/null | cut -d" " -f1,2)
    [ "$ppid" = "$$" ] && [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# ---------------------------------------------------------------------------
# Input generation
# ---------------------------------------------------------------------------

# gen_lines START COUNT [HOST [AGE_SECONDS]]: COUNT valid WSA squid access
# log lines, numbered START.., stamped now - AGE_SECONDS, each with the URL
# http://HOST.example.com/seq/N?q=x (HOST defaults to "host").
gen_lines() {
    local start=$1 count=$2 host=${3:-host} age=${4:-0}
    local now
    now=$(date +%s)
    awk -v now="$((now - age))" -v s="$start" -v n="$count" -v h="$host" 'BEGIN {
        for (i = s; i < s + n; i++)
            printf "%d.%03d %d 10.%d.%d.%d TCP_MISS/200 %d GET http://%s.example.com/seq/%d?q=x - DIRECT/%s.example.com text/html\n",
                now, i % 1000, i % 997, int(i / 65536) % 256, int(i / 256) % 256, i % 256,
                1000 + i % 5000, h, i, h
    }'
}

# ---------------------------------------------------------------------------
# Output analysis (events are one JSON object per line; the seq marker is
# taken from the "url" field, not from the observables)
# ---------------------------------------------------------------------------

# out_seqs FILE [HOST]: the seq numbers of FILE's events, in output order.
out_seqs() {
    local f=$1 host=${2:-}
    [ -f "$f" ] || return 0
    awk -v h="$host" '{
        if (!match($0, /"url":"http:\/\/[a-z0-9-]+\.example\.com\/seq\/[0-9]+/))
            next
        u = substr($0, RSTART + 14, RLENGTH - 14)
        split(u, a, "/")
        if (h != "" && a[1] != h ".example.com")
            next
        print a[3]
    }' "$f"
}

# Number of complete lines (events) in FILE (0 if absent).
count_lines() {
    if [ -f "$1" ]; then
        wc -l <"$1" | tr -d ' '
    else
        echo 0
    fi
}

out_has_at_least() { [ "$(count_lines "$1")" -ge "$2" ]; }

# Number of events of FILE with the given seq marker (and HOST).
seq_count() { # FILE SEQ [HOST]
    out_seqs "$1" "${3:-}" | awk -v s="$2" '$1 == s { n++ } END { print n + 0 }'
}

# seq_stats FILE FROM TO [HOST]: "missing dups extra total" for the range FROM..TO.
seq_stats() {
    local f=$1 from=$2 to=$3 host=${4:-}
    out_seqs "$f" "$host" | awk -v from="$from" -v to="$to" '
        { c[$1]++; total++ }
        END {
            for (s in c) {
                if (s + 0 < from || s + 0 > to) extra += c[s]
                else if (c[s] > 1) dups += c[s] - 1
            }
            for (s = from; s <= to; s++) if (!(s in c)) missing++
            printf "%d %d %d %d\n", missing, dups, extra, total
        }'
}

# Describe what is wrong with the range FROM..TO (first few missing and duplicated).
seq_detail() {
    local f=$1 from=$2 to=$3 host=${4:-}
    out_seqs "$f" "$host" | awk -v from="$from" -v to="$to" '
        { c[$1]++ }
        END {
            m = ""; nm = 0
            for (s = from; s <= to; s++) if (!(s in c)) { nm++; if (nm <= 10) m = m " " s }
            d = ""; nd = 0
            for (s in c) if (c[s] > 1) { nd++; if (nd <= 10) d = d " " s "x" c[s] }
            x = ""; nx = 0
            for (s in c) if (s + 0 < from || s + 0 > to) { nx++; if (nx <= 10) x = x " " s }
            printf "missing(first 10):%s | duplicated(first 10, seq x count):%s | outside range(first 10):%s\n", m, d, x
        }'
}

# check_exactly_once FILE FROM TO [HOST] [WHAT]: every seq FROM..TO of HOST
# appears exactly once in FILE, and no other seq of HOST does.
check_exactly_once() {
    local f=$1 from=$2 to=$3 host=${4:-} what=${5:-}
    local missing dups extra total
    read -r missing dups extra total < <(seq_stats "$f" "$from" "$to" "$host")
    if [ "$missing" != 0 ] || [ "$dups" != 0 ] || [ "$extra" != 0 ]; then
        check_fail "${what:+$what: }seq ${from}..${to}${host:+ of $host}: expected each exactly once;" \
            "missing=$missing duplicates=$dups outside-range=$extra events=$total;" \
            "$(seq_detail "$f" "$from" "$to" "$host")"
        return 1
    fi
    log "ok: ${what:+$what: }seq ${from}..${to}${host:+ of $host} each exactly once ($total events)"
}

# check_order FILE HOST: HOST's seqs strictly increase in output order.
check_order() {
    local f=$1 host=$2 bad
    bad=$(out_seqs "$f" "$host" | awk 'NR > 1 && $1 <= prev { print NR ": " prev " then " $1; exit } { prev = $1 }')
    if [ -n "$bad" ]; then
        fail "events of $host out of order at output line $bad"
    fi
    log "ok: events of $host in order"
}

# ---------------------------------------------------------------------------
# Config and daemon
# ---------------------------------------------------------------------------

# free_port: a 127.0.0.1 TCP port nobody listens on, below the ephemeral
# range (so no outgoing connection holds it). start_daemon retries with
# another one if the bind still loses a race.
free_port() {
    local p i
    for i in $(seq 1 200); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
        if [ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ]; then
            echo "$p"
            return 0
        fi
    done
    echo "free_port: no free port found" >&2
    return 1
}
PORT=$(free_port) || exit 1

# make_config FILE: a working config. Variables (all optional):
#   CFG_GLOB         inputs[0].path            (default $T/logs/*.log)
#   CFG_INPUT_EXTRA  more members of inputs[0] (e.g. '"read_from":"end"')
#   CFG_SINK_PATH    sinks[0].path             (default $DOUT)
#   CFG_BATCH        members of batch          (default '"linger":"200ms"')
#   CFG_EXTRA        more top-level members    (e.g. '"retention":"1h"')
# The metrics listener is 127.0.0.1:$PORT. Written atomically (rename), so
# a SIGHUP never sees half a file.
make_config() {
    local file=$1
    local glob=${CFG_GLOB:-$T/logs/*.log}
    local iextra=${CFG_INPUT_EXTRA:-}
    local sink=${CFG_SINK_PATH:-$DOUT}
    local batch=${CFG_BATCH:-\"linger\":\"200ms\"}
    local extra=${CFG_EXTRA:-}
    cat >"$file.tmp" <<EOF
{
  "state_dir": "$T/state",
  "inputs": [{"path": "$glob"${iextra:+, $iextra}}],
  "sinks": [{"type": "file", "path": "$sink", "compress": "none"}],
  "batch": {$batch},
  "scan_interval": "1s",
  "metrics": {"listen": "127.0.0.1:$PORT"}${extra:+,
  $extra}
}
EOF
    mv -f "$file.tmp" "$file"
}

# Lines of the daemon log since the current (last) start.
dlog() { tail -n "+$DLOG_FROM" "$DLOG" 2>/dev/null; }
dlog_has() { dlog | grep -e "$1" >/dev/null; } # not -q: an early exit SIGPIPEs tail (pipefail)
wait_log() { # PATTERN [DESC]
    wait_for "${2:-daemon log to show /$1/}" dlog_has "$1"
}

healthz_code() {
    curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$PORT/healthz" 2>/dev/null
}
healthz_ok() { [ "$(healthz_code)" = 200 ]; }

# metric NAME: value of an unlabelled series (empty if not served).
metric() {
    curl -s -m 5 "http://127.0.0.1:$PORT/metrics" 2>/dev/null | awk -v n="$1" '$1 == n { print $2; exit }'
}
metric_is() { [ "$(metric "$1")" = "$2" ]; }

daemon_ready() {
    if ! alive "$DPID"; then
        return 0 # reported by start_daemon
    fi
    # Answering at all (200, or 503 when a sink already fails, e.g. an
    # untrusted server) is ready; tests that need healthy say so.
    local code
    code=$(healthz_code)
    dlog_has 'running:' && { [ "$code" = 200 ] || [ "$code" = 503 ]; }
}

# start_daemon CFG [STDOUT]: start `wtexport run -c CFG` in the background
# (stderr appended to $DLOG, stdout to STDOUT or /dev/null) and wait until it
# runs and answers /healthz. Sets DPID.
start_daemon() {
    local cfg=$1 out=${2:-/dev/null} attempt
    for attempt in 1 2 3; do
        NSTART=$((NSTART + 1))
        echo "======== test: start #$NSTART of wtexport run -c $cfg ========" >>"$DLOG"
        DLOG_FROM=$(($(wc -l <"$DLOG") + 1))
        "$WT" run -c "$cfg" >>"$out" 2>>"$DLOG" &
        DPID=$!
        bg_track "$DPID"
        wait_for "daemon (pid $DPID) to start and answer /healthz" daemon_ready
        if alive "$DPID"; then
            log "daemon started (pid $DPID, metrics port $PORT)"
            return 0
        fi
        wait "$DPID" 2>/dev/null
        local rc=$?
        if dlog_has 'metrics.listen' && [ "$attempt" -lt 3 ]; then
            local np
            np=$(free_port) || fail "no free port"
            log "port $PORT was taken; retrying with $np"
            sed -i "s/127\.0\.0\.1:$PORT\"/127.0.0.1:$np\"/" "$cfg"
            PORT=$np
            continue
        fi
        DPID=
        fail "daemon exited at start with status $rc"
    done
}

# wait_exit PID: wait (deadline) for PID (a child of this shell) to end;
# its exit status goes to WAIT_RC.
WAIT_RC=
wait_exit() {
    local pid=$1
    wait_for "pid $pid to exit" eval "! alive $pid"
    wait "$pid" 2>/dev/null
    WAIT_RC=$?
}

# stop_daemon: SIGTERM, wait, assert exit status 0.
stop_daemon() {
    [ -n "$DPID" ] || return 0
    alive "$DPID" && kill -TERM "$DPID" 2>/dev/null
    wait_exit "$DPID"
    DPID=
    if [ "$WAIT_RC" != 0 ]; then
        soft_fail "daemon exited with status $WAIT_RC after SIGTERM (expected 0)$([ "$WAIT_RC" -gt 128 ] && echo ", killed by signal $((WAIT_RC - 128))")"
        return 1
    fi
    log "daemon stopped cleanly (SIGTERM, exit 0)"
}

# kill_daemon: SIGKILL and reap.
kill_daemon() {
    [ -n "$DPID" ] || return 0
    alive "$DPID" && kill -KILL "$DPID" 2>/dev/null
    wait_exit "$DPID"
    log "daemon killed (SIGKILL)"
    DPID=
}

# The daemon's resident set in KiB.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# ---------------------------------------------------------------------------
# A steady writer (like the proxy): appends lines through one O_APPEND file
# descriptor, WRITER_CHUNK (10) lines at a time with a pause of WRITER_SLEEP
# (0.005 s) after each, and obeys control files:
#   $WCTL.pause   (test creates) -> writer stops between two chunks and
#                 creates $WCTL.paused; removing .pause lets it continue
#   $WCTL.reopen  (test creates) -> writer closes its fd and opens FILE
#                 again (after a rename rotation), then removes .reopen
# $WCTL.pos holds the next seq to write; $WCTL.done appears at the end.
# ---------------------------------------------------------------------------
WCTL=$T/writer
WRITER_PID=

writer_loop() { # FILE START COUNT HOST
    local file=$1 s=$2 n=$3 host=$4 chunk=${WRITER_CHUNK:-10} i=$2
    exec 3>>"$file"
    while [ "$i" -lt $((s + n)) ]; do
        if [ -e "$WCTL.pause" ]; then
            [ -e "$WCTL.paused" ] || : >"$WCTL.paused"
            sleep 0.01
            continue
        fi
        rm -f "$WCTL.paused"
        if [ -e "$WCTL.reopen" ]; then
            exec 3>&-
            exec 3>>"$file"
            rm -f "$WCTL.reopen"
        fi
        local c=$chunk
        [ $((i + c)) -le $((s + n)) ] || c=$((s + n - i))
        gen_lines "$i" "$c" "$host" >&3
        i=$((i + c))
        echo "$i" >"$WCTL.pos.tmp" && mv -f "$WCTL.pos.tmp" "$WCTL.pos"
        sleep "${WRITER_SLEEP:-0.005}"
    done
    exec 3>&-
    : >"$WCTL.done"
}

start_writer() { # FILE START COUNT [HOST]
    rm -f "$WCTL".*
    echo "$2" >"$WCTL.pos"
    writer_loop "$1" "$2" "$3" "${4:-host}" &
    WRITER_PID=$!
    bg_track "$WRITER_PID"
}
writer_pos() { cat "$WCTL.pos" 2>/dev/null || echo 0; }
writer_past() { [ "$(writer_pos)" -ge "$1" ]; }
writer_done() { [ -e "$WCTL.done" ]; }
writer_pause() {
    : >"$WCTL.pause"
    wait_for "writer to pause" test -e "$WCTL.paused"
}
writer_resume() { rm -f "$WCTL.pause"; }
writer_reopen() {
    : >"$WCTL.reopen"
    wait_for "writer to reopen its file" eval "! test -e $WCTL.reopen"
}
# wait_progress DESC DONE_CMD PROGRESS_CMD: wait until DONE_CMD succeeds;
# the deadline ($DEADLINE s, or WT_WAIT_DEADLINE) restarts whenever the
# output of PROGRESS_CMD changes, so a slow but advancing machine (ctest -j4
# beside a build) never times out, and a stuck one still does.
wait_progress() {
    local desc=$1 done_cmd=$2 prog_cmd=$3
    local limit=${WT_WAIT_DEADLINE:-$DEADLINE}
    local end=$((SECONDS + limit)) last now
    last=$($prog_cmd)
    while ! $done_cmd; do
        now=$($prog_cmd)
        if [ "$now" != "$last" ]; then
            last=$now
            end=$((SECONDS + limit))
        elif [ "$SECONDS" -ge "$end" ]; then
            fail "timed out after ${limit}s without progress waiting for: $desc (at $now)"
        fi
        sleep 0.1
    done
}
wait_writer() {
    wait_progress "writer to finish" writer_done writer_pos
    wait "$WRITER_PID" 2>/dev/null
    WRITER_PID=
}

# The daemon still runs (a crash is reported with its status).
assert_alive() {
    if [ -z "$DPID" ] || ! alive "$DPID"; then
        local rc=
        if [ -n "$DPID" ]; then
            wait "$DPID" 2>/dev/null
            rc=$?
        fi
        DPID=
        fail "${1:+$1: }the daemon is not running any more (exit status $rc)"
    fi
}

# Rendered series of a metric name (all label sets), one per line.
metric_series() {
    curl -s -m 5 "http://127.0.0.1:$PORT/metrics" 2>/dev/null | awk -v n="$1" 'index($0, n "{") == 1 || $1 == n'
}

# Like assert_alive, but the test goes on (with the output so far).
check_alive() {
    if [ -n "$DPID" ] && ! alive "$DPID"; then
        wait "$DPID" 2>/dev/null
        local rc=$?
        DPID=
        soft_fail "${1:+$1: }the daemon died (exit status $rc$([ "$rc" -gt 128 ] && echo ", signal $((rc - 128))"))"
        return 1
    fi
    return 0
}
