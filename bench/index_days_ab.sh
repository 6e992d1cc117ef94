#!/usr/bin/env bash
# index_days_ab.sh - A/B of the index layouts on the same data: OLD_BIN's
# wt-bench-index on OLD_DIR (hour buckets only) against NEW_BIN's on
# NEW_DIR (the same index migrated: closed days rolled up, made with
# `wt-bench-index rollup`), alternated ROUNDS times, REQ warm requests per
# window each; both index files read into the page cache first.
#
#   bench/index_days_ab.sh OLD_BIN OLD_DIR NEW_BIN NEW_DIR [PER_DAY [ROUNDS [REQ]]]
set -eu
OLD_BIN=$1 OLD_DIR=$2 NEW_BIN=$3 NEW_DIR=$4
PER_DAY=${5:-200000}
ROUNDS=${6:-3}
REQ=${7:-100}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$OLD_DIR/data.mdb" "$NEW_DIR/data.mdb" >/dev/null
for r in $(seq 1 "$ROUNDS"); do
    for w in 1 7 30; do
        echo "round $r old $("$OLD_BIN" lookup "$OLD_DIR" "$w" "$REQ" "$PER_DAY")"
        echo "round $r new $("$NEW_BIN" lookup "$NEW_DIR" "$w" "$REQ" "$PER_DAY")"
    done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
