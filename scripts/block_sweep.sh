#!/usr/bin/env bash
# The block-size sweep of SPEC Table 3.1 on Fashion-MNIST: runs
# recipes/block-sweep/<model>-n{1,2,4,8,16,32}.yaml through `sieve compress` and prints, per
# N, the sparsity, weight and index bytes after coding, the ratio, R(Irr) and the accuracy.
#
# Usage: scripts/block_sweep.sh [--hold POINTS] [--validation N] [build-dir] [out-dir] [model]
#                               [sizes, default "1 2 4 8 16 32"]
#   model: lenet-300-100 (about a minute per N on 2 cores) or lenet5 (default; 2-4 minutes
#   per N); the dense model is trained once and cached.
#
# Without --hold every N runs at the recipe's sparsity. With --hold POINTS (thesis Table 3.1:
# the sparsity a block size can afford at the same accuracy) each N after the first lowers the
# sparsity of the large layers until its validation accuracy is at least the first N's minus
# POINTS: the keep fraction (1 - sparsity) of `prune.fc` and `prune.conv` is multiplied by a
# factor f in [1, 4], found by bisection (5 runs at most after the recipe's own); layers with
# their own sparsity in the recipe keep it. The accuracies compared are on --validation N
# examples held out of training (default 10000), never on the test set.
set -euo pipefail
hold=""
validation=10000
while [[ $# -gt 0 && "$1" == --* ]]; do
  case "$1" in
    --hold) hold="$2"; shift 2 ;;
    --validation) validation="$2"; shift 2 ;;
    *) echo "block_sweep.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
build="${1:-build}"
out="${2:-${TMPDIR:-/tmp}/sieve-block-sweep}"
model="${3:-lenet5}"
sizes="${4:-1 2 4 8 16 32}"
here="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$out"

# Reads "key: value" of the top level of a --json report.
json_num() { awk -v k="\"$1\":" '$1 == k { gsub(/,/, "", $2); print $2; exit }' "$2"; }
# The sparsity of prune.<kind> in a recipe ("" when the recipe has none).
recipe_sparsity() {
  awk -v k="$1:" '$1 == k { if (match($0, /sparsity: *[0-9.]+/)) {
    s = substr($0, RSTART, RLENGTH); sub(/sparsity: */, "", s); print s; exit } }' "$2"
}

# One run: N, a tag, then --set arguments; prints the json file.
run() {
  local n="$1" tag="$2"
  shift 2
  local base="$out/$model-n$n$tag"
  "$build/sieve" compress --model "$model" --data fashion-mnist --validation "$validation" \
    --recipe "$here/recipes/block-sweep/$model-n$n.yaml" --out "$base.sieve" --json "$@" \
    > "$base.json" 2> "$base.log" ||
    echo "N=$n$tag: sieve compress failed (see $base.log)" >&2
  echo "$base.json"
}

# --set arguments scaling the keep fraction of prune.fc / prune.conv by f.
scaled() {
  local recipe="$1" f="$2" kind s
  for kind in fc conv; do
    s=$(recipe_sparsity "$kind" "$recipe")
    [[ -z "$s" ]] && continue
    printf -- '--set prune.%s.sparsity=%s ' "$kind" \
      "$(awk -v s="$s" -v f="$f" 'BEGIN { v = 1 - (1 - s) * f; if (v < 0) v = 0; printf "%.4f", v }')"
  done
}

row() {  # N, factor, json
  local j="$3"
  awk -v n="$1" -v f="$2" '
    function num(k) { for (i = 1; i <= cnt; i++) if (key[i] == k) return val[i]; return "" }
    /^  "[a-z_]+": / { k = $1; gsub(/[":]/, "", k); v = $2; gsub(/,/, "", v); key[++cnt] = k; val[cnt] = v }
    END {
      sc = num("sparsity_conv"); sf = num("sparsity_fc")
      sp = (sc != "null" && sc != "" ? sprintf("C %.2f%% ", 100 * sc) : "") \
           (sf != "null" && sf != "" ? sprintf("F %.2f%%", 100 * sf) : "")
      printf "%-4s %-6s %-22s %-22s %-8s %-8s %-8s %s\n", n, f, sp,
        sprintf("%.2fK / %.2fK", num("w_c") / 1024, num("i_c") / 1024),
        sprintf("%.1fx", num("ratio_c")), sprintf("%.2fx", num("r_irr")),
        sprintf("%.2f%%", 100 * num("accuracy_val")), sprintf("%.2f%%", 100 * num("accuracy")) }' "$j"
}

printf '%-4s %-6s %-22s %-22s %-8s %-8s %-8s %s\n' N f sparsity "W_c / I_c" r_c R_irr \
  validation test
target=""
for n in $sizes; do
  recipe="$here/recipes/block-sweep/$model-n$n.yaml"
  j=$(run "$n" "")
  acc=$(json_num accuracy_val "$j")
  if [[ -z "$hold" || -z "$target" ]]; then
    row "$n" 1 "$j"
    [[ -n "$hold" ]] && target=$(awk -v a="$acc" -v h="$hold" 'BEGIN { printf "%.6f", a - h / 100 }')
    continue
  fi
  if awk -v a="$acc" -v t="$target" 'BEGIN { exit !(a >= t) }'; then
    row "$n" 1 "$j"
    continue
  fi
  # Bisection on f: lo fails, hi is the best passing factor found (4 if none passes).
  lo=1; hi=4; best=""; bestf=""
  for _ in 1 2 3 4 5; do
    f=$(awk -v a="$lo" -v b="$hi" 'BEGIN { printf "%.3f", (a + b) / 2 }')
    # shellcheck disable=SC2046
    j=$(run "$n" "-f$f" $(scaled "$recipe" "$f"))
    acc=$(json_num accuracy_val "$j")
    if awk -v a="$acc" -v t="$target" 'BEGIN { exit !(a >= t) }'; then
      hi="$f"; best="$j"; bestf="$f"
    else
      lo="$f"
    fi
  done
  if [[ -z "$best" ]]; then
    echo "N=$n: no factor up to $hi held the accuracy; the last run is shown" >&2
    best="$j"; bestf="$f"
  fi
  row "$n" "$bestf" "$best"
done
