#include "sieve/hw/archs/cambricon_x/spec.h"

#include "sieve/hw/core/events.h"

namespace sieve::hw::cambricon_x_arch {

Result<CambriconXSpec> parse_spec(const ParamSet& ps) {
  CambriconXSpec s;
  ParamReader r(ps);
  SIEVE_RETURN_IF_ERROR(r.get("n_pe", s.n_pe, 1, 4096));
  SIEVE_RETURN_IF_ERROR(r.get("multipliers_per_pe", s.multipliers_per_pe, 1, 4096));
  SIEVE_RETURN_IF_ERROR(r.get("pipeline_stages", s.pipeline_stages, 1, 64));
  SIEVE_RETURN_IF_ERROR(r.get("freq_ghz", s.freq_ghz, 1e-3, 100.0));
  SIEVE_RETURN_IF_ERROR(r.get("nbin_bytes", s.nbin_bytes, 2, int64_t{1} << 40));
  SIEVE_RETURN_IF_ERROR(r.get("nbout_bytes", s.nbout_bytes, 2, int64_t{1} << 40));
  SIEVE_RETURN_IF_ERROR(r.get("sb_bytes", s.sb_bytes, 2, int64_t{1} << 40));
  SIEVE_RETURN_IF_ERROR(r.get("ping_pong", s.ping_pong));
  SIEVE_RETURN_IF_ERROR(r.get("neuron_bits", s.neuron_bits, 8, 64));
  SIEVE_RETURN_IF_ERROR(r.get("weight_bits", s.weight_bits, 1, 64));
  SIEVE_RETURN_IF_ERROR(r.get("step_index_bits", s.step_index_bits, 1, 32));
  SIEVE_RETURN_IF_ERROR(r.get("im_window", s.im_window, 1, int64_t{1} << 30));
  SIEVE_RETURN_IF_ERROR(read_memory_spec(r, s.memory));
  SIEVE_RETURN_IF_ERROR(r.finish());
  if (s.neuron_bits % 8 != 0)
    return invalid_argument("{}: neuron_bits = {} must be a whole number of bytes", ps.file,
                            s.neuron_bits);
  return s;
}

}  // namespace sieve::hw::cambricon_x_arch
