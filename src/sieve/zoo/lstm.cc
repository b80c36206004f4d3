// The thesis's LSTM benchmark (§2.1.6, Table 3.3: "LSTM layer only"): the LSTMP acoustic model
// of Sak, Senior and Beaufays (Interspeech 2014) with the dimensions ESE uses (Han et al.,
// FPGA 2017, experimental setup): input 153 features per frame, 1024 memory cells, a recurrent
// projection layer of 512 units, peephole connections on the input, forget and output gates.
// Only the LSTM layer is modelled, as in the thesis ("we only focus on the LSTM layer"): no
// output layer, so the graph output is the projected state sequence Y.
// Equations (thesis eq. 2.11-2.17, Sak et al. eq. 1-7), per time step t:
//   i = σ(W_ix x + W_ir r_{t-1} + p_i ⊙ c_{t-1} + b_i)   f, o alike (o peeks at c_t)
//   g = tanh(W_gx x + W_gr r_{t-1} + b_g)   c_t = f ⊙ c_{t-1} + i ⊙ g
//   m_t = o ⊙ tanh(c_t)                      r_t = W_rm m_t (the 512-wide projection)
// As an ONNX LSTM with the Sieve extension proj_size (ops.def): X [seq, batch, 153],
// W [1, 4096, 153], R [1, 4096, 512], B [1, 8192], P [1, 3072], W_proj [1, 512, 1024].
// Parameters: W 626,688 + R 2,097,152 + W_proj 524,288 = 3,248,128 weights (3.25 M),
// + P 3,072 + B 8,192 = 3,259,392. ONNX stores input and recurrent biases separately (8·1024);
// Sak's model has one bias per gate, so 4,096 of them are redundant (3,255,296 without them).
// Cross-check with the thesis: 3.25 M weights at 87.94 % sparsity in 4-byte floats is
// 3.25e6 · 0.1206 · 4 B = 1.50 MiB, the W_p of Table 3.3.
// The zoo builds one time step (seq = 1), so its MACs are per frame: 4096·153 + 4096·512 +
// 3·1024 (peepholes) + 512·1024 = 3,251,200.
#include "sieve/zoo/builder.h"
#include "sieve/zoo/families.h"

namespace sieve::zoo {

ir::Graph build_lstm(int64_t batch) {
  NetBuilder b("lstm");
  auto x = b.input({1, batch, 153});
  x = b.lstm("lstm", x, {.hidden = 1024, .proj = 512, .peepholes = true});
  return b.finish(x);
}

}  // namespace sieve::zoo
