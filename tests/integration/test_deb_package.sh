#!/usr/bin/env bash
# The Debian package, end to end: deploy/build-deb.sh (what `make deb`
# runs) builds it from a copy of the tree with dpkg-buildpackage and lintian
# finds no error; a rebuild with a bumped version gives the upgrade. Then,
# in a throwaway root (this test's own mount namespace: an overlay of / on
# a tmpfs, entered with chroot, so nothing reaches the real system), dpkg
# installs, upgrades, removes and purges it, and each step is checked:
#   install  user and group wtexport (system, no login shell, home
#            /var/lib/wtexport, in adm), state dir 0700, the config a
#            conffile (root:wtexport 0640) that check-config accepts and
#            that writes only under /var/lib/wtexport, the hardened unit
#            (systemd-analyze security <= 2.0) enabled but not started, man
#            pages, completion, monitoring files
#   upgrade  edited config, state and the administrator's group choice
#            kept; a running service is try-restarted
#   remove   the service stopped; config, state and user kept
#   purge    config, state, user, group and the unit's enablement gone
#   install  over an edited config: started
# systemd does not run in the throwaway root: /run/systemd/system is made
# there and deb-systemd-invoke and systemctl are stubs that log what the
# maintainer scripts ask of them.
#
# Skipped (exit 77) without root, dpkg-buildpackage/debhelper, unshare or
# overlayfs, and in sanitizer builds (the package builds its own binary).
set -uo pipefail
export LC_ALL=C
WT_SRC=${WT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
NAME=test_deb_package
fail() { echo "FAIL: $NAME: $*" >&2; exit 1; }
skip() { echo "SKIP: $NAME: $*"; exit 77; }
log() { printf '[%s %s] %s\n' "$(date +%T)" "$NAME" "$*" >&2; }

[ -z "${WT_SANITIZE:-}" ] || skip "sanitizer build (WT_SANITIZE=$WT_SANITIZE): the package is tested in the plain build"
[ "$(id -u)" = 0 ] || skip "needs root (dpkg in a private mount namespace)"
for tool in dpkg-buildpackage dh dpkg-deb unshare chroot; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed (deploy/deps.sh installs debhelper, dpkg-dev)"
done

T=$(mktemp -d /tmp/wt-it-deb.XXXXXX)
trap 'rm -rf "$T"' EXIT

unshare -m --propagation private sh -c "mount -t tmpfs none '$T' 2>/dev/null && mkdir '$T/u' '$T/w' '$T/m' &&
    mount -t overlay overlay -o lowerdir=/,upperdir='$T/u',workdir='$T/w' '$T/m'" 2>/dev/null ||
    skip "cannot mount an overlay of / in a private mount namespace here"

# ---------------------------------------------------------------------------
# Build: the package, then the same tree again with a bumped version, at
# nice 19 so the compiler does not take CPU from timing-sensitive tests that
# ctest runs beside this one.
# ---------------------------------------------------------------------------
version=$(dpkg-parsechangelog -l "$WT_SRC/debian/changelog" -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
v2=$version+test1
# What the build must leave alone: debian/ and the top of the tree
# (dpkg-buildpackage writes to the parent directory, debhelper to debian/
# and obj-<triplet>/).
tree_state() { (cd "$WT_SRC" && ls -A . debian && ls -A .. | grep -E '^wtexport_' || true); }
tree_before=$(tree_state)
log "building wtexport $version with deploy/build-deb.sh"
WT_DEB_KEEP=1 WT_DEB_WORK=$T/work JOBS=${JOBS:-2} nice -n 19 "$WT_SRC/deploy/build-deb.sh" "$T/out" >"$T/build.out" 2>&1 || {
    tail -n 40 "$T/build.out" >&2
    fail "deploy/build-deb.sh failed"
}
deb1=$T/out/wtexport_${version}_${arch}.deb
[ -s "$deb1" ] || fail "no $deb1"
grep -q 'lintian: no errors' "$T/build.out" || fail "lintian did not run or found errors: $(tail -n 5 "$T/build.out")"
if grep -q '^W: ' "$T/build.out"; then
    log "lintian warnings: $(grep '^W: ' "$T/build.out" | tr '\n' ' ')"
fi
# Runtime dependencies come from shlibdeps: the libraries the binary links.
deps=$(dpkg-deb -f "$deb1" Depends)
for lib in libc6 libuv1 libzstd1 libcurl4 librdkafka1 libcjson1 libmicrohttpd12 adduser; do
    grep -q "\\b$lib\\b" <<<"$deps" || fail "Depends lacks $lib: $deps"
done
log "built $(basename "$deb1"); Depends: $deps"

tree=$T/work/wtexport-$version
{
    printf 'wtexport (%s) unstable; urgency=medium\n\n  * Test rebuild with a bumped version.\n\n' "$v2"
    printf ' -- Test <test@localhost>  %s\n\n' "$(date -R)"
    cat "$tree/debian/changelog"
} >"$T/changelog" && mv "$T/changelog" "$tree/debian/changelog"
(cd "$tree" && DEB_BUILD_OPTIONS=noddebs nice -n 19 dpkg-buildpackage -b -nc -us -uc) >"$T/rebuild.out" 2>&1 || {
    tail -n 40 "$T/rebuild.out" >&2
    fail "rebuild with version $v2 failed"
}
deb2=$T/work/wtexport_${v2}_${arch}.deb
[ -s "$deb2" ] || fail "no $deb2"
log "rebuilt as $(basename "$deb2")"
[ "$(tree_state)" = "$tree_before" ] ||
    fail "building the package changed the source tree: $(diff <(echo "$tree_before") <(tree_state) | tr '\n' ' ')"

# ---------------------------------------------------------------------------
# The throwaway root.
# ---------------------------------------------------------------------------
cp "$deb1" "$deb2" "$T/"
cat >"$T/inner.sh" <<'INNER'
set -uo pipefail
T=$1 DEB1=$2 DEB2=$3 V1=$4 V2=$5
R=$T/root
fail() { echo "FAIL: test_deb_package: $*" >&2; exit 1; }
log() { printf '[%s test_deb_package] %s\n' "$(date +%T)" "$*" >&2; }

mkdir -p "$T/ovl" "$R"
mount -t tmpfs none "$T/ovl" || fail "tmpfs"
mkdir "$T/ovl/upper" "$T/ovl/work"
mount -t overlay overlay -o "lowerdir=/,upperdir=$T/ovl/upper,workdir=$T/ovl/work" "$R" || fail "overlay"
mount -t proc proc "$R/proc" || fail "proc"
mount --bind /dev "$R/dev" || fail "dev"
mount -t tmpfs none "$R/run" || fail "run"
mount -t tmpfs none "$R/tmp" || fail "tmp"
mkdir -p "$R/run/systemd/system" "$R/tmp/debs"
cp "$DEB1" "$DEB2" "$R/tmp/debs/"
# Stubs: what the maintainer scripts ask of systemd is logged, not done;
# systemctl --root=... (deb-systemd-helper's offline preset, which creates
# the enablement links) runs the real systemctl.
printf '#!/bin/sh\necho "deb-systemd-invoke $*" >>/run/systemd-calls.log\nexit 0\n' >"$R/usr/bin/deb-systemd-invoke"
if [ -x "$R/usr/bin/systemctl" ]; then
    mv "$R/usr/bin/systemctl" "$R/usr/bin/systemctl.real"
fi
cat >"$R/usr/bin/systemctl" <<'STUB'
#!/bin/sh
echo "systemctl $*" >>/run/systemd-calls.log
case " $* " in
*" --root="*) [ -x /usr/bin/systemctl.real ] && exec /usr/bin/systemctl.real "$@" ;;
esac
exit 0
STUB
chmod 0755 "$R/usr/bin/deb-systemd-invoke" "$R/usr/bin/systemctl"
: >"$R/run/systemd-calls.log"
# man-db's trigger rebuilds the whole index after each dpkg step: not needed.
rm -f "$R/var/lib/man-db/auto-update"
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C "$@"; }
calls() { cat "$R/run/systemd-calls.log"; }
reset_calls() { : >"$R/run/systemd-calls.log"; }
dpkg_step() { # WHAT ARGS...
    local what=$1
    shift
    in_root dpkg "$@" >"$T/dpkg.out" 2>&1 || {
        cat "$T/dpkg.out" >&2
        fail "$what: dpkg $* failed"
    }
}
status() { in_root dpkg-query -W -f='${Status} ${Version}' wtexport 2>/dev/null; }
CONF=/etc/wtexport/wtexport.json
UNIT=/lib/systemd/system/wtexport.service
WANTS=/etc/systemd/system/multi-user.target.wants/wtexport.service

# --- install --------------------------------------------------------------
reset_calls
dpkg_step install -i "/tmp/debs/$(basename "$DEB1")"
[ "$(status)" = "install ok installed $V1" ] || fail "after install: status '$(status)'"
pw=$(in_root getent passwd wtexport) || fail "no user wtexport"
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
[ "$home" = /var/lib/wtexport ] || fail "home of wtexport is $home"
[ "$shell" = /usr/sbin/nologin ] || fail "shell of wtexport is $shell"
[ "$uid" -lt 1000 ] || fail "wtexport is not a system user (uid $uid)"
[ "$(in_root getent group wtexport | cut -d: -f3)" = "$gid" ] || fail "primary group of wtexport is not the group wtexport"
in_root id -nG wtexport | grep -qw adm || fail "wtexport is not in adm: $(in_root id -nG wtexport)"
[ "$(in_root stat -c '%U:%G %a' /var/lib/wtexport)" = "wtexport:wtexport 700" ] ||
    fail "state dir: $(in_root stat -c '%U:%G %a' /var/lib/wtexport)"
in_root dpkg-query -W -f='${Conffiles}\n' wtexport | grep -q "^ $CONF " || fail "$CONF is not a conffile"
[ "$(in_root stat -c '%U:%G %a' "$CONF")" = "root:wtexport 640" ] || fail "config: $(in_root stat -c '%U:%G %a' "$CONF")"
in_root wtexport check-config -c "$CONF" >"$T/cc.out" 2>&1 || fail "check-config rejects the shipped config: $(cat "$T/cc.out")"
# Harmless until edited: every sink is a file under /var/lib/wtexport.
jq -e '[.sinks[] | .type == "file" and (.path | startswith("/var/lib/wtexport/"))] | all' "$R$CONF" >/dev/null ||
    fail "the shipped config has a sink outside /var/lib/wtexport: $(jq -c .sinks "$R$CONF")"
grep -qx "ExecStart=/usr/bin/wtexport run -c $CONF" "$R$UNIT" || fail "unit ExecStart: $(grep ExecStart= "$R$UNIT")"
grep -qx 'User=wtexport' "$R$UNIT" || fail "unit does not run as wtexport"
if command -v systemd-analyze >/dev/null 2>&1; then
    exposure=$(systemd-analyze security --offline=true "$R$UNIT" 2>/dev/null |
        sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    [ -n "$exposure" ] || fail "systemd-analyze security gave no exposure level"
    awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' || fail "systemd-analyze security: exposure $exposure > 2.0"
    log "ok: unit exposure $exposure (systemd-analyze security --offline)"
else
    log "systemd-analyze not installed: exposure not checked"
fi
[ -L "$R$WANTS" ] || fail "the service is not enabled (no $WANTS)"
calls | grep -q 'start' && fail "installation started the service with the example config: $(calls | tr '\n' ';')"
for f in /usr/bin/wtexport /usr/share/man/man1/wtexport.1.gz /usr/share/man/man5/wtexport.json.5.gz \
    /usr/share/bash-completion/completions/wtexport /usr/share/wtexport/monitoring/alerts.yml \
    /usr/share/wtexport/monitoring/grafana-dashboard.json /usr/share/doc/wtexport/copyright \
    /usr/share/doc/wtexport/packaging.md; do
    [ -e "$R$f" ] || [ -e "$R$f.gz" ] || fail "not installed: $f"
done
# not grep -q: its early exit would SIGPIPE zcat (pipefail) once the page is over 32 KiB
zcat "$R/usr/share/man/man5/wtexport.json.5.gz" | grep '^\.TH "WTEXPORT.JSON" "5"' >/dev/null || fail "wtexport.json.5 is not a man page"
log "ok: install (user, adm, state dir, conffile, unit enabled and not started, pages, completion)"

# --- upgrade ----------------------------------------------------------------
# The administrator edits the config, the service has state, and wtexport
# was taken out of adm (another log group): an upgrade keeps all three.
sed -i 's/"level": "info"/"level": "debug"/' "$R$CONF"
grep -q '"level": "debug"' "$R$CONF" || fail "could not edit the config"
in_root wtexport check-config -c "$CONF" >/dev/null 2>&1 || fail "edited config invalid"
sum=$(md5sum <"$R$CONF")
echo '{"marker": "state before upgrade"}' >"$R/var/lib/wtexport/checkpoints.json"
in_root gpasswd -d wtexport adm >/dev/null 2>&1 || fail "gpasswd -d wtexport adm"
reset_calls
dpkg_step upgrade -i "/tmp/debs/$(basename "$DEB2")"
[ "$(status)" = "install ok installed $V2" ] || fail "after upgrade: status '$(status)'"
[ "$(md5sum <"$R$CONF")" = "$sum" ] || fail "the upgrade changed the edited config"
ls "$R/etc/wtexport/" | grep -q 'dpkg-' && fail "the upgrade left conffile copies: $(ls "$R/etc/wtexport")"
grep -q 'state before upgrade' "$R/var/lib/wtexport/checkpoints.json" 2>/dev/null || fail "the upgrade lost the state dir"
in_root id -nG wtexport | grep -qw adm && fail "the upgrade put wtexport back into adm"
calls | grep -qx 'deb-systemd-invoke try-restart wtexport.service' ||
    fail "the upgrade did not try-restart the service: $(calls | tr '\n' ';')"
calls | grep -qE 'invoke (start|restart) ' && fail "the upgrade (re)started unconditionally: $(calls | tr '\n' ';')"
[ -L "$R$WANTS" ] || fail "the upgrade disabled the service"
log "ok: upgrade $V1 -> $V2 (edited config, state, group choice kept; try-restart)"

# --- remove -----------------------------------------------------------------
reset_calls
dpkg_step remove -r wtexport
[ "$(status)" = "deinstall ok config-files $V2" ] || fail "after remove: status '$(status)'"
calls | grep -qx 'deb-systemd-invoke stop wtexport.service' || fail "remove did not stop the service: $(calls | tr '\n' ';')"
[ ! -e "$R/usr/bin/wtexport" ] || fail "remove left the binary"
[ "$(md5sum <"$R$CONF")" = "$sum" ] || fail "remove lost the config"
grep -q 'state before upgrade' "$R/var/lib/wtexport/checkpoints.json" 2>/dev/null || fail "remove lost the state dir"
in_root getent passwd wtexport >/dev/null || fail "remove deleted the user"
log "ok: remove (stopped; config, state, user kept)"

# --- purge ------------------------------------------------------------------
dpkg_step purge -P wtexport
st=$(status)
case $st in "" | *not-installed*) ;; *) fail "after purge: status '$st'" ;; esac
[ ! -e "$R/etc/wtexport" ] || fail "purge left /etc/wtexport: $(ls -a "$R/etc/wtexport")"
[ ! -e "$R/var/lib/wtexport" ] || fail "purge left /var/lib/wtexport"
in_root getent passwd wtexport >/dev/null && fail "purge left the user"
in_root getent group wtexport >/dev/null && fail "purge left the group"
[ ! -e "$R$WANTS" ] && [ ! -L "$R$WANTS" ] || fail "purge left the enablement symlink"
in_root dpkg-statoverride --list | grep -q wtexport && fail "purge left a statoverride"
log "ok: purge (config, state, user, group, enablement gone)"

# --- install over a real (edited) config: started -----------------------------
mkdir -p "$R/etc/wtexport"
dpkg-deb --fsys-tarfile "$R/tmp/debs/$(basename "$DEB2")" | tar -xOf - ./etc/wtexport/wtexport.json |
    sed 's/"level": "info"/"level": "warn"/' >"$R$CONF"
reset_calls
dpkg_step "install over an edited config" -i --force-confold "/tmp/debs/$(basename "$DEB2")"
grep -q '"level": "warn"' "$R$CONF" || fail "the install replaced the administrator's config"
calls | grep -qx 'deb-systemd-invoke start wtexport.service' ||
    fail "installation over an edited config did not start the service: $(calls | tr '\n' ';')"
dpkg_step "final purge" -P wtexport
log "ok: install over an edited config starts the service"
INNER

log "dpkg in a throwaway root (overlay of / in a private mount namespace)"
unshare -m --propagation private bash "$T/inner.sh" "$T" "$T/$(basename "$deb1")" "$T/$(basename "$deb2")" \
    "$version" "$v2" || fail "see above"
echo "$NAME: ok"
