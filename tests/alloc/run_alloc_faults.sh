#!/usr/bin/env bash
# run_alloc_faults.sh OP - the allocation-failure pass (issue 11 point 5,
# STYLE.md §11), like curl's torture mode (docs/runtests.md -t): run one
# operation of the real binary with WT_ALLOC_FAIL_AT=N for N = 1, 2, ...
# until it succeeds, and check every failing run. Needs a build with
# -DWT_ALLOC_FAULTS=ON, and is meant for -DWT_SANITIZE=address,undefined
# (ctest registers it only then; label "alloc").
#
# OP is one of
#   parse    wtexport parse of every file of tests/data
#   config   wtexport check-config of a config with file, sse and kafka
#            sinks and most keys set
#   run      wtexport run with the file sink on a few lines: SIGTERM once
#            the output is complete (or the daemon has exited)
#   restart  the same on a state dir left by a clean run (checkpoint, spool,
#            cursor) with a few more lines appended, and "read_from": "end":
#            a start that lost the checkpoint would skip the new lines.
#            Not registered in ctest: its "from" mode alone took 576 s here
#            (runs that start, then cannot ship, wait out the 5 s deadline)
#
# Modes (WT_ALLOC_MODE, default "from only"):
#   from   allocation N and every later one fail (error paths cascade as
#          they would when memory runs out); stops at the first N that
#          succeeds: that N - 1 is the operation's allocation count
#   only   allocation N alone fails (WT_ALLOC_FAIL_ONLY=1), for N = 1 to
#          that count: the paths that handle one failure and go on
#
# A failing run passes when
#   - it ends within WT_ALLOC_TIMEOUT seconds (default 20): no hang
#   - its exit status is a documented failure code, 1 (runtime) or 2
#     (configuration: config loading reports out of memory as one of its
#     errors), or SIGABRT after an "out of memory" line: the exporter's
#     abort-on-OOM policy (STYLE.md §5) for allocations after start-up
#   - stderr names the failure ("out of memory"), and holds no sanitizer
#     report (ASan error or leak, UBSan runtime error)
#   - nothing is lost silently: if parse or check-config exits 0 anyway,
#     its output is the reference output. After any run of `run` whose
#     output is not the reference, a second run without faults on the same
#     state dir completes it: every reference event at least once (a crash
#     repeats a little), nothing else.
#
# Environment: WT_BIN (directory of wtexport), WT_TEST_DATA (tests/data);
# WT_ALLOC_MAX caps N (default 5000), WT_ALLOC_MAX_FAILS stops after that
# many failing checks (default 10), WT_KEEP_TMP=1 keeps the temp dir.
set -u -o pipefail

OP=${1:?usage: run_alloc_faults.sh parse|config|run|restart}
WT_SRC=${WT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
WT=${WT_BIN:-$WT_SRC/build/bin}/wtexport
DATA=${WT_TEST_DATA:-$WT_SRC/tests/data}
MODES=${WT_ALLOC_MODE:-from only}
TIMEOUT=${WT_ALLOC_TIMEOUT:-20}
MAX=${WT_ALLOC_MAX:-5000}
NLINES=5

# Sanitizer reports get their own exit status, apart from 1 and 2.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=99:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=98:print_stacktrace=1
unset WT_ALLOC_FAIL_AT WT_ALLOC_FAIL_ONLY

T=$(mktemp -d "${TMPDIR:-/tmp}/wt-alloc-$OP.XXXXXX") || exit 1
cleanup() {
    if [ "${WT_KEEP_TMP:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT

log() { printf '[alloc %s] %s\n' "$OP" "$*" >&2; }
FAILS=0
bad() { # N MODE WHY
    log "FAIL: N=$1 ($2): $3"
    echo "---- stderr of that run ----" >&2
    tail -n 30 "$T/err" >&2
    echo "----" >&2
    FAILS=$((FAILS + 1))
    if [ "$FAILS" -ge "${WT_ALLOC_MAX_FAILS:-10}" ]; then
        log "giving up after $FAILS failures"
        exit 1
    fi
}

[ -x "$WT" ] || { log "no binary at $WT"; exit 1; }

# ---------------------------------------------------------------------------
# The operations: op_OP runs once (fault environment already exported),
# leaves stdout/stderr in $T/out and $T/err, and sets RC.
# ---------------------------------------------------------------------------

CORPUS=("$DATA"/*.log "$DATA"/*.txt)
op_parse() {
    timeout -s KILL "$TIMEOUT" "$WT" parse "${CORPUS[@]}" >"$T/out" 2>"$T/err"
    RC=$?
}

cat >"$T/cfg-config.json" <<EOF
{
  "state_dir": "$T/state-config",
  "retention": "1d",
  "host": "proxy-1",
  "inputs": [{"path": "$T/logs/*.log", "format": "squid", "read_from": "head"},
             {"path": "$T/w3c/*.log", "format": "w3c", "max_line": "16KiB"}],
  "batch": {"max_events": 100, "max_bytes": "64KiB", "linger": "100ms"},
  "queue": {"max_bytes": "8MiB"},
  "spool": {"max_bytes": "64MiB", "segment_bytes": "4MiB"},
  "privacy": {"strip_query": true, "export_user": false},
  "sinks": [{"type": "file", "name": "archive", "path": "$T/out.ndjson.zst", "compress": "zstd"},
            {"type": "sse", "name": "sse", "url": "https://127.0.0.1:9/"},
            {"type": "kafka", "name": "kafka", "brokers": "127.0.0.1:9092", "topic": "wt"}],
  "metrics": {"listen": "127.0.0.1:9464"},
  "log": {"level": "debug", "format": "json"},
  "shutdown": {"drain_timeout": "2s"}
}
EOF
op_config() {
    timeout -s KILL "$TIMEOUT" "$WT" check-config -c "$T/cfg-config.json" >"$T/out" 2>"$T/err"
    RC=$?
}

# run: NLINES squid lines (stamped now, inside retention), the file sink,
# no metrics listener (no port to race for).
mkdir -p "$T/logs"
now=$(date +%s)
gen() { # FROM TO
    local i
    for i in $(seq "$1" "$2"); do
        printf '%d.%03d %d 10.0.0.%d TCP_MISS/200 %d GET http://host.example.com/seq/%d?q=x - DIRECT/host.example.com text/html\n' \
            "$now" "$i" "$i" "$i" $((1000 + i)) "$i"
    done
}
gen 1 $NLINES >"$T/logs/access.log"
write_cfg() { # FILE [INPUT_EXTRA]
    cat >"$1" <<EOF
{
  "state_dir": "$T/state",
  "inputs": [{"path": "$T/logs/*.log"${2:+, $2}}],
  "sinks": [{"type": "file", "path": "$T/shipped.ndjson", "compress": "none"}],
  "batch": {"linger": "20ms"},
  "scan_interval": "1s",
  "metrics": {"listen": ""},
  "shutdown": {"drain_timeout": "2s"}
}
EOF
}
write_cfg "$T/cfg-run.json"
write_cfg "$T/cfg-restart.json" '"read_from": "end"'
CFG=$T/cfg-$OP.json
WANT=$NLINES # events the reference run ships
lines_of() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
# Has the file sink every reference event (at least once)?
shipped_all() {
    [ -f "$T/shipped.ndjson" ] || return 1
    [ -z "$(sort -u "$T/shipped.ndjson" | comm -23 "$T/ref.sorted" -)" ]
}
# Is pid gone (or a zombie, which kill -0 still reaches until reaped)?
gone() {
    local st
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}
# One daemon run: start; wait until it runs (its "running:" line) and the
# file sink holds every event, or it has exited (at most 5 s); SIGTERM;
# wait for the exit (at most $TIMEOUT s, then SIGKILL: a hang).
daemon_once() {
    "$WT" run -c "$CFG" >/dev/null 2>"$T/err" &
    local pid=$! i
    for i in $(seq 1 250); do
        gone "$pid" && break
        if grep -q 'running:' "$T/err"; then
            if [ -f "$T/ref.sorted" ]; then
                shipped_all && break
            elif [ "$(lines_of "$T/shipped.ndjson")" -ge "$WANT" ]; then
                break # the reference run
            fi
        fi
        sleep 0.02
    done
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 $((TIMEOUT * 20))); do
        gone "$pid" && break
        sleep 0.05
    done
    if ! gone "$pid"; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        RC=137
        return
    fi
    wait "$pid" 2>/dev/null
    RC=$?
}
op_run() {
    rm -rf "$T/state" "$T/shipped.ndjson"
    daemon_once
    cp "$T/shipped.ndjson" "$T/out" 2>/dev/null || : >"$T/out"
}

# restart: a clean run ships lines 1..NLINES and stops (checkpoint at the
# end of the file); NLINES more lines are appended; each run starts from a
# copy of that state and output.
if [ "$OP" = restart ]; then
    CFG=$T/cfg-run.json
    op_run
    if [ "$RC" != 0 ] || [ "$(lines_of "$T/out")" != "$NLINES" ]; then
        log "preparing the state failed (exit $RC, $(lines_of "$T/out") events):"
        cat "$T/err" >&2
        exit 1
    fi
    gen $((NLINES + 1)) $((2 * NLINES)) >>"$T/logs/access.log"
    mkdir -p "$T/saved"
    cp -a "$T/state" "$T/shipped.ndjson" "$T/saved/"
    CFG=$T/cfg-restart.json
    WANT=$((2 * NLINES))
fi
op_restart() {
    rm -rf "$T/state" "$T/shipped.ndjson"
    cp -a "$T/saved/state" "$T/saved/shipped.ndjson" "$T/"
    daemon_once
    cp "$T/shipped.ndjson" "$T/out"
}

# After a failing run: a run without faults on the same state must complete
# the output (every reference event, maybe repeated, nothing else).
check_recovery() { # N MODE
    cp "$T/err" "$T/err.failed"
    unset WT_ALLOC_FAIL_AT WT_ALLOC_FAIL_ONLY
    daemon_once
    if [ "$RC" != 0 ]; then
        bad "$1" "$2" "the run after it, without faults, exited $RC"
        return
    fi
    local missing extra
    missing=$(sort -u "$T/shipped.ndjson" | comm -23 "$T/ref.sorted" - | wc -l)
    extra=$(sort -u "$T/shipped.ndjson" | comm -13 "$T/ref.sorted" - | wc -l)
    if [ "$missing" != 0 ] || [ "$extra" != 0 ]; then
        cp "$T/err.failed" "$T/err"
        bad "$1" "$2" "lost or damaged events: after a clean second run, $missing reference event(s) missing, $extra other line(s)"
    fi
}

# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------

# The error names the failure: ours say "out of memory"; strerror(ENOMEM)
# and uv_strerror(UV_ENOMEM) are as clear.
has_oom_line() {
    grep -qiE 'out of memory|cannot allocate memory|not enough memory' "$T/err"
}

sanitizer_report() {
    grep -E -m1 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Undefined)' "$T/err"
}

# check_failed N MODE: the run with a fault at N.
check_run() {
    local n=$1 mode=$2 rep
    if [ "${WT_ALLOC_TRACE:-0}" = 1 ]; then
        log "N=$n ($mode): exit $RC, ${EPOCHREALTIME}: $(grep -iE 'error|out of memory' "$T/err" | tail -n1 | cut -c1-150)"
    fi
    rep=$(sanitizer_report)
    if [ -n "$rep" ]; then
        bad "$n" "$mode" "sanitizer report: $rep"
        return
    fi
    case $RC in
    0)
        if cmp -s "$T/out" "$T/ref"; then
            return
        fi
        # run: what a stopped daemon did not ship stays for the next start.
        if [ "$OP" = run ] || [ "$OP" = restart ]; then
            check_recovery "$n" "$mode"
        else
            bad "$n" "$mode" "exit 0 but the output differs from the reference (silent loss)"
        fi
        return
        ;;
    1 | 2)
        if ! has_oom_line; then
            bad "$n" "$mode" "exit $RC without an 'out of memory' error line"
            return
        fi
        ;;
    134)
        if ! has_oom_line; then
            bad "$n" "$mode" "SIGABRT without an 'out of memory' line before it"
            return
        fi
        ;;
    137)
        bad "$n" "$mode" "hang: killed after ${TIMEOUT}s"
        return
        ;;
    *)
        if [ "$RC" -gt 128 ]; then
            bad "$n" "$mode" "killed by signal $((RC - 128))"
        else
            bad "$n" "$mode" "exit status $RC (documented failures: 1, 2)"
        fi
        return
        ;;
    esac
    if [ "$OP" = run ] || [ "$OP" = restart ]; then
        check_recovery "$n" "$mode"
    fi
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

start=$SECONDS
"op_$OP"
if [ "$RC" != 0 ] || [ -n "$(sanitizer_report)" ]; then
    log "the reference run (no faults) failed with status $RC:"
    cat "$T/err" >&2
    exit 1
fi
if { [ "$OP" = run ] || [ "$OP" = restart ]; } && [ "$(lines_of "$T/out")" != "$WANT" ]; then
    log "the reference run shipped $(lines_of "$T/out") events, expected $WANT"
    exit 1
fi
cp "$T/out" "$T/ref"
sort -u "$T/ref" >"$T/ref.sorted"

count=
for mode in $MODES; do
    case $mode in
    from)
        n=1
        while :; do
            if [ "$n" -gt "$MAX" ]; then
                log "FAIL: still failing at N=$MAX (WT_ALLOC_MAX)"
                exit 1
            fi
            export WT_ALLOC_FAIL_AT=$n
            "op_$OP"
            unset WT_ALLOC_FAIL_AT
            if [ "$RC" = 0 ] && [ -z "$(sanitizer_report)" ] && cmp -s "$T/out" "$T/ref"; then
                break
            fi
            check_run "$n" from
            n=$((n + 1))
        done
        count=$((n - 1))
        log "from: N=1..$count fail (N and later), N=$n succeeds: $count allocations ($((SECONDS - start)) s so far)"
        ;;
    only)
        if [ -z "$count" ]; then
            log "mode 'only' needs 'from' first (it runs N=1..the count 'from' found)"
            exit 1
        fi
        # A run's count varies a little (threads, timers): go a bit past it.
        last=$((count + count / 10 + 5))
        for n in $(seq 1 "$last"); do
            export WT_ALLOC_FAIL_AT=$n WT_ALLOC_FAIL_ONLY=1
            "op_$OP"
            unset WT_ALLOC_FAIL_AT WT_ALLOC_FAIL_ONLY
            check_run "$n" only
        done
        log "only: N=1..$last each failed alone ($((SECONDS - start)) s so far)"
        ;;
    *)
        log "unknown mode $mode"
        exit 1
        ;;
    esac
done

if [ "$FAILS" -gt 0 ]; then
    log "FAIL: $FAILS failing run(s) (see above)"
    exit 1
fi
log "PASS ($((SECONDS - start)) s)"
