#!/bin/sh
# Install every Debian package wtexport needs to build, test, fuzz, benchmark,
# package (make deb: debhelper, dpkg-dev, lintian; promtool from prometheus
# for the alert rules; systemd-analyze from systemd) and run its demo; the
# syslog tests use rsyslog (with its gtls and ossl drivers) and logger (bsdutils).
# Idempotent: when everything is present it only checks (dpkg-query) and
# exits within a second. Runs as root, or through sudo.
set -eu

PKGS="build-essential cmake pkg-config git ca-certificates openssl \
libuv1-dev libcurl4-openssl-dev libzstd-dev zstd zlib1g-dev \
librdkafka-dev libcjson-dev libmicrohttpd-dev libcmocka-dev \
liblmdb-dev lmdb-utils libjwt-dev libssl-dev \
clang libclang-rt-14-dev clang-format curl jq gnuplot-nox procps time iproute2 gzip \
debhelper dpkg-dev fakeroot lintian prometheus bash-completion groff-base man-db \
systemd adduser passwd util-linux bsdutils rsyslog rsyslog-gnutls rsyslog-openssl"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "deps: all packages present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "deps: missing:$missing; run this script as root" >&2
        exit 1
    fi
fi

echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
