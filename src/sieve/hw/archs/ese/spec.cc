#include "sieve/hw/archs/ese/spec.h"

namespace sieve::hw::ese_arch {

Result<EseSpec> parse_spec(const ParamSet& ps) {
  EseSpec s;
  ParamReader r(ps);
  SIEVE_RETURN_IF_ERROR(r.get("n_channels", s.n_channels, 1, 4096));
  SIEVE_RETURN_IF_ERROR(r.get("pes_per_channel", s.pes_per_channel, 1, 4096));
  SIEVE_RETURN_IF_ERROR(r.get("macs_per_pe", s.macs_per_pe, 1, 1024));
  SIEVE_RETURN_IF_ERROR(r.get("weight_bits", s.weight_bits, 1, 32));
  SIEVE_RETURN_IF_ERROR(r.get("index_bits", s.index_bits, 1, 16));
  SIEVE_RETURN_IF_ERROR(r.get("pointer_bits", s.pointer_bits, 1, 64));
  SIEVE_RETURN_IF_ERROR(r.get("neuron_bits", s.neuron_bits, 8, 64));
  SIEVE_RETURN_IF_ERROR(r.get("pe_pipeline_stages", s.pe_pipeline_stages, 1, 1024));
  SIEVE_RETURN_IF_ERROR(r.get("elemwise_lanes", s.elemwise_lanes, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("elemwise_latency", s.elemwise_latency, 0, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("weight_sram_bytes", s.weight_sram_bytes, 1, int64_t{1} << 40));
  SIEVE_RETURN_IF_ERROR(r.get("freq_ghz", s.freq_ghz, 1e-3, 100.0));
  SIEVE_RETURN_IF_ERROR(read_memory_spec(r, s.memory));
  SIEVE_RETURN_IF_ERROR(r.finish());
  if (s.neuron_bits % 8 != 0)
    return invalid_argument("{}: neuron_bits = {} must be a whole number of bytes", ps.file,
                            s.neuron_bits);
  return s;
}

}  // namespace sieve::hw::ese_arch
