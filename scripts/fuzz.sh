#!/usr/bin/env bash
# Runs the libFuzzer targets of fuzz/ one after the other (one process, one core), each for
# SECONDS, and prints per target: executions, exec/s, coverage (cov = edges, ft = features),
# corpus size and findings. Exits non-zero if any target crashed, leaked, hung (> 1 s per
# input), hit a sanitizer report or exceeded the memory caps.
#
#   scripts/fuzz.sh BUILD_FUZZ_DIR SECONDS [TARGET...]     (default: every line of targets.def)
#
# Corpora: BUILD_FUZZ_DIR/corpus/<target> (written by scripts/fuzz_corpus.sh; libFuzzer adds
# the new inputs it finds there), plus tests/data/fuzz-regressions/<target> read as seeds.
# Findings: BUILD_FUZZ_DIR/artifacts/<target>/ (crash-*, leak-*, timeout-*, oom-*); logs:
# BUILD_FUZZ_DIR/logs/<target>.log. Environment: FUZZ_RSS_MB (2048), FUZZ_MALLOC_MB (512: one
# allocation larger than this is a finding), FUZZ_TIMEOUT (1 s), FUZZ_MAX_LEN (every target;
# when unset, the per-target default below, else libFuzzer's: the largest seed), FUZZ_RUNS
# (stop each target after this many executions, or at SECONDS, whichever comes first).
#
# Per-target -max_len (docs/fuzzing.md, "Throughput"): container 32768 (the tiny-MLP seeds
# and the 24 KB LeNet-5 one stay whole; mutants of the 40-150 KB seeds are cut to 32 KB),
# recipe and params 4096 (the short seeds of scripts/fuzz_corpus.sh; a cut 17 KB thesis.yaml
# is still a valid input).
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:?usage: scripts/fuzz.sh BUILD_FUZZ_DIR SECONDS [TARGET...]}"
seconds="${2:?usage: scripts/fuzz.sh BUILD_FUZZ_DIR SECONDS [TARGET...]}"
shift 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^SIEVE_FUZZ_TARGET(\([a-z0-9_]*\)).*/\1/p' "$here/fuzz/targets.def")
fi
rss="${FUZZ_RSS_MB:-2048}"
malloc="${FUZZ_MALLOC_MB:-512}"
timeout="${FUZZ_TIMEOUT:-1}"
# container also gets -entropic_scale_per_exec_time=1: its inputs range from 1 ms (tiny MLP)
# to 170 ms (a LeNet-5 file, 431k weights decoded); libFuzzer then picks the fast ones up to
# 30x more often instead of spending most of its time on the few slow ones.
extra_flags() {
  case "$1" in
    container) echo -entropic_scale_per_exec_time=1 ;;
  esac
}
default_max_len() {
  case "$1" in
    container) echo 32768 ;;
    recipe | params | area | sweep) echo 4096 ;;
    report) echo 16384 ;;
  esac
}
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=0
rows=()
for t in "${targets[@]}"; do
  bin="$dir/fuzz_$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin is missing (build with -DSIEVE_FUZZ=ON)" >&2
    failed=1
    continue
  fi
  corpus="$dir/corpus/$t"
  seeds="$here/tests/data/fuzz-regressions/$t"
  art="$dir/artifacts/$t"
  log="$dir/logs/$t.log"
  mkdir -p "$corpus" "$art" "$dir/logs"
  extra=()
  [ -d "$seeds" ] && extra=("$seeds")
  maxlen=()
  len="${FUZZ_MAX_LEN:-$(default_max_len "$t")}"
  [ -n "$len" ] && maxlen=(-max_len="$len")
  read -r -a flags <<< "$(extra_flags "$t")"
  maxlen+=("${flags[@]}")
  [ -n "${FUZZ_RUNS:-}" ] && maxlen+=(-runs="$FUZZ_RUNS")
  echo "fuzz: $t for ${seconds}s ($bin ${maxlen[*]} $corpus ${extra[*]})"
  "$bin" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss" \
    -malloc_limit_mb="$malloc" -print_final_stats=1 "${maxlen[@]}" \
    -artifact_prefix="$art/" "$corpus" "${extra[@]}" > "$log" 2>&1
  rc=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  last="$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -1)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")"
  corp="$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<< "$last")"
  findings="$(find "$art" -type f | wc -l)"
  status=ok
  if [ "$rc" -ne 0 ] || [ "$findings" -ne 0 ] ||
     grep -qE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error:' "$log"; then
    status="FAIL (exit $rc; see $log)"
    failed=1
  fi
  rows+=("$(printf '%-10s %8s %12s %9s %7s %7s %14s %9s  %s' "$t" "$seconds" "${execs:-?}" \
    "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$findings" "$status")")
done

echo
printf '%-10s %8s %12s %9s %7s %7s %14s %9s  %s\n' target seconds executions exec/s cov ft \
  corpus findings status
for r in "${rows[@]}"; do echo "$r"; done
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
exit $failed
