#!/usr/bin/env bash
# The layer check refuses each kind of violation (on a copy of the tree):
# an include from a higher layer, from another sink's folder, of another
# folder's internal header, and a duplicate file name.
set -u
src=${1:?usage: test_check_layers.sh SRC_DIR}
check=$src/tests/layout/check_layers.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

fresh() {
    rm -rf "$tmp/t"
    mkdir -p "$tmp/t"
    (cd "$src" && cp -r common parsers queue exporter "$tmp/t/")
}

expect_refused() {
    local what=$1 pattern=$2 out
    out=$(bash "$check" "$tmp/t" 2>&1)
    if [ $? -ne 1 ] || ! grep -q "$pattern" <<<"$out"; then
        echo "FAIL: $what not refused: $out"
        fails=$((fails + 1))
    else
        echo "ok: $what: $(grep "$pattern" <<<"$out" | head -1)"
    fi
}

fresh
if ! bash "$check" "$tmp/t" >/dev/null; then
    echo "FAIL: the unchanged tree is refused"
    fails=$((fails + 1))
fi

fresh
echo '#include "wt_queue.h"' >>"$tmp/t/parsers/str.c"
expect_refused "parsers including queue" "includes wt_queue.h from queue/, a higher layer"

fresh
echo '#include "config.h"' >>"$tmp/t/common/fileio.c"
expect_refused "common including exporter" "includes config.h from exporter/"

fresh
echo '#include "sse_int.h"' >>"$tmp/t/exporter/sinks/kafka/sink_kafka.c"
expect_refused "a sink including another sink's header" "of sink folder sinks/sse/"

fresh
echo '#include "spool_int.h"' >>"$tmp/t/exporter/core/spooler.c"
expect_refused "an internal header from another folder" "internal to queue/"

fresh
cp "$tmp/t/queue/batch.c" "$tmp/t/exporter/core/batch.c"
expect_refused "a duplicate file name" "duplicate file name"

[ "$fails" -eq 0 ] || exit 1
echo "every violation refused"
