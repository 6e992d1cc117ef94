#!/usr/bin/env bash
# `cmake --install` puts the binary, the systemd unit (pointing at the
# installed binary and config), the example config and the docs in the
# usual places under the prefix; the installed example config is valid and
# the unit runs the daemon as the unprivileged wtexport user with the
# sandboxing the issue names.
set -euo pipefail
build=$(cd "${WT_BIN:?}/.." && pwd)
T=$(mktemp -d /tmp/wt-it-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: test_install: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$T/usr" >"$T/install.log" 2>&1 || {
    cat "$T/install.log"
    fail "cmake --install failed"
}
for f in bin/wtexport lib/systemd/system/wtexport.service etc/wtexport/wtexport.json \
    share/doc/wtexport/config.md share/doc/wtexport/events.md share/doc/wtexport/sse-protocol.md \
    share/doc/wtexport/kafka.md share/doc/wtexport/spool.md share/doc/wtexport/operations.md \
    share/doc/wtexport/README.md; do
    [ -e "$T/usr/$f" ] || fail "not installed: $f"
done
unit=$T/usr/lib/systemd/system/wtexport.service
grep -qx "ExecStart=$T/usr/bin/wtexport run -c $T/usr/etc/wtexport/wtexport.json" "$unit" ||
    fail "ExecStart does not name the installed binary and config: $(grep ExecStart= "$unit")"
for want in User=wtexport NoNewPrivileges=true ProtectSystem=strict \
    ReadWritePaths=/var/lib/wtexport PrivateTmp=true StateDirectory=wtexport; do
    grep -qx "$want" "$unit" || fail "unit lacks $want"
done
"$T/usr/bin/wtexport" check-config -c "$T/usr/etc/wtexport/wtexport.json" >/dev/null ||
    fail "the installed example config is not valid"
"$T/usr/bin/wtexport" --version | grep -q '^wtexport ' || fail "--version"
echo "test_install: ok"
