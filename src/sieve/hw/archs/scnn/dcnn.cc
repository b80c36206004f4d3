// DCNN and DCNN-opt (Parashar et al., ISCA 2017, §6): SCNN's comparably provisioned dense
// baseline, the same PE grid, multipliers and accumulators with the dense PT-IS-DP dataflow.
// DCNN-opt is the preset dcnn-opt-16nm (zero gating, compressed activations off chip), whose
// one mode is "zero-gated" (DCNN's: "dense"). The
// model is SCNN's (archs/scnn/perf.h) with ScnnSpec::dataflow = kDotProductDense, so its
// registration (archs.def's `dcnn` line) lives in SCNN's folder: it is SCNN's model under another
// name, not a design of its own.
#include "sieve/hw/archs/archs.h"
#include "sieve/hw/archs/scnn/create.h"
#include "sieve/hw/archs/scnn/spec.h"

namespace sieve::hw::dcnn_arch {

Result<std::unique_ptr<Accelerator>> create(const ParamSet& params) {
  SIEVE_ASSIGN_OR_RETURN(scnn_arch::ScnnSpec spec, scnn_arch::parse_dcnn_spec(params));
  std::unique_ptr<Accelerator> acc = scnn_arch::make_model(spec, "dcnn", spec.zero_gating ? "zero-gated" : "dense");
  acc->set_params(params);
  return acc;
}

}  // namespace sieve::hw::dcnn_arch
