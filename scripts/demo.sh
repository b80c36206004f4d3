#!/usr/bin/env bash
# make demo: the main job. Train LeNet-5 on Fashion-MNIST with the default settings (reusing a
# cached model), evaluate it, then compress it.
set -euo pipefail
build="${1:-build}"
cache="${SIEVE_CACHE_DIR:-$HOME/.cache/sieve}"
mkdir -p "$cache"
# The same cache entry `sieve compress --model lenet5` uses (<model>-<data>-seed<S>-e<epochs>),
# so the dense model is trained once whichever command runs first.
model="$cache/lenet5-fashion-mnist-seed1-e10.onnx"
if [ -f "$model" ]; then
  echo "demo: reusing cached model $model (delete it to retrain)"
else
  "$build/sieve" train --model lenet5 --data fashion-mnist --out "$model"
fi
"$build/sieve" eval --model "$model" --data fashion-mnist

# Compression: the Cambricon-S recipe (coarse-grained block pruning with retraining, local
# quantization, Huffman) on the trained LeNet-5; prints the Table 3.3 row and the per-layer
# table and writes the .sieve file. A few minutes on two cores.
here="$(cd "$(dirname "$0")/.." && pwd)"
"$build/sieve" compress --model "$model" --recipe "$here/recipes/cambricon-s/lenet5.yaml" \
  --data fashion-mnist --out "$cache/lenet5-cambricon-s.sieve"
