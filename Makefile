# Sieve: the README's commands. Every target first runs the set-up step (installs missing
# Debian packages with apt-get when root, otherwise prints the command and stops).
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
SIEVE_WERROR ?= OFF
CTEST_ARGS ?=
# make fuzz (docs/fuzzing.md): seconds per target, the targets (default: all of
# fuzz/targets.def), and the fuzz build folder.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
FUZZ_DIR ?= build-fuzz

.PHONY: all setup configure build test demo bench fuzz clean format

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
	rm -rf $(BUILD_DIR) $(FUZZ_DIR)
