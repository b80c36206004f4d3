// Pruners: pure functions from a weight tensor (plus its existing keep mask) to a new u8 keep
// mask (non-zero = keep), one per method in compress/passes.def, configured by a PruneSpec.
//
// Methods (PruneSpec::method):
//   magnitude  fine-grained (Han et al. 2015). With `quality` q: prune |w| < q × std(w), the
//              standard deviation of all the layer's weights, pruned zeros included (as
//              Distiller's SensitivityPruner). With `sparsity` s: prune the count of weights
//              nearest to s × numel (ties: the smaller count), the smallest |w| first (ties:
//              lower index first). It is block pruning with a block of ones.
//   block      coarse-grained (Cambricon-S, thesis §3.3.1). `block` has one size per weight
//              dimension (FC [out, in] → {B_out, B_in}; conv [M, C/g, kh, kw] →
//              {B_m, B_c, B_kh, B_kw}); missing trailing sizes are 1, so "4" on a conv weight is
//              a block of 4 output channels × 1 × 1 × 1. Blocks start at multiples of `stride`
//              along every dimension (default stride = block: a tiling). The criterion of a
//              block is the mean or the max |w| over its elements (pruned ones count as 0).
//              Partial edge blocks: where a dimension is not a multiple of the stride, the last
//              block along it is cut at the edge; it is judged by the same criterion over its
//              actual elements (the mean divides by its real element count) and, when pruned,
//              removes only those elements. With stride > block the elements between blocks
//              belong to no block and are never pruned; with stride < block blocks overlap and
//              an element is pruned when any block holding it is.
//              With `quality` q: prune every block whose criterion < q × std(w). With
//              `sparsity` s: prune whole blocks, smallest criterion first (ties: lower position
//              in row-major block order first), choosing the count k whose pruned element total
//              is nearest to s × numel (ties: the smaller k); with a tiling that divides the
//              weight and s × blocks a whole number, exactly k = s × blocks blocks are pruned
//              and the element sparsity is exactly s.
//   nm         N:M (NVIDIA ASP, "m4n2_1d"): groups of `m` consecutive weights along dimension 1
//              (input channels; for conv at fixed output channel and kernel position), keep the
//              `n` largest |w| of each group (ties: lower index kept). A partial last group of
//              L < m weights keeps its min(n, L) largest.
//   filter     whole rows of the 2-D view (output neurons / filters), smallest L1 norm first;
//              `sparsity` s prunes the nearest whole number of rows to s × rows (ties: fewer;
//              equal norms: lower row first).
//   channel    whole input channels (dimension 1 across every row and kernel position),
//              smallest L1 norm first; the nearest whole number to s × channels.
//   balanced   ESE (Han et al. 2017): row r of the 2-D view goes to processing element r % pes;
//              every PE keeps the same number K of non-zeros, its K largest |w| (ties: lower
//              position kept), K = the nearest whole number to (1 − s) × numel / pes (ties:
//              the larger K), capped by the smallest number of non-zeros any PE has left.
//
// Gates (recurrent layers, a recipe's `gates:`): with PruneSpec::gates set, only the rows of
// the named gates of a recurrent weight W [dirs, G·H, I] are pruned (G gate blocks of H rows,
// in gate_order: LSTM i, o, f, c; GRU z, r, h, the ONNX orders). The pruner sees those rows,
// every direction's, as one 2-D matrix [dirs · |gates| · H, I] in weight order, so sparsity,
// pes and the rest apply to the selected rows; the other gates' rows keep their existing mask.
//
// Iterations: the existing mask (empty = dense) is always respected: a weight pruned before
// stays pruned, and it counts towards the target sparsity, so sparsity never decreases. For
// block pruning the block grid depends only on the weight shape, block and stride, so the
// blocks pruned in later iterations have the same shape as the earlier ones; blocks already
// fully pruned are skipped (they stay pruned and are not candidates again).
// Every pruner is deterministic (ties broken by position).
//
// Thread-safety: pure functions; the pass table is immutable.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/ir/op.h"

namespace sieve::compress {

enum class BlockCriterion { kMean, kMax };
const char* block_criterion_name(BlockCriterion c);  // "mean", "max"

// The one type of pruning settings: what a recipe's `prune:` entry says for a layer (parsed by
// parse_recipe, compress/recipe.h, the one parser; docs/formats/recipe.md) and what a pruner
// runs with (after resolved()).
struct PruneSpec {
  // "none" (leave the layer dense) or a pass of passes.def (prune_methods() lists them).
  std::string method = "none";
  // Exactly one of sparsity (fraction pruned, in [0, 1]) and quality (threshold in standard
  // deviations, >= 0) is set (>= 0) for magnitude and block; filter, channel and balanced take
  // sparsity; nm ignores sparsity (its sparsity is 1 − n/m) and rejects quality. -1 = not set.
  double sparsity = -1.0;
  double quality = -1.0;
  // block: one size per dimension (FC [B_out, B_in], conv [B_m, B_c, B_kh, B_kw]), padded
  // with 1; empty = all 1.
  std::vector<int64_t> block;
  std::vector<int64_t> stride;  // block: empty = block (a tiling)
  BlockCriterion criterion = BlockCriterion::kMean;
  int64_t n = 2, m = 4;  // nm
  int64_t pes = 8;       // balanced: processing elements (row groups)
  // Recurrent weights only: the gates whose rows are pruned (empty = the whole weight), and the
  // gate names of the layer's op in row-block order (gate_names; set from the op by
  // Recipe::prune_for, not by the recipe).
  std::vector<std::string> gates;
  std::vector<std::string> gate_order;
  // The keys given explicitly in a recipe (for key-by-key overrides), e.g. {"method",
  // "sparsity"}. Not used by the pruners.
  std::set<std::string> given;

  // "block 4x4 stride 4x4 mean sparsity 0.9" and the like, for logs and reports.
  std::string to_string() const;
  // This spec with the keys given in `o` copied over it (sparsity and quality replace each
  // other): a recipe's per-node override applied to its op-kind default.
  PruneSpec merged(const PruneSpec& o) const;
  // What the pruner runs with: block and stride only for method block (an override may switch
  // the method of a default that gives a block), sparsity 0 when neither sparsity nor quality
  // is set.
  PruneSpec resolved() const;
};

// The gate names of a recurrent op's weight, in the order of its row blocks (ONNX): LSTM
// {i, o, f, c}, GRU {z, r, h}; empty for every other op.
const std::vector<std::string>& gate_names(ir::OpKind op);

// The keys of a recipe's prune entry, in the order error messages list them.
const std::vector<std::string>& prune_spec_keys();
// The methods a spec may name: "none", then every pass of passes.def in its order.
const std::vector<std::string>& prune_methods();
// "mean" / "max"; an unknown name is an error listing the known ones.
Result<BlockCriterion> parse_block_criterion(const std::string& name);

// Checks a spec against the weight it will prune: the method is known, the right one of
// sparsity / quality is set, block and stride sizes are >= 1, no longer than the rank, and no
// block size exceeds its dimension (a size that does not divide it is fine: partial edge
// blocks), m >= 1, 0 <= n <= m, 1 <= pes <= rows; gates, when given, are distinct names of
// gate_order, the weight is [dirs, G·H, I] with G = gate_order's size, and the rest is checked
// against the selected rows' 2-D view. Errors name `layer`, the field and the value.
// Method "none" is valid for any weight.
Status validate_prune_spec(const PruneSpec& spec, const Shape& weight_shape,
                           const std::string& layer);

// The spec's block and stride padded to the weight's rank (stride defaulting to block).
std::vector<int64_t> full_block(const PruneSpec& spec, const Shape& weight_shape);
std::vector<int64_t> full_stride(const PruneSpec& spec, const Shape& weight_shape);

// The structure a (resolved, validated) spec gives a layer of `weight_shape`: what
// CompressedLayer::structure and CompressedLayer::block record (compress/model.h). The block is
// all 1 except for method block.
PruneStructure prune_structure(const PruneSpec& spec, const Shape& weight_shape);
std::vector<int64_t> structure_block(const PruneSpec& spec, const Shape& weight_shape);

// A pruner: weight (f32), existing keep mask (u8 of the same shape, or empty = dense), a spec
// already validated for this weight. Returns the new u8 keep mask.
using PruneFn = Result<Tensor> (*)(const Tensor& weight, const Tensor& mask,
                                   const PruneSpec& spec);

#define SIEVE_PASS(name, id, fn, desc) \
  Result<Tensor> fn(const Tensor& weight, const Tensor& mask, const PruneSpec& spec);
#include "sieve/compress/passes.def"

struct PassInfo {
  const char* name;
  uint8_t id;  // the method's number in the .sieve container (STRUCTURE section); never reused
  PruneFn fn;
  const char* description;
};
// Every pass of passes.def, in its order.
const std::vector<PassInfo>& prune_passes();
// The pass named `method`; unknown names are errors listing the known ones.
Result<PassInfo> find_prune_pass(const std::string& method);

// The pass with container number `id` (2..255); unknown numbers are errors.
Result<PassInfo> find_prune_pass(uint8_t id);

// Validates `spec` for `weight` (errors name `layer`) and runs its pass; method "none" returns
// the existing mask.
Result<Tensor> prune(const Tensor& weight, const Tensor& mask, const PruneSpec& spec,
                     const std::string& layer);

// Fraction of zero entries of a u8 keep mask (0 for an empty mask).
double mask_sparsity(const Tensor& mask);
// Writes weight *= mask (weight f32, mask u8 of the same shape).
void apply_mask(Tensor& weight, const Tensor& mask);

}  // namespace sieve::compress
