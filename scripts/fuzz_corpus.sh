#!/usr/bin/env bash
# Seed corpora for the fuzz targets (fuzz/, docs/fuzzing.md), made from real files: what
# build/sieve writes (compressed .sieve models, an ONNX export of a trained zoo model, outputs
# files of `sieve run --dump-outputs`), the shipped recipes and configs, the IDX fixtures of
# tests/data, and a few ONNX conformance models of Debian's libonnx-testdata.
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
mkdir -p "$work" "$out"/{container,onnx,idx,recipe,params,outputs}

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
with_overrides "$here/recipes/cambricon-s/lenet5.yaml" "$out/recipe/set-lenet5.yaml" \
  prune.fc.sparsity=0.85 "prune.layers.ip2.block=[8, 1]" retrain.epochs=2 quant.fc.bits=5
with_overrides "$here/recipes/deep-compression/lenet-300-100.yaml" \
  "$out/recipe/set-lenet-300-100.yaml" dsd.enabled=true "sensitivity.sparsities=[0.5, 0.9]"

# Parameter files: arch presets (with `-p` overrides), energy tables, benchmark statistics.
for f in "$here"/configs/*/*.yaml; do
  cp -n "$f" "$out/params/$(basename "$(dirname "$f")")-$(basename "$f")"
done
with_overrides "$here/configs/archs/sieve-65nm.yaml" "$out/params/set-sieve-65nm.yaml" tn=8 tm=8
with_overrides "$here/configs/archs/diannao-65nm.yaml" "$out/params/set-diannao-65nm.yaml" \
  freq_ghz=0.5

# Outputs files: f32 (float engine) and i16 (16-bit fixed point) outputs of LeNet-5.
for e in float ref-fixed16; do
  make_once "$out/outputs/lenet5-$e-4.out" \
    "$sieve" run --engine "$e" --model lenet5 --data-dir "$tiny" --limit 4 \
    --dump-outputs "$out/outputs/lenet5-$e-4.out"
done

rm -rf "$work"
for t in container onnx idx recipe params outputs; do
  echo "fuzz_corpus: $t: $(find "$out/$t" -type f | wc -l) files, $(du -sh "$out/$t" | cut -f1)"
done
