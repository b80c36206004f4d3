#!/usr/bin/env bash
# make bench: the Google Benchmark binary (kernels side by side with OpenBLAS).
set -euo pipefail
build="${1:-build}"
if [ -x "$build/bench/sieve_bench" ]; then
  "$build/bench/sieve_bench" --benchmark_counters_tabular=true "${@:2}"
else
  echo "bench: no benchmarks built" >&2
fi
