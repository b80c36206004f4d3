#!/usr/bin/env bash
# The block-size sweep of SPEC Table 3.1 on Fashion-MNIST: runs
# recipes/block-sweep/<model>-n{1,2,4,8,16,32}.yaml through `sieve compress` and prints, per
# N, the sparsity, weight and index bytes after coding, the ratio, R(Irr) and the accuracy.
# Usage: scripts/block_sweep.sh [build-dir] [out-dir] [model] [sizes, default "1 2 4 8 16 32"]
#   model: lenet-300-100 (about a minute per N on 2 cores) or lenet5 (default; 2-4 minutes
#   per N); the dense model is trained once and cached.
set -euo pipefail
build="${1:-build}"
out="${2:-${TMPDIR:-/tmp}/sieve-block-sweep}"
model="${3:-lenet5}"
sizes="${4:-1 2 4 8 16 32}"
here="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$out"
printf '%-4s %-22s %-20s %-8s %-8s %s\n' N sparsity "W_c / I_c" r_c R_irr accuracy
for n in $sizes; do
  log="$out/$model-n$n.txt"
  "$build/sieve" compress --model "$model" --data fashion-mnist \
    --recipe "$here/recipes/block-sweep/$model-n$n.yaml" --out "$out/$model-n$n.sieve" > "$log" ||
    echo "N=$n: sieve compress failed (see $log); the report, if printed, is still used" >&2
  row=$(grep -A1 '^  sparsity' "$log" | tail -1)
  acc=$(grep '^accuracy:' "$log" | sed 's/^accuracy: //')
  # The row: sparsity words, then W_p / I_p, r_p, W_q / I_q, r_q, W_c / I_c, r_c, R(Irr).
  read -r -a f <<< "$row"
  k=$((${#f[@]} - 13))
  printf '%-4s %-22s %-20s %-8s %-8s %s\n' "$n" "${f[*]:0:k}" "${f[*]:k+8:3}" "${f[k+11]}" \
    "${f[k+12]}" "$acc"
done
