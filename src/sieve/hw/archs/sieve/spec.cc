#include "sieve/hw/archs/sieve/spec.h"

#include <algorithm>

#include "sieve/hw/core/events.h"

namespace sieve::hw::sieve_arch {

int64_t Spec::pairs_per_cycle() const {
  return std::min({tm, nsm_select, ssm_select});
}

int Spec::aligned_weight_bits(int bits) const {
  int w = weight_align_bits;
  while (w < bits && w < 16) w *= 2;
  return w;
}

Result<Spec> parse_spec(const ParamSet& ps) {
  Spec s;
  ParamReader r(ps);
  constexpr int64_t kBig = int64_t{1} << 40;
  SIEVE_RETURN_IF_ERROR(r.get("tn", s.tn, 1, 4096));
  SIEVE_RETURN_IF_ERROR(r.get("tm", s.tm, 1, 4096));
  SIEVE_RETURN_IF_ERROR(r.get("freq_ghz", s.freq_ghz, 1e-6, 1e3));
  SIEVE_RETURN_IF_ERROR(r.get("nbin_bytes", s.nbin_bytes, 16, kBig));
  SIEVE_RETURN_IF_ERROR(r.get("nbout_bytes", s.nbout_bytes, 16, kBig));
  SIEVE_RETURN_IF_ERROR(r.get("sb_bytes", s.sb_bytes, 16, kBig));
  SIEVE_RETURN_IF_ERROR(r.get("nibin_bytes", s.nibin_bytes, 2, kBig));
  SIEVE_RETURN_IF_ERROR(r.get("sib_bytes", s.sib_bytes, 2, kBig));
  SIEVE_RETURN_IF_ERROR(r.get("nsm_window", s.nsm_window, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("nsm_select", s.nsm_select, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("ssm_window", s.ssm_window, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("ssm_select", s.ssm_select, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("encoder_window", s.encoder_window, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("encoder_select", s.encoder_select, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("neuron_bits", s.neuron_bits, 1, 64));
  SIEVE_RETURN_IF_ERROR(r.get("weight_bits_dense", s.weight_bits_dense, 1, 64));
  SIEVE_RETURN_IF_ERROR(r.get("psum_bits", s.psum_bits, 1, 64));
  SIEVE_RETURN_IF_ERROR(r.get("weight_align_bits", s.weight_align_bits, 1, 16));
  SIEVE_RETURN_IF_ERROR(r.get("vector_lanes", s.vector_lanes, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(r.get("huffman_decoders", s.huffman_decoders, 1, 1 << 20));
  SIEVE_RETURN_IF_ERROR(
      r.get("huffman_decoder_area_mm2", s.huffman_decoder_area_mm2, 0.0, 1.0));
  SIEVE_RETURN_IF_ERROR(r.get("huffman_code_gain", s.huffman_code_gain, 1.0, 16.0));
  SIEVE_RETURN_IF_ERROR(read_memory_spec(r, s.dram));
  SIEVE_RETURN_IF_ERROR(r.finish());
  if (s.nsm_select > s.nsm_window)
    return invalid_argument("{}: nsm_select = {} exceeds nsm_window = {}", ps.file, s.nsm_select,
                            s.nsm_window);
  if (s.ssm_select > s.ssm_window)
    return invalid_argument("{}: ssm_select = {} exceeds ssm_window = {}", ps.file, s.ssm_select,
                            s.ssm_window);
  if (s.encoder_select > s.encoder_window)
    return invalid_argument("{}: encoder_select = {} exceeds encoder_window = {}", ps.file,
                            s.encoder_select, s.encoder_window);
  if (s.nsm_window % 8 != 0)
    return invalid_argument("{}: nsm_window = {} must be a multiple of 8 (index bytes)", ps.file,
                            s.nsm_window);
  return s;
}

Status check_huffman_bank(const Spec& s) {
  if (s.huffman_decoders < s.tn * s.ssm_window)
    return invalid_argument(
        "mode huffman: huffman_decoders = {} is below T_n × ssm_window = {}: a bank that stalls "
        "the PEs is not modelled",
        s.huffman_decoders, s.tn * s.ssm_window);
  return ok_status();
}

const std::vector<std::string>& mode_names() {
  static const std::vector<std::string> names = {"sparse", "dense", "weight-sparse",
                                                 "neuron-sparse", "no-quant",
                                                 "no-encoder",    "no-shared-index", "huffman"};
  return names;
}

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::kSparse: return "sparse";
    case Mode::kDense: return "dense";
    case Mode::kWeightSparse: return "weight-sparse";
    case Mode::kNeuronSparse: return "neuron-sparse";
    case Mode::kNoQuant: return "no-quant";
    case Mode::kNoEncoder: return "no-encoder";
    case Mode::kNoSharedIndex: return "no-shared-index";
    case Mode::kHuffman: return "huffman";
  }
  return "?";
}

Result<Mode> parse_mode(const std::string& name) {
  if (name.empty() || name == "sparse") return Mode::kSparse;
  if (name == "dense") return Mode::kDense;
  if (name == "weight-sparse") return Mode::kWeightSparse;
  if (name == "neuron-sparse") return Mode::kNeuronSparse;
  if (name == "no-quant") return Mode::kNoQuant;
  if (name == "no-encoder") return Mode::kNoEncoder;
  if (name == "no-shared-index") return Mode::kNoSharedIndex;
  if (name == "huffman") return Mode::kHuffman;
  std::string known;
  for (const std::string& n : mode_names()) known += (known.empty() ? "" : ", ") + n;
  return invalid_argument("unknown mode \"{}\" for arch sieve; known: {}", name, known);
}

ModeSwitches switches(Mode m) {
  // Every module on: the sparse mode. Each ablation switches one thing from there.
  const ModeSwitches all{.nsm = true,
                         .ssm = true,
                         .wdm = true,
                         .encoder = true,
                         .neuron_index = true,
                         .synapse_index = true};
  ModeSwitches s = all;
  switch (m) {
    case Mode::kSparse: break;
    case Mode::kDense: s = ModeSwitches{}; break;
    case Mode::kWeightSparse:
      s.ssm = s.encoder = s.neuron_index = false;
      break;
    case Mode::kNeuronSparse:
      s.wdm = s.synapse_index = false;
      break;
    case Mode::kNoQuant: s.wdm = false; break;
    case Mode::kNoEncoder: s.encoder = false; break;
    case Mode::kNoSharedIndex: s.shared_index = false; break;
    case Mode::kHuffman: s.huffman = true; break;
  }
  return s;
}

compiler::BufferModel Spec::buffer_model() const {
  compiler::BufferModel b;
  b.whole = {nbin_bytes, nibin_bytes, nbout_bytes, sb_bytes, sib_bytes};
  b.ping_pong = true;  // thesis §4.2: every buffer is split in two halves
  b.neuron_bits = neuron_bits;
  return b;
}

}  // namespace sieve::hw::sieve_arch
