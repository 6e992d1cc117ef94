#!/usr/bin/env bash
# check_layers.sh SRC_DIR - the dependency rule of the tree, checked on every
# quoted #include of the product code (docs/architecture.md):
#   - layers point one way: exporter -> queue -> parsers -> common; a file
#     includes headers of its own layer or of a layer below, never above;
#   - a sink's folder (exporter/sinks/<type>/) never includes a header of
#     another sink's folder;
#   - an internal header (*_int.h) is included only from its own folder;
#   - file names are unique across the tree (a quoted include names one file).
# Prints every violation and exits 1 when there is one.
set -u
src=${1:?usage: check_layers.sh SRC_DIR}
cd "$src" || exit 2

declare -A where rank
rank[common]=0 rank[parsers]=1 rank[queue]=2 rank[exporter]=3
bad=0
say() {
    echo "$*"
    bad=1
}

# Every header and source of the layers, by file name.
while IFS= read -r f; do
    b=${f##*/}
    if [ -n "${where[$b]:-}" ]; then
        say "duplicate file name: $f and ${where[$b]}"
    fi
    where[$b]=$f
done < <(find common parsers queue exporter -name '*.[ch]' | sort)

layer_of() { echo "${1%%/*}"; }
# The sink folder a path is in ("" when none): exporter/sinks/<type>/...
sink_of() {
    case $1 in
    exporter/sinks/*/*) local r=${1#exporter/sinks/}; echo "${r%%/*}" ;;
    *) echo "" ;;
    esac
}

n=0
for f in "${where[@]}"; do
    while IFS= read -r inc; do
        n=$((n + 1))
        h=${where[$inc]:-}
        [ -n "$h" ] || continue # a system or library header
        fl=$(layer_of "$f")
        hl=$(layer_of "$h")
        if [ "${rank[$hl]}" -gt "${rank[$fl]}" ]; then
            say "$f includes $inc from $hl/, a higher layer than $fl/"
        fi
        fs=$(sink_of "$f")
        hs=$(sink_of "$h")
        if [ -n "$hs" ] && [ "$hs" != "$fs" ]; then
            say "$f includes $inc of sink folder sinks/$hs/"
        fi
        case $inc in
        *_int.h)
            if [ "$(dirname "$h")" != "$(dirname "$f")" ]; then
                say "$f includes $inc, internal to $(dirname "$h")/"
            fi
            ;;
        esac
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done

if [ "$n" -lt 100 ]; then
    echo "check_layers: only $n includes seen in $src: wrong directory?"
    exit 2
fi
if [ "$bad" -ne 0 ]; then
    exit 1
fi
echo "check_layers: $n includes of ${#where[@]} files follow the layer rules"
