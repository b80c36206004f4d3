#include "sieve/hw/archs/scnn/spec.h"

namespace sieve::hw::scnn_arch {
namespace {

Status read_common(ParamReader& r, ScnnSpec& s) {
  SIEVE_RETURN_IF_ERROR(r.get("pe_rows", s.pe_rows, 1, 1024));
  SIEVE_RETURN_IF_ERROR(r.get("pe_cols", s.pe_cols, 1, 1024));
  SIEVE_RETURN_IF_ERROR(r.get("mult_f", s.mult_f, 1, 8));
  SIEVE_RETURN_IF_ERROR(r.get("mult_i", s.mult_i, 1, 16));
  SIEVE_RETURN_IF_ERROR(r.get("acc_banks", s.acc_banks, 1, 1024));
  SIEVE_RETURN_IF_ERROR(r.get("acc_bank_entries", s.acc_bank_entries, 1, int64_t{1} << 20));
  SIEVE_RETURN_IF_ERROR(r.get("iaram_bytes", s.iaram_bytes, 2, int64_t{1} << 40));
  SIEVE_RETURN_IF_ERROR(r.get("oaram_bytes", s.oaram_bytes, 2, int64_t{1} << 40));
  SIEVE_RETURN_IF_ERROR(r.get("neuron_bits", s.neuron_bits, 8, 64));
  SIEVE_RETURN_IF_ERROR(r.get("weight_bits", s.weight_bits, 1, 64));
  SIEVE_RETURN_IF_ERROR(r.get("halo_words_per_cycle", s.halo_words_per_cycle, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("freq_ghz", s.freq_ghz, 1e-3, 100.0));
  return read_memory_spec(r, s.memory);
}

Status check(const ParamSet& ps, const ScnnSpec& s) {
  if (s.neuron_bits % 8 != 0)
    return invalid_argument("{}: neuron_bits = {} must be a whole number of bytes", ps.file,
                            s.neuron_bits);
  if (s.acc_banks % s.mult_f != 0 || s.lanes() > 8)
    return invalid_argument(
        "{}: acc_banks = {} must be mult_f ({}) times 1..8 (banks are interleaved by output "
        "channel mod F and by output position)",
        ps.file, s.acc_banks, s.mult_f);
  return ok_status();
}

}  // namespace

Result<ScnnSpec> parse_scnn_spec(const ParamSet& ps) {
  ScnnSpec s;
  s.dataflow = Dataflow::kCartesianSparse;
  ParamReader r(ps);
  SIEVE_RETURN_IF_ERROR(read_common(r, s));
  SIEVE_RETURN_IF_ERROR(r.get("weight_fifo_entries", s.weight_fifo_entries, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("index_bits", s.index_bits, 1, 16));
  SIEVE_RETURN_IF_ERROR(r.finish());
  s.zero_gating = true;  // only non-zero operands ever reach a multiplier
  s.compress_activations = true;
  SIEVE_RETURN_IF_ERROR(check(ps, s));
  return s;
}

Result<ScnnSpec> parse_dcnn_spec(const ParamSet& ps) {
  ScnnSpec s;
  s.dataflow = Dataflow::kDotProductDense;
  ParamReader r(ps);
  SIEVE_RETURN_IF_ERROR(read_common(r, s));
  SIEVE_RETURN_IF_ERROR(r.get("zero_gating", s.zero_gating));
  SIEVE_RETURN_IF_ERROR(r.get("compress_activations", s.compress_activations));
  SIEVE_RETURN_IF_ERROR(r.get("index_bits", s.index_bits, 1, 16));
  SIEVE_RETURN_IF_ERROR(r.finish());
  SIEVE_RETURN_IF_ERROR(check(ps, s));
  return s;
}

}  // namespace sieve::hw::scnn_arch
