# Sieve: the README's commands. Every target first runs the set-up step (installs missing
# Debian packages with apt-get when root, otherwise prints the command and stops).
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
SIEVE_WERROR ?= OFF
CTEST_ARGS ?=
SAN_BUILD_DIR ?= build-sanitize
# Sanitizer reports abort the process (so a report fails the test that caused it, whatever
# exit code the test expected); leaks are reported too.
SAN_ENV = ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=abort_on_error=1:halt_on_error=1:print_stacktrace=1

.PHONY: all setup configure build test test-sanitize demo bench clean format

all: build

setup:
	@scripts/setup.sh

configure: setup
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DSIEVE_WERROR=$(SIEVE_WERROR)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# The whole suite built with -fsanitize=address,undefined (RelWithDebInfo, its own folder).
test-sanitize: setup
	cmake -S . -B $(SAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIEVE_SANITIZE=ON \
		-DSIEVE_BUILD_BENCH=OFF -DSIEVE_WERROR=$(SIEVE_WERROR)
	cmake --build $(SAN_BUILD_DIR) -j $(JOBS)
	$(SAN_ENV) ctest --test-dir $(SAN_BUILD_DIR) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

demo: build
	scripts/demo.sh $(BUILD_DIR)

bench: build
	scripts/bench.sh $(BUILD_DIR)

format:
	find src tools tests bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(SAN_BUILD_DIR)
