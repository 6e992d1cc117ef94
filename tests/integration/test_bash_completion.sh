#!/usr/bin/env bash
# Bash completion (deploy/bash-completion/wtexport): with the file sourced
# and COMP_WORDS/COMP_CWORD set as bash sets them, _wtexport offers the
# commands of `wtexport --help`, each command's options as its `--help`
# lists them, the values of --format, *.json files (and directories) after
# -c, and file names where a command takes log files.
set -uo pipefail
export LC_ALL=C
WT_SRC=${WT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
WT_BIN=${WT_BIN:-$WT_SRC/build/bin}
WT=$WT_BIN/wtexport
COMP=$WT_SRC/deploy/bash-completion/wtexport
fail() { echo "FAIL: test_bash_completion: $*" >&2; exit 1; }
T=$(mktemp -d /tmp/wt-it-comp.XXXXXX)
trap 'rm -rf "$T"' EXIT

bash -n "$COMP" || fail "syntax error in $COMP"

# complete WORD...: the completions (sorted, one line) of the command line
# "WORD..." with the cursor on its last word, run in $T/files.
mkdir -p "$T/files/conf.d"
: >"$T/files/wt.json"
: >"$T/files/other.json"
: >"$T/files/access.log"
: >"$T/files/notes.txt"
complete_words() {
    (cd "$T/files" && bash --norc --noprofile -c '
        . "$1"; shift
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        _wtexport wtexport "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]:-}"
        printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$COMP" "$@")
}
expect() { # EXPECTED WORD...
    local want=$1 got
    shift
    got=$(complete_words "$@")
    got=${got% }
    [ "$got" = "$want" ] || fail "completing '$*': got '$got', expected '$want'"
}

# The commands, exactly those of --help.
cmds=$("$WT" --help | awk '/^commands:/ { on = 1; next } /^[a-z]/ { on = 0 } on && /^  [a-z]/ { print $1 }' | sort | tr '\n' ' ')
cmds=${cmds% }
[ "$(echo "$cmds" | wc -w)" -ge 7 ] || fail "commands of --help: $cmds"
expect "$cmds" wtexport ""
expect "register replay" wtexport re
expect "--help --version -V -h" wtexport -
expect "check-config" wtexport check

# Each command's options: every one its --help names is offered, and every
# one offered is accepted by the binary (`wtexport CMD OPT V --help` parses
# OPT, with V as its value or as an argument, and prints the help).
for c in $cmds; do
    want=$("$WT" "$c" --help | grep -oE '(^|[][ ,|])--?[a-zA-Z][a-zA-Z-]*' | sed 's/^[][ ,|]//' | sort -u)
    got=$(complete_words wtexport "$c" -)
    for o in $want; do
        case " $got " in
        *" $o "*) ;;
        *) fail "'wtexport $c --help' lists $o, the completion does not offer it (offers: $got)" ;;
        esac
    done
    for o in $got; do
        case $o in
        --format) v=auto ;;
        --max-line) v=1024 ;;
        --since | --until) v=1714521600 ;;
        *) v=x ;;
        esac
        "$WT" "$c" "$o" "$v" --help >/dev/null 2>"$T/err" ||
            fail "the completion offers '$o' for '$c', which wtexport rejects: $(head -n 2 "$T/err")"
    done
done
echo "test_bash_completion: the commands of --help, and every command's options as its --help lists them"

expect "--fields --format" wtexport parse --f
expect "auto squid w3c" wtexport replay --format ""
expect "w3c" wtexport parse --format w
# -c: JSON files and directories (not the .txt or .log)
expect "conf.d other.json wt.json" wtexport run -c ""
expect "wt.json" wtexport check-config --config w
# log files for parse and replay: any file
expect "access.log" wtexport replay -c wt.json acc
expect "access.log" wtexport parse a
# --token-file: "-" (stdin) or a file
expect "- access.log conf.d notes.txt other.json wt.json" wtexport register -c wt.json --token-file ""
expect "notes.txt" wtexport register -c wt.json --token-file n
# an option after the command does not hide the command
expect "--force" wtexport deregister -c wt.json --fo
# no file names after run's config (run takes no arguments)
expect "" wtexport run -c wt.json ""
echo "test_bash_completion: ok"
