#!/usr/bin/env bash
# run_parse.sh - generate WSA access logs and measure split / parse / extract
# throughput. Builds nothing: build first, preferably with
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j
#
# usage: bench/run_parse.sh [BUILD_DIR]        (default: <source>/build)
#
# Environment:
#   WT_BENCH_DIR        keep the generated files here (default: a temp dir, removed)
#   WT_BENCH_RUNS       runs per benchmark, median reported (default 7)
#   WT_BENCH_SEED       generator seed (default 42)
#   WT_BENCH_SQUID_SIZE size of the squid file (default 200M)
#   WT_BENCH_W3C_SIZE   size of the W3C file (default 50M)
#   WT_BENCH_E2E=0      skip the end-to-end `wtexport parse FILE > /dev/null` run
#   WT_BENCH_CALLGRIND=1  also count instructions per line with callgrind
#                         (needs valgrind; 100k-line files)
#
# Exits non-zero only on errors (missing tools, a failed run, non-deterministic
# generator output), never because something is slow: these are benchmarks.
set -euo pipefail

die() {
    echo "run_parse.sh: $*" >&2
    exit 1
}

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$src/build}
bin=$build/bin
runs=${WT_BENCH_RUNS:-7}
seed=${WT_BENCH_SEED:-42}
squid_size=${WT_BENCH_SQUID_SIZE:-200M}
w3c_size=${WT_BENCH_W3C_SIZE:-50M}

loggen=$bin/wt-loggen
benchp=$bin/wt-bench-parse
for t in "$loggen" "$benchp"; do
    [[ -x $t ]] || die "$t not found: build the project first (cmake --build $build)"
done

if [[ -n ${WT_BENCH_DIR:-} ]]; then
    dir=$WT_BENCH_DIR
    mkdir -p "$dir"
else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/wt-bench.XXXXXX")
    trap 'rm -rf "$dir"' EXIT
fi

now_ns() { date +%s%N; }

# median of the numbers on stdin
median() { sort -n | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

echo "== wtexport parse benchmark"
echo "build:   $build ($(grep -E '^CMAKE_BUILD_TYPE:' "$build/CMakeCache.txt" 2>/dev/null | cut -d= -f2 || echo '?'))"
echo "host:    $(uname -srm), $(nproc) cpu(s), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
echo "dir:     $dir"
echo "runs:    $runs (median), seed $seed"
echo

# --- generator determinism ---------------------------------------------------
echo "== generator determinism"
for fmt in squid w3c; do
    a=$("$loggen" --format "$fmt" --lines 20000 --seed "$seed" 2>/dev/null | sha256sum | cut -d' ' -f1)
    b=$("$loggen" --format "$fmt" --lines 20000 --seed "$seed" 2>/dev/null | sha256sum | cut -d' ' -f1)
    c=$("$loggen" --format "$fmt" --lines 20000 --seed "$((seed + 1))" 2>/dev/null | sha256sum | cut -d' ' -f1)
    [[ $a == "$b" ]] || die "wt-loggen --format $fmt: same seed, different output ($a vs $b)"
    [[ $a != "$c" ]] || die "wt-loggen --format $fmt: different seeds, same output"
    echo "$fmt: same seed -> same sha256 (${a:0:16}...), seed+1 differs: ok"
done
echo

# --- files -------------------------------------------------------------------
gen() { # fmt size file
    local t0 t1
    t0=$(now_ns)
    "$loggen" --format "$1" --bytes "$2" --seed "$seed" --output "$3" 2>"$3.gen" ||
        die "wt-loggen --format $1 failed: $(cat "$3.gen")"
    t1=$(now_ns)
    sed 's/^/  /' "$3.gen"
    awk -v b="$(stat -c %s "$3")" -v ns="$((t1 - t0))" \
        'BEGIN {printf "  generated %.1f MB in %.2f s (%.0f MB/s)\n", b/1e6, ns/1e9, b/1e6/(ns/1e9)}'
}

echo "== generating"
squid=$dir/wsa_squid.log
w3c=$dir/wsa_w3c.log
gen squid "$squid_size" "$squid"
gen w3c "$w3c_size" "$w3c"
echo

# --- wc -l baseline ------------------------------------------------------------
wc_bench() { # file -> prints "lines_per_s mb_per_s ms"
    local f=$1 t0 t1 times=() lines bytes
    lines=$(wc -l <"$f")
    bytes=$(stat -c %s "$f")
    for _ in 1 2 3 4 5; do
        t0=$(now_ns)
        wc -l <"$f" >/dev/null
        t1=$(now_ns)
        times+=("$((t1 - t0))")
    done
    local med
    med=$(printf '%s\n' "${times[@]}" | median)
    awk -v l="$lines" -v b="$bytes" -v ns="$med" \
        'BEGIN {printf "%.0f %.1f %.2f\n", l/(ns/1e9), b/1e6/(ns/1e9), ns/1e6}'
}

declare -A result info wc_res e2e_res
for name in squid w3c; do
    f=${!name}
    echo "== $name: wt-bench-parse"
    out=$("$benchp" "$f" --runs "$runs") || die "wt-bench-parse $f failed"
    echo "$out"
    result[$name]=$(grep '^RESULT ' <<<"$out" | sed 's/^RESULT //')
    info[$name]=$(grep '^INFO ' <<<"$out" | sed 's/^INFO //')
    read -r wl wm wms < <(wc_bench "$f")
    wc_res[$name]="$wl $wm"
    printf '\n  external baseline: wc -l (median of 5): %.2f ms, %s lines/s, %s MB/s\n' "$wms" "$wl" "$wm"
    if [[ ${WT_BENCH_E2E:-1} != 0 && -x $bin/wtexport ]]; then
        t0=$(now_ns)
        if "$bin/wtexport" parse "$f" >/dev/null 2>"$f.e2e"; then
            t1=$(now_ns)
            lines=$(wc -l <"$f")
            e2e=$(awk -v l="$lines" -v ns="$((t1 - t0))" 'BEGIN {printf "%.0f", l/(ns/1e9)}')
            e2e_res[$name]=$e2e
            printf '  end to end: wtexport parse FILE > /dev/null (1 run): %.2f s, %s lines/s; %s\n' \
                "$(awk -v ns="$((t1 - t0))" 'BEGIN {print ns/1e9}')" "$e2e" "$(tail -n1 "$f.e2e")"
        else
            echo "  end to end: wtexport parse failed: $(tail -n3 "$f.e2e")"
        fi
    fi
    echo
done

# --- callgrind -------------------------------------------------------------------
if [[ ${WT_BENCH_CALLGRIND:-0} == 1 ]]; then
    echo "== callgrind: instructions per line (parse + extract only)"
    if ! command -v valgrind >/dev/null; then
        echo "  valgrind not installed: skipped"
    else
        for fmt in squid w3c; do
            f=$dir/cg_$fmt.log
            "$loggen" --format "$fmt" --lines 100000 --seed "$seed" --output "$f" 2>/dev/null
            cg=$dir/callgrind.$fmt.out
            valgrind --tool=callgrind --callgrind-out-file="$cg" --toggle-collect='pass_parse*' \
                "$benchp" "$f" --runs 1 --only parse >"$f.cgrun" 2>"$f.cgerr" ||
                die "callgrind run failed: $(tail -n5 "$f.cgerr")"
            lines=$(sed -n 's/^INFO lines=\([0-9]*\).*/\1/p' "$f.cgrun")
            ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$cg")
            [[ -n $ir && -n $lines && $lines -gt 0 ]] || die "could not read callgrind totals from $cg"
            awk -v ir="$ir" -v l="$lines" -v f="$fmt" \
                'BEGIN {printf "  %s: %d lines, %.0f instructions/line (Ir %d)\n", f, l, ir/l, ir}'
            if command -v callgrind_annotate >/dev/null; then
                echo "  top functions by self cost (Ir):"
                callgrind_annotate "$cg" 2>/dev/null | awk '
                    /file:function/ { on = 1; getline; next }
                    on && NF {
                        sub(/ \[[^]]*\]$/, ""); fn = $NF; sub(/.*:/, "", fn)
                        pct = $0; sub(/^[^(]*\(/, "", pct); sub(/\).*/, "", pct); gsub(/ /, "", pct)
                        printf "    %15s %7s  %s\n", $1, pct, fn
                        if (++k >= 12) exit
                    }'
            fi
        done
    fi
    echo
fi

# --- summary -------------------------------------------------------------------
echo "== summary (medians; MB = 10^6 bytes)"
printf '  %-6s %14s %10s %16s %8s %12s %14s %14s\n' file "parse lines/s" "parse MB/s" "split lines/s" ratio "token ratio" "wc -l lines/s" "e2e lines/s"
for name in squid w3c; do
    r="${result[$name]} ${info[$name]}"
    get() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" <<<"$r"; }
    read -r wl _ <<<"${wc_res[$name]}"
    # token ratio: the bare token split (a floor: nothing converted) vs the memchr split
    tr=$(awk -v t="$(get token_split_lines_per_s)" -v s="$(get split_lines_per_s)" \
        'BEGIN {if (s > 0) printf "%.4f", t / s; else print "-"}')
    printf '  %-6s %14s %10s %16s %8s %12s %14s %14s\n' "$name" "$(get parse_lines_per_s)" \
        "$(get parse_mb_per_s)" "$(get split_lines_per_s)" "$(get ratio_vs_split)" "$tr" "$wl" \
        "${e2e_res[$name]:--}"
done
echo "  targets: parse+extract >= 1500000 lines/s and ratio_vs_split >= 0.30 (see bench/README.md)"
for name in squid w3c; do
    echo "RESULT file=$name ${result[$name]}"
done
