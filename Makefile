# Sieve: the README's commands. Every target first runs the set-up step (installs missing
# Debian packages with apt-get when root, otherwise prints the command and stops).
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
SIEVE_WERROR ?= OFF
CTEST_ARGS ?=

.PHONY: all setup configure build test demo bench clean format

all: build

setup:
	@scripts/setup.sh

configure: setup
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DSIEVE_WERROR=$(SIEVE_WERROR)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

demo: build
	scripts/demo.sh $(BUILD_DIR)

bench: build
	scripts/bench.sh $(BUILD_DIR)

format:
	find src tools tests bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
