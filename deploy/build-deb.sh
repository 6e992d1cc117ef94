#!/bin/sh
# Build the Debian package with Debian's own tools (dpkg-buildpackage,
# debhelper's cmake build system, debian/) from a copy of the source tree,
# so the tree itself stays clean; `make deb` runs this.
#
#   deploy/build-deb.sh [OUTDIR]    (default: build/)
#
# Writes OUTDIR/wtexport_<version>_<arch>.deb and runs lintian on it
# (errors fail the build; warnings are listed, see docs/packaging.md).
# Environment:
#   JOBS=N            parallel build jobs (default 2)
#   WT_DEB_WORK=DIR   where the copy is built (default OUTDIR/deb-work)
#   WT_DEB_KEEP=1     keep that copy (its debian/ build state too)
#   WT_DEB_LINTIAN=0  skip lintian
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$src/build}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=${WT_DEB_WORK:-$out/deb-work}

for tool in dpkg-buildpackage dh dpkg-parsechangelog; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "build-deb: $tool not found: run deploy/deps.sh (debhelper, dpkg-dev)" >&2
        exit 1
    }
done

version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
project=$(sed -n 's/^project(wtexport VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
case $version in
"$project" | "$project"[-+~]*) ;;
*)
    echo "build-deb: debian/changelog is at $version but CMakeLists.txt at $project:" \
        "add a changelog entry" >&2
    exit 1
    ;;
esac

# The copy: the files git knows (tracked and new, not ignored), or the whole
# tree less build directories when this is not a git checkout.
rm -rf "$work"
tree=$work/wtexport-$version
mkdir -p "$tree"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$src" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
        tar --null -T - -cf -) | tar -C "$tree" -xf -
else
    (cd "$src" && tar --exclude='./build*' --exclude=./.git -cf - .) | tar -C "$tree" -xf -
fi

echo "build-deb: building wtexport $version ($arch) in $tree"
(cd "$tree" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-} noddebs" \
    dpkg-buildpackage -b -us -uc -J"${JOBS:-2}") >"$work/build.log" 2>&1 || {
    tail -n 60 "$work/build.log" >&2
    echo "build-deb: dpkg-buildpackage failed; full log: $work/build.log" >&2
    exit 1
}
deb=wtexport_${version}_${arch}.deb
cp "$work/$deb" "$out/$deb"
echo "build-deb: $out/$deb"

if [ "${WT_DEB_LINTIAN:-1}" != 0 ]; then
    if command -v lintian >/dev/null 2>&1; then
        lintian --fail-on error --display-info "$out/$deb" || {
            echo "build-deb: lintian reports errors on $deb" >&2
            exit 1
        }
        echo "build-deb: lintian: no errors"
    else
        echo "build-deb: lintian not installed: not checked" >&2
    fi
fi

if [ "${WT_DEB_KEEP:-0}" != 1 ]; then
    rm -rf "$work"
fi
