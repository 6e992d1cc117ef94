# Thin wrapper over CMake: the README's commands.
#   make demo   install deps, build, run the exporter on the bundled samples
#   make test   install deps, build, run the whole test suite
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps build demo test asan tsan fuzz bench format format-check install clean

all: build

deps:
	@if [ "$$(id -u)" -eq 0 ]; then ./deploy/deps.sh; else sudo ./deploy/deps.sh; fi

build:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

demo:
	BUILD=$(BUILD) CMAKE_FLAGS="$(CMAKE_FLAGS)" ./deploy/demo.sh

test:
	BUILD=$(BUILD) CMAKE_FLAGS="$(CMAKE_FLAGS)" ./deploy/test.sh

asan:
	BUILD=build-asan CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Debug -DWT_SANITIZE=address,undefined -DWT_WERROR=ON" ./deploy/test.sh

# ThreadSanitizer over the unit and in-process tests (ctest -L unit: the
# libuv thread pool, the spool, the metrics atomics, librdkafka's threads).
# clang: gcc 12's TSan crashes these binaries at load, in the ifunc
# resolvers of the target_clones functions (parsers/parsers_int.h
# WT_CLONES_V3), which it instruments although they run before libtsan is
# set up; clang 14 leaves resolvers alone. Both handle libuv's pool.
# The integration scripts are left out: they would only run the same code
# much slower. Suppressions (third-party only): tests/tsan/suppressions.txt.
tsan:
	BUILD=build-tsan CTEST_FLAGS="-L unit" \
	CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Debug -DWT_SANITIZE=thread -DWT_WERROR=ON -DCMAKE_C_COMPILER=clang" \
	./deploy/test.sh

fuzz:
	CC=clang cmake -S . -B build-fuzz -DWT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build-fuzz -j$(JOBS)
	./tests/fuzz/run.sh build-fuzz $${FUZZ_SECONDS:-30}

bench: build
	./bench/run_parse.sh $(BUILD)

format-check: build
	cmake --build $(BUILD) --target format-check

format: build
	cmake --build $(BUILD) --target format

install: build
	cmake --install $(BUILD)

clean:
	rm -rf build build-asan build-tsan build-alloc build-fuzz

# The allocation-failure pass (tests/alloc/run_alloc_faults.sh) under ASan + UBSan.
.PHONY: alloc-faults
alloc-faults:
	BUILD=build-alloc CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Debug -DWT_SANITIZE=address,undefined -DWT_ALLOC_FAULTS=ON -DWT_WERROR=ON" CTEST_FLAGS="-L alloc" ./deploy/test.sh

# Debian package: build/wtexport_<version>_<arch>.deb (dpkg-buildpackage on
# a copy of the tree, lintian errors fail it). See docs/packaging.md.
.PHONY: deb
deb:
	JOBS=$(JOBS) ./deploy/build-deb.sh $(BUILD)
