#!/usr/bin/env bash
# wtexport check-config: exit codes and messages of the real binary, and the
# generated reference and example against the checked-in files.
# Env: WT_BIN (dir of wtexport), WT_SRC (source tree).
set -euo pipefail
bin="${WT_BIN:?}/wtexport"
src="${WT_SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# run EXPECTED_RC ARGS...: output in $tmp/out and $tmp/err
run() {
    local want=$1 rc=0
    shift
    "$bin" check-config "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    [ "$rc" -eq "$want" ] || {
        cat "$tmp/out" "$tmp/err" >&2
        fail "check-config $*: exit $rc, want $want"
    }
}

# The shipped example is valid.
run 0 -c "$src/deploy/wtexport.example.json"
grep -qx "$src/deploy/wtexport.example.json: ok" "$tmp/out" || fail "no 'FILE: ok' line"
grep -q '^1 input(s), 1 sink(s) (file0)' "$tmp/out" || fail "no summary line"
[ ! -s "$tmp/err" ] || fail "stderr not empty on success"

# Every error, one per line, exit 2.
cat >"$tmp/bad.json" <<'JSON'
{
  "state_dir": "/var/lib/wtexport",
  "retention": "90d",
  "inputs": [{"path": "/var/log/a.log"}, {"path": "/var/log/b.log", "bogus": 1}],
  "batch": {"max_events": 0},
  "sinks": [{"type": "file", "path": "-", "compress": "gzip"}, {"type": "sse"}]
}
JSON
cat >"$tmp/want" <<'TXT'
retention: must be a duration from 1h to 30d (e.g. "2d")
inputs[1].bogus: unknown key
batch.max_events: must be an integer from 1 to 1000000
sinks[0].compress: must be "zstd" or "none"
sinks[1].region: required (or url)
TXT
run 2 --config "$tmp/bad.json"
diff -u "$tmp/want" "$tmp/err" || fail "error messages differ"
[ ! -s "$tmp/out" ] || fail "stdout not empty on error"

# Missing keys and invalid JSON.
echo '{}' >"$tmp/empty.json"
run 2 -c "$tmp/empty.json"
printf 'state_dir: required\ninputs: required\nsinks: required\n' | diff -u - "$tmp/err" ||
    fail "required keys"
printf '{\n  "state_dir": "/s",\n  "inputs": [\n}\n' >"$tmp/broken.json"
run 2 -c "$tmp/broken.json"
grep -q '^invalid JSON at line 4, column 1 (byte 37): syntax error$' "$tmp/err" ||
    fail "invalid JSON position: $(cat "$tmp/err")"
run 2 -c "$tmp/does-not-exist.json"
grep -q 'does-not-exist.json: No such file or directory' "$tmp/err" || fail "missing file"

# The docs are the generated output, byte for byte.
run 0 --reference
cmp "$tmp/out" "$src/docs/config.md" || fail "docs/config.md is stale: regenerate it"
run 0 --example
cmp "$tmp/out" "$src/deploy/wtexport.example.json" || fail "example is stale: regenerate it"

# Usage.
run 0 --help
grep -q 'usage: wtexport check-config' "$tmp/out" || fail "--help"
run 2
run 2 -c "$tmp/empty.json" --reference
"$bin" --help | grep -q 'check-config' || fail "not in wtexport --help"

echo "check-config: ok"
