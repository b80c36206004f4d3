#include "sieve/hw/core/dadiannao_node/spec.h"

namespace sieve::hw::dadiannao_arch {

Status read_node(ParamReader& r, DaDianNaoSpec& s) {
  SIEVE_RETURN_IF_ERROR(r.get("n_tiles", s.n_tiles, 1, 4096));
  SIEVE_RETURN_IF_ERROR(r.get("nfu_inputs", s.nfu_inputs, 1, 1024));
  SIEVE_RETURN_IF_ERROR(r.get("nfu_outputs", s.nfu_outputs, 1, 1024));
  SIEVE_RETURN_IF_ERROR(r.get("pipeline_stages", s.pipeline_stages, 1, 64));
  SIEVE_RETURN_IF_ERROR(r.get("freq_ghz", s.freq_ghz, 1e-3, 100.0));
  SIEVE_RETURN_IF_ERROR(r.get("nm_bytes", s.nm_bytes, 4, int64_t{1} << 40));
  SIEVE_RETURN_IF_ERROR(r.get("sb_bytes_per_tile", s.sb_bytes_per_tile, 2, int64_t{1} << 40));
  SIEVE_RETURN_IF_ERROR(r.get("ping_pong", s.ping_pong));
  SIEVE_RETURN_IF_ERROR(r.get("neuron_bits", s.neuron_bits, 8, 64));
  SIEVE_RETURN_IF_ERROR(r.get("weight_bits", s.weight_bits, 1, 64));
  SIEVE_RETURN_IF_ERROR(r.get("synapses_resident", s.synapses_resident));
  SIEVE_RETURN_IF_ERROR(r.get("neurons_resident", s.neurons_resident));
  SIEVE_RETURN_IF_ERROR(read_memory_spec(r, s.memory));
  return ok_status();
}

Result<DaDianNaoSpec> parse_spec(const ParamSet& ps) {
  DaDianNaoSpec s;
  ParamReader r(ps);
  SIEVE_RETURN_IF_ERROR(read_node(r, s));
  SIEVE_RETURN_IF_ERROR(r.finish());
  if (s.neuron_bits % 8 != 0)
    return invalid_argument("{}: neuron_bits = {} must be a whole number of bytes", ps.file,
                            s.neuron_bits);
  return s;
}

}  // namespace sieve::hw::dadiannao_arch
