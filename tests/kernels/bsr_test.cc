// The block-sparse (BSR) kernel family against a naive dense reference, XNNPACK-tester style:
// BsrTester builds a random layer from a seed (weights, a block mask with some positions of kept
// blocks pruned too, codes and codebooks), packs it, runs spmm() on one ISA path and compares
// y = W·x + b with the decoded dense weights, in double. Every path the CPU has is run; one it
// lacks is skipped, naming the missing feature. A failure prints the seed and the case.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sieve/core/cpu.h"
#include "sieve/runtime/kernels/bsr/bsr.h"
#include "sieve/runtime/kernels/bsr/int8.h"
#include "sieve/runtime/kernels/bsr/internal.h"

namespace sieve::runtime::kernels::bsr {
namespace {

class BsrTester {
 public:
  BsrTester& rows(int64_t v) { rows_ = v; return *this; }
  BsrTester& cols(int64_t v) { cols_ = v; return *this; }
  BsrTester& block(int64_t br, int64_t bc) { br_ = br; bc_ = bc; return *this; }
  BsrTester& bits(int v) { bits_ = v; return *this; }
  BsrTester& n(int64_t v) { n_ = v; return *this; }
  // Fraction of blocks kept; inside a kept block, each position is pruned with `holes`.
  BsrTester& density(double v) { density_ = v; return *this; }
  BsrTester& holes(double v) { holes_ = v; return *this; }
  BsrTester& bias(bool v) { bias_ = v; return *this; }
  BsrTester& no_mask(bool v) { no_mask_ = v; return *this; }  // mask = nullptr (all kept)
  // Codebooks hold a 0 entry (else one code is left unused, for pack_bsr to make it 0).
  BsrTester& zero_entry(bool v) { zero_entry_ = v; return *this; }
  BsrTester& seed(uint32_t v) { seed_ = v; return *this; }
  BsrTester& block_rows(int64_t b0, int64_t b1) { b0_ = b0; b1_ = b1; return *this; }
  // Zero activations in runs (as a ReLU map gives): each row of x is, with this probability,
  // zero over all of its n columns, or (as often) over a random run of them.
  BsrTester& zero_x_rows(double v) { zero_x_rows_ = v; return *this; }
  BsrTester& relu_x(bool v) { relu_x_ = v; return *this; }  // x = max(0, x): half of it 0
  // Codebooks by bands of `v` block columns instead of block rows (a block row then holds
  // several codebooks: several runs on the int8 route).
  BsrTester& codebook_col_bands(int64_t v) { cb_col_band_ = v; return *this; }

  std::string describe() const {
    return fmt::format("seed={} rows={} cols={} block={}x{} bits={} n={} density={} holes={} bias={} "
                       "no_mask={} zero_entry={} zero_x_rows={} relu_x={} codebook_col_bands={}",
                       seed_, rows_, cols_, br_, bc_, bits_, n_, density_, holes_, bias_, no_mask_,
                       zero_entry_, zero_x_rows_, relu_x_, cb_col_band_);
  }

  // A random layer from the seed: dense weights (decoded codes when bits != 0), mask, codes,
  // bias, x, and the packed weights.
  struct Layer {
    std::vector<uint8_t> mask;
    std::vector<float> dense, b, x;
    std::vector<uint16_t> code;
    std::vector<int32_t> codebook_of;
    std::vector<std::vector<float>> codebooks;
    BsrWeights w;
  };

  Layer Generate() const {
    Layer l;
    std::mt19937 rng(seed_);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const int64_t total = rows_ * cols_, entries = int64_t{1} << bits_;
    const int64_t nbr = (rows_ + br_ - 1) / br_, nbc = (cols_ + bc_ - 1) / bc_;
    // The mask: whole blocks kept with `density`, then holes inside them.
    std::vector<uint8_t> mask(static_cast<size_t>(total), 0);
    std::bernoulli_distribution keep_block(density_), hole(holes_);
    for (int64_t bi = 0; bi < nbr; ++bi) {
      for (int64_t bj = 0; bj < nbc; ++bj) {
        if (!keep_block(rng)) continue;
        for (int64_t r = bi * br_; r < std::min(rows_, (bi + 1) * br_); ++r)
          for (int64_t c = bj * bc_; c < std::min(cols_, (bj + 1) * bc_); ++c)
            mask[static_cast<size_t>(r * cols_ + c)] = hole(rng) ? 0 : 1;
      }
    }
    if (no_mask_) std::fill(mask.begin(), mask.end(), 1);
    // Weights: fp32, or codes through 3 codebooks, one per band of block rows (so that a
    // block never spans two codebooks).
    std::vector<float> dense(static_cast<size_t>(total));
    for (float& v : dense) v = u(rng);
    std::vector<uint16_t> code(static_cast<size_t>(total), 0);
    std::vector<int32_t> codebook_of(static_cast<size_t>(total), 0);
    std::vector<std::vector<float>> codebooks;
    if (bits_ != 0) {
      for (int b = 0; b < 3; ++b) {
        std::vector<float> cb(static_cast<size_t>(entries));
        for (float& v : cb) v = 0.25f + std::abs(u(rng));  // no 0 unless asked
        if (zero_entry_) cb[static_cast<size_t>(entries / 2)] = 0.0f;
        codebooks.push_back(cb);
      }
      // Without a 0 entry, the last code is left unused: pack_bsr() may make it 0.
      std::uniform_int_distribution<int> pick(0, static_cast<int>(entries) - (zero_entry_ ? 1 : 2));
      for (int64_t i = 0; i < total; ++i) {
        code[static_cast<size_t>(i)] = static_cast<uint16_t>(pick(rng));
        codebook_of[static_cast<size_t>(i)] =
            cb_col_band_ > 0 ? static_cast<int32_t>((i % cols_ / bc_ / cb_col_band_) % 3)
                             : static_cast<int32_t>((i / cols_ / br_) % 3);
        dense[static_cast<size_t>(i)] =
            codebooks[static_cast<size_t>(codebook_of[static_cast<size_t>(i)])][code[static_cast<size_t>(i)]];
      }
    }
    std::vector<float> b(static_cast<size_t>(rows_));
    for (float& v : b) v = u(rng);
    std::vector<float> x(static_cast<size_t>(cols_ * n_));
    for (float& v : x) v = u(rng);
    if (relu_x_) {
      for (float& v : x) v = std::max(0.0f, v);
    }
    std::bernoulli_distribution zero_row(zero_x_rows_), whole(0.5);
    for (int64_t c = 0; c < cols_; ++c) {
      if (!zero_row(rng)) continue;
      int64_t j0 = 0, j1 = n_;
      if (!whole(rng)) {
        j0 = std::uniform_int_distribution<int64_t>(0, n_ - 1)(rng);
        j1 = std::uniform_int_distribution<int64_t>(j0, n_)(rng);
      }
      for (int64_t j = j0; j < j1; ++j) x[static_cast<size_t>(c * n_ + j)] = 0.0f;
    }

    PackInput in;
    in.rows = rows_;
    in.cols = cols_;
    in.dense = dense.data();
    in.mask = no_mask_ ? nullptr : mask.data();
    in.br = br_;
    in.bc = bc_;
    in.bits = bits_;
    if (bits_ != 0) {
      in.code = code.data();
      in.codebook_of = codebook_of.data();
      in.codebooks = &codebooks;
    }
    in.bias = bias_ ? b.data() : nullptr;
    Result<BsrWeights> w = pack_bsr(in);
    EXPECT_TRUE(w.ok()) << w.status().to_string();
    if (!w.ok()) return l;
    EXPECT_EQ(w->bits, bits_) << "stored otherwise: " << w->note;
    EXPECT_EQ(w->note, "");
    l.w = *std::move(w);
    l.mask = std::move(mask);
    l.dense = std::move(dense);
    l.b = std::move(b);
    l.x = std::move(x);
    l.code = std::move(code);
    l.codebook_of = std::move(codebook_of);
    l.codebooks = std::move(codebooks);
    return l;
  }

  void Test(Isa isa) const {
    SCOPED_TRACE(describe() + " isa=" + isa_name(isa));
    const Layer l = Generate();
    if (::testing::Test::HasFailure()) return;
    const BsrWeights* w = &l.w;
    const std::vector<uint8_t>& mask = l.mask;
    const std::vector<float>& dense = l.dense;
    const std::vector<float>& b = l.b;
    const std::vector<float>& x = l.x;

    // The reference, and the bound on float reassociation.
    const int64_t b0 = b0_ < 0 ? 0 : b0_, b1 = b1_ < 0 ? w->block_rows() : b1_;
    std::vector<float> y(static_cast<size_t>(rows_ * n_), std::nanf(""));
    spmm(*w, x.data(), n_, y.data(), isa, b0, b1);
    int64_t bad = 0;
    for (int64_t r = 0; r < rows_; ++r) {
      const bool inside = r >= b0 * br_ && r < b1 * br_;
      for (int64_t j = 0; j < n_; ++j) {
        const float got = y[static_cast<size_t>(r * n_ + j)];
        if (!inside) {
          if (!std::isnan(got) && bad++ < 5) ADD_FAILURE() << "row " << r << " is outside the block rows but was written";
          continue;
        }
        double want = bias_ ? b[static_cast<size_t>(r)] : 0.0, mag = std::abs(want);
        for (int64_t c = 0; c < cols_; ++c) {
          const size_t i = static_cast<size_t>(r * cols_ + c);
          const double wv = mask[i] ? dense[i] : 0.0;
          want += wv * x[static_cast<size_t>(c * n_ + j)];
          mag += std::abs(wv * x[static_cast<size_t>(c * n_ + j)]);
        }
        const double tol = 1e-6 + 8 * 1.2e-7 * std::sqrt(static_cast<double>(cols_) + 1) * mag;
        if (!(std::abs(got - want) <= tol) && bad++ < 5) {
          ADD_FAILURE() << "y[" << r << ", " << j << "] = " << got << ", want " << want
                        << " (tolerance " << tol << ")";
        }
      }
    }
    EXPECT_EQ(bad, 0);
  }

  // The int8 route (int8.h) on `isa`, against two references:
  //   * exact: the documented arithmetic recomputed here from the codes and fp32 codebooks
  //     (int8 codebooks, u8 activations, int32 sums per block row, the fma sequence), which
  //     every path must equal bit for bit (runs: a block row's consecutive kept blocks with
  //     one codebook);
  //   * fp32: the dense product, within the quantization error of weights and activations.
  //
  // u8 = true: the same through spmm_int8_u8, x quantized once as a whole ([cols, n], one
  // scale: what the engine does for a convolution's image), the reference likewise.
  void TestInt8(Isa isa, bool u8 = false) const {
    SCOPED_TRACE(describe() + " int8 isa=" + isa_name(isa) + (u8 ? " u8" : ""));
    const Layer l = Generate();
    if (::testing::Test::HasFailure()) return;
    Result<BsrInt8Weights> q = pack_int8(l.w);
    ASSERT_TRUE(q.ok()) << q.status().to_string();
    const int64_t b0 = b0_ < 0 ? 0 : b0_, b1 = b1_ < 0 ? l.w.block_rows() : b1_;
    std::vector<float> y(static_cast<size_t>(rows_ * n_), std::nanf(""));
    std::vector<uint8_t> xq_all(static_cast<size_t>(cols_ * n_));
    const ActQuant a_all = quantize_activations(l.x.data(), cols_ * n_, 1, xq_all.data());
    auto run_path = [&](float* out, int variant) {  // variant: -1 the dispatch, else 0/1
      if (!u8) {
        if (variant < 0) spmm_int8(*q, l.x.data(), n_, out, isa, b0, b1);
        else if (isa == Isa::kAvx512) detail::spmm_int8_avx512vnni(*q, l.x.data(), n_, out, b0, b1, variant == 1);
        else detail::spmm_int8_avx2(*q, l.x.data(), n_, out, b0, b1, variant == 1);
        return;
      }
      if (variant < 0) spmm_int8_u8(*q, xq_all.data(), a_all, n_, out, isa, b0, b1);
      else if (isa == Isa::kAvx512) detail::spmm_int8_u8_avx512vnni(*q, xq_all.data(), a_all, n_, out, b0, b1, variant == 1);
      else detail::spmm_int8_u8_avx2(*q, xq_all.data(), a_all, n_, out, b0, b1, variant == 1);
    };
    run_path(y.data(), -1);
    // On AVX-512, both 4-bit decodes (vpand + vpshufb, and vpermb where the CPU has VBMI)
    // give exactly what spmm_int8 gave.
    if (isa == Isa::kAvx512 && br_ == 16 && (bc_ % 4 == 0 || bc_ == 1) && b1 > b0) {
      for (bool vbmi : {false, true}) {
        if (vbmi && !detected_cpu_features().avx512vbmi) continue;
        std::vector<float> y2(y.size(), std::nanf(""));
        run_path(y2.data(), vbmi ? 1 : 0);
        for (size_t i = 0; i < y.size(); ++i) {
          if (!(y2[i] == y[i] || (std::isnan(y2[i]) && std::isnan(y[i])))) {
            ADD_FAILURE() << "vbmi=" << vbmi << ": y[" << i << "] = " << y2[i] << ", spmm_int8 gave " << y[i];
            break;
          }
        }
      }
    }
    // On AVX2, both dot products (AVX-VNNI where the CPU has it, vpmaddwd) likewise.
    if (isa == Isa::kAvx2 && br_ == 16 && (bc_ % 4 == 0 || bc_ == 1) && b1 > b0) {
      for (bool vnni : {false, true}) {
        if (vnni && !detected_cpu_features().avxvnni) continue;
        std::vector<float> y2(y.size(), std::nanf(""));
        run_path(y2.data(), vnni ? 1 : 0);
        for (size_t i = 0; i < y.size(); ++i) {
          if (!(y2[i] == y[i] || (std::isnan(y2[i]) && std::isnan(y[i])))) {
            ADD_FAILURE() << "vnni=" << vnni << ": y[" << i << "] = " << y2[i] << ", spmm_int8 gave " << y[i];
            break;
          }
        }
      }
    }

    // The int8 weights and the scale of each kept block, from the fp32 codebooks / values:
    // a codebook's scale, or (fp32 values) its block row's.
    auto scale_of = [](const float* v, int64_t count) {
      float m = 0.0f;
      for (int64_t i = 0; i < count; ++i) m = std::max(m, std::abs(v[i]));
      return m > 0.0f ? m / 127.0f : 1.0f;
    };
    const int64_t nbr = l.w.block_rows(), entries = int64_t{1} << bits_;
    std::vector<float> block_scale(static_cast<size_t>(l.w.kept_blocks()), 1.0f);
    std::vector<int64_t> kidx(static_cast<size_t>(rows_ * cols_), -1);  // position -> kept block
    for (int64_t bi = 0; bi < nbr; ++bi) {
      const int64_t k0 = l.w.row_ptr[static_cast<size_t>(bi)], k1 = l.w.row_ptr[static_cast<size_t>(bi + 1)];
      const float row_scale =
          bits_ == 0 ? scale_of(l.w.values.data() + k0 * br_ * bc_, (k1 - k0) * br_ * bc_) : 1.0f;
      for (int64_t k = k0; k < k1; ++k) {
        // The packed codebook: pack_bsr() may have set an unused entry to 0.
        block_scale[static_cast<size_t>(k)] =
            bits_ == 0 ? row_scale
                       : scale_of(l.w.codebooks.data() + l.w.block_codebook[static_cast<size_t>(k)] * entries, entries);
        const int64_t c0 = int64_t{l.w.col_blk[static_cast<size_t>(k)]} * bc_;
        for (int64_t r = bi * br_; r < std::min(rows_, (bi + 1) * br_); ++r)
          for (int64_t c = c0; c < std::min(cols_, c0 + bc_); ++c) kidx[static_cast<size_t>(r * cols_ + c)] = k;
      }
    }
    std::vector<int32_t> wq(static_cast<size_t>(rows_ * cols_), 0);
    for (int64_t r = 0; r < rows_; ++r) {
      for (int64_t c = 0; c < cols_; ++c) {
        const size_t i = static_cast<size_t>(r * cols_ + c);
        if (!l.mask[i]) continue;
        const float s = block_scale[static_cast<size_t>(kidx[i])];
        const float v = bits_ == 0 ? l.dense[i] : l.codebooks[static_cast<size_t>(l.codebook_of[i])][l.code[i]];
        wq[i] = static_cast<int32_t>(std::clamp(std::nearbyint(v / s), -127.0f, 127.0f));
      }
    }
    int64_t bad = 0;
    std::vector<uint8_t> xq(static_cast<size_t>(cols_));
    for (int64_t j = 0; j < n_; ++j) {
      ActQuant a = a_all;
      if (u8) {
        for (int64_t c = 0; c < cols_; ++c) xq[static_cast<size_t>(c)] = xq_all[static_cast<size_t>(c * n_ + j)];
      } else {
        a = quantize_activations(l.x.data() + j, cols_, n_, xq.data());
      }
      for (int64_t r = 0; r < rows_; ++r) {
        const float got = y[static_cast<size_t>(r * n_ + j)];
        const bool inside = r >= b0 * br_ && r < b1 * br_;
        if (!inside) {
          if (!std::isnan(got) && bad++ < 5) ADD_FAILURE() << "row " << r << " is outside the block rows but was written";
          continue;
        }
        // Runs: consecutive kept blocks of the row's block row with one codebook.
        const int64_t bi = r / br_;
        float acc = 0.0f;
        double wsum_d = 0.0;
        int64_t isum = 0, qsum = 0;
        const int64_t k0 = l.w.row_ptr[static_cast<size_t>(bi)], k1 = l.w.row_ptr[static_cast<size_t>(bi + 1)];
        for (int64_t k = k0; k < k1; ++k) {
          const int64_t c0 = int64_t{l.w.col_blk[static_cast<size_t>(k)]} * bc_;
          for (int64_t c = c0; c < std::min(cols_, c0 + bc_); ++c) {
            const size_t i = static_cast<size_t>(r * cols_ + c);
            isum += int64_t{wq[i]} * xq[static_cast<size_t>(c)];
            qsum += wq[i];
          }
          const bool run_ends = k + 1 == k1 || (bits_ != 0 && l.w.block_codebook[static_cast<size_t>(k + 1)] !=
                                                                l.w.block_codebook[static_cast<size_t>(k)]);
          if (run_ends) {
            const float s = block_scale[static_cast<size_t>(k)];
            acc = std::fma(static_cast<float>(isum), s, acc);
            wsum_d += static_cast<double>(qsum) * s;
            isum = qsum = 0;
          }
        }
        double want = bias_ ? l.b[static_cast<size_t>(r)] : 0.0, err = 0.0;
        for (int64_t c = 0; c < cols_; ++c) {
          const size_t i = static_cast<size_t>(r * cols_ + c);
          const double wv = l.mask[i] ? l.dense[i] : 0.0, xv = l.x[static_cast<size_t>(c * n_ + j)];
          want += wv * xv;
          if (l.mask[i]) {
            const float s = block_scale[static_cast<size_t>(kidx[i])];
            err += s / 2 * std::abs(xv) + std::abs(wv) * a.scale / 2 + s * a.scale / 4;
          }
        }
        const float wsum = static_cast<float>(wsum_d);
        const float t = std::fma(-static_cast<float>(a.zero_point), wsum, acc);
        const float exact = std::fma(t, a.scale, bias_ ? l.b[static_cast<size_t>(r)] : 0.0f);
        if (!(got == exact) && bad++ < 5) {
          ADD_FAILURE() << "y[" << r << ", " << j << "] = " << got << ", the int8 arithmetic gives "
                        << exact << " (z " << a.zero_point << ")";
        }
        const double tol = 1.02 * err + 1e-5 * (1 + std::abs(want));
        if (!(std::abs(got - want) <= tol) && bad++ < 5) {
          ADD_FAILURE() << "y[" << r << ", " << j << "] = " << got << ", fp32 gives " << want
                        << ": more than the quantization error " << tol;
        }
      }
    }
    EXPECT_EQ(bad, 0);
  }

 private:
  int64_t rows_ = 16, cols_ = 16, br_ = 16, bc_ = 1, n_ = 1;
  int bits_ = 0;
  double density_ = 0.5, holes_ = 0.2;
  bool bias_ = true, no_mask_ = false, zero_entry_ = false;
  uint32_t seed_ = 1;
  int64_t b0_ = -1, b1_ = -1;
  double zero_x_rows_ = 0.0;
  bool relu_x_ = false;
  int64_t cb_col_band_ = 0;
};

// The path under test, or a skip that names what the CPU lacks.
#define SKIP_UNLESS_CPU_HAS(isa)                                                     \
  do {                                                                               \
    Result<Isa> got_ = isa_for(isa_name(isa), detected_cpu_features());              \
    if (!got_.ok()) GTEST_SKIP() << got_.status().message();                         \
  } while (0)

class BsrSpmm : public ::testing::TestWithParam<Isa> {};

std::string isa_param_name(const ::testing::TestParamInfo<Isa>& info) {
  return isa_name(info.param);
}

INSTANTIATE_TEST_SUITE_P(EveryIsa, BsrSpmm,
                         ::testing::Values(Isa::kScalar, Isa::kAvx2, Isa::kAvx512), isa_param_name);

struct Shape {
  int64_t rows, cols, br, bc;
};

// Block shapes and edges: K smaller than the block, ragged last block row and column.
const Shape kShapes[] = {
    {16, 16, 16, 1},  {37, 45, 16, 1},  {48, 64, 16, 16}, {37, 45, 16, 16}, {20, 5, 16, 16},
    {16, 5, 16, 1},   {33, 29, 1, 1},   {36, 36, 4, 4},   {30, 31, 4, 4},   {40, 24, 8, 1},
    {17, 19, 2, 2},   {23, 41, 3, 5},   {5, 3, 16, 16},
};

TEST_P(BsrSpmm, EdgeShapesEveryBitsEveryN) {
  SKIP_UNLESS_CPU_HAS(GetParam());
  uint32_t seed = 100;
  for (const Shape& s : kShapes) {
    for (int bits : {0, 4, 8}) {
      for (int64_t n : {1, 7, 33, 64}) {  // 33: one ragged 48-column tile of the 16×1 kernel
        for (bool bias : {true, false}) {
          BsrTester()
              .rows(s.rows)
              .cols(s.cols)
              .block(s.br, s.bc)
              .bits(bits)
              .n(n)
              .bias(bias)
              .seed(seed++)
              .Test(GetParam());
        }
      }
    }
  }
}

TEST_P(BsrSpmm, ConvLikeN) {
  SKIP_UNLESS_CPU_HAS(GetParam());
  uint32_t seed = 200;
  for (const Shape& s : {Shape{32, 24, 16, 1}, Shape{20, 27, 16, 16}, Shape{12, 18, 4, 4}}) {
    for (int bits : {0, 4, 8}) {
      BsrTester().rows(s.rows).cols(s.cols).block(s.br, s.bc).bits(bits).n(3136).seed(seed++).Test(
          GetParam());
    }
  }
}

TEST_P(BsrSpmm, AllZeroAndAllKept) {
  SKIP_UNLESS_CPU_HAS(GetParam());
  uint32_t seed = 300;
  for (const Shape& s : {Shape{37, 45, 16, 1}, Shape{37, 45, 16, 16}, Shape{9, 10, 4, 4}}) {
    for (int bits : {0, 4, 8}) {
      for (int64_t n : {1, 7, 64}) {
        for (bool bias : {true, false}) {
          BsrTester t;
          t.rows(s.rows).cols(s.cols).block(s.br, s.bc).bits(bits).n(n).bias(bias);
          t.density(0.0).seed(seed++).Test(GetParam());  // no kept block: y = bias
          t.density(1.0).holes(0.0).seed(seed++).Test(GetParam());
          t.no_mask(true).seed(seed++).Test(GetParam());
        }
      }
    }
  }
}

// Codebooks with a 0 entry: the padding uses it instead of a freed entry.
TEST_P(BsrSpmm, CodebookWithZeroEntry) {
  SKIP_UNLESS_CPU_HAS(GetParam());
  uint32_t seed = 400;
  for (int bits : {4, 8}) {
    for (int64_t n : {1, 7}) {
      BsrTester().rows(40).cols(50).block(16, 16).bits(bits).n(n).zero_entry(true).seed(seed++).Test(
          GetParam());
      BsrTester().rows(40).cols(50).block(16, 1).bits(bits).n(n).zero_entry(true).seed(seed++).Test(
          GetParam());
    }
  }
}

// Sizes where the tiled kernel takes several panels of x and whole 48-column tiles, and the
// benchmark's shapes at a reduced size.
TEST_P(BsrSpmm, LargerLayers) {
  SKIP_UNLESS_CPU_HAS(GetParam());
  uint32_t seed = 500;
  for (int bits : {0, 4}) {
    BsrTester().rows(40).cols(4100).block(16, 1).bits(bits).n(100).density(0.1).seed(seed++).Test(
        GetParam());
    BsrTester().rows(256).cols(512).block(16, 16).bits(bits).n(1).density(0.1).seed(seed++).Test(
        GetParam());
    BsrTester().rows(250).cols(300).block(16, 1).bits(bits).n(1).density(0.1).seed(seed++).Test(
        GetParam());
  }
}

// Zero activations in runs: the conv kernel's skipping of x rows that are zero over a tile
// (taken when enough of them are), and none of them, on every bits and shape.
TEST_P(BsrSpmm, ZeroActivationRuns) {
  SKIP_UNLESS_CPU_HAS(GetParam());
  uint32_t seed = 700;
  for (const Shape& s : {Shape{37, 45, 16, 1}, Shape{64, 300, 16, 1}, Shape{30, 31, 4, 4}}) {
    for (int bits : {0, 4, 8}) {
      for (int64_t n : {33, 200}) {
        for (double z : {0.05, 0.5, 1.0}) {
          BsrTester().rows(s.rows).cols(s.cols).block(s.br, s.bc).bits(bits).n(n).zero_x_rows(z)
              .seed(seed++).Test(GetParam());
        }
      }
    }
  }
}

// Block-row ranges: only the rows of [b0, b1) are written (as the CPU engine's threads do).
TEST_P(BsrSpmm, BlockRowRangeWritesOnlyItsRows) {
  SKIP_UNLESS_CPU_HAS(GetParam());
  uint32_t seed = 600;
  for (const Shape& s : {Shape{70, 45, 16, 1}, Shape{70, 45, 16, 16}, Shape{70, 45, 4, 4}}) {
    for (int bits : {0, 4, 8}) {
      for (int64_t n : {1, 7, 64}) {
        BsrTester()
            .rows(s.rows)
            .cols(s.cols)
            .block(s.br, s.bc)
            .bits(bits)
            .n(n)
            .block_rows(1, 3)
            .seed(seed++)
            .Test(GetParam());
      }
    }
  }
}

// ---- the int8 route ----------------------------------------------------------------------

// The int8 path under test, or a skip naming what the CPU lacks.
#define SKIP_UNLESS_INT8(isa)                                                        \
  do {                                                                               \
    const Status st_ = int8_isa_check(isa, detected_cpu_features());                 \
    if (!st_.ok()) GTEST_SKIP() << st_.message();                                    \
  } while (0)

class BsrInt8 : public ::testing::TestWithParam<Isa> {};
INSTANTIATE_TEST_SUITE_P(EveryIsa, BsrInt8,
                         ::testing::Values(Isa::kScalar, Isa::kAvx2, Isa::kAvx512), isa_param_name);

TEST_P(BsrInt8, EdgeShapesEveryBitsEveryN) {
  SKIP_UNLESS_INT8(GetParam());
  uint32_t seed = 1000;
  const Shape shapes[] = {{16, 16, 16, 16}, {37, 45, 16, 16}, {48, 64, 16, 16}, {20, 5, 16, 16},
                          {40, 36, 16, 4},  {33, 50, 16, 8},  {37, 45, 16, 1},  {30, 31, 4, 4},
                          {23, 41, 3, 5},   {5, 3, 16, 16}};
  for (const Shape& s : shapes) {
    for (int bits : {0, 4, 8}) {
      for (int64_t n : {1, 7}) {
        for (bool bias : {true, false}) {
          BsrTester().rows(s.rows).cols(s.cols).block(s.br, s.bc).bits(bits).n(n).bias(bias)
              .seed(seed++).TestInt8(GetParam());
        }
      }
    }
  }
}

// spmm_int8_u8: x quantized once as a whole. The recipes' 16×1 conv blocks at n ≥ 16 take the
// pixel-lane kernel on AVX-512 (n = 16, 17 and 40: whole, ragged and several pixel groups);
// n = 1 and 7, and other shapes, take the column kernels. Short last groups of 8 columns,
// ragged block rows, block-row ranges, all-zero rows of x, one and several codebooks.
TEST_P(BsrInt8, AlreadyQuantizedColumnsEveryShape) {
  SKIP_UNLESS_INT8(GetParam());
  uint32_t seed = 1300;
  const Shape shapes[] = {{37, 45, 16, 1}, {64, 300, 16, 1}, {16, 5, 16, 1}, {40, 36, 16, 4},
                          {37, 45, 16, 16}, {23, 41, 3, 5}};
  for (const Shape& s : shapes) {
    for (int bits : {0, 4, 8}) {
      for (int64_t n : {1, 7, 16, 17, 40}) {
        BsrTester().rows(s.rows).cols(s.cols).block(s.br, s.bc).bits(bits).n(n).relu_x(n % 2 == 0)
            .seed(seed++).TestInt8(GetParam(), true);
      }
    }
  }
  for (int bits : {0, 4, 8}) {
    BsrTester().rows(70).cols(301).block(16, 1).bits(bits).n(33).block_rows(1, 4).seed(seed++).TestInt8(GetParam(), true);
    BsrTester().rows(64).cols(96).block(16, 1).bits(bits).n(20).zero_x_rows(0.5).relu_x(true).seed(seed++).TestInt8(GetParam(), true);
    BsrTester().rows(37).cols(45).block(16, 1).bits(bits).n(18).density(0.0).seed(seed++).TestInt8(GetParam(), true);
    BsrTester().rows(37).cols(45).block(16, 1).bits(bits).n(18).density(1.0).holes(0.0).seed(seed++).TestInt8(GetParam(), true);
  }
}

// Non-negative activations (after a ReLU: zero point 0, 8 bits), all-zero x, empty and full
// layers, larger layers (the FC shape reduced), block-row ranges.
TEST_P(BsrInt8, ActivationsLayersAndRanges) {
  SKIP_UNLESS_INT8(GetParam());
  uint32_t seed = 1100;
  for (int bits : {0, 4, 8}) {
    BsrTester().rows(64).cols(96).block(16, 16).bits(bits).n(3).relu_x(true).seed(seed++).TestInt8(GetParam());
    BsrTester().rows(64).cols(96).block(16, 8).bits(bits).relu_x(true).zero_x_rows(0.5).seed(seed++).TestInt8(GetParam());
    BsrTester().rows(64).cols(96).block(16, 16).bits(bits).zero_x_rows(1.0).seed(seed++).TestInt8(GetParam());
    BsrTester().rows(37).cols(45).block(16, 16).bits(bits).density(0.0).seed(seed++).TestInt8(GetParam());
    BsrTester().rows(37).cols(45).block(16, 16).bits(bits).density(1.0).holes(0.0).seed(seed++).TestInt8(GetParam());
    BsrTester().rows(512).cols(1024).block(16, 16).bits(bits).density(0.1).seed(seed++).TestInt8(GetParam());
    BsrTester().rows(70).cols(45).block(16, 16).bits(bits).n(3).block_rows(1, 3).seed(seed++).TestInt8(GetParam());
    // 16×1 blocks (grouped 8 per virtual block on AVX-512), many groups and short last ones.
    BsrTester().rows(64).cols(300).block(16, 1).bits(bits).seed(seed++).TestInt8(GetParam());
    BsrTester().rows(70).cols(301).block(16, 1).bits(bits).n(3).relu_x(true).seed(seed++).TestInt8(GetParam());
    BsrTester().rows(70).cols(200).block(16, 1).bits(bits).block_rows(1, 4).seed(seed++).TestInt8(GetParam());
    BsrTester().rows(48).cols(1000).block(16, 1).bits(bits).density(0.1).seed(seed++).TestInt8(GetParam());
    // Several codebooks per block row: runs cut the groups and the sums.
    BsrTester().rows(64).cols(300).block(16, 1).bits(bits).codebook_col_bands(5).seed(seed++).TestInt8(GetParam());
    BsrTester().rows(48).cols(160).block(16, 16).bits(bits).codebook_col_bands(1).seed(seed++).TestInt8(GetParam());
    BsrTester().rows(48).cols(160).block(16, 8).bits(bits).codebook_col_bands(3).seed(seed++).TestInt8(GetParam());
  }
}

TEST(BsrInt8Quant, ActivationQuantization) {
  uint8_t q[4];
  const float relu[4] = {0.0f, 1.0f, 2.55f, 0.5f};  // no negative value: z = 0, s = 2.55 / 255
  ActQuant a = quantize_activations(relu, 4, 1, q);
  EXPECT_EQ(a.zero_point, 0);
  EXPECT_FLOAT_EQ(a.scale, 0.01f);
  EXPECT_EQ(q[0], 0);
  EXPECT_EQ(q[1], 100);
  EXPECT_EQ(q[2], 255);
  EXPECT_EQ(q[3], 50);
  const float sgn[3] = {-1.27f, 0.635f, 1.0f};  // signed: z = 128, s = 1.27 / 127
  a = quantize_activations(sgn, 3, 1, q);
  EXPECT_EQ(a.zero_point, 128);
  EXPECT_FLOAT_EQ(a.scale, 0.01f);
  EXPECT_EQ(q[0], 1);
  EXPECT_EQ(q[1], 128 + 64);  // 63.5 rounds half to even
  EXPECT_EQ(q[2], 228);
  const float zero[2] = {0.0f, 0.0f};
  a = quantize_activations(zero, 2, 1, q);
  EXPECT_EQ(a.zero_point, 0);
  EXPECT_EQ(a.scale, 1.0f);
  EXPECT_EQ(q[0], 0);
  const float strided[4] = {3.0f, 9.0f, -3.0f, 9.0f};  // stride 2: {3, -3}
  a = quantize_activations(strided, 2, 2, q);
  EXPECT_EQ(a.zero_point, 128);
  EXPECT_EQ(q[0], 255);
  EXPECT_EQ(q[1], 1);
}

TEST(BsrInt8Quant, IsaCheckAndErrors) {
  const CpuFeatures all{.avx512f = true, .avx2 = true, .bmi2 = true, .fma = true,
                        .avx512vnni = true, .avxvnni = true, .avx512bw = true};
  EXPECT_TRUE(int8_isa_check(Isa::kAvx512, all).ok());
  EXPECT_TRUE(int8_isa_check(Isa::kScalar, CpuFeatures{}).ok());
  CpuFeatures no_bw = all, no_vnni = all;
  no_bw.avx512bw = false;
  no_vnni.avx512vnni = false;
  EXPECT_NE(int8_isa_check(Isa::kAvx512, no_bw).message().find("avx512bw"), std::string::npos);
  EXPECT_NE(int8_isa_check(Isa::kAvx512, no_vnni).message().find("avx512vnni"), std::string::npos);
  EXPECT_NE(int8_isa_check(Isa::kAvx2, CpuFeatures{}).message().find("avx2"), std::string::npos);
  BsrWeights wide;
  wide.rows = 1;
  wide.cols = 65537;
  wide.row_ptr = {0, 0};
  Result<BsrInt8Weights> r = pack_int8(wide);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cols=65537"), std::string::npos);
}

// ---- packing -------------------------------------------------------------------------------

PackInput small_input(const std::vector<float>& dense) {
  PackInput in;
  in.rows = 4;
  in.cols = 4;
  in.dense = dense.data();
  in.br = 2;
  in.bc = 2;
  return in;
}

TEST(BsrPack, Errors) {
  const std::vector<float> dense(16, 1.0f);
  PackInput in = small_input(dense);
  in.br = 0;
  Result<BsrWeights> w = pack_bsr(in);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(w.status().message().find("block shape br=0 bc=2"), std::string::npos) << w.status().message();

  in = small_input(dense);
  in.bc = -3;
  w = pack_bsr(in);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("bc=-3"), std::string::npos) << w.status().message();

  in = small_input(dense);
  in.bits = 3;
  w = pack_bsr(in);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("bits=3"), std::string::npos) << w.status().message();

  std::vector<uint16_t> code(16, 1);
  std::vector<int32_t> cb_of(16, 0);
  std::vector<std::vector<float>> cbs(1, std::vector<float>(16, 0.5f));
  in = small_input(dense);
  in.bits = 4;
  in.code = code.data();
  in.codebook_of = cb_of.data();
  in.codebooks = &cbs;
  code[6] = 16;
  w = pack_bsr(in);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("code[6]=16 at (1, 2): past the 16-entry codebook 0"),
            std::string::npos)
      << w.status().message();
  code[6] = 1;

  cb_of[3] = 1;
  w = pack_bsr(in);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("codebook_of[3]=1 at (0, 3): past the 1 codebooks"),
            std::string::npos)
      << w.status().message();
  cb_of[3] = 0;

  cbs[0].resize(8);
  w = pack_bsr(in);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("codebooks[0]: 8 entries, but bits=4 needs 16"),
            std::string::npos)
      << w.status().message();
  cbs[0].resize(16, 0.5f);

  // A pruned position's code is not checked.
  std::vector<uint8_t> mask(16, 1);
  mask[6] = 0;
  code[6] = 999;
  in.mask = mask.data();
  EXPECT_TRUE(pack_bsr(in).ok());

  in.code = nullptr;
  w = pack_bsr(in);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("code, codebook_of and codebooks"), std::string::npos);
}

TEST(BsrPack, LayoutAndPadding) {
  // 3×5 with 2×2 blocks: block rows {0,1}, {2}; block columns {0,1}, {2,3}, {4}.
  std::vector<float> dense(15);
  for (int i = 0; i < 15; ++i) dense[static_cast<size_t>(i)] = static_cast<float>(i + 1);
  std::vector<uint8_t> mask(15, 0);
  mask[0] = 1;   // (0,0): block (0,0)
  mask[9] = 1;   // (1,4): block (0,2), ragged
  mask[12] = 1;  // (2,2): block (1,1), ragged row
  PackInput in;
  in.rows = 3;
  in.cols = 5;
  in.dense = dense.data();
  in.mask = mask.data();
  in.br = 2;
  in.bc = 2;
  Result<BsrWeights> w = pack_bsr(in);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  EXPECT_EQ(w->block_rows(), 2);
  EXPECT_EQ(w->row_ptr, (std::vector<int64_t>{0, 2, 3}));
  EXPECT_EQ(w->col_blk, (std::vector<int32_t>{0, 2, 1}));
  EXPECT_EQ(w->values, (std::vector<float>{1, 0, 0, 0, 0, 0, 10, 0, 13, 0, 0, 0}));
  EXPECT_EQ(w->bytes(), 3 * 8 + 3 * 4 + 12 * 4);
}

TEST(BsrPack, FreeCodeBecomesZeroElseFp32WithNote) {
  // 1×2 blocks, 4-bit, position 1 pruned (block 0's padding). Kept codes 0..14: code 15 is
  // free and becomes the padding's 0.
  const int64_t cols = 18;
  std::vector<uint16_t> code(static_cast<size_t>(cols));
  for (int64_t c = 0; c < 16; ++c) code[static_cast<size_t>(c)] = static_cast<uint16_t>(c);
  code[15] = 1;
  code[16] = 1;
  code[17] = 0;
  std::vector<int32_t> cb_of(static_cast<size_t>(cols), 0);
  std::vector<std::vector<float>> cbs(1, std::vector<float>(16));
  for (int e = 0; e < 16; ++e) cbs[0][static_cast<size_t>(e)] = 1.0f + static_cast<float>(e);
  std::vector<uint8_t> mask(static_cast<size_t>(cols), 1);
  mask[1] = 0;
  PackInput in;
  in.rows = 1;
  in.cols = cols;
  in.mask = mask.data();
  in.br = 1;
  in.bc = 2;
  in.bits = 4;
  in.code = code.data();
  in.codebook_of = cb_of.data();
  in.codebooks = &cbs;
  Result<BsrWeights> w = pack_bsr(in);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  EXPECT_EQ(w->bits, 4);
  EXPECT_EQ(w->note, "");
  EXPECT_EQ(w->codebooks[15], 0.0f);
  EXPECT_EQ(w->codebooks[14], 15.0f);
  EXPECT_EQ(w->codes[0], 0xF0);  // block 0: code 0, then the padding's 15
  // Every code used by a kept position: no room for a 0, so the layer is stored as fp32.
  code[15] = 15;
  w = pack_bsr(in);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  EXPECT_EQ(w->bits, 0);
  EXPECT_NE(w->note.find("codebook 0 uses all 16 codes and has no 0"), std::string::npos) << w->note;
  ASSERT_EQ(w->values.size(), 18u);
  EXPECT_EQ(w->values[0], 1.0f);
  EXPECT_EQ(w->values[1], 0.0f);
  EXPECT_EQ(w->values[15], 16.0f);
  EXPECT_EQ(w->values[16], 2.0f);
  // No padding anywhere: every code in use is fine.
  in.mask = nullptr;
  w = pack_bsr(in);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->bits, 4);
  EXPECT_EQ(w->note, "");
}

TEST(BsrPack, BlockAcrossTwoCodebooksIsStoredAsFp32) {
  std::vector<uint16_t> code(8, 3);
  std::vector<int32_t> cb_of{0, 0, 0, 1, 1, 1, 1, 1};
  std::vector<std::vector<float>> cbs(2, std::vector<float>(16, 0.0f));
  cbs[0][3] = 2.0f;
  cbs[1][3] = -1.0f;
  PackInput in;
  in.rows = 2;
  in.cols = 4;
  in.br = 2;
  in.bc = 2;
  in.bits = 4;
  in.code = code.data();
  in.codebook_of = cb_of.data();
  in.codebooks = &cbs;
  Result<BsrWeights> w = pack_bsr(in);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  EXPECT_EQ(w->bits, 0);
  EXPECT_NE(w->note.find("spans two codebooks"), std::string::npos) << w->note;
  EXPECT_EQ(w->values, (std::vector<float>{2, 2, -1, -1, 2, -1, -1, -1}));
}

// ---- paths ---------------------------------------------------------------------------------

constexpr CpuFeatures kAvx512Cpu{.avx512f = true, .avx2 = true, .bmi2 = true, .fma = true};
constexpr CpuFeatures kAvx2Cpu{.avx512f = false, .avx2 = true, .bmi2 = true, .fma = true};
constexpr CpuFeatures kAvx2NoFma{.avx512f = false, .avx2 = true, .bmi2 = true, .fma = false};
constexpr CpuFeatures kBaseline{};

TEST(BsrIsa, BestAndByName) {
  EXPECT_EQ(best_isa(kAvx512Cpu), Isa::kAvx512);
  EXPECT_EQ(best_isa(kAvx2Cpu), Isa::kAvx2);
  EXPECT_EQ(best_isa(kAvx2NoFma), Isa::kScalar);
  EXPECT_EQ(best_isa(kBaseline), Isa::kScalar);
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    Result<Isa> got = isa_for(isa_name(isa), kAvx512Cpu);
    ASSERT_TRUE(got.ok()) << isa_name(isa);
    EXPECT_EQ(*got, isa);
  }
  EXPECT_EQ(*isa_for("native", kAvx2Cpu), Isa::kAvx2);
  EXPECT_EQ(*isa_for("generic", kAvx512Cpu), Isa::kScalar);
}

TEST(BsrIsa, Errors) {
  Result<Isa> r = isa_for("avx3", kAvx512Cpu);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("'avx3': unknown; valid: scalar, avx2, avx512"), std::string::npos)
      << r.status().message();
  r = isa_for("avx512", kAvx2Cpu);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "avx512: the CPU has no avx512f");
  r = isa_for("avx2", kBaseline);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "avx2: the CPU has no avx2");
  r = isa_for("avx2", kAvx2NoFma);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "avx2: the CPU has no fma");
  EXPECT_TRUE(isa_for("scalar", kBaseline).ok());
}

}  // namespace
}  // namespace sieve::runtime::kernels::bsr
