#!/usr/bin/env bash
# ESE's load-balance-aware LSTM pruning on Fashion-MNIST read as 28 steps of 28 pixels
# (docs/RESULTS.md, "ESE: load-balance-aware LSTM pruning"): a one-layer LSTM trained dense,
# then W and R pruned unbalanced (magnitude) and balanced over 32 PEs to densities 0.112 (ESE's
# 88.8 % sparsity, as recalled) and 0.25, in 3 steps with 1 epoch of masked retraining each,
# quantized to 12-bit linear fixed point. Hidden 128 (4 dense epochs), then hidden 64 with the
# dense settings of the earlier LSTM run (2 epochs). Writes one JSON summary and log per size to
# $OUT (default build/ese-lstm) and the H = 128 balanced 0.112 model as ONNX. About half an hour
# on two cores.
set -euo pipefail
SIEVE=${SIEVE:-build/sieve}
OUT=${OUT:-build/ese-lstm}
mkdir -p "$OUT"
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
"$SIEVE" lstm --hidden 128 --epochs 4 --retrain-epochs 1 --prune-steps 3 --pes 32 \
  --prune none,unbalanced,balanced --density 0.25,0.112 --json \
  --save "$OUT/lstm-h128-balanced-0.112.onnx" > "$OUT/h128.json" 2> "$OUT/h128.log"
"$SIEVE" lstm --hidden 64 --epochs 2 --retrain-epochs 1 --prune-steps 3 --pes 32 \
  --prune none,unbalanced,balanced --density 0.25,0.112 --json \
  > "$OUT/h64.json" 2> "$OUT/h64.log"
