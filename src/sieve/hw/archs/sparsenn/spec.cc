#include "sieve/hw/archs/sparsenn/spec.h"

namespace sieve::hw::sparsenn_arch {

int64_t SparseNNSpec::levels() const {
  int64_t l = 0;
  for (int64_t n = 1; n < n_pe; n *= fanout) ++l;
  return l;
}

Result<SparseNNSpec> parse_spec(const ParamSet& ps) {
  SparseNNSpec s;
  ParamReader r(ps);
  SIEVE_RETURN_IF_ERROR(r.get("n_pe", s.n_pe, 1, 4096));
  SIEVE_RETURN_IF_ERROR(r.get("fanout", s.fanout, 2, 64));
  SIEVE_RETURN_IF_ERROR(r.get("macs_per_pe", s.macs_per_pe, 1, 1024));
  SIEVE_RETURN_IF_ERROR(r.get("router_buffer_depth", s.router_buffer_depth, 1, 4096));
  SIEVE_RETURN_IF_ERROR(r.get("pe_fifo_depth", s.pe_fifo_depth, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("router_stages", s.router_stages, 1, 64));
  SIEVE_RETURN_IF_ERROR(r.get("predictor_rank", s.predictor_rank, 0, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("sram_bytes", s.sram_bytes, 2, int64_t{1} << 40));
  SIEVE_RETURN_IF_ERROR(r.get("neuron_bits", s.neuron_bits, 8, 64));
  SIEVE_RETURN_IF_ERROR(r.get("weight_bits", s.weight_bits, 1, 64));
  SIEVE_RETURN_IF_ERROR(r.get("freq_ghz", s.freq_ghz, 1e-3, 100.0));
  SIEVE_RETURN_IF_ERROR(read_memory_spec(r, s.memory));
  SIEVE_RETURN_IF_ERROR(r.finish());
  if (s.n_pe < s.fanout)
    return invalid_argument("{}: n_pe = {} must be at least fanout = {} (one router level)",
                            ps.file, s.n_pe, s.fanout);
  int64_t p = 1;
  while (p < s.n_pe) p *= s.fanout;
  if (p != s.n_pe)
    return invalid_argument("{}: n_pe = {} must be a power of fanout = {} (a full H-tree)", ps.file,
                            s.n_pe, s.fanout);
  if (s.neuron_bits % 8 != 0)
    return invalid_argument("{}: neuron_bits = {} must be a whole number of bytes", ps.file,
                            s.neuron_bits);
  return s;
}

}  // namespace sieve::hw::sparsenn_arch
