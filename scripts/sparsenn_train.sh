#!/usr/bin/env bash
# SparseNN's output-sparsity predictor on Fashion-MNIST (docs/RESULTS.md, "SparseNN"): the
# 3-layer MLP at a rank sweep and the 5-layer MLP at rank 15, each variant (no predictor, SVD,
# end to end) trained from the same base network. Writes one JSON summary per model to $OUT
# (default build/sparsenn) and the logs beside them, then the same with the end-to-end
# predictor's sparsity penalty (not the source's; docs/RESULTS.md). About an hour on two cores.
set -euo pipefail
SIEVE=${SIEVE:-build/sieve}
OUT=${OUT:-build/sparsenn}
mkdir -p "$OUT"
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
"$SIEVE" sparsenn --model sparsenn-mlp3 --ranks 5,15,50 --base-epochs 10 --epochs 3 --json \
  > "$OUT/mlp3.json" 2> "$OUT/mlp3.log" &
"$SIEVE" sparsenn --model sparsenn-mlp5 --ranks 15 --base-epochs 8 --epochs 3 --json \
  > "$OUT/mlp5.json" 2> "$OUT/mlp5.log" &
wait
"$SIEVE" sparsenn --model sparsenn-mlp3 --ranks 5,15,50 --base-epochs 10 --epochs 3 \
  --sparsity-penalty 0.0001 --json > "$OUT/mlp3-penalty0.0001.json" 2> "$OUT/mlp3-penalty0.0001.log" &
"$SIEVE" sparsenn --model sparsenn-mlp5 --ranks 15 --base-epochs 8 --epochs 3 \
  --sparsity-penalty 0.0001 --json > "$OUT/mlp5-penalty0.0001.json" 2> "$OUT/mlp5-penalty0.0001.log" &
wait
