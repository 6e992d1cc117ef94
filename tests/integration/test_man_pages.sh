#!/usr/bin/env bash
# The man pages: wtexport.json(5) is what the converter makes of the config
# key tables as the binary prints them (`check-config --reference`), so a
# page built from a stale docs/config.md fails; every key path of
# docs/config.md is a tagged entry of it; wtexport(1) names every command
# and option that `wtexport --help` and `wtexport CMD --help` print; groff
# renders both without a warning; `cmake --install` installs the pages, the
# bash completion and the monitoring files.
set -uo pipefail
WT_SRC=${WT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
WT_BIN=${WT_BIN:-$WT_SRC/build/bin}
WT=$WT_BIN/wtexport
build=$(cd "$WT_BIN/.." && pwd)
MAN=$build/man
fail() { echo "FAIL: test_man_pages: $*" >&2; exit 1; }
T=$(mktemp -d /tmp/wt-it-man.XXXXXX)
trap 'rm -rf "$T"' EXIT

for p in wtexport.1 wtexport.json.5; do
    [ -s "$MAN/$p" ] || fail "no $MAN/$p (built by deploy/CMakeLists.txt)"
done

# The .TH line's date and version of a built page.
th_field() { # PAGE N
    awk -v n="$2" '/^\.TH / { split($0, a, "\""); print a[2 * n]; exit }' "$1"
}
date=$(th_field "$MAN/wtexport.json.5" 3)
source=$(th_field "$MAN/wtexport.json.5" 4)
version=${source#wtexport }
"$WT" --version | grep -qF "$version" || fail "the page says $source, the binary $("$WT" --version)"

# 1. wtexport.json(5) is current: regenerated from the binary's reference.
"$WT" check-config --reference >"$T/reference.md" || fail "check-config --reference"
sh "$WT_SRC/docs/man/md2man.sh" wtexport.json.5 "$date" "$version" "$T/reference.md" "$T/wtexport.json.5" ||
    fail "md2man.sh wtexport.json.5"
if ! cmp -s "$T/wtexport.json.5" "$MAN/wtexport.json.5"; then
    diff "$MAN/wtexport.json.5" "$T/wtexport.json.5" | head -20 >&2
    fail "wtexport.json.5 is stale: it differs from the key tables (regenerate docs/config.md with check-config --reference and rebuild)"
fi
sh "$WT_SRC/docs/man/md2man.sh" wtexport.1 "$date" "$version" "$WT_SRC/docs/man/wtexport.1.md" "$T/wtexport.1" ||
    fail "md2man.sh wtexport.1"
cmp -s "$T/wtexport.1" "$MAN/wtexport.1" || fail "the built wtexport.1 is stale: rebuild"
echo "test_man_pages: both pages are current"

# 2. Every key path of docs/config.md is an entry (.TP tag) of the page.
# Paths from the headings: ## `inputs[]` starts inputs[]; ### `type: "x"`
# keeps the parent's; #### `retry` (...) appends .retry; Top level is "".
awk '
    /^#+ / {
        match($0, /^#+/); lvl = RLENGTH
        name = ""
        if (match($0, /`[^`]*`/)) name = substr($0, RSTART + 1, RLENGTH - 2)
        if (lvl == 2) p[1] = ""
        if (name == "") p[lvl] = (lvl == 2) ? "" : p[lvl - 1]
        else if (name ~ /^type:/) p[lvl] = p[lvl - 1]
        else p[lvl] = (p[lvl - 1] == "" ? "" : p[lvl - 1] ".") name
        cur = p[lvl]
        next
    }
    /^\| `/ {
        split($0, c, "|"); k = c[2]; gsub(/[ `]/, "", k)
        print (cur == "" ? "" : cur ".") k
    }' "$WT_SRC/docs/config.md" | sort -u >"$T/keys"
nkeys=$(wc -l <"$T/keys")
[ "$nkeys" -ge 50 ] || fail "only $nkeys key paths found in docs/config.md"
# Tags of the page, as plain text.
awk 'prev == ".TP" { print } { prev = $0 }' "$MAN/wtexport.json.5" |
    sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' | sort -u >"$T/tags"
missing=$(comm -23 "$T/keys" "$T/tags" | tr '\n' ' ')
[ -z "$missing" ] || fail "key paths of docs/config.md missing from wtexport.json.5: $missing"
echo "test_man_pages: all $nkeys key paths of docs/config.md are entries of wtexport.json(5)"

# 3. wtexport(1) names every command and every option of the help texts.
plain1=$T/wtexport.1.txt
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\e/\\/g' "$MAN/wtexport.1" >"$plain1"
"$WT" --help >"$T/help" 2>&1 || fail "wtexport --help"
cmds=$(awk '/^commands:/ { on = 1; next } /^[a-z]/ { on = 0 } on && /^  [a-z]/ { print $1 }' "$T/help")
[ "$(echo "$cmds" | wc -w)" -ge 7 ] || fail "found only these commands in --help: $cmds"
for c in $cmds; do
    "$WT" "$c" --help >>"$T/help" 2>&1 || fail "wtexport $c --help failed"
    awk -v c="$c" 'prev == ".TP" && index($0, c) == 1 { f = 1 } { prev = $0 } END { exit !f }' "$plain1" ||
        fail "wtexport(1) has no COMMANDS entry for '$c'"
done
opts=$(grep -oE '(^|[][ ,|])--?[a-zA-Z][a-zA-Z-]*' "$T/help" | sed 's/^[][ ,|]//' | sort -u)
nopts=$(echo "$opts" | wc -w)
[ "$nopts" -ge 15 ] || fail "found only $nopts options in the help texts: $opts"
for o in $opts; do
    grep -qE -- "(^|[^a-zA-Z-])$o([^a-zA-Z-]|\$)" "$plain1" || fail "wtexport(1) does not mention option $o"
done
echo "test_man_pages: wtexport(1) covers $(echo "$cmds" | wc -w) commands and $nopts options"

# 4. groff renders both pages without a warning (lintian checks the same).
if command -v groff >/dev/null 2>&1; then
    for p in wtexport.1 wtexport.json.5; do
        warn=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$MAN/$p" 2>&1)
        [ -z "$warn" ] || fail "groff warns on $p: $warn"
    done
    echo "test_man_pages: groff renders both without warnings"
fi

# 5. cmake --install puts the pages, the completion and the monitoring files
# in place.
cmake --install "$build" --prefix "$T/usr" >"$T/install.log" 2>&1 || {
    cat "$T/install.log" >&2
    fail "cmake --install"
}
for f in share/man/man1/wtexport.1 share/man/man5/wtexport.json.5 \
    share/bash-completion/completions/wtexport share/wtexport/monitoring/alerts.yml \
    share/wtexport/monitoring/alerts.test.yml share/wtexport/monitoring/grafana-dashboard.json \
    share/doc/wtexport/packaging.md; do
    [ -s "$T/usr/$f" ] || fail "cmake --install did not install $f"
done
echo "test_man_pages: ok"
