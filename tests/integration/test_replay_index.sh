#!/usr/bin/env bash
# test_replay_index.sh - `wtexport replay --index-only` feeds only the index
# stage (nothing reaches the sinks, events are not encoded), `--index` feeds
# it beside the sinks; `wtexport lookup` then counts every replayed line.
. "$(dirname "$0")/lib.sh"

gen_lines 1 1500 host >"$T/a.log"
gen_lines 1 500 other >"$T/b.log"
CFG_EXTRA='"retention": "1d", "index": {"enabled": true}' make_config "$T/cfg.json"
count() { # DOMAIN
    "$WT" lookup -c "$T/cfg.json" --json domain "$1" | jq '[.data.sightings.docs[]?.count] | add // 0'
}

"$WT" replay -c "$T/cfg.json" --index-only "$T/a.log" >"$T/r1.out" 2>"$T/r1.err"
assert_eq 0 "$?" "replay --index-only: exit status"
grep -q "index only: no sinks" "$T/r1.err" || check_fail "replay --index-only: no log line: $(cat "$T/r1.err")"
assert_eq 1500 "$(count host.example.com)" "replay --index-only: every line indexed"
assert_eq 0 "$(count_lines "$DOUT")" "replay --index-only: nothing reached the sink"

"$WT" replay -c "$T/cfg.json" --index "$T/b.log" >"$T/r2.out" 2>"$T/r2.err"
assert_eq 0 "$?" "replay --index: exit status"
assert_eq 500 "$(count other.example.com)" "replay --index: every line indexed"
check_exactly_once "$DOUT" 1 500 other "replay --index: the sink"
assert_eq 1500 "$(count host.example.com)" "replay --index: the earlier replay's counts unchanged"

# Without the option, replay leaves the index alone.
"$WT" replay -c "$T/cfg.json" "$T/b.log" >/dev/null 2>&1
assert_eq 500 "$(count other.example.com)" "replay without --index: index unchanged"
pass
