#include "sieve/hw/archs/eie/spec.h"

namespace sieve::hw::eie_arch {

int64_t EieSpec::lnzd_levels() const {
  int64_t levels = 0;
  for (int64_t span = 1; span < n_pe; span *= 4) ++levels;
  return levels;
}

Result<EieSpec> parse_spec(const ParamSet& ps) {
  EieSpec s;
  ParamReader r(ps);
  SIEVE_RETURN_IF_ERROR(r.get("n_pe", s.n_pe, 1, 4096));
  SIEVE_RETURN_IF_ERROR(r.get("queue_depth", s.queue_depth, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("freq_ghz", s.freq_ghz, 1e-3, 100.0));
  SIEVE_RETURN_IF_ERROR(r.get("index_bits", s.index_bits, 1, 8));
  SIEVE_RETURN_IF_ERROR(r.get("code_bits", s.code_bits, 1, 8));
  SIEVE_RETURN_IF_ERROR(r.get("weight_bits", s.weight_bits, 8, 32));
  SIEVE_RETURN_IF_ERROR(r.get("spmat_line_bits", s.spmat_line_bits, 8, 4096));
  SIEVE_RETURN_IF_ERROR(r.get("spmat_bytes_per_pe", s.spmat_bytes_per_pe, 1, int64_t{1} << 40));
  SIEVE_RETURN_IF_ERROR(r.get("act_bytes_per_pe", s.act_bytes_per_pe, 4, int64_t{1} << 40));
  SIEVE_RETURN_IF_ERROR(r.get("pipeline_stages", s.pipeline_stages, 1, 64));
  SIEVE_RETURN_IF_ERROR(r.finish());
  if (s.spmat_line_bits % (s.index_bits + s.code_bits) != 0)
    return invalid_argument(
        "{}: spmat_line_bits = {} is not a whole number of {}-bit entries (index_bits + "
        "code_bits)",
        ps.file, s.spmat_line_bits, s.index_bits + s.code_bits);
  return s;
}

}  // namespace sieve::hw::eie_arch
