#!/usr/bin/env bash
# ab_compare.sh BUILD_A BUILD_B - is B the same program as A, and as fast?
# For a change that must not change behaviour (a restructure):
#   1. `wtexport parse` output byte-identical on tests/data and on generated
#      logs (squid and W3C, 200,000 lines each by default; plain, and with
#      --strip-query --export-user);
#   2. bench/run_parse.sh and bench/bench_pipeline.sh of A and B alternated
#      (A B A B ...), so both see the same machine phases; their summary
#      lines are printed per round, then the medians side by side.
# Builds nothing: build both first (Release). Exits non-zero only when the
# outputs differ or a tool fails, never because something is slow.
#
#   WT_AB_LINES=200000 WT_AB_ROUNDS=3 WT_AB_PIPE_BYTES=1G WT_AB_SKIP_BENCH=1
set -euo pipefail
a=$(cd "${1:?usage: ab_compare.sh BUILD_A BUILD_B}" && pwd)
b=$(cd "${2:?usage: ab_compare.sh BUILD_A BUILD_B}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
lines=${WT_AB_LINES:-200000}
rounds=${WT_AB_ROUNDS:-3}
pipe_bytes=${WT_AB_PIPE_BYTES:-1G}
work=$(mktemp -d /tmp/wt-ab.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== A: $a"
echo "== B: $b"
echo "== load: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== 1. wtexport parse: same bytes out"
"$a/bin/wt-loggen" --format squid --lines "$lines" --seed 11 --output "$work/gen.squid"
"$a/bin/wt-loggen" --format w3c --lines "$lines" --seed 12 --output "$work/gen.w3c"
same=0 differ=0
for f in "$src"/tests/data/*.log "$src"/tests/data/*.txt "$work/gen.squid" "$work/gen.w3c"; do
    for opts in "" "--strip-query --export-user"; do
        # shellcheck disable=SC2086
        "$a/bin/wtexport" parse $opts "$f" >"$work/a.out" 2>"$work/a.err" || true
        # shellcheck disable=SC2086
        "$b/bin/wtexport" parse $opts "$f" >"$work/b.out" 2>"$work/b.err" || true
        if cmp -s "$work/a.out" "$work/b.out"; then
            same=$((same + 1))
        else
            differ=$((differ + 1))
            echo "  DIFFERENT: $(basename "$f") $opts: $(diff "$work/a.out" "$work/b.out" | head -3)"
        fi
    done
done
echo "  $same outputs identical, $differ different ($(wc -l <"$work/gen.squid") + $(wc -l <"$work/gen.w3c") generated lines, $(ls "$src"/tests/data/*.log "$src"/tests/data/*.txt | wc -l) sample files, two option sets)"
[ "$differ" -eq 0 ] || exit 1

[ "${WT_AB_SKIP_BENCH:-0}" = 1 ] && exit 0

echo "== 2. speed, A and B alternated, $rounds round(s)"
for r in $(seq 1 "$rounds"); do
    for side in A B; do
        d=$a
        [ "$side" = B ] && d=$b
        WT_BENCH_RUNS=5 WT_BENCH_E2E=0 "$src/bench/run_parse.sh" "$d" >"$work/parse.$side.$r" 2>&1
        awk -v s="$side" -v r="$r" '/^  (squid|w3c) / {print "  round " r " " s " parse: " $0}' \
            "$work/parse.$side.$r"
        WT_BENCH_BYTES=$pipe_bytes WT_BENCH_RUNS=1 "$src/bench/bench_pipeline.sh" "$d" \
            >"$work/pipe.$side.$r" 2>&1
        echo "  round $r $side pipeline: $(grep '^RESULT' "$work/pipe.$side.$r")"
    done
done

echo "== medians over the rounds"
for side in A B; do
    for fmt in squid w3c; do
        cat "$work"/parse.$side.* | awk -v f="$fmt" '$1 == f && $2 ~ /^[0-9]/ {print $2, $5}' |
            sort -g | awk -v s="$side" -v f="$fmt" '{ l[NR] = $1; q[NR] = $2 }
                END { m = int((NR + 1) / 2); printf "  %s parse %-5s %12.0f lines/s  ratio to memchr %s\n", s, f, l[m], q[m] }'
    done
    cat "$work"/pipe.$side.* | sed -n 's/^RESULT .*e2e_lines_per_s=\([0-9]*\).*ratio_vs_zstd1=\([0-9.]*\).*cpu_s=\([0-9.]*\).*maxrss_mib=\([0-9.]*\).*/\1 \2 \3 \4/p' |
        sort -g | awk -v s="$side" '{ l[NR] = $1; z[NR] = $2; c[NR] = $3; m[NR] = $4 }
            END { k = int((NR + 1) / 2); printf "  %s pipeline   %12.0f lines/s  ratio to zstd -1 %.3f  cpu %.2f s  peak RSS %.1f MiB\n", s, l[k], z[k], c[k], m[k] }'
done
