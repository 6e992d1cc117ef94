#!/usr/bin/env bash
# A state directory no one can subvert (issue 17, point 2):
#   - `run` refuses to start, with a clear message and nothing written, when
#     state_dir or the spool directory is a symlink (unless
#     allow_symlinked_state), is writable by group or others, or (as root)
#     is owned by another user;
#   - `replay` refuses the same (a symlinked state_dir, an unsafe ancestor);
#   - it refuses too when a directory above state_dir is writable by group
#     or others without the sticky bit (naming that directory);
#   - symlinks planted at the index's data or lock file, or as the index
#     directory, are refused, never written through; so is an index.path
#     under a group-writable directory;
#   - symlinks planted at the old fixed temp names of the checkpoint and the
#     spool cursor never redirect a write and never stop checkpointing: the
#     link targets are untouched and every line is shipped exactly once;
#   - stale temp files (.<name>.XXXXXX) a crash left are removed at start
#     (a symlink so named as a name only), one log line with the count;
#     anything else is left alone.
. "$(dirname "$0")/lib.sh"

CFG=$T/cfg.json
LOGF=$T/logs/access.log
S=$T/state
mkdir -p "$T/logs"
: >"$LOGF"
make_config "$CFG"

# refused WHAT PATTERN: run must exit non-zero at once, saying PATTERN.
refused() {
    local what=$1 want=$2 rc
    timeout 30 "$WT" run -c "$CFG" >"$T/run.out" 2>"$T/run.err"
    rc=$?
    [ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "$what: run exited $rc, expected a refusal"
    grep -qF -- "$want" "$T/run.err" ||
        fail "$what: the error does not say '$want': $(cat "$T/run.err")"
    log "ok: $what refused: $(grep -F -- "$want" "$T/run.err" | head -n 1)"
}

# refused_replay WHAT PATTERN: `replay` (which writes its state, part plans
# and cursors under state_dir too) refuses the same, shipping nothing.
refused_replay() {
    local what=$1 want=$2 rc
    timeout 30 "$WT" replay -c "$CFG" "$WT_SRC/tests/data/wsa_squid_public.log" \
        >"$T/replay.out" 2>"$T/replay.err"
    rc=$?
    [ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "replay, $what: exited $rc, expected a refusal"
    grep -qF -- "$want" "$T/replay.err" ||
        fail "replay, $what: the error does not say '$want': $(cat "$T/replay.err")"
    [ ! -s "$DOUT" ] || fail "replay, $what: something was shipped"
    log "ok: replay refuses $what"
}

# ------------------------------------------------------------ symlinks
mkdir -m 0700 "$T/real"
ln -s "$T/real" "$S"
refused "a symlinked state_dir" "is a symbolic link"
refused_replay "a symlinked state_dir" "is a symbolic link"
[ -z "$(ls -A "$T/real")" ] || fail "something was written through the symlink: $(ls -A "$T/real")"

CFG_EXTRA='"allow_symlinked_state": true' make_config "$CFG"
start_daemon "$CFG"
gen_lines 1 100 >>"$LOGF"
wait_for "100 lines shipped through an allowed symlink" out_has_at_least "$DOUT" 100
stop_daemon
[ -d "$T/real/spool" ] || fail "no spool in the symlink's target"
rm -f "$S" "$DOUT"
rm -rf "$T/real"
: >"$LOGF"
make_config "$CFG"

mkdir -m 0700 "$S" "$T/elsewhere"
ln -s "$T/elsewhere" "$S/spool"
refused "a symlinked spool directory" "spool directory"
rm -f "$S/spool"

# ------------------------------------------------------------ owner and mode
chmod 0777 "$S"
refused "a state_dir writable by every user" "writable by every user"
chmod 0770 "$S"
refused "a state_dir writable by its group" "writable by its group"
chmod 0700 "$S"
mkdir -m 0700 "$S/spool"
chmod 0757 "$S/spool"
refused "a spool directory writable by others" "writable by every user"
chmod 0700 "$S/spool"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    chown nobody "$S"
    refused "a state_dir owned by nobody, running as root" "while running as root"
    chown root "$S"
    chown nobody "$S/spool"
    refused "a spool directory owned by nobody, running as root" "while running as root"
    chown root "$S/spool"
else
    log "skipped the ownership cases: they need root and a user nobody"
fi

# ------------------------------------------------------------ ancestors
chmod 0770 "$T"
refused "a group-writable directory above state_dir" "$T (above $S) is writable by its group without the sticky bit"
refused_replay "a group-writable directory above state_dir" "$T (above $S) is writable by its group without the sticky bit"
chmod 0757 "$T"
refused "an other-writable directory above state_dir" "$T (above $S) is writable by every user without the sticky bit"
chmod 1777 "$T" # sticky, like /tmp: fine (checked by the starts below)
assert_eq "spool" "$(ls -A "$S")" "state_dir after the refusals (only the spool made above)"

# ------------------------------------------------------------ index files
echo "keep me" >"$T/precious"
CFG_EXTRA='"index": {"enabled": true, "commit_interval": "200ms"}' make_config "$CFG"
mkdir -m 0700 "$S/index"
for f in data.mdb lock.mdb; do
    ln -s "$T/precious" "$S/index/$f"
    refused "a symlink planted at the index's $f" "$S/index/$f is a symbolic link: refused"
    rm -f "$S/index/$f"
done
rm -rf "$S/index" # an empty data.mdb was made before lock.mdb was refused
mkdir -m 0700 "$T/idx-elsewhere"
ln -s "$T/idx-elsewhere" "$S/index"
refused "a symlinked index directory" "index directory $S/index is a symbolic link"
[ -z "$(ls -A "$T/idx-elsewhere")" ] || fail "written through the index link: $(ls -A "$T/idx-elsewhere")"
rm -f "$S/index"
assert_eq "keep me" "$(cat "$T/precious")" "the planted index links' target"
# An index.path elsewhere: the directories above it are checked too.
mkdir -m 0700 "$T/idx-parent"
chmod 0770 "$T/idx-parent"
CFG_EXTRA='"index": {"enabled": true, "path": "'"$T/idx-parent/index"'"}' make_config "$CFG"
refused "a group-writable directory above index.path" "index directory $T/idx-parent (above $T/idx-parent/index) is writable by its group"
[ -z "$(ls -A "$T/idx-parent")" ] || fail "written under a refused index.path: $(ls -A "$T/idx-parent")"
make_config "$CFG"

# ------------------------------------------------------------ stale temp files
# Left by a crash inside wt_write_atomic: old enough (WT_STALE_TEMP_AGE_S).
old=$(date -d '-5 minutes' '+%Y%m%d%H%M.%S')
echo half >"$S/.checkpoints.json.AbC123"
echo half >"$S/spool/.sse-x.plan.Zz9Yy8"
ln -s "$T/precious" "$S/.sse-sse0.json.Qw3Er4"
echo keep >"$S/.notes.tmp"          # not the pattern
echo keep >"$S/.young.AbCdEf"       # a write in progress elsewhere: too young
touch -h -t "$old" "$S/.checkpoints.json.AbC123" "$S/spool/.sse-x.plan.Zz9Yy8" \
    "$S/.sse-sse0.json.Qw3Er4" "$S/.notes.tmp"
start_daemon "$CFG"
wait_log "removed 3 stale temporary file(s)"
for f in "$S/.checkpoints.json.AbC123" "$S/spool/.sse-x.plan.Zz9Yy8" "$S/.sse-sse0.json.Qw3Er4"; do
    [ ! -e "$f" ] && [ ! -L "$f" ] || fail "stale $f not removed"
done
[ -f "$S/.notes.tmp" ] && [ -f "$S/.young.AbCdEf" ] || fail "a file that is no stale temp was removed"
assert_eq "keep me" "$(cat "$T/precious")" "the stale temp link's target"
stop_daemon
rm -f "$S/.notes.tmp" "$S/.young.AbCdEf"

# ------------------------------------------------------------ planted temp links
ln -s "$T/precious" "$S/.checkpoints.json.tmp"
ln -s "$T/precious" "$S/spool/.cursor-file0.tmp"
CFG_EXTRA='"checkpoint_interval": "200ms"' make_config "$CFG"
start_daemon "$CFG"
gen_lines 101 500 >>"$LOGF"
wait_for "500 lines shipped" out_has_at_least "$DOUT" 500
ckpt_has() { grep -q '"lineno":"500"' "$S/checkpoints.json" 2>/dev/null; }
wait_for "the checkpoint at line 500 despite the planted link" ckpt_has
# After the checkpoint moved, plant one at the destination itself.
rm -f "$S/checkpoints.json"
ln -s "$T/precious" "$S/checkpoints.json"
gen_lines 601 100 >>"$LOGF"
ckpt_regular() { [ -f "$S/checkpoints.json" ] && [ ! -L "$S/checkpoints.json" ] &&
    grep -q '"lineno":"600"' "$S/checkpoints.json"; }
wait_for "the checkpoint link replaced by a real file at line 600" ckpt_regular
stop_daemon
assert_eq "keep me" "$(cat "$T/precious")" "the planted links' target"
check_exactly_once "$DOUT" 101 700
pass
