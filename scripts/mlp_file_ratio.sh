#!/usr/bin/env bash
# LeNet-300-100 at >= 75x measured on the written .sieve file (issue 14, item 5): the recipe
# search on the validation split, then the chosen recipe over three seeds.
#
# Usage: scripts/mlp_file_ratio.sh [build-dir] [out-dir] [phase]
#   phase "search" (default): seed 1, the variants below of recipes/cambricon-s/lenet-300-100.yaml
#     (each a `--set` list), one table row per variant, among which the variants whose
#     sections ratio is >= 75x are ranked by validation accuracy (the test column is only
#     reported, never used to choose).
#   phase "candidates": the three best on seed-1 validation (s8, s2, s4) on seeds 2 and 3, and
#     s9 (tried afterwards) on seeds 1-3; the recipe is the one with the best mean validation
#     accuracy over the three seeds.
#   phase "seeds": recipes/cambricon-s/lenet-300-100-file75.yaml with seeds 1, 2, 3 (a new
#     dense model per seed, trained on the first 50,000 training images and cached in
#     out-dir/cache).
#   phase "all": the three in that order.
# Each run is a plain `sieve compress ... --json --out F.sieve` (skipped when its JSON is already
# in out-dir); each table row's ratios are read back from the written file (`sieve inspect
# --json`), so the script also works with a build whose report predates `file_ratio`. About 1-4
# minutes per run on 2 loaded cores; 21 runs in all. SIEVE_BIN overrides build-dir/sieve.
set -euo pipefail
build="${1:-build}"
out="${2:-${TMPDIR:-/tmp}/sieve-mlp-file-ratio}"
phase="${3:-search}"
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${SIEVE_BIN:-$build/sieve}"
mkdir -p "$out/cache"
base="$here/recipes/cambricon-s/lenet-300-100.yaml"
chosen="$here/recipes/cambricon-s/lenet-300-100-file75.yaml"

row() {  # name json sieve-file
  "$bin" inspect --json "$3" >"$3.inspect.json"
  python3 - "$1" "$2" "$3.inspect.json" <<'EOF'
import json, sys
name, path, info = sys.argv[1], sys.argv[2], sys.argv[3]
r = json.load(open(path))
f = json.load(open(info))["sieve"]
# The ratios from the file's own section table (the same rule as the report's file_ratio and
# sections_ratio): dense bytes (4 per weight of the compressed layers) over the whole file and
# over its weight and index sections, MASKS + CODEBOOKS + CODES + VALUES.
weights = {"MASKS", "CODEBOOKS", "CODES", "VALUES"}
sec = sum(s["bytes"] for s in f["sections"] if s["name"] in weights)
fr, sr = r["dense_bytes"] / f["file_bytes"], r["dense_bytes"] / sec
def pts(a, b):
    return f"{100 * (a - b):+.2f}" if a is not None and b is not None else "-"
print(f"| {name} | {fr:.1f}x | {sr:.1f}x | {f['file_bytes']} | {sec} | {r['ratio_c']:.1f}x | "
      f"{100 * r['accuracy_val_dense']:.2f} | {pts(r['accuracy_val'], r['accuracy_val_dense'])} | "
      f"{100 * r['accuracy_dense']:.2f} | {pts(r['accuracy'], r['accuracy_dense'])} | "
      f"{r['seconds']:.0f} s |")
EOF
}

run() {  # name recipe [--set ...]
  local name="$1" recipe="$2"
  shift 2
  if [[ ! -s "$out/$name.json" ]]; then
    nice "$bin" compress --model lenet-300-100 --recipe "$recipe" --cache-dir "$out/cache" \
      --json --out "$out/$name.sieve" "$@" >"$out/$name.json.tmp" 2>"$out/$name.log"
    mv "$out/$name.json.tmp" "$out/$name.json"
  fi
  row "$name" "$out/$name.json" "$out/$name.sieve" | tee -a "$out/table.md"
}

header() {
  echo "| run | file ratio | sections ratio | file B | sections B | r_c (accounting) | val dense % | val pts | test dense % | test pts | time |" | tee -a "$out/table.md"
  echo "|---|---|---|---|---|---|---|---|---|---|---|" | tee -a "$out/table.md"
}

if [[ "$phase" == search || "$phase" == all ]]; then
  header
  # s1: ip2's codebooks cut from 16 to 1 (960 bytes) and spent on lower sparsity.
  one=(--set prune.layers.ip1.sparsity=0.92 --set prune.layers.ip2.sparsity=0.85
       --set "quant.layers.ip2.regions=[1,1]")
  run s1 "$base" "${one[@]}"
  # s2: s1 with 20 final retraining epochs at the final sparsity.
  run s2 "$base" "${one[@]}" --set retrain.final_epochs=20
  # s3: s2 with ip1 at 91 % (about 77x on the sections).
  run s3 "$base" "${one[@]}" --set retrain.final_epochs=20 --set prune.layers.ip1.sparsity=0.91
  # s4: s3 with 4 centroid fine-tuning epochs.
  run s4 "$base" "${one[@]}" --set retrain.final_epochs=20 --set prune.layers.ip1.sparsity=0.91 \
    --set quant.finetune.epochs=4
  # s5: the default's sparsity with 20 final epochs.
  run s5 "$base" --set retrain.final_epochs=20
  # s6: s2 with 30 final epochs.
  run s6 "$base" "${one[@]}" --set retrain.final_epochs=30
  # s7: s2 with 4 retraining epochs per pruning step.
  run s7 "$base" "${one[@]}" --set retrain.final_epochs=20 --set retrain.epochs=4
  # s8: s2 with 4 centroid fine-tuning epochs.
  run s8 "$base" "${one[@]}" --set retrain.final_epochs=20 --set quant.finetune.epochs=4
  # s0: the shipped default (ip1 93 %, ip2 88 %, ip3 50 %, 4 bits in 4x4 regions, 10 final epochs).
  run s0 "$base"
fi

if [[ "$phase" == candidates || "$phase" == all ]]; then
  # The three best on seed-1 validation (s8, s2, s4) on seeds 2 and 3 as well: the recipe is
  # the one with the best mean validation accuracy over the three seeds.
  header
  one=(--set prune.layers.ip1.sparsity=0.92 --set prune.layers.ip2.sparsity=0.85
       --set "quant.layers.ip2.regions=[1,1]")
  for s in 2 3; do
    run "s2-seed$s" "$base" "${one[@]}" --set retrain.final_epochs=20 --set seed=$s
    run "s4-seed$s" "$base" "${one[@]}" --set retrain.final_epochs=20 \
      --set prune.layers.ip1.sparsity=0.91 --set quant.finetune.epochs=4 --set seed=$s
    run "s8-seed$s" "$base" "${one[@]}" --set retrain.final_epochs=20 \
      --set quant.finetune.epochs=4 --set seed=$s
  done
  # s9, tried after the three: s4 with ip1's 16 codebooks cut to 4 (768 bytes of centroids)
  # spent on ip1 at 90.5 %, on all three seeds.
  for s in 1 2 3; do
    run "s9-seed$s" "$base" "${one[@]}" --set retrain.final_epochs=20 \
      --set prune.layers.ip1.sparsity=0.905 --set "quant.fc.regions=[2,2]" \
      --set quant.finetune.epochs=4 --set seed=$s
  done
fi

if [[ "$phase" == seeds || "$phase" == all ]]; then
  header
  for s in 1 2 3; do
    run "seed$s" "$chosen" --set seed=$s
  done
fi
