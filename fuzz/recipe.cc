// Fuzz target: the compression recipe parser with `--set` overrides (compress/recipe.h), as
// `sieve compress --recipe R --set K=V ...` uses it (load_recipe reads the file and calls
// parse_recipe). The input is a YAML document and up to eight overrides (fuzz.h split_parts:
// NUL-separated after the document). An accepted recipe then has its per-layer settings
// resolved (prune_for / quant_for, as the pipeline does for each named layer and each op kind)
// and each pruning spec checked against a small weight of its kind (validate_prune_spec, the
// pipeline's shape checks).
#include "sieve/compress/recipe.h"

#include "fuzz/fuzz.h"
#include "sieve/compress/prune/prune.h"

namespace sieve::fuzz {
namespace {

void check_layer(const compress::Recipe& r, const std::string& node, ir::OpKind op,
                 const Shape& shape) {
  const compress::PruneSpec p = r.prune_for(node, op).resolved();
  (void)r.quant_for(node, op);
  if (p.method != "none") (void)compress::validate_prune_spec(p, shape, node);
}

}  // namespace

Status recipe(std::string_view input) {
  const Parts parts = split_parts(input);
  Result<compress::Recipe> r = compress::parse_recipe(parts.document, "fuzz.yaml", parts.overrides);
  if (!r.ok()) return r.status();
  // LeNet-5's classifier and first conv shapes.
  check_layer(r.value(), "fc", ir::OpKind::kFullyConnected, {10, 84});
  check_layer(r.value(), "conv", ir::OpKind::kConv, {6, 1, 5, 5});
  for (const std::string& name : r.value().named_layers()) {
    check_layer(r.value(), name, ir::OpKind::kFullyConnected, {10, 84});
    check_layer(r.value(), name, ir::OpKind::kConv, {6, 1, 5, 5});
  }
  return ok_status();
}

}  // namespace sieve::fuzz

SIEVE_FUZZ_ENTRY(recipe)
