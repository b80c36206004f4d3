#!/usr/bin/env bash
# make demo: the main job. Train LeNet-5 on Fashion-MNIST and compress it (reusing a cached
# dense model), then run the compressed model on the accelerator models, reproduce the thesis'
# accelerator figures, and draw all of it into one HTML page (sieve report) whose path is the
# last line printed. The JSON the page is drawn from is kept beside it, in $build/demo/.
set -euo pipefail
build="${1:-build}"
cache="${SIEVE_CACHE_DIR:-$HOME/.cache/sieve}"
mkdir -p "$cache"
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$(cd "$build" && pwd)/demo"
mkdir -p "$out"

# Compression: the Cambricon-S recipe (coarse-grained block pruning with retraining and
# distillation, local quantization, Huffman) on LeNet-5. The recipe holds the last 10,000
# training images out as a validation set, so `sieve compress` first trains the dense LeNet-5
# on the other 50,000 (cached as lenet5-fashion-mnist-seed1-e10-val10000.onnx and reused by
# later runs), then prunes, retrains, quantizes and codes it; it prints the Table 3.3 row and
# the per-layer table with the test and validation accuracies and writes the .sieve file.
# About ten minutes on two cores the first time. (The report is kept as JSON for the page: the
# progress lines still go to the terminal.)
"$build/sieve" compress --model lenet5 --recipe "$here/recipes/cambricon-s/lenet5.yaml" \
  --data fashion-mnist --cache-dir "$cache" --out "$cache/lenet5-cambricon-s.sieve" --json \
  >"$out/compress.json"
echo "sieve compress: the report is in $out/compress.json (and drawn in the page below)"
"$build/sieve" eval --model "$cache/lenet5-fashion-mnist-seed1-e10-val10000.onnx" \
  --data fashion-mnist

# The CPU runtime (docs/runtime.md): the dense LeNet-5 and the compressed one, batch 1 and 64,
# throughput and latency beside accuracy on the whole test set.
for batch in 1 64; do
  "$build/sieve" run --model "$cache/lenet5-fashion-mnist-seed1-e10-val10000.onnx" \
    --data fashion-mnist --batch "$batch"
  "$build/sieve" run --model "$cache/lenet5-cambricon-s.sieve" --data fashion-mnist --batch "$batch"
done

# The accelerators: the compressed LeNet-5 on every modelled design (Sieve, DianNao,
# Cambricon-X, EIE, DaDianNao, Cnvlutin, SCNN, DCNN) with the real activations of 100
# Fashion-MNIST test images (performance and energy models; a design that cannot run a layer
# says so per layer), then the functional model's accuracy (bit-exact with the 16-bit
# fixed-point reference) on 1,000.
"$build/sieve" compare --archs all --model "$cache/lenet5-cambricon-s.sieve" \
  --data fashion-mnist --limit 100
"$build/sieve" compare --archs all --model "$cache/lenet5-cambricon-s.sieve" \
  --data fashion-mnist --limit 100 --json >"$out/compare-lenet5-fashion-mnist.json"
"$build/sieve" run --engine sieve-functional --model "$cache/lenet5-cambricon-s.sieve" \
  --data fashion-mnist --limit 1000

# The compiler back-end: the Sieve program of the compressed LeNet-5 (plans -> VLIW words), and
# the performance model driven by it instead of by the plans (docs/compiler.md).
"$build/sieve" compile --model "$cache/lenet5-cambricon-s.sieve" --emit bin -o "$cache/lenet5.bin"
"$build/sieve" simulate --model "$cache/lenet5-cambricon-s.sieve" --data fashion-mnist --limit 100 \
  --program multi

# The thesis' headline accelerator figures, recomputed beside the published values (seven
# benchmarks with the published sparsity; synthetic activations: there is no ImageNet here).
# Kept as JSON for the page, which shows them as a table coloured by kind (about a minute and a
# half on two cores).
"$build/sieve" reproduce --json >"$out/reproduce.json"
echo "sieve reproduce: the figures are in $out/reproduce.json (and in the page below)"

# The thesis' Figs 5.3-5.8 from our models: DianNao, Cambricon-X and Sieve on the seven thesis
# benchmarks (speed-up and energy over DianNao, the first design, and the energy breakdowns).
inputs=("$out/compress.json")
for bench in alexnet vgg16 lenet5 lenet-300-100 cifar10-quick resnet152 lstm; do
  "$build/sieve" compare --archs diannao,cambricon-x,sieve --model "thesis:$bench" --json \
    >"$out/compare-thesis-$bench.json"
  inputs+=("$out/compare-thesis-$bench.json")
done
inputs+=("$out/compare-lenet5-fashion-mnist.json" "$out/reproduce.json")
# A design-space sweep, where this sieve has the sweep command (docs/formats/sweep.md): 30
# points of AlexNet on Sieve over DRAM bandwidth, PE count and NBin size.
if "$build/sieve" --help | grep -E "^ +sweep " >/dev/null; then
  rm -f "$out/sweep.json" "$out/sweep.json.checkpoint"
  "$build/sieve" sweep "$here/tests/data/report/sweep-small.yaml" --out "$out/sweep.json" \
    --pareto time,energy
  inputs+=("$out/sweep.json")
  # The neuron-sparsity half of the thesis' Fig 5.9: AlexNet conv3 and fc7 over input density.
  rm -f "$out/fig59.json" "$out/fig59.json.checkpoint"
  "$build/sieve" sweep "$here/configs/sweeps/fig5.9-neuron-sparsity.yaml" --out "$out/fig59.json"
  inputs+=("$out/fig59.json")
fi

# One self-contained HTML page of everything above (plots by gnuplot; open it in any browser).
"$build/sieve" report "${inputs[@]}" -o "$out/report.html" --title "Sieve demo: LeNet-5 on Fashion-MNIST and the thesis benchmarks"
echo "report: $out/report.html"
