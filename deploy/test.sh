#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test.
#   deploy/test.sh                 # build/ with default flags
#   BUILD=build-asan CMAKE_FLAGS="-DWT_SANITIZE=address,undefined" deploy/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
jobs=$(nproc 2>/dev/null || echo 2)

if [ "$(id -u)" -eq 0 ]; then ./deploy/deps.sh; else sudo ./deploy/deps.sh; fi
# shellcheck disable=SC2086
cmake -S . -B "$build" ${CMAKE_FLAGS:-} >/dev/null
cmake --build "$build" -j"$jobs"
cd "$build"
ctest --output-on-failure -j"$jobs" ${CTEST_FLAGS:-}
