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

# The accelerator: the compressed LeNet-5 on Sieve, DianNao and Cambricon-X with the real
# activations of 100 Fashion-MNIST test images (performance and energy models), then the
# functional model's accuracy (bit-exact with the 16-bit fixed-point reference) on 1,000.
"$build/sieve" compare --archs sieve,diannao,cambricon-x --model "$cache/lenet5-cambricon-s.sieve" \
  --data fashion-mnist --limit 100
"$build/sieve" run --engine sieve-functional --model "$cache/lenet5-cambricon-s.sieve" \
  --data fashion-mnist --limit 1000

# The thesis' headline accelerator figures, recomputed beside the published values (seven
# benchmarks with the published sparsity; synthetic activations: there is no ImageNet here).
"$build/sieve" reproduce
