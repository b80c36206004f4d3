#include "sieve/hw/archs/cnvlutin/spec.h"

namespace sieve::hw::cnvlutin_arch {

Result<CnvlutinSpec> parse_spec(const ParamSet& ps) {
  CnvlutinSpec s;
  ParamReader r(ps);
  SIEVE_RETURN_IF_ERROR(dadiannao_arch::read_node(r, s.node));
  SIEVE_RETURN_IF_ERROR(r.get("brick_neurons", s.brick_neurons, 1, 1024));
  SIEVE_RETURN_IF_ERROR(r.get("offset_bits", s.offset_bits, 1, 16));
  SIEVE_RETURN_IF_ERROR(r.get("lane_sync_bricks", s.lane_sync_bricks, 1, int64_t{1} << 20));
  SIEVE_RETURN_IF_ERROR(r.finish());
  if (s.node.neuron_bits % 8 != 0)
    return invalid_argument("{}: neuron_bits = {} must be a whole number of bytes", ps.file,
                            s.node.neuron_bits);
  if ((int64_t{1} << s.offset_bits) < s.brick_neurons)
    return invalid_argument("{}: offset_bits = {} cannot address brick_neurons = {}", ps.file,
                            s.offset_bits, s.brick_neurons);
  return s;
}

}  // namespace sieve::hw::cnvlutin_arch
