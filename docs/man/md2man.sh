#!/bin/sh
# md2man.sh PAGE DATE VERSION INPUT OUTPUT: one man page of wtexport, with
# the per-page settings of docs/man/md2man.awk in one place (the build,
# deploy/CMakeLists.txt, and tests/integration/test_man_pages.sh use it).
#   PAGE  wtexport.1 (from docs/man/wtexport.1.md) or wtexport.json.5 (from
#         docs/config.md, or the output of `wtexport check-config --reference`)
set -eu
page=$1 date=$2 version=$3 in=$4 out=$5
awk=${AWK:-awk}
conv=$(dirname "$0")/md2man.awk
case $page in
wtexport.1)
    exec "$awk" -v name=wtexport -v section=1 -v date="$date" \
        -v source="wtexport $version" -v out="$out" -f "$conv" "$in"
    ;;
wtexport.json.5)
    exec "$awk" -v name=wtexport.json -v section=5 -v date="$date" \
        -v source="wtexport $version" \
        -v whatis="wtexport.json - configuration file of wtexport" \
        -v seealso="**wtexport**(1); /usr/share/doc/wtexport/config.md (the same reference)" \
        -v out="$out" -f "$conv" "$in"
    ;;
*)
    echo "md2man.sh: unknown page $page" >&2
    exit 2
    ;;
esac
