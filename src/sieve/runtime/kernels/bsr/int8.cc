// The int8 route's packing, dispatch and scalar path (int8.h). Compiled for the x86-64
// baseline: the scalar path is the reference the VNNI path must equal bit for bit.
#include "sieve/runtime/kernels/bsr/int8.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "sieve/core/assert.h"
#include "sieve/runtime/kernels/bsr/internal.h"

namespace sieve::runtime::kernels::bsr {

namespace {

// Symmetric int8 scale of values: max |v| / 127, or 1 when all are 0.
float int8_scale(const float* v, int64_t count) {
  float m = 0.0f;
  for (int64_t i = 0; i < count; ++i) m = std::max(m, std::abs(v[i]));
  return m > 0.0f ? m / 127.0f : 1.0f;
}

int8_t quantize_weight(float v, float scale) {
  const float q = std::nearbyint(v / scale);
  return static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f));
}

// The int8 weight at (r, c) of kept block k, c < 4·quads (0 past bc).
int weight_at(const BsrInt8Weights& w, int64_t k, int64_t r, int64_t c) {
  const uint8_t* b = w.block(k);
  const int64_t q = c / 4;
  if (w.bits == 4) {
    const uint8_t byte = b[(q / 2) * w.br * 4 + r * 4 + c % 4];
    const unsigned nib = q % 2 != 0 ? byte >> 4 : byte & 0xFu;
    return w.qcodebooks[static_cast<size_t>(w.block_codebook[static_cast<size_t>(k)]) * 16 + nib];
  }
  return static_cast<int8_t>(b[q * w.br * 4 + r * 4 + c % 4]);
}

const CpuFeatures& this_cpu() {
  static const CpuFeatures cpu = detected_cpu_features();
  return cpu;
}

// The grouped form of a 16×1 layer (int8.h): each run's kept blocks 8 at a time.
void pack_grouped(const BsrWeights& w, const std::vector<int8_t>& qcb,
                  const std::vector<float>& block_scale, const std::vector<int64_t>& block_key,
                  BsrInt8Weights& q) {
  const int64_t entries = w.bits != 0 ? int64_t{1} << w.bits : 0;
  // Virtual blocks: count first (runs are cut where the codebook changes).
  struct Run {
    int64_t k0, k1;
  };
  std::vector<Run> runs;
  std::vector<int64_t> run_ptr(1, 0);
  for (int64_t bi = 0; bi < w.block_rows(); ++bi) {
    const int64_t k0 = w.row_ptr[static_cast<size_t>(bi)], k1 = w.row_ptr[static_cast<size_t>(bi + 1)];
    for (int64_t k = k0, start = k0; k < k1; ++k) {
      if (k + 1 == k1 || block_key[static_cast<size_t>(k + 1)] != block_key[static_cast<size_t>(k)]) {
        runs.push_back({start, k + 1});
        start = k + 1;
      }
    }
    run_ptr.push_back(static_cast<int64_t>(runs.size()));
  }
  int64_t nv = 0;
  for (const Run& r : runs) nv += (r.k1 - r.k0 + 7) / 8;
  const int64_t bb = q.block_bytes();
  q.data.assign(static_cast<size_t>((nv * bb + 63) / 64 + 1), BsrInt8Weights::Line{});
  q.vcols.assign(static_cast<size_t>(nv * 8), static_cast<int32_t>(q.xpad));
  q.run_ptr = run_ptr;
  q.run_end.clear();
  q.run_scale.clear();
  q.vrow_ptr.assign(1, 0);
  q.wsum.assign(static_cast<size_t>(w.rows), 0.0f);
  std::vector<double> wsum(static_cast<size_t>(w.rows), 0.0);
  uint8_t* out = reinterpret_cast<uint8_t*>(q.data.data());
  int64_t v = 0;
  for (int64_t bi = 0; bi < w.block_rows(); ++bi) {
    for (int64_t u = run_ptr[static_cast<size_t>(bi)]; u < run_ptr[static_cast<size_t>(bi + 1)]; ++u) {
      const Run& run = runs[static_cast<size_t>(u)];
      const float scale = block_scale[static_cast<size_t>(run.k0)];
      for (int64_t k = run.k0; k < run.k1; ++k) {
        const int64_t slot = (k - run.k0) % 8;
        const int64_t vb = v + (k - run.k0) / 8;
        q.vcols[static_cast<size_t>(vb * 8 + slot)] = w.col_blk[static_cast<size_t>(k)];
        uint8_t* ob = out + vb * bb;
        const int64_t qd = slot / 4;
        for (int64_t r = 0; r < 16; ++r) {
          int wq;
          if (q.bits == 4) {
            const unsigned code = detail::block_code(w, k, r);
            ob[r * 4 + slot % 4] |= static_cast<uint8_t>(code << (qd != 0 ? 4 : 0));
            wq = qcb[static_cast<size_t>(w.block_codebook[static_cast<size_t>(k)] * entries + code)];
          } else {
            if (w.bits == 0) {
              wq = quantize_weight(w.values[static_cast<size_t>(k * 16 + r)], scale);
            } else {
              wq = qcb[static_cast<size_t>(w.block_codebook[static_cast<size_t>(k)] * entries +
                                           detail::block_code(w, k, r))];
            }
            ob[qd * 64 + r * 4 + slot % 4] = static_cast<uint8_t>(static_cast<int8_t>(wq));
          }
          if (bi * 16 + r < w.rows) wsum[static_cast<size_t>(bi * 16 + r)] += static_cast<double>(wq) * scale;
        }
      }
      const int64_t nvr = (run.k1 - run.k0 + 7) / 8;
      if (q.bits == 4) {
        q.block_codebook.resize(static_cast<size_t>(v + nvr), w.block_codebook[static_cast<size_t>(run.k0)]);
      }
      v += nvr;
      q.run_end.push_back(v);
      q.run_scale.push_back(scale);
    }
    q.vrow_ptr.push_back(v);
  }
  for (size_t r = 0; r < wsum.size(); ++r) q.wsum[r] = static_cast<float>(wsum[r]);
}

}  // namespace

int64_t BsrInt8Weights::bytes() const {
  return static_cast<int64_t>(row_ptr.size() * sizeof(int64_t) + col_blk.size() * sizeof(int32_t) +
                              data.size() * sizeof(Line) + block_codebook.size() * sizeof(int32_t) +
                              qcodebooks.size() + run_ptr.size() * sizeof(int64_t) +
                              run_end.size() * sizeof(int64_t) + run_scale.size() * sizeof(float) +
                              wsum.size() * sizeof(float) + bias.size() * sizeof(float) +
                              vcols.size() * sizeof(int32_t) + vrow_ptr.size() * sizeof(int64_t));
}

Result<BsrInt8Weights> pack_int8(const BsrWeights& w) {
  if (w.cols > 65536) {
    return invalid_argument(
        "int8 route: cols={} is more than 65536 (a run's int32 sums could overflow)", w.cols);
  }
  BsrInt8Weights q;
  q.rows = w.rows;
  q.cols = w.cols;
  q.br = w.br;
  q.bc = w.bc;
  q.grouped = w.br == 16 && w.bc == 1;
  q.quads = q.grouped ? 2 : (w.bc + 3) / 4;
  q.bits = w.bits == 4 && (w.bc % 8 == 0 || q.grouped) ? 4 : 8;
  q.xpad = (w.cols + 15) / 16 * 16 + 16;
  q.row_ptr = w.row_ptr;
  q.col_blk = w.col_blk;
  q.bias = w.bias;
  const int64_t nk = w.kept_blocks(), bsize = w.br * w.bc;

  // The scale of every kept block (and its int8 codebook or block-row scale).
  const int64_t entries = w.bits != 0 ? int64_t{1} << w.bits : 0;
  const int64_t ncb = w.bits != 0 ? static_cast<int64_t>(w.codebooks.size()) / entries : 0;
  std::vector<float> cb_scale(static_cast<size_t>(ncb));
  std::vector<int8_t> qcb(static_cast<size_t>(ncb * entries));
  for (int64_t b = 0; b < ncb; ++b) {
    const float* cb = w.codebooks.data() + b * entries;
    cb_scale[static_cast<size_t>(b)] = int8_scale(cb, entries);
    for (int64_t e = 0; e < entries; ++e) {
      qcb[static_cast<size_t>(b * entries + e)] = quantize_weight(cb[e], cb_scale[static_cast<size_t>(b)]);
    }
  }
  std::vector<float> block_scale(static_cast<size_t>(nk));
  std::vector<int64_t> block_key(static_cast<size_t>(nk));  // equal keys: one run
  for (int64_t bi = 0; bi < w.block_rows(); ++bi) {
    const int64_t k0 = w.row_ptr[static_cast<size_t>(bi)], k1 = w.row_ptr[static_cast<size_t>(bi + 1)];
    float row_scale = 1.0f;
    if (w.bits == 0) row_scale = int8_scale(w.values.data() + k0 * bsize, (k1 - k0) * bsize);
    for (int64_t k = k0; k < k1; ++k) {
      if (w.bits == 0) {
        block_scale[static_cast<size_t>(k)] = row_scale;
        block_key[static_cast<size_t>(k)] = -1;
      } else {
        const int32_t b = w.block_codebook[static_cast<size_t>(k)];
        block_scale[static_cast<size_t>(k)] = cb_scale[static_cast<size_t>(b)];
        block_key[static_cast<size_t>(k)] = b;
      }
    }
  }
  if (q.bits == 4) {
    q.qcodebooks = qcb;
    q.block_codebook = w.block_codebook;
  }

  if (q.grouped) {
    q.block_codebook.clear();
    pack_grouped(w, qcb, block_scale, block_key, q);
    return q;
  }
  // The weights in the VNNI order.
  const int64_t bb = q.block_bytes();
  q.data.assign(static_cast<size_t>((nk * bb + 63) / 64 + 1), BsrInt8Weights::Line{});
  uint8_t* out = reinterpret_cast<uint8_t*>(q.data.data());
  std::vector<float> blk(static_cast<size_t>(bsize));
  for (int64_t k = 0; k < nk; ++k) {
    uint8_t* ob = out + k * bb;
    if (q.bits == 4) {
      for (int64_t r = 0; r < w.br; ++r) {
        for (int64_t c = 0; c < w.bc; ++c) {
          const unsigned code = detail::block_code(w, k, r * w.bc + c);
          const int64_t qd = c / 4;
          ob[(qd / 2) * w.br * 4 + r * 4 + c % 4] |= static_cast<uint8_t>(code << (qd % 2 != 0 ? 4 : 0));
        }
      }
      continue;
    }
    for (int64_t r = 0; r < w.br; ++r) {
      for (int64_t c = 0; c < w.bc; ++c) {
        int8_t v;
        if (w.bits == 0) {
          v = quantize_weight(w.values[static_cast<size_t>(k * bsize + r * w.bc + c)],
                              block_scale[static_cast<size_t>(k)]);
        } else {
          const int32_t b = w.block_codebook[static_cast<size_t>(k)];
          v = qcb[static_cast<size_t>(b * entries + detail::block_code(w, k, r * w.bc + c))];
        }
        ob[(c / 4) * w.br * 4 + r * 4 + c % 4] = static_cast<uint8_t>(v);
      }
    }
  }

  // Runs, and the zero point's share per row.
  q.run_ptr.assign(1, 0);
  q.wsum.assign(static_cast<size_t>(w.rows), 0.0f);
  std::vector<double> wsum(static_cast<size_t>(w.rows), 0.0);
  for (int64_t bi = 0; bi < w.block_rows(); ++bi) {
    const int64_t k0 = w.row_ptr[static_cast<size_t>(bi)], k1 = w.row_ptr[static_cast<size_t>(bi + 1)];
    for (int64_t k = k0; k < k1; ++k) {
      if (k + 1 == k1 || block_key[static_cast<size_t>(k + 1)] != block_key[static_cast<size_t>(k)]) {
        q.run_end.push_back(k + 1);
        q.run_scale.push_back(block_scale[static_cast<size_t>(k)]);
      }
      for (int64_t r = 0; r < w.br && bi * w.br + r < w.rows; ++r) {
        int64_t s = 0;
        for (int64_t c = 0; c < w.bc; ++c) s += weight_at(q, k, r, c);
        wsum[static_cast<size_t>(bi * w.br + r)] += static_cast<double>(s) * block_scale[static_cast<size_t>(k)];
      }
    }
    q.run_ptr.push_back(static_cast<int64_t>(q.run_end.size()));
  }
  for (size_t r = 0; r < wsum.size(); ++r) q.wsum[r] = static_cast<float>(wsum[r]);
  return q;
}

ActQuant quantize_activations(const float* x, int64_t cols, int64_t stride, uint8_t* xq) {
  float mx = 0.0f, mn = 0.0f;
  for (int64_t c = 0; c < cols; ++c) {
    mx = std::max(mx, x[c * stride]);
    mn = std::min(mn, x[c * stride]);
  }
  ActQuant a;
  const bool nonneg = mn >= 0.0f;
  const float amax = std::max(mx, -mn);
  a.zero_point = nonneg ? 0 : 128;
  a.scale = amax > 0.0f ? amax / (nonneg ? 255.0f : 127.0f) : 1.0f;
  const float inv = 1.0f / a.scale, z = static_cast<float>(a.zero_point);
  for (int64_t c = 0; c < cols; ++c) {
    const float v = std::nearbyint(x[c * stride] * inv) + z;
    xq[c] = static_cast<uint8_t>(std::clamp(v, 0.0f, 255.0f));
  }
  return a;
}

Status int8_isa_check(Isa isa, const CpuFeatures& cpu) {
  switch (isa) {
    case Isa::kScalar:
      return Status();
    case Isa::kAvx2:
      if (!cpu.avx2) return failed_precondition("int8 avx2: the CPU has no avx2");
      if (!cpu.fma) return failed_precondition("int8 avx2: the CPU has no fma");
      return Status();
    case Isa::kAvx512:
      if (!cpu.avx512f) return failed_precondition("int8 avx512: the CPU has no avx512f");
      if (!cpu.avx512bw) return failed_precondition("int8 avx512: the CPU has no avx512bw");
      if (!cpu.avx512vnni) return failed_precondition("int8 avx512: the CPU has no avx512vnni");
      return Status();
  }
  return invalid_argument("int8: unknown ISA path");
}

namespace detail {

void spmm_int8_scalar(const BsrInt8Weights& w, const float* x, int64_t n, float* y, int64_t b0,
                      int64_t b1) {
  const int64_t nbc = (w.cols + w.bc - 1) / w.bc;
  // Past cols (a ragged last block column, and the quad padding) the weights are 0; xq[xpad]
  // is the 0 that a grouped layer's empty columns read.
  std::vector<uint8_t> xq(static_cast<size_t>(std::max(nbc * w.bc + 4, w.xpad + 1)), 0);
  const int64_t bce = w.grouped ? 8 : w.bc;
  for (int64_t j = 0; j < n; ++j) {
    const ActQuant a = quantize_activations(x + j, w.cols, n, xq.data());
    const float z = static_cast<float>(a.zero_point);
    for (int64_t bi = b0; bi < b1; ++bi) {
      const int64_t r0 = bi * w.br, rh = std::min(w.br, w.rows - r0);
      for (int64_t r = 0; r < rh; ++r) {
        float acc = 0.0f;
        int64_t k = w.grouped ? w.vrow_ptr[static_cast<size_t>(bi)] : w.row_ptr[static_cast<size_t>(bi)];
        for (int64_t u = w.run_ptr[static_cast<size_t>(bi)]; u < w.run_ptr[static_cast<size_t>(bi + 1)]; ++u) {
          int32_t isum = 0;
          for (; k < w.run_end[static_cast<size_t>(u)]; ++k) {
            for (int64_t c = 0; c < bce; ++c) {
              const int64_t xi = w.grouped ? int64_t{w.vcols[static_cast<size_t>(k * 8 + c)]}
                                           : int64_t{w.col_blk[static_cast<size_t>(k)]} * w.bc + c;
              isum += weight_at(w, k, r, c) * xq[static_cast<size_t>(xi)];
            }
          }
          acc = std::fma(static_cast<float>(isum), w.run_scale[static_cast<size_t>(u)], acc);
        }
        const float t = std::fma(-z, w.wsum[static_cast<size_t>(r0 + r)], acc);
        const float b = w.bias.empty() ? 0.0f : w.bias[static_cast<size_t>(r0 + r)];
        y[(r0 + r) * n + j] = std::fma(t, a.scale, b);
      }
    }
  }
}

void spmm_int8_u8_scalar(const BsrInt8Weights& w, const uint8_t* xq, ActQuant a, int64_t n,
                         float* y, int64_t b0, int64_t b1) {
  const int64_t bce = w.grouped ? 8 : w.bc;
  const float z = static_cast<float>(a.zero_point);
  for (int64_t bi = b0; bi < b1; ++bi) {
    const int64_t r0 = bi * w.br, rh = std::min(w.br, w.rows - r0);
    for (int64_t r = 0; r < rh; ++r) {
      for (int64_t j = 0; j < n; ++j) {
        float acc = 0.0f;
        int64_t k = w.grouped ? w.vrow_ptr[static_cast<size_t>(bi)] : w.row_ptr[static_cast<size_t>(bi)];
        for (int64_t u = w.run_ptr[static_cast<size_t>(bi)]; u < w.run_ptr[static_cast<size_t>(bi + 1)]; ++u) {
          int32_t isum = 0;
          for (; k < w.run_end[static_cast<size_t>(u)]; ++k) {
            for (int64_t c = 0; c < bce; ++c) {
              const int64_t xi = w.grouped ? int64_t{w.vcols[static_cast<size_t>(k * 8 + c)]}
                                           : int64_t{w.col_blk[static_cast<size_t>(k)]} * w.bc + c;
              // Past cols (a grouped layer's empty columns at xpad, a ragged block's padding)
              // x is 0.
              if (xi >= w.cols) continue;
              isum += weight_at(w, k, r, c) * xq[xi * n + j];
            }
          }
          acc = std::fma(static_cast<float>(isum), w.run_scale[static_cast<size_t>(u)], acc);
        }
        const float t = std::fma(-z, w.wsum[static_cast<size_t>(r0 + r)], acc);
        const float b = w.bias.empty() ? 0.0f : w.bias[static_cast<size_t>(r0 + r)];
        y[(r0 + r) * n + j] = std::fma(t, a.scale, b);
      }
    }
  }
}

}  // namespace detail

namespace {

// The checks both entry points make; false when there is nothing to compute.
bool int8_call_runs(const BsrInt8Weights& w, int64_t n, Isa isa, int64_t b0, int64_t b1,
                    const char* what) {
  SIEVE_ASSERT(0 <= b0 && b0 <= b1 && b1 <= w.block_rows(), "{}: block rows [{}, {}) of {}", what,
               b0, b1, w.block_rows());
  SIEVE_ASSERT(n >= 0, "{}: n={}", what, n);
  if (n == 0 || b0 == b1) return false;
  SIEVE_ASSERT(int8_isa_check(isa, this_cpu()).ok(), "{}: {}", what,
               int8_isa_check(isa, this_cpu()).message());
  return true;
}

// The shapes the vector paths run: 16-row block rows of whole column quads, or grouped 16×1.
bool int8_vector_shape(const BsrInt8Weights& w) {
  return w.br == 16 && (w.bc % 4 == 0 || w.grouped);
}

}  // namespace

void spmm_int8_u8(const BsrInt8Weights& w, const uint8_t* xq, ActQuant a, int64_t n, float* y,
                  Isa isa, int64_t block_row_begin, int64_t block_row_end) {
  if (!int8_call_runs(w, n, isa, block_row_begin, block_row_end, "spmm_int8_u8")) return;
  if (isa == Isa::kAvx512 && int8_vector_shape(w)) {
    detail::spmm_int8_u8_avx512vnni(w, xq, a, n, y, block_row_begin, block_row_end,
                                    cpu_features().avx512vbmi && this_cpu().avx512vbmi);
    return;
  }
  if (isa == Isa::kAvx2 && int8_vector_shape(w)) {
    detail::spmm_int8_u8_avx2(w, xq, a, n, y, block_row_begin, block_row_end,
                              cpu_features().avxvnni && this_cpu().avxvnni);
    return;
  }
  detail::spmm_int8_u8_scalar(w, xq, a, n, y, block_row_begin, block_row_end);
}

void spmm_int8(const BsrInt8Weights& w, const float* x, int64_t n, float* y, Isa isa,
               int64_t block_row_begin, int64_t block_row_end) {
  if (!int8_call_runs(w, n, isa, block_row_begin, block_row_end, "spmm_int8")) return;
  if (isa == Isa::kAvx512 && int8_vector_shape(w)) {
    detail::spmm_int8_avx512vnni(w, x, n, y, block_row_begin, block_row_end,
                                 cpu_features().avx512vbmi && this_cpu().avx512vbmi);
    return;
  }
  if (isa == Isa::kAvx2 && int8_vector_shape(w)) {
    detail::spmm_int8_avx2(w, x, n, y, block_row_begin, block_row_end,
                           cpu_features().avxvnni && this_cpu().avxvnni);
    return;
  }
  detail::spmm_int8_scalar(w, x, n, y, block_row_begin, block_row_end);
}

}  // namespace sieve::runtime::kernels::bsr
