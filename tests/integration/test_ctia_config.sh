#!/usr/bin/env bash
# test_ctia_config.sh - the CTIA sink's credentials and config rules: a
# secret file readable by others is refused by check-config and by run,
# with a message that says what to do and never the secret; environment
# variables work instead of files; region and URLs exclude each other.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctia_lib.sh"

CTIA_PORT=9 # nothing is contacted
ctia_config "$T/c.json"
"$WT" check-config -c "$T/c.json" >"$T/ok.out" 2>&1 || fail "check-config: $(cat "$T/ok.out")"

chmod 644 "$T/client-secret"
"$WT" check-config -c "$T/c.json" >"$T/bad.out" 2>&1 && fail "a 0644 secret file was accepted"
grep -q 'sinks\[0\].client_secret_file: .*accessible to group or others (mode 0644).*chmod 600' "$T/bad.out" ||
    check_fail "unclear message: $(cat "$T/bad.out")"
"$WT" run -c "$T/c.json" >"$T/run.out" 2>&1 && fail "run started with a 0644 secret file"
grep -q 'chmod 600' "$T/run.out" || check_fail "run: unclear message: $(cat "$T/run.out")"
check_no_ctia_secrets "$T/bad.out" "$T/run.out"
chmod 600 "$T/client-secret"

# Environment variables instead of files.
ctia_config "$T/env.json"
sed -i 's|"client_id_file": "[^"]*", "client_secret_file": "[^"]*"|"client_id_env": "T_CTIA_ID", "client_secret_env": "T_CTIA_SECRET"|' "$T/env.json"
T_CTIA_ID=$CTIA_ID T_CTIA_SECRET=$CTIA_SECRET "$WT" check-config -c "$T/env.json" >"$T/env.out" 2>&1 ||
    check_fail "env credentials refused: $(cat "$T/env.out")"
"$WT" check-config -c "$T/env.json" >"$T/noenv.out" 2>&1 && check_fail "missing env variable accepted"
grep -q 'client_id_env: .*T_CTIA_ID is not set' "$T/noenv.out" || check_fail "unclear: $(cat "$T/noenv.out")"

# region xor URLs; bucket must divide a day.
sed 's|"bucket": "1m"|"bucket": "7m", "region": "eu"|' "$T/c.json" >"$T/rules.json"
"$WT" check-config -c "$T/rules.json" >"$T/rules.out" 2>&1 && check_fail "bad rules accepted"
grep -q 'token_url: not with region' "$T/rules.out" || check_fail "region + url: $(cat "$T/rules.out")"
grep -q 'bucket: must divide a day' "$T/rules.out" || check_fail "bucket 7m: $(cat "$T/rules.out")"
pass
