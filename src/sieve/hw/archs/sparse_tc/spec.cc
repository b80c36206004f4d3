#include "sieve/hw/archs/sparse_tc/spec.h"

#include <bit>

namespace sieve::hw::sparse_tc_arch {

Result<SparseTcSpec> parse_spec(const ParamSet& ps) {
  SparseTcSpec s;
  ParamReader r(ps);
  constexpr int64_t kBig = int64_t{1} << 40;
  SIEVE_RETURN_IF_ERROR(r.get("n_sm", s.n_sm, 1, 65536));
  SIEVE_RETURN_IF_ERROR(r.get("tensor_cores_per_sm", s.tensor_cores_per_sm, 1, 64));
  SIEVE_RETURN_IF_ERROR(r.get("dense_macs_per_tc", s.dense_macs_per_tc, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("cuda_cores_per_sm", s.cuda_cores_per_sm, 1, 4096));
  SIEVE_RETURN_IF_ERROR(r.get("freq_ghz", s.freq_ghz, 1e-3, 100.0));
  SIEVE_RETURN_IF_ERROR(r.get("sparse_n", s.sparse_n, 1, 64));
  SIEVE_RETURN_IF_ERROR(r.get("sparse_m", s.sparse_m, 1, 64));
  SIEVE_RETURN_IF_ERROR(r.get("metadata_bits", s.metadata_bits, 0, 16));
  SIEVE_RETURN_IF_ERROR(r.get("operand_bits", s.operand_bits, 8, 64));
  SIEVE_RETURN_IF_ERROR(r.get("accum_bits", s.accum_bits, 8, 64));
  SIEVE_RETURN_IF_ERROR(r.get("cta_m", s.cta_m, 1, 4096));
  SIEVE_RETURN_IF_ERROR(r.get("cta_n", s.cta_n, 1, 4096));
  SIEVE_RETURN_IF_ERROR(r.get("cta_k", s.cta_k, 1, 4096));
  SIEVE_RETURN_IF_ERROR(r.get("warps_m", s.warps_m, 1, 64));
  SIEVE_RETURN_IF_ERROR(r.get("warps_n", s.warps_n, 1, 64));
  SIEVE_RETURN_IF_ERROR(r.get("mma_m", s.mma_m, 1, 256));
  SIEVE_RETURN_IF_ERROR(r.get("mma_n", s.mma_n, 1, 256));
  SIEVE_RETURN_IF_ERROR(r.get("smem_bytes_per_clk", s.smem_bytes_per_clk, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("l2_bytes_per_clk", s.l2_bytes_per_clk, 1, 1 << 24));
  SIEVE_RETURN_IF_ERROR(r.get("cta_prologue_cycles", s.cta_prologue_cycles, 0, 1 << 24));
  SIEVE_RETURN_IF_ERROR(r.get("kernel_overhead_cycles", s.kernel_overhead_cycles, 0, 1 << 30));
  SIEVE_RETURN_IF_ERROR(r.get("line_bytes", s.line_bytes, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("nbin_bytes", s.nbin_bytes, 2, kBig));
  SIEVE_RETURN_IF_ERROR(r.get("nbout_bytes", s.nbout_bytes, 2, kBig));
  SIEVE_RETURN_IF_ERROR(r.get("sb_bytes", s.sb_bytes, 2, kBig));
  SIEVE_RETURN_IF_ERROR(r.get("ping_pong", s.ping_pong));
  SIEVE_RETURN_IF_ERROR(read_memory_spec(r, s.memory));
  SIEVE_RETURN_IF_ERROR(r.finish());
  if (s.sparse_n > s.sparse_m)
    return invalid_argument("{}: sparse_n = {} exceeds sparse_m = {} (N:M keeps at most M of M)",
                            ps.file, s.sparse_n, s.sparse_m);
  const int64_t need = std::bit_width(static_cast<uint64_t>(s.sparse_m - 1));
  if (s.metadata_bits < need)
    return invalid_argument(
        "{}: metadata_bits = {} cannot index {} positions (sparse_m = {} needs {} bits)", ps.file,
        s.metadata_bits, s.sparse_m, s.sparse_m, need);
  if (s.operand_bits % 8 != 0)
    return invalid_argument("{}: operand_bits = {} must be a whole number of bytes", ps.file,
                            s.operand_bits);
  if (s.cta_m % s.warps_m != 0 || s.cta_n % s.warps_n != 0)
    return invalid_argument("{}: warps_m x warps_n = {} x {} must divide cta_m x cta_n = {} x {}",
                            ps.file, s.warps_m, s.warps_n, s.cta_m, s.cta_n);
  return s;
}

}  // namespace sieve::hw::sparse_tc_arch
