#!/usr/bin/env bash
# Seed corpora for the fuzz targets (fuzz/, docs/fuzzing.md), made from real files: what
# build/sieve writes (compressed .sieve models, an ONNX export of a trained zoo model, outputs
# files of `sieve run --dump-outputs`, ISA programs of `sieve asm`), the shipped recipes and
# configs, the IDX fixtures of tests/data, and a few ONNX conformance models of Debian's
# libonnx-testdata.
#
#   scripts/fuzz_corpus.sh SIEVE_BUILD_DIR OUT_DIR
#
# Writes OUT_DIR/<target>/ for every target; a file already there is kept (the runs of sieve
# are only done once per build folder). Inputs of several parts (a YAML document and its
# overrides) are joined with NUL bytes, as fuzz/fuzz.h split_parts() reads them.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:?usage: scripts/fuzz_corpus.sh SIEVE_BUILD_DIR OUT_DIR}"
out="${2:?usage: scripts/fuzz_corpus.sh SIEVE_BUILD_DIR OUT_DIR}"
sieve="$build/sieve"
[ -x "$sieve" ] || { echo "fuzz_corpus: $sieve is missing (make build first)" >&2; exit 1; }
tiny="$here/tests/data/fashion-mnist-tiny"
work="$out/.work"
mkdir -p "$work" "$out"/{container,onnx,idx,recipe,params,outputs,isa}

# Runs "$@" (a sieve command writing $target) unless $target exists.
make_once() {
  local target="$1"
  shift
  [ -s "$target" ] && return 0
  echo "fuzz_corpus: $target"
  "$@" > "$work/last.log" 2>&1 || { cat "$work/last.log" >&2; return 1; }
}
# Copies with a NUL-joined list of overrides appended.
with_overrides() {
  local src="$1" dst="$2"
  shift 2
  { cat "$src"; for o in "$@"; do printf '\0%s' "$o"; done; } > "$dst"
}

# .sieve: LeNet-5 with synthetic weights (no data, no training) through recipes that give
# different mask formats, code formats and region grids, one without quantization (VALUES).
for r in cambricon-s/lenet5 cambricon-s/lenet5-16x1-q3 deep-compression/lenet5; do
  make_once "$out/container/$(echo "$r" | tr / -).sieve" \
    "$sieve" compress --model lenet5 --data none --recipe "$here/recipes/$r.yaml" \
    --out "$out/container/$(echo "$r" | tr / -).sieve"
done
make_once "$out/container/lenet5-noquant-nohuffman.sieve" \
  "$sieve" compress --model lenet5 --data none --recipe "$here/recipes/cambricon-s/lenet5.yaml" \
  --set quant.enabled=false --set coding.huffman=false \
  --out "$out/container/lenet5-noquant-nohuffman.sieve"

# .sieve of a tiny MLP (scripts/tiny_mlp_onnx.py: 32-16-10, 512 + 160 weights), 1.4-3.7 KB
# each, one per layer form: dense values, block mask + local quantization + Huffman, bitmask +
# local quantization, relative indices + one codebook + Huffman, 2x2 blocks without
# quantization, 16x1 blocks + Huffman. The LeNet-5 files above decode 431k weights per run
# (41 exec/s under ASan); these decode 672 and keep the fuzzer's mutants small.
python3 "$here/scripts/tiny_mlp_onnx.py" "$work/tiny-mlp.onnx"
cat > "$work/tiny.yaml" <<'YAML'
name: fuzz/tiny-mlp
model: tiny-mlp
prune:
  fc: {method: block, block: [4, 1], criterion: mean, sparsity: 0.75}
quant:
  fc: {bits: 4, regions: [2, 2]}
coding: {huffman: true}
YAML
tiny_sieve() {
  local name="$1"
  shift
  make_once "$out/container/tiny-mlp-$name.sieve" \
    "$sieve" compress --model "$work/tiny-mlp.onnx" --data none --recipe "$work/tiny.yaml" \
    --out "$out/container/tiny-mlp-$name.sieve" "$@"
}
tiny_sieve dense-values --set prune.fc.sparsity=0 --set quant.enabled=false \
  --set coding.huffman=false
tiny_sieve block4x1-q4-local-huffman
tiny_sieve bitmask-q3-local --set prune.fc.method=magnitude --set prune.fc.sparsity=0.6 \
  --set quant.fc.bits=3 --set coding.huffman=false
tiny_sieve relative-q6-huffman --set prune.fc.method=magnitude --set prune.fc.sparsity=0.9 \
  --set quant.fc.bits=6 "--set" "quant.fc.regions=[1, 1]"
tiny_sieve block2x2-noquant "--set" "prune.fc.block=[2, 2]" --set prune.fc.sparsity=0.5 \
  --set quant.enabled=false --set coding.huffman=false
tiny_sieve block16x1-q4-huffman "--set" "prune.fc.block=[16, 1]" \
  "--set" "prune.layers.ip2.block=[10, 1]" --set prune.fc.sparsity=0.5
# Container version 2 records the pruning structure (STRUCTURE section): N:M and balanced
# groups, and a block grid with a stride other than the block.
tiny_sieve v2-nm-balanced-q4 --set prune.fc.method=nm --set prune.layers.ip2.method=balanced \
  --set prune.layers.ip2.pes=5 --set prune.layers.ip2.sparsity=0.5
tiny_sieve v2-block2x2-stride3x2-noquant "--set" "prune.fc.block=[2, 2]" \
  "--set" "prune.fc.stride=[3, 2]" --set prune.fc.sparsity=0.4 --set quant.enabled=false \
  --set coding.huffman=false

# ONNX: LeNet-5 trained for one epoch on 16 fixture images, as `sieve train` exports it, and
# small conformance models (and their input tensors, for the TensorProto reader).
make_once "$out/onnx/lenet5.onnx" \
  "$sieve" train --model lenet5 --data-dir "$tiny" --epochs 1 --limit 16 --threads 1 \
  --out "$out/onnx/lenet5.onnx"
node=/usr/share/libonnx-testdata/data/node
for t in test_conv_with_strides_padding test_gemm_default_scalar_bias test_lstm_defaults \
         test_gru_defaults test_maxpool_2d_pads test_averagepool_2d_default test_relu \
         test_softmax_axis_1 test_reshape_reduced_dims test_flatten_axis1 test_batchnorm_example \
         test_matmul_2d test_transpose_default test_constant_pad test_concat_2d_axis_0 \
         test_add_bcast; do
  if [ -f "$node/$t/model.onnx" ]; then
    cp -n "$node/$t/model.onnx" "$out/onnx/$t.onnx"
    [ -f "$node/$t/test_data_set_0/input_0.pb" ] &&
      cp -n "$node/$t/test_data_set_0/input_0.pb" "$out/onnx/$t.input_0.pb"
  fi
done

# IDX: the gzip fixtures (valid and broken) and the IDX bytes inside the valid ones.
for f in "$tiny"/t10k-*.gz; do
  cp -n "$f" "$out/idx/tiny-$(basename "$f")"
  gzip -dc "$f" > "$out/idx/tiny-$(basename "$f" .gz)"
done
for d in "$here"/tests/data/fashion-mnist-broken/*/; do
  for f in "$d"*.gz; do cp -n "$f" "$out/idx/broken-$(basename "$d")-$(basename "$f")"; done
done

# Recipes: every shipped one, and a few with `--set` overrides.
for f in "$here"/recipes/*/*.yaml; do
  cp -n "$f" "$out/recipe/$(basename "$(dirname "$f")")-$(basename "$f")"
done
# Small seeds beside them (the fuzzer runs with -max_len=4096, scripts/fuzz.sh): each recipe
# without its comments (1.7 KB -> 0.4 KB), and short recipes of one or two sections.
strip_comments() { sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d' "$1"; }
for f in "$here"/recipes/*/*.yaml; do
  strip_comments "$f" > "$out/recipe/short-$(basename "$(dirname "$f")")-$(basename "$f")"
done
printf 'prune:\n  fc: {method: block, block: [4, 1], sparsity: 0.9}\n' > "$out/recipe/short-prune.yaml"
printf 'prune:\n  conv: {method: nm, n: 2, m: 4}\n  layers:\n    ip1: {sparsity: 0.5}\n' \
  > "$out/recipe/short-nm.yaml"
printf 'quant:\n  fc: {bits: 4, regions: [2, 2]}\ncoding: {huffman: true}\n' \
  > "$out/recipe/short-quant.yaml"
printf 'retrain: {steps: 2, epochs: 1, schedule: cosine}\ndistill: {alpha: 0.5}\n' \
  > "$out/recipe/short-retrain.yaml"
with_overrides "$out/recipe/short-prune.yaml" "$out/recipe/short-set.yaml" \
  prune.fc.sparsity=0.5 "prune.layers.ip2.block=[2, 2]" quant.fc.bits=3
with_overrides "$here/recipes/cambricon-s/lenet5.yaml" "$out/recipe/set-lenet5.yaml" \
  prune.fc.sparsity=0.85 "prune.layers.ip2.block=[8, 1]" retrain.epochs=2 quant.fc.bits=5
with_overrides "$here/recipes/deep-compression/lenet-300-100.yaml" \
  "$out/recipe/set-lenet-300-100.yaml" dsd.enabled=true "sensitivity.sparsities=[0.5, 0.9]"

# Parameter files: arch presets (with `-p` overrides), energy tables, benchmark statistics.
for f in "$here"/configs/*/*.yaml; do
  cp -n "$f" "$out/params/$(basename "$(dirname "$f")")-$(basename "$f")"
done
# Small seeds (-max_len=4096): each file without comments, each benchmark network of
# thesis.yaml (17 KB) alone, an arch preset reduced to a few keys.
for f in "$here"/configs/*/*.yaml; do
  strip_comments "$f" > "$out/params/short-$(basename "$(dirname "$f")")-$(basename "$f")"
done
strip_comments "$here/configs/benchmarks/thesis.yaml" | awk -v dir="$out/params" '
  /^networks:/ { in_nets = 1; next }
  in_nets && /^  [A-Za-z0-9_.-]+:/ { n++; f = sprintf("%s/short-benchmarks-network-%02d.yaml", dir, n);
    print "networks:" > f }
  in_nets && /^[^ ]/ { in_nets = 0 }
  in_nets && f { print >> f }
'
printf 'arch: sieve\nsource: fuzz\ntn: 16\ntm: 16\n' > "$out/params/short-arch-sieve.yaml"
printf 'arch: diannao\nsource: fuzz\n' > "$out/params/short-arch-diannao.yaml"
with_overrides "$out/params/short-arch-sieve.yaml" "$out/params/short-set-arch-sieve.yaml" \
  tn=8 freq_ghz=0.5
with_overrides "$here/configs/archs/sieve-65nm.yaml" "$out/params/set-sieve-65nm.yaml" tn=8 tm=8
with_overrides "$here/configs/archs/diannao-65nm.yaml" "$out/params/set-diannao-65nm.yaml" \
  freq_ghz=0.5

# Outputs files: f32 (float engine) and i16 (16-bit fixed point) outputs of LeNet-5.
for e in float ref-fixed16; do
  make_once "$out/outputs/lenet5-$e-4.out" \
    "$sieve" run --engine "$e" --model lenet5 --data-dir "$tiny" --limit 4 \
    --dump-outputs "$out/outputs/lenet5-$e-4.out"
done

# ISA programs: the example program as `sieve asm` writes it (scripts/fuzz.sh adds the valid and
# corrupt files of tests/data/fuzz-regressions/isa as seeds too).
make_once "$out/isa/example.bin" \
  "$sieve" asm "$here/tests/data/isa/example.s" -o "$out/isa/example.bin"

rm -rf "$work"
for t in container onnx idx recipe params outputs isa; do  # (area, sweep, report: their seeds are tests/data/fuzz-regressions)
  echo "fuzz_corpus: $t: $(find "$out/$t" -type f | wc -l) files, $(du -sh "$out/$t" | cut -f1)"
done
