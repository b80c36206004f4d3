#include "sieve/compress/schedule/iterative.h"

namespace sieve::compress {

std::vector<std::pair<std::string, std::string>> prunable_weights(const ir::Graph&) { return {}; }

Result<std::map<std::string, PruneSpec>> resolve_layer_specs(
    const ir::Graph&, const std::map<std::string, PruneSpec>&) {
  return unimplemented("resolve_layer_specs: not yet implemented");
}

Status prune_step(const ir::Graph&, const std::map<std::string, PruneSpec>&,
                  const std::map<std::string, double>&, std::map<std::string, Tensor>&) {
  return unimplemented("prune_step: not yet implemented");
}

Result<PruneResult> prune_and_retrain(ir::Graph&, const std::map<std::string, PruneSpec>&,
                                      const RetrainOptions&, const io::Dataset&,
                                      const io::Dataset&, const ScheduleProgressCallback&) {
  return unimplemented("prune_and_retrain: not yet implemented");
}

Result<DsdResult> dense_sparse_dense(ir::Graph&, const std::map<std::string, PruneSpec>&,
                                     const DsdOptions&, const io::Dataset&, const io::Dataset&,
                                     const ScheduleProgressCallback&) {
  return unimplemented("dense_sparse_dense: not yet implemented");
}

}  // namespace sieve::compress
