#include "sieve/compress/prune/prune.h"

namespace sieve::compress {

const char* block_criterion_name(BlockCriterion c) {
  switch (c) {
    case BlockCriterion::kMean: return "mean";
    case BlockCriterion::kMax: return "max";
  }
  return "?";
}

std::string PruneSpec::to_string() const { return method; }

Result<PruneSpec> parse_prune_spec(const std::map<std::string, std::string>&,
                                   const std::string& where) {
  return unimplemented("{}: parse_prune_spec not yet implemented", where);
}

Status validate_prune_spec(const PruneSpec&, const Shape&, const std::string& layer) {
  return unimplemented("{}: validate_prune_spec not yet implemented", layer);
}

std::vector<int64_t> full_block(const PruneSpec&, const Shape& s) {
  return std::vector<int64_t>(s.size(), 1);
}
std::vector<int64_t> full_stride(const PruneSpec&, const Shape& s) {
  return std::vector<int64_t>(s.size(), 1);
}

#define SIEVE_PASS(name, fn, desc)                                      \
  Result<Tensor> fn(const Tensor&, const Tensor&, const PruneSpec&) {   \
    return unimplemented("pruner " #name " not yet implemented");       \
  }
#include "sieve/compress/passes.def"

const std::vector<PassInfo>& prune_passes() {
  static const std::vector<PassInfo> kPasses = {
#define SIEVE_PASS(name, fn, desc) PassInfo{#name, &fn, desc},
#include "sieve/compress/passes.def"
  };
  return kPasses;
}

Result<PassInfo> find_prune_pass(const std::string& method) {
  return unimplemented("find_prune_pass({}) not yet implemented", method);
}

Result<Tensor> prune(const Tensor&, const Tensor&, const PruneSpec&, const std::string& layer) {
  return unimplemented("{}: prune not yet implemented", layer);
}

double mask_sparsity(const Tensor&) { return 0.0; }
void apply_mask(Tensor&, const Tensor&) {}

}  // namespace sieve::compress
