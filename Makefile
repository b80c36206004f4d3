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

# make fuzz (docs/fuzzing.md): seconds per target, the targets (default: all of
# fuzz/targets.def), and the fuzz build folder.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
FUZZ_DIR ?= build-fuzz

.PHONY: all setup configure build test test-sanitize demo bench fuzz clean format

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

# The libFuzzer targets of fuzz/ with ASan and UBSan, in their own build folder (clang; the
# extra packages are in deps/debian-packages-fuzz.txt). Exits non-zero on any finding.
fuzz: build
	@scripts/setup.sh deps/debian-packages-fuzz.txt
	cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIEVE_FUZZ=ON \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
	cmake --build $(FUZZ_DIR) -j $(JOBS)
	scripts/fuzz_corpus.sh $(BUILD_DIR) $(FUZZ_DIR)/corpus
	scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

format:
	find src tools tests bench fuzz -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(SAN_BUILD_DIR) $(FUZZ_DIR)
