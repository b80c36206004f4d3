#!/usr/bin/env bash
# The block-size sweep of SPEC Table 3.1 on LeNet-5 / Fashion-MNIST: runs
# recipes/block-sweep/lenet5-n{1,2,4,8,16,32}.yaml through `sieve compress` and prints, per N,
# the sparsity, weight and index bytes after coding, the ratio and the accuracy.
# Usage: scripts/block_sweep.sh [build-dir] [out-dir]   (about 2-4 minutes per N on 2 cores;
# the dense LeNet-5 is trained once and cached).
set -euo pipefail
build="${1:-build}"
out="${2:-${TMPDIR:-/tmp}/sieve-block-sweep}"
here="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$out"
printf '%-4s %-22s %-28s %-8s %-8s %s\n' N sparsity "W_c / I_c" r_c R_irr accuracy
for n in 1 2 4 8 16 32; do
  log="$out/lenet5-n$n.txt"
  "$build/sieve" compress --model lenet5 --data fashion-mnist \
    --recipe "$here/recipes/block-sweep/lenet5-n$n.yaml" --out "$out/lenet5-n$n.sieve" > "$log"
  row=$(grep -A1 '^  sparsity' "$log" | tail -1)
  acc=$(grep '^accuracy:' "$log" | sed 's/^accuracy: //')
  # Row fields: C x % F y % | W_p / I_p | r_p | W_q / I_q | r_q | W_c / I_c | r_c | R(Irr)
  read -r -a f <<< "$row"
  printf '%-4s %-22s %-28s %-8s %-8s %s\n' "$n" "${f[*]:0:6}" "${f[*]:14:3}" "${f[17]}" \
    "${f[18]}" "$acc"
done
