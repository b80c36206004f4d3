// The Sieve performance model (see perf.h for the rules). The walk is the hot loop: VGG16 runs
// about 10^7 walk cycles, so it works on 64-bit words (popcount, select-kth-set-bit) and the
// conv input vectors are gathered a kernel row (kw bits) at a time.
#include "sieve/hw/archs/sieve/perf.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SIEVE_HAVE_PDEP_DISPATCH 1
#endif

#include "sieve/compiler/tiling.h"
#include "sieve/core/assert.h"
#include "sieve/core/cpu.h"
#include "sieve/hw/core/actions.h"
#include "sieve/hw/core/events.h"
#include "sieve/hw/core/program_timing.h"
#include "sieve/hw/core/tiled_driver.h"

namespace sieve::hw::sieve_arch {
namespace {

namespace isa = compiler::isa;

// kSelectInByte[b][k] = index of the k-th set bit of byte b (8 when there is none).
constexpr std::array<std::array<uint8_t, 8>, 256> make_select_table() {
  std::array<std::array<uint8_t, 8>, 256> t{};
  for (int b = 0; b < 256; ++b) {
    int k = 0;
    for (int i = 0; i < 8; ++i) t[b][i] = 8;
    for (int i = 0; i < 8; ++i)
      if ((b >> i) & 1) t[b][k++] = static_cast<uint8_t>(i);
  }
  return t;
}
constexpr auto kSelectInByte = make_select_table();

#ifdef SIEVE_HAVE_PDEP_DISPATCH
__attribute__((target("bmi2"))) int select_bit_pdep_impl(uint64_t w, int k) {
  return std::countr_zero(_pdep_u64(uint64_t{1} << k, w));
}
// BMI2 as Sieve sees it (core/cpu.h: SIEVE_ISA=generic turns it off), read once.
bool cpu_has_bmi2() {
  static const bool has = ::sieve::cpu_features().bmi2;
  return has;
}
#endif

inline uint64_t low_mask(int64_t nbits) {  // nbits in [0, 64]
  return nbits >= 64 ? ~uint64_t{0} : (uint64_t{1} << nbits) - 1;
}

// Set bits of (a AND b) in [begin, end); nullptr = all ones. Inlined into the walk's two
// compilations (see walk()), so that its popcounts are one instruction where the CPU has one.
[[gnu::always_inline]] inline int64_t count_and_inline(const uint64_t* a, const uint64_t* b,
                                                       int64_t begin, int64_t end) {
  if (begin >= end) return 0;
  if (a == nullptr && b == nullptr) return end - begin;
  int64_t c = 0;
  const int64_t wb = begin >> 6, we = (end - 1) >> 6;
  for (int64_t w = wb; w <= we; ++w) {
    uint64_t x = (a != nullptr ? a[w] : ~uint64_t{0}) & (b != nullptr ? b[w] : ~uint64_t{0});
    if (w == wb) x &= ~uint64_t{0} << (begin & 63);
    if (w == we && (end & 63) != 0) x &= low_mask(end & 63);
    c += std::popcount(x);
  }
  return c;
}

#ifdef SIEVE_HAVE_PDEP_DISPATCH
__attribute__((target("popcnt"))) int64_t count_and_popcnt(const uint64_t* a, const uint64_t* b,
                                                           int64_t begin, int64_t end) {
  return count_and_inline(a, b, begin, end);
}
#endif

// The segments' byte counts call it outside the walk: the same two compilations (see walk()).
int64_t count_and(const uint64_t* a, const uint64_t* b, int64_t begin, int64_t end) {
#ifdef SIEVE_HAVE_PDEP_DISPATCH
  if (cpu_has_bmi2()) return count_and_popcnt(a, b, begin, end);
#endif
  return count_and_inline(a, b, begin, end);
}

inline int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// nbits (<= 64) bits of src starting at bit `off`.
inline uint64_t extract_bits(const uint64_t* src, int64_t off, int64_t nbits) {
  const int64_t w = off >> 6, sh = off & 63;
  uint64_t v = src[w] >> sh;
  if (sh + nbits > 64) v |= src[w + 1] << (64 - sh);
  return v & low_mask(nbits);
}

// ORs nbits (<= 64) bits v into dst at bit `pos` (dst has a spare word at the end).
inline void or_bits(uint64_t* dst, int64_t pos, uint64_t v, int64_t nbits) {
  const int64_t w = pos >> 6, sh = pos & 63;
  dst[w] |= v << sh;
  if (sh != 0 && sh + nbits > 64) dst[w + 1] |= v >> (64 - sh);
}

// ORs bits [off, off + n) of src into dst starting at bit 0.
void or_range(uint64_t* dst, const uint64_t* src, int64_t off, int64_t n) {
  for (int64_t i = 0; i < n; i += 64) {
    const int64_t k = std::min<int64_t>(64, n - i);
    dst[i >> 6] |= extract_bits(src, off + i, k);
  }
}

// One PE group: rows [r0, r1) of one conv group, inside one output-channel segment.
struct Group {
  int64_t r0 = 0, r1 = 0;
  int64_t conv_group = 0;
  int64_t oc_seg = 0;
  std::vector<uint64_t> s;  // synapse index: OR of the rows' masks (cols bits + a spare word)
};

std::vector<Group> make_groups(const LayerWork& l, const Spec& spec, int64_t oc_seg_size,
                               int64_t oc_seg_n) {
  std::vector<Group> out;
  const int64_t rows_per_cg = l.kind == LayerKind::kConv ? l.rows / l.group : l.rows;
  const int64_t words = (l.cols + 63) / 64 + 1;
  for (int64_t o = 0; o < oc_seg_n; ++o) {
    const int64_t ob = compiler::seg_begin(o, oc_seg_size);
    const int64_t oe = compiler::seg_end(o, oc_seg_size, l.rows);
    for (int64_t r = ob; r < oe;) {
      const int64_t cg = r / rows_per_cg;
      const int64_t end = std::min({r + spec.tn, oe, (cg + 1) * rows_per_cg});
      Group g{r, end, cg, o, std::vector<uint64_t>(static_cast<size_t>(words), 0)};
      for (int64_t row = r; row < end; ++row)
        or_range(g.s.data(), l.weight_mask.words().data(), row * l.cols, l.cols);
      out.push_back(std::move(g));
      r = end;
    }
  }
  return out;
}

// Accumulators of one pass (one application of the tiling: a sample, or an LSTM timestep).
struct Cell {
  int64_t cycles = 0;   // matrix walk cycles
  int64_t macs = 0;     // multiplications performed (pairs × rows)
  int64_t results = 0;  // (group, vector) results written to NBout
};

struct Counters {
  int64_t walk_cycles = 0;
  int64_t encoder_cycles = 0;
  int64_t vector_cycles = 0;
  int64_t nbout_rw = 0;  // NBout accesses by the PEs (results and partial sums read back)
  // w_bytes: weight bytes into the SB; w_dram_bytes: the same off chip (fewer when Huffman-coded).
  int64_t in_bytes = 0, in_index_bytes = 0, w_bytes = 0, w_dram_bytes = 0, w_index_bytes = 0;
  int64_t decoded = 0;  // weights through the Huffman decoders
  int64_t psum_load_bytes = 0, psum_store_bytes = 0, out_bytes = 0, out_index_bytes = 0;
  int64_t macs = 0;
};

// Everything fixed for a layer in a mode.
struct LayerCtx {
  const Spec* spec = nullptr;
  const LayerWork* l = nullptr;
  ModeSwitches sw;
  SimOptions opt;
  WalkLimits lim;
  int64_t eff_kh = 1, eff_kw = 1;
  int64_t cg_in = 1;  // input channels per conv group
  int64_t k = 1;      // kh·kw
  int abits = 16;     // stored bits per weight
  bool quantized = false;
  compiler::Tiling t;
  compiler::Reuse reuse = compiler::Reuse::kOutput;
  std::vector<Group> groups;
  std::vector<std::vector<int64_t>> groups_of_cg;  // conv group → indices into groups
};

int64_t cell_index(const compiler::Tiling& t, int64_t o, int64_t h, int64_t i, int64_t w) {
  return ((w * t.oc_seg_n + o) * t.oh_seg_n + h) * t.ic_seg_n + i;
}

// Output-column segment width of a conv layer's tiling (the whole row without a column cut).
int64_t ow_size_of(const LayerCtx& c) {
  return c.t.ow_seg_n > 1 ? c.t.ow_seg_size : c.l->out_w;
}

// Matrix-walk limits of the encoder: window encoder_window, select encoder_select.
WalkLimits encoder_limits(const Spec& s) {
  return WalkLimits{s.encoder_window, s.encoder_window, s.encoder_select};
}

// Bytes of `bits` rounded up.
inline int64_t bytes_of_bits(int64_t bits) {
  return ceil_div(bits, 8);
}

// Off-chip bytes of `positions` neurons of which `nz` are non-zero: with a bit string (neuron
// index or Encoder on) the non-zero values plus one bit per position, else every value. Adds
// them to *values and *index and returns their sum.
int64_t neuron_bytes(bool indexed, int64_t nz, int64_t positions, int neuron_bits, int64_t* values,
                     int64_t* index) {
  const int64_t v = bytes_of_bits((indexed ? nz : positions) * neuron_bits);
  const int64_t x = indexed ? bytes_of_bits(positions) : 0;
  *values += v;
  *index += x;
  return v + x;
}

}  // namespace

int select_bit_portable(uint64_t w, int k) {
  for (int byte = 0; byte < 8; ++byte) {
    const uint64_t b = (w >> (8 * byte)) & 0xff;
    const int c = std::popcount(b);
    if (k < c) return 8 * byte + kSelectInByte[b][k];
    k -= c;
  }
  return 64;
}

int select_bit(uint64_t w, int k) {
#ifdef SIEVE_HAVE_PDEP_DISPATCH
  if (cpu_has_bmi2()) return select_bit_pdep_impl(w, k);
#endif
  return select_bit_portable(w, k);
}

bool select_bit_pdep_available() {
#ifdef SIEVE_HAVE_PDEP_DISPATCH
  return ::sieve::detected_cpu_features().bmi2;
#else
  return false;
#endif
}

int select_bit_pdep(uint64_t w, int k) {
#ifdef SIEVE_HAVE_PDEP_DISPATCH
  SIEVE_ASSERT(select_bit_pdep_available());
  return select_bit_pdep_impl(w, k);
#else
  SIEVE_ASSERT(false);
  return 64;
#endif
}

bool select_bit_uses_pdep() {
#ifdef SIEVE_HAVE_PDEP_DISPATCH
  return cpu_has_bmi2();
#else
  return false;
#endif
}

WalkLimits matrix_limits(const Spec& spec) {
  return WalkLimits{spec.nsm_window, spec.ssm_window, spec.pairs_per_cycle()};
}

namespace {

// The walk, compiled twice: with kFast (PDEP and POPCNT instructions: every BMI2 CPU has POPCNT)
// for CPUs with BMI2, and without for the others (and SIEVE_ISA=generic). Without -mpopcnt,
// std::popcount is a call into libgcc, which was a quarter of a VGG16 simulation. Both give the
// same counts.
template <bool kFast>
[[gnu::always_inline]] inline WalkResult walk_inline(const uint64_t* s, const uint64_t* n,
                                                     int64_t b, int64_t e, const WalkLimits& l) {
  WalkResult r;
  if (b >= e) return r;
  const int64_t len = e - b;
  r.stored = s != nullptr ? count_and_inline(s, nullptr, b, e) : len;
  r.pairs = n != nullptr ? count_and_inline(s, n, b, e) : r.stored;
  if (r.stored <= l.stored && r.pairs <= l.pairs) {  // no selector limit binds anywhere
    r.cycles = ceil_div(len, l.window);
    return r;
  }
  if (s == nullptr && n == nullptr) {
    r.cycles = ceil_div(len, std::min({l.window, l.stored, l.pairs}));
    return r;
  }
  const uint64_t kOnes = ~uint64_t{0};
  auto sel = [&](uint64_t w, int64_t k) {
#ifdef SIEVE_HAVE_PDEP_DISPATCH
    if constexpr (kFast) return select_bit_pdep_impl(w, static_cast<int>(k));
#endif
    return select_bit_portable(w, static_cast<int>(k));
  };
  int64_t p = b;
  while (p < e) {
    ++r.cycles;
    const int64_t lim_end = std::min(p + l.window, e);
    int64_t q = lim_end;
    int64_t cs = 0, cp = 0;
    int64_t pos = p;
    while (pos < lim_end) {
      const int64_t wi = pos >> 6;
      uint64_t ws = s != nullptr ? s[wi] : kOnes;
      uint64_t wp = ws & (n != nullptr ? n[wi] : kOnes);
      uint64_t m = kOnes << (pos & 63);
      const int64_t word_end = (wi + 1) << 6;
      if (lim_end < word_end) m &= low_mask(lim_end & 63);
      ws &= m;
      wp &= m;
      const int64_t ps = std::popcount(ws), pp = std::popcount(wp);
      int64_t found = lim_end;
      if (cs + ps > l.stored) found = std::min(found, (wi << 6) + sel(ws, l.stored - cs));
      if (cp + pp > l.pairs) found = std::min(found, (wi << 6) + sel(wp, l.pairs - cp));
      if (found < lim_end) {
        q = found;
        break;
      }
      cs += ps;
      cp += pp;
      pos = word_end;
    }
    p = q;
  }
  return r;
}

#ifdef SIEVE_HAVE_PDEP_DISPATCH
__attribute__((target("bmi2,popcnt"))) WalkResult walk_fast(const uint64_t* s, const uint64_t* n,
                                                            int64_t b, int64_t e,
                                                            const WalkLimits& l) {
  return walk_inline<true>(s, n, b, e, l);
}
#endif

WalkResult walk_generic(const uint64_t* s, const uint64_t* n, int64_t b, int64_t e,
                        const WalkLimits& l) {
  return walk_inline<false>(s, n, b, e, l);
}

}  // namespace

WalkResult walk(const uint64_t* s, const uint64_t* n, int64_t b, int64_t e, const WalkLimits& l) {
#ifdef SIEVE_HAVE_PDEP_DISPATCH
  if (cpu_has_bmi2()) return walk_fast(s, n, b, e, l);
#endif
  return walk_generic(s, n, b, e, l);
}

namespace {

// Compute cells of one pass whose vectors do not depend on the input (neuron index off): the
// walk of each (group, ic segment) once, times the pixels of each oh segment.
void static_cells(const LayerCtx& c, std::vector<Cell>& cells) {
  const compiler::Tiling& t = c.t;
  const LayerWork& l = *c.l;
  const int64_t out_h = l.kind == LayerKind::kConv ? l.out_h : 1;
  const int64_t out_w = l.kind == LayerKind::kConv ? l.out_w : 1;
  const int64_t ksz = l.kind == LayerKind::kConv ? c.k : 1;
  for (const Group& g : c.groups) {
    const uint64_t* s = c.sw.synapse_index ? g.s.data() : nullptr;
    for (int64_t i = 0; i < t.ic_seg_n; ++i) {
      const int64_t cb = compiler::seg_begin(i, t.ic_seg_size) * ksz;
      const int64_t ce =
          compiler::seg_end(i, t.ic_seg_size, l.kind == LayerKind::kConv ? c.cg_in : l.cols) * ksz;
      const WalkResult w = walk(s, nullptr, cb, ce, c.lim);
      const int64_t ow_size = t.ow_seg_n > 1 ? t.ow_seg_size : out_w;
      for (int64_t x = 0; x < t.ow_seg_n; ++x) {
        const int64_t cols = compiler::seg_end(x, ow_size, out_w) - compiler::seg_begin(x, ow_size);
        for (int64_t h = 0; h < t.oh_seg_n; ++h) {
          const int64_t pix =
              (compiler::seg_end(h, t.oh_seg_size, out_h) - compiler::seg_begin(h, t.oh_seg_size)) *
              cols;
          Cell& cell = cells[static_cast<size_t>(cell_index(t, g.oc_seg, h, i, x))];
          cell.cycles += w.cycles * pix;
          cell.macs += w.pairs * (g.r1 - g.r0) * pix;
          cell.results += pix;
        }
      }
    }
  }
}

// Walks every (group, ic segment) on one input vector (cols bits at `vec`) of output row
// segment h and output column segment x.
void vector_cells(const LayerCtx& c, const uint64_t* vec, int64_t h, int64_t x, int64_t conv_group,
                  std::vector<Cell>& cells) {
  const compiler::Tiling& t = c.t;
  const LayerWork& l = *c.l;
  const bool conv = l.kind == LayerKind::kConv;
  const int64_t ksz = conv ? c.k : 1;
  const int64_t in_total = conv ? c.cg_in : l.cols;
  for (int64_t gi : c.groups_of_cg[static_cast<size_t>(conv_group)]) {
    const Group& g = c.groups[static_cast<size_t>(gi)];
    const uint64_t* s = c.sw.synapse_index ? g.s.data() : nullptr;
    for (int64_t i = 0; i < t.ic_seg_n; ++i) {
      const int64_t cb = compiler::seg_begin(i, t.ic_seg_size) * ksz;
      const int64_t ce = compiler::seg_end(i, t.ic_seg_size, in_total) * ksz;
      const WalkResult w = walk(s, vec, cb, ce, c.lim);
      Cell& cell = cells[static_cast<size_t>(cell_index(t, g.oc_seg, h, i, x))];
      cell.cycles += w.cycles;
      cell.macs += w.pairs * (g.r1 - g.r0);
      cell.results += 1;
    }
  }
}

// Gathers the [c, ky, kx] input vector of output pixel (oy, ox) of conv group cg into vec
// (zeroed here; cols bits + a spare word). Padding positions stay 0.
void gather_conv(const LayerCtx& c, const uint64_t* in, int64_t oy, int64_t ox, int64_t cg,
                 std::vector<uint64_t>& vec) {
  const LayerWork& l = *c.l;
  std::fill(vec.begin(), vec.end(), 0);
  const int64_t iy0 = oy * l.stride_h - l.pad_top, ix0 = ox * l.stride_w - l.pad_left;
  const bool fast = l.dilation_w == 1 && l.kw <= 57;
  const int64_t lo = std::max<int64_t>(0, ix0), hi = std::min(l.in_w, ix0 + l.kw);
  for (int64_t ci = 0; ci < c.cg_in; ++ci) {
    const int64_t ch = cg * c.cg_in + ci;
    for (int64_t ky = 0; ky < l.kh; ++ky) {
      const int64_t iy = iy0 + ky * l.dilation_h;
      if (iy < 0 || iy >= l.in_h) continue;
      const int64_t row_bit = (ch * l.in_h + iy) * l.in_w;
      const int64_t col0 = (ci * l.kh + ky) * l.kw;
      if (fast) {
        if (lo < hi)
          or_bits(vec.data(), col0 + (lo - ix0), extract_bits(in, row_bit + lo, hi - lo), hi - lo);
      } else {
        for (int64_t kx = 0; kx < l.kw; ++kx) {
          const int64_t ix = ix0 + kx * l.dilation_w;
          if (ix < 0 || ix >= l.in_w) continue;
          const int64_t bit = row_bit + ix;
          if ((in[bit >> 6] >> (bit & 63)) & 1u) {
            const int64_t col = col0 + kx;
            vec[static_cast<size_t>(col >> 6)] |= uint64_t{1} << (col & 63);
          }
        }
      }
    }
  }
}

// Input bytes of segment (ic seg i, oh seg h, ow seg x) for the conv groups of oc segment o.
// Without a column cut whole input rows are counted; with one, the columns [col0, col1) that
// the column segment reads (neighbouring segments share kw − stride_w of them).
void input_bytes(const LayerCtx& c, const uint64_t* in, int64_t in_bit0, int64_t o, int64_t h,
                 int64_t i, int64_t x, Counters& k, int64_t& bytes) {
  const LayerWork& l = *c.l;
  const Spec& sp = *c.spec;
  int64_t positions = 0, nz = 0;
  if (l.kind == LayerKind::kConv) {
    const int64_t ob = compiler::seg_begin(o, c.t.oc_seg_size);
    const int64_t oe = compiler::seg_end(o, c.t.oc_seg_size, l.rows);
    const int64_t rows_per_cg = l.rows / l.group;
    const int64_t cg0 = ob / rows_per_cg, cg1 = (oe - 1) / rows_per_cg;
    const int64_t ohb = compiler::seg_begin(h, c.t.oh_seg_size);
    const int64_t ohe = compiler::seg_end(h, c.t.oh_seg_size, l.out_h);
    const int64_t r0 = std::max<int64_t>(0, ohb * l.stride_h - l.pad_top);
    const int64_t r1 = std::min(l.in_h, (ohe - 1) * l.stride_h - l.pad_top + c.eff_kh);
    const int64_t icb = compiler::seg_begin(i, c.t.ic_seg_size);
    const int64_t ice = compiler::seg_end(i, c.t.ic_seg_size, c.cg_in);
    int64_t col0 = 0, col1 = l.in_w;
    if (c.t.ow_seg_n > 1) {
      const int64_t ows = ow_size_of(c);
      const int64_t owb = compiler::seg_begin(x, ows);
      const int64_t owe = compiler::seg_end(x, ows, l.out_w);
      col0 = std::max<int64_t>(0, owb * l.stride_w - l.pad_left);
      col1 = std::min(l.in_w, (owe - 1) * l.stride_w - l.pad_left + c.eff_kw);
    }
    if (r1 > r0 && col1 > col0) {
      for (int64_t cg = cg0; cg <= cg1; ++cg) {
        for (int64_t ci = icb; ci < ice; ++ci) {
          const int64_t ch = cg * c.cg_in + ci;
          if (col0 == 0 && col1 == l.in_w) {  // whole rows: one contiguous range
            const int64_t b = (ch * l.in_h + r0) * l.in_w, e = (ch * l.in_h + r1) * l.in_w;
            positions += e - b;
            if (c.sw.neuron_index) nz += count_and(in, nullptr, b, e);
            continue;
          }
          for (int64_t row = r0; row < r1; ++row) {
            const int64_t b = (ch * l.in_h + row) * l.in_w + col0;
            positions += col1 - col0;
            if (c.sw.neuron_index) nz += count_and(in, nullptr, b, b + col1 - col0);
          }
        }
      }
    }
  } else {
    const int64_t b = compiler::seg_begin(i, c.t.ic_seg_size);
    const int64_t e = compiler::seg_end(i, c.t.ic_seg_size, l.cols);
    positions = e - b;
    if (c.sw.neuron_index) nz = count_and(in, nullptr, in_bit0 + b, in_bit0 + e);
  }
  bytes += neuron_bytes(compressed_neurons(c.sw), nz, positions, sp.neuron_bits, &k.in_bytes,
                        &k.in_index_bytes);
}

void weight_bytes(const LayerCtx& c, int64_t o, int64_t i, Counters& k, int64_t& bytes) {
  const LayerWork& l = *c.l;
  const int64_t ksz = l.kind == LayerKind::kConv ? c.k : 1;
  const int64_t in_total = l.kind == LayerKind::kConv ? c.cg_in : l.cols;
  const int64_t cb = compiler::seg_begin(i, c.t.ic_seg_size) * ksz;
  const int64_t ce = compiler::seg_end(i, c.t.ic_seg_size, in_total) * ksz;
  const bool sparse_w = c.sw.synapse_index && !c.opt.dense_weight_traffic;
  const int bits = c.opt.dense_weight_traffic ? c.spec->weight_bits_dense : c.abits;
  int64_t weights = 0, xbits = 0;  // stored weights of the segment, index bits
  for (const Group& g : c.groups) {
    if (g.oc_seg != o) continue;
    const int64_t stored = sparse_w ? count_and(g.s.data(), nullptr, cb, ce) : ce - cb;
    weights += (g.r1 - g.r0) * stored;
    // The bit string of the group's mask row: shared by its rows, or one per row.
    if (sparse_w) xbits += (c.sw.shared_index ? 1 : g.r1 - g.r0) * (ce - cb);
  }
  const int64_t wb = bytes_of_bits(weights * bits), xb = bytes_of_bits(xbits);
  // Huffman-coded off chip: the layer's code bits (not the SB's aligned width) over the gain.
  int64_t dram_wb = wb;
  if (c.sw.huffman && c.quantized && !c.opt.dense_weight_traffic) {
    dram_wb = static_cast<int64_t>(std::ceil(static_cast<double>(weights) *
                                             std::min(l.weight_bits, bits) /
                                             c.spec->huffman_code_gain / 8.0));
    k.decoded += weights;
  }
  k.w_bytes += wb;
  k.w_dram_bytes += dram_wb;
  k.w_index_bytes += xb;
  bytes += dram_wb + xb;
}

// Output elements of (oc seg o, oh seg h, ow seg x): stores through the Encoder (or dense) and
// returns the Encoder cycles.
int64_t output_bytes(const LayerCtx& c, const uint64_t* out, int64_t out_bit0, int64_t o, int64_t h,
                     int64_t x, Counters& k, int64_t& bytes) {
  const LayerWork& l = *c.l;
  const Spec& sp = *c.spec;
  const int64_t ob = compiler::seg_begin(o, c.t.oc_seg_size);
  const int64_t oe = compiler::seg_end(o, c.t.oc_seg_size, l.rows);
  int64_t positions = 0, nz = 0, enc = 0;
  const WalkLimits el = encoder_limits(sp);
  if (l.kind == LayerKind::kConv) {
    const int64_t ohb = compiler::seg_begin(h, c.t.oh_seg_size);
    const int64_t ohe = compiler::seg_end(h, c.t.oh_seg_size, l.out_h);
    const int64_t ows = ow_size_of(c);
    const int64_t owb = compiler::seg_begin(x, ows), owe = compiler::seg_end(x, ows, l.out_w);
    // Whole rows form one range per channel; a column segment one range per row.
    const bool whole = owb == 0 && owe == l.out_w;
    for (int64_t m = ob; m < oe; ++m) {
      for (int64_t row = ohb; row < (whole ? ohb + 1 : ohe); ++row) {
        const int64_t row0 = (m * l.out_h + row) * l.out_w;
        const int64_t b = whole ? (m * l.out_h + ohb) * l.out_w : row0 + owb;
        const int64_t e = whole ? (m * l.out_h + ohe) * l.out_w : row0 + owe;
        positions += e - b;
        if (c.sw.encoder) {
          const WalkResult w = walk(nullptr, out, b, e, el);
          nz += w.pairs;
          enc += w.cycles;
        }
      }
    }
  } else {
    positions = oe - ob;
    if (c.sw.encoder) {
      const WalkResult w = walk(nullptr, out, out_bit0 + ob, out_bit0 + oe, el);
      nz = w.pairs;
      enc = w.cycles;
    }
  }
  bytes +=
      neuron_bytes(c.sw.encoder, nz, positions, sp.neuron_bits, &k.out_bytes, &k.out_index_bytes);
  return enc;
}

int64_t psum_elems(const LayerCtx& c, int64_t o, int64_t h, int64_t x) {
  const LayerWork& l = *c.l;
  const int64_t n_oc =
      compiler::seg_end(o, c.t.oc_seg_size, l.rows) - compiler::seg_begin(o, c.t.oc_seg_size);
  if (l.kind != LayerKind::kConv) return n_oc;
  const int64_t ows = ow_size_of(c);
  return n_oc *
         (compiler::seg_end(h, c.t.oh_seg_size, l.out_h) -
          compiler::seg_begin(h, c.t.oh_seg_size)) *
         (compiler::seg_end(x, ows, l.out_w) - compiler::seg_begin(x, ows));
}

// What one pass cost, per segment and cell, for the program-driven run (simulate_layer_program):
// the same numbers the plan-driven events are made of, keyed the way the program names them.
struct PassCosts {
  std::map<std::array<int64_t, 4>, int64_t> input;    // (oc, oh, ic, ow) -> bytes loaded
  std::map<std::array<int64_t, 2>, int64_t> weights;  // (oc, ic) -> bytes (codebook apart)
  std::map<std::array<int64_t, 3>, std::array<int64_t, 2>> output;  // (oc, oh, ow) -> bytes, enc
  std::vector<Cell> cells;                            // walk cycles by cell_index
  // Streamed pooling: (channel chunk, row chunk) -> input bytes, output bytes, vector, encoder.
  std::map<std::array<int64_t, 2>, std::array<int64_t, 4>> chunks;
};

// The tile events of one pass given its compute cells. `in`/`out` are the sample's bit
// strings; in_bit0/out_bit0 the pass's offsets in them (LSTM timesteps).
// One pass (a sample, or an LSTM step) over the plan's sub-operations through the shared
// driver loop (hw/core/tiled_driver.h plan_events), with this sample's cells and bytes.
std::vector<TileEvents> pass_events(const LayerCtx& c, const compiler::LayerPlan& plan,
                                    const std::vector<Cell>& cells, const uint64_t* in,
                                    int64_t in_bit0, const uint64_t* out, int64_t out_bit0,
                                    bool output_through_matrix, Counters& k,
                                    PassCosts* rec = nullptr) {
  const Spec& sp = *c.spec;
  if (rec != nullptr) rec->cells = cells;
  bool first_weights = true;
  return plan_events(plan, 1, [&](const compiler::PlannedSubOp& planned, int64_t) {
    const compiler::SubOp& so = planned.op;
    TileEvents te;
    int64_t load = 0, store = 0;
    if (so.load_input) {
      int64_t b = 0;
      input_bytes(c, in, in_bit0, so.oc_seg, so.oh_seg, so.ic_seg, so.ow_seg, k, b);
      load += b;
      if (rec != nullptr) rec->input[{so.oc_seg, so.oh_seg, so.ic_seg, so.ow_seg}] = b;
    }
    if (so.load_weights && !c.opt.weights_on_chip) {
      int64_t b = 0;
      weight_bytes(c, so.oc_seg, so.ic_seg, k, b);
      load += b;
      if (rec != nullptr) rec->weights[{so.oc_seg, so.ic_seg}] = b;
      if (first_weights && c.quantized && !c.opt.dense_weight_traffic) {
        const int64_t lut = bytes_of_bits(c.l->codebook_entries * sp.weight_bits_dense);
        k.w_bytes += lut;
        k.w_dram_bytes += lut;
        load += lut;
      }
      first_weights = false;
    }
    const int64_t pe = psum_elems(c, so.oc_seg, so.oh_seg, so.ow_seg);
    if (so.load_psum) {
      const int64_t b = bytes_of_bits(pe * sp.psum_bits);
      k.psum_load_bytes += b;
      load += b;
    }
    int64_t enc = 0;
    if (so.store_psum) {
      const int64_t b = bytes_of_bits(pe * sp.psum_bits);
      k.psum_store_bytes += b;
      store += b;
    }
    if (so.store_output) {
      if (output_through_matrix) {
        int64_t b = 0;
        enc = output_bytes(c, out, out_bit0, so.oc_seg, so.oh_seg, so.ow_seg, k, b);
        store += b;
        if (rec != nullptr) rec->output[{so.oc_seg, so.oh_seg, so.ow_seg}] = {b, enc};
      } else {  // LSTM gate rows: stored dense for the cell-update tile
        const int64_t b = bytes_of_bits(pe * sp.psum_bits);
        k.psum_store_bytes += b;
        store += b;
      }
    }
    const Cell& cell =
        cells[static_cast<size_t>(cell_index(c.t, so.oc_seg, so.oh_seg, so.ic_seg, so.ow_seg))];
    te.load = load_cycles(load, sp.dram);
    te.store = store_cycles(store, sp.dram);
    te.compute = std::max(cell.cycles, enc);
    k.walk_cycles += cell.cycles;
    k.encoder_cycles += enc;
    k.macs += cell.macs;
    k.nbout_rw += cell.results * (so.load_psum || so.ic_seg > 0 ? 2 : 1);
    return te;
  });
}

Status check_layer(const LayerWork& l, int64_t batch) {
  if (l.weight_mask.size() != l.rows * l.cols)
    return invalid_argument("layer {}: weight mask has {} bits, expected rows × cols = {} × {}",
                            l.name, l.weight_mask.size(), l.rows, l.cols);
  for (const BitVec& b : l.input_nz)
    if (b.size() != l.input_size())
      return invalid_argument("layer {}: input_nz has {} bits, expected {}", l.name, b.size(),
                              l.input_size());
  for (const BitVec& b : l.output_nz)
    if (b.size() != l.output_size())
      return invalid_argument("layer {}: output_nz has {} bits, expected {}", l.name, b.size(),
                              l.output_size());
  if (!l.input_nz.empty() && static_cast<int64_t>(l.input_nz.size()) != batch)
    return invalid_argument("layer {}: {} input samples for a batch of {}", l.name,
                            l.input_nz.size(), batch);
  if (!l.output_nz.empty() && static_cast<int64_t>(l.output_nz.size()) != batch)
    return invalid_argument("layer {}: {} output samples for a batch of {}", l.name,
                            l.output_nz.size(), batch);
  return ok_status();
}

void finish_stats(const Spec& spec, const ModeSwitches& sw, const Counters& k,
                  const StepSchedule& sched, LayerStats& st) {
  st.cycles += sched.cycles;
  st.load_cycles += sched.load;
  st.compute_cycles += sched.compute;
  st.store_cycles += sched.store;
  st.stall_cycles += sched.stall;
  st.tiles += sched.steps > 0 ? sched.steps - 2 : 0;
  st.offchip.neurons += k.in_bytes + k.out_bytes;
  st.offchip.neuron_index += k.in_index_bytes + k.out_index_bytes;
  st.offchip.weights += k.w_dram_bytes;
  st.offchip.weight_index += k.w_index_bytes;
  st.offchip.partial_sums += k.psum_load_bytes + k.psum_store_bytes;
  st.macs_performed += k.macs;
  auto& a = st.actions;
  // The shared vocabulary (hw/core/actions.h): reads by the walk, lines filled by loads and
  // drained by stores.
  a[actions::kNbinRead] += k.walk_cycles;
  a[actions::kNbinFill] += ceil_div(k.in_bytes, spec.nbin_width_bytes());
  a[actions::kNibinRead] += sw.neuron_index ? k.walk_cycles : 0;
  a[actions::kNibinFill] += ceil_div(k.in_index_bytes, spec.index_width_bytes());
  a[actions::kSibRead] += sw.synapse_index ? k.walk_cycles : 0;
  a[actions::kSibFill] += ceil_div(k.w_index_bytes, spec.index_width_bytes());
  a[actions::kSbRead] += k.walk_cycles;
  a[actions::kSbFill] += ceil_div(k.w_bytes, spec.sb_width_bytes());
  a[actions::kNboutAccess] += k.nbout_rw + k.vector_cycles;
  a[actions::kNboutFill] += ceil_div(k.psum_load_bytes, spec.nbout_width_bytes());
  a[actions::kNboutDrain] +=
      ceil_div(k.psum_store_bytes + k.out_bytes + k.out_index_bytes, spec.nbout_width_bytes());
  a[actions::kControlCycle] += sched.cycles;
  a["nsm_cycle"] += sw.nsm ? k.walk_cycles : 0;
  a["ssm_cycle"] += sw.ssm ? k.walk_cycles : 0;
  a["wdm_cycle"] += sw.wdm ? k.walk_cycles : 0;
  a["pefu_cycle"] += k.walk_cycles;
  a["encoder_cycle"] += k.encoder_cycles;
  if (sw.huffman) a["huffman_decode"] += k.decoded;
  a["vector_cycle"] += k.vector_cycles;
}

// Loads, vector compute and Encoder stores of a pooling / element-wise layer, one sample.
std::vector<TileEvents> vector_layer_events(const Spec& sp, const ModeSwitches& sw,
                                            const LayerWork& l,
                                            const compiler::StreamedPlan& sp_plan,
                                            const uint64_t* in, const uint64_t* out, Counters& k,
                                            PassCosts* rec = nullptr) {
  const int64_t kh = std::max<int64_t>(1, l.kh), kw = std::max<int64_t>(1, l.kw);
  const int64_t window = l.kind == LayerKind::kPool ? kh * kw : 1;
  const int64_t in_hw = l.in_h * l.in_w, out_hw = l.out_h * l.out_w;
  const WalkLimits el = encoder_limits(sp);
  std::vector<TileEvents> ev;
  const bool same_geometry = l.in_c == l.out_c;
  // The plan's chunks (compiler/plan.h, streamed-rows), as the code generator walks them.
  for (const compiler::StreamChunk& chunk : compiler::stream_chunks(l, sp_plan)) {
    const int64_t c0 = chunk.c0, c1 = chunk.c1, oy = chunk.oy0, oy1 = chunk.oy1;
    const int64_t r0 = chunk.r0, r1 = chunk.r1, ci = chunk.ci, ri = chunk.ri;
    int64_t positions = 0, nz = 0;
    if (same_geometry && r1 > r0) {
      for (int64_t ch = c0; ch < c1; ++ch) {
        const int64_t b = ch * in_hw + r0 * l.in_w, e = ch * in_hw + r1 * l.in_w;
        positions += e - b;
        if (sw.neuron_index) nz += count_and(in, nullptr, b, e);
      }
    }
    int64_t load = 0, store = 0, enc = 0;
    load = neuron_bytes(compressed_neurons(sw), nz, positions, sp.neuron_bits, &k.in_bytes,
                        &k.in_index_bytes);
    int64_t outs = 0, onz = 0;
    for (int64_t ch = c0; ch < c1; ++ch) {
      const int64_t b = ch * out_hw + oy * l.out_w, e = ch * out_hw + oy1 * l.out_w;
      outs += e - b;
      if (sw.encoder) {
        const WalkResult w = walk(nullptr, out, b, e, el);
        onz += w.pairs;
        enc += w.cycles;
      }
    }
    store = neuron_bytes(sw.encoder, onz, outs, sp.neuron_bits, &k.out_bytes, &k.out_index_bytes);
    const int64_t vec = ceil_div(outs * window, sp.vector_lanes);
    k.vector_cycles += vec;
    k.encoder_cycles += enc;
    if (rec != nullptr) rec->chunks[{ci, ri}] = {load, store, vec, enc};
    ev.push_back(
        TileEvents{load_cycles(load, sp.dram), std::max(vec, enc), store_cycles(store, sp.dram)});
  }
  return ev;
}

// Sieve's mapping rules: conv groups side by side (a T_n row group never straddles a conv group
// and reads its own group's channels), LSTM one step at a time (h_t depends on the whole previous
// step), pooling and element-wise layers streamed through the vector unit.
compiler::MappingRules mapping_rules() {
  compiler::MappingRules r;
  r.groups = compiler::GroupMapping::kGroupsSideBySide;
  r.lstm = compiler::LstmMapping::kOneStepRepeated;
  r.pool = compiler::PoolMapping::kStreamedRows;
  r.other = compiler::OtherMapping::kStreamedRows;
  return r;
}

// A program-driven run: the code and the issue mode.
struct ProgramRun {
  const compiler::codegen::CompiledLayer* code = nullptr;
  IssueMode issue = IssueMode::kMulti;
};

// The cost of each instruction of a Sieve program, from the costs of the segments and cells of
// one sample's passes (PassCosts). It follows the program: which segment each load put in which
// buffer half (so that an `mxv` knows its cell and a `pmax` its chunk), the LSTM step from the
// per-step base registers.
class SieveCoster {
 public:
  SieveCoster(const Spec& sp, const ModeSwitches& sw, const LayerWork& l, const LayerCtx* c,
              const compiler::codegen::CompiledLayer& code, const std::vector<PassCosts>& passes,
              const uint64_t* out)
      : sp_(sp), sw_(sw), l_(l), c_(c), code_(code), passes_(passes), out_(out) {}

  Result<InsnCost> operator()(const isa::Insn& in, const std::array<int64_t, 16>& regs) {
    using isa::Op;
    auto v = [&](const char* name) { return isa::operand(in, name); };
    switch (in.op) {
      case Op::ld:
      case Op::st: return transfer(in, regs);
      case Op::mxv: {
        const Seg* x = nbin_[static_cast<size_t>(v("in"))];
        const Seg* w = sb_[static_cast<size_t>(v("w"))];
        if (x == nullptr || w == nullptr || c_ == nullptr)
          return invalid_argument("mxv: NBin half {} or SB half {} holds no segment", v("in"),
                                  v("w"));
        const PassCosts& pc = pass();
        const size_t ci = static_cast<size_t>(cell_index(c_->t, w->oc, x->oh, x->ic, x->ow));
        if (ci >= pc.cells.size()) return invalid_argument("mxv: cell {} out of range", ci);
        int64_t cycles = pc.cells[ci].cycles;
        if (v("enc") != 0) {
          auto f = pc.output.find({w->oc, x->oh, x->ow});
          if (f != pc.output.end()) cycles = std::max(cycles, f->second[1]);
        }
        return InsnCost{0, cycles};
      }
      case Op::pmax:
      case Op::pavg: {
        const Seg* x = nbin_[static_cast<size_t>(v("src"))];
        if (x == nullptr) return invalid_argument("pool: NBin half {} holds no chunk", v("src"));
        auto f = pass().chunks.find({x->oc, x->oh});
        if (f == pass().chunks.end()) return invalid_argument("pool: no chunk ({}, {})", x->oc, x->oh);
        return InsnCost{0, std::max(f->second[2], f->second[3])};
      }
      case Op::lstm: {
        const int64_t n = v("n"), u0 = cell_u0_[static_cast<size_t>(v("half"))];
        constexpr int64_t kCellOpsPerUnit = 5;  // as the plan-driven cell update counts it
        int64_t cycles = ceil_div(kCellOpsPerUnit * n, sp_.vector_lanes);
        if (sw_.encoder) {
          const int64_t b = step_ * l_.out_c + u0;
          cycles = std::max(cycles, walk(nullptr, out_, b, b + n, encoder_limits(sp_)).cycles);
        }
        return InsnCost{0, cycles};
      }
      default: return InsnCost{};
    }
  }

 private:
  using Seg = compiler::codegen::Segment;
  using TensorId = compiler::codegen::TensorId;

  const PassCosts& pass() const { return passes_[static_cast<size_t>(step_)]; }

  Result<InsnCost> transfer(const isa::Insn& in, const std::array<int64_t, 16>& regs) {
    const compiler::codegen::Layout& lay = code_.layout;
    const int base = static_cast<int>(isa::operand(in, "base"));
    const int64_t bytes = isa::operand(in, "bytes");
    TensorId t{};
    if (!compiler::codegen::Layout::tensor_of_register(base, &t)) return InsnCost{bytes, 0};
    Result<compiler::codegen::Layout::Address> a = lay.resolve(
        base, isa::operand(in, "addr"), regs, static_cast<int64_t>(passes_.size()));
    if (!a.ok()) return a.status().with_context(isa::format_insn(in));
    step_ = a->step;
    const int64_t off = a->offset;
    const bool load = in.op == isa::Op::ld;
    const auto half = static_cast<size_t>(isa::operand(in, "half"));
    const bool pool = l_.kind == LayerKind::kPool || l_.kind == LayerKind::kOther;
    if (t == TensorId::kCell) {
      if (load) cell_u0_[half] = off / bytes_of_bits(sp_.psum_bits);
      return InsnCost{bytes, 0};
    }
    if (t != TensorId::kInput && t != TensorId::kWeights && t != TensorId::kOutput)
      return InsnCost{bytes, 0};  // dense, exactly the instruction's bytes
    const Seg* seg = lay.find(t, off);
    if (seg == nullptr)
      return invalid_argument("{}: no {} segment at offset {}", isa::format_insn(in),
                              compiler::codegen::tensor_name(t), off);
    const PassCosts& pc = pass();
    if (t == TensorId::kInput) {
      if (load) nbin_[half] = seg;
      if (pool) return chunk(*seg, 0);
      auto f = pc.input.find({seg->oc, seg->oh, seg->ic, seg->ow});
      if (f == pc.input.end()) return missing(in);
      return InsnCost{f->second, 0};
    }
    if (t == TensorId::kWeights) {
      if (load) sb_[half] = seg;
      auto f = pc.weights.find({seg->oc, seg->ic});
      if (f == pc.weights.end()) return missing(in);
      return InsnCost{f->second, 0};
    }
    if (pool) return chunk(*seg, 1);
    if (l_.kind == LayerKind::kLstm) {  // h of units [begin, end) of this step
      const int64_t n = seg->end - seg->begin;
      int64_t nz = n;
      if (sw_.encoder) {
        const int64_t b = step_ * l_.out_c + seg->begin;
        nz = walk(nullptr, out_, b, b + n, encoder_limits(sp_)).pairs;
      }
      Counters scratch;
      return InsnCost{neuron_bytes(sw_.encoder, nz, n, sp_.neuron_bits, &scratch.out_bytes,
                                   &scratch.out_index_bytes),
                      0};
    }
    auto f = pc.output.find({seg->oc, seg->oh, seg->ow});
    if (f == pc.output.end()) return missing(in);
    return InsnCost{f->second[0], 0};
  }

  Result<InsnCost> chunk(const Seg& seg, int which) const {
    auto f = pass().chunks.find({seg.oc, seg.oh});
    if (f == pass().chunks.end()) return invalid_argument("no pooling chunk ({}, {})", seg.oc, seg.oh);
    return InsnCost{f->second[static_cast<size_t>(which)], 0};
  }
  static Status missing(const isa::Insn& in) {
    return invalid_argument("{}: the plan does not move this segment", isa::format_insn(in));
  }

  const Spec& sp_;
  ModeSwitches sw_;
  const LayerWork& l_;
  const LayerCtx* c_;
  const compiler::codegen::CompiledLayer& code_;
  const std::vector<PassCosts>& passes_;
  const uint64_t* out_;
  std::array<const Seg*, 2> nbin_{}, sb_{};
  std::array<int64_t, 2> cell_u0_{};
  int64_t step_ = 0;
};

// Runs one sample's program and moves the layer's cycles from the plan-driven steps of that
// sample (`planned`) to the program's.
Status run_sample_program(const Spec& spec, const ModeSwitches& sw, const LayerWork& l,
                          const LayerCtx* c, const ProgramRun& run,
                          const std::vector<PassCosts>& passes, const uint64_t* out,
                          int64_t planned, LayerStats& st) {
  SieveCoster coster(spec, sw, l, c, *run.code, passes, out);
  SIEVE_ASSIGN_OR_RETURN(ProgramTiming pt,
                         time_program(run.code->packed.program, spec.dram, run.issue,
                                      [&](const isa::Insn& in, const std::array<int64_t, 16>& r) {
                                        return coster(in, r);
                                      }));
  const int64_t delta = pt.cycles - planned;
  st.cycles += delta;
  st.stall_cycles += delta;
  st.actions[actions::kControlCycle] += delta;
  return ok_status();
}

}  // namespace

Result<compiler::LayerPlan> plan_layer(const Spec& spec, Mode mode, const SimOptions& opt,
                                       const LayerWork& l) {
  compiler::PlanRequest req;
  req.buffers = spec.buffer_model();
  req.buffers.sb_holds_all_weights = opt.weights_on_chip;
  req.rules = mapping_rules();
  if (l.kind == LayerKind::kPool || l.kind == LayerKind::kOther) return compiler::make_plan(l, req);
  if (l.rows <= 0 || l.cols <= 0)
    return invalid_argument("layer {}: no weights (rows {} cols {})", l.name, l.rows, l.cols);
  const ModeSwitches sw = switches(mode);
  const bool conv = l.kind == LayerKind::kConv;
  if (conv && (l.group < 1 || l.in_c % l.group != 0 || l.rows % l.group != 0))
    return invalid_argument("layer {}: group {} does not divide in_c {} and out_c {}", l.name,
                            l.group, l.in_c, l.rows);
  const int abits = sw.wdm
                        ? spec.aligned_weight_bits(std::min(l.weight_bits, spec.weight_bits_dense))
                        : spec.weight_bits_dense;
  // Densities for the tiling (measured on the whole layer, every sample; kept in the memo: they
  // depend on the layer, T_n and the mode alone).
  const std::string density_key =
      opt.memo ? fmt::format("sieve/densities/{}/tn {}/{} {}", static_cast<const void*>(&l),
                             spec.tn, sw.neuron_index, sw.synapse_index)
               : std::string();
  std::shared_ptr<const std::pair<double, double>> memo_densities =
      opt.memo ? opt.memo->find<std::pair<double, double>>(density_key) : nullptr;
  double in_density = 1.0;
  if (memo_densities) {
    in_density = memo_densities->first;
  } else if (sw.neuron_index && !l.input_nz.empty()) {
    int64_t nz = 0;
    for (const BitVec& b : l.input_nz) nz += b.count();
    const double total =
        static_cast<double>(l.input_size()) * static_cast<double>(l.input_nz.size());
    in_density = std::max(static_cast<double>(nz) / total, 1.0 / total);
  }
  // Natural groups (aligned to T_n inside each conv group) give the union density.
  const double positions = static_cast<double>(l.rows * l.cols);
  double union_density = 1.0;
  if (memo_densities) {
    union_density = memo_densities->second;
  } else if (sw.synapse_index) {
    const std::vector<Group> g0 = make_groups(l, spec, l.rows, 1);
    int64_t stored = 0;
    for (const Group& g : g0) stored += (g.r1 - g.r0) * count_and(g.s.data(), nullptr, 0, l.cols);
    union_density = static_cast<double>(stored) / positions;
  }
  if (opt.memo && !memo_densities)
    opt.memo->put(density_key,
                  std::make_shared<const std::pair<double, double>>(in_density, union_density),
                  sizeof(std::pair<double, double>));
  // Stored weight bytes per position in neuron units: aligned code bits × union-stored fraction.
  double w_ratio = static_cast<double>(abits) / spec.neuron_bits;
  if (sw.synapse_index && !opt.dense_weight_traffic) {
    w_ratio *= std::max(union_density, 1.0 / positions);
  } else if (opt.dense_weight_traffic) {
    w_ratio = static_cast<double>(spec.weight_bits_dense) / spec.neuron_bits;
  }
  req.in_density = in_density;
  req.weight_ratio = w_ratio;
  if (opt.memo && l.weight_mask.size() > 0) {  // the kept weights per segment, from a rank index
    const std::string rank_key = fmt::format("sieve/rank/{}", static_cast<const void*>(&l));
    req.weight_rank = opt.memo->find<BitRank>(rank_key);
    if (!req.weight_rank) {
      auto rank = std::make_shared<const BitRank>(l.weight_mask);
      opt.memo->put(rank_key, rank, rank->bytes());
      req.weight_rank = std::move(rank);
    }
  }
  // NIBin: one bit per input position of the segment; SIB: one bit per weight column per group
  // of T_n rows (shared by the group's PEs), or per row without the shared index.
  req.index.input_index = sw.neuron_index;
  req.index.weight_index = sw.synapse_index && !opt.dense_weight_traffic && !opt.weights_on_chip;
  req.index.rows_per_bit = sw.shared_index ? spec.tn : 1;
  req.index.cols_per_bit = 1;
  // The cost: this model's estimate of a tiling's time (perf.h), with the positions the walk
  // advances per cycle at the layer's average densities.
  const WalkLimits lim = matrix_limits(spec);
  const int64_t kernel = conv ? l.kh * l.kw : 1;
  const int64_t pixels = conv ? l.out_h * l.out_w : 1;
  const double s_d = sw.synapse_index ? std::max(union_density, 1.0 / positions) : 1.0;
  const double n_d = sw.neuron_index ? in_density : 1.0;
  const double rate =
      std::min({static_cast<double>(lim.window), static_cast<double>(lim.stored) / s_d,
                static_cast<double>(lim.pairs) / (s_d * n_d)});
  const double load_bw = spec.dram.load_bytes_per_cycle;
  const auto startup = static_cast<double>(spec.dram.startup_cycles);
  const int64_t tn = spec.tn;
  req.cost = [=](const compiler::TilingPlan& p) {
    const compiler::Tiling& t = p.tiling;
    const int64_t groups = t.oc_seg_n * ceil_div(t.oc_seg_size, tn);
    const double compute = static_cast<double>(groups * pixels * t.ic_seg_n) *
                           std::ceil(static_cast<double>(t.ic_seg_size * kernel) / rate);
    const auto subops = static_cast<double>(t.oc_seg_n * t.oh_seg_n * t.ic_seg_n * t.ow_seg_n);
    return std::max(p.traffic.of(p.reuse) / load_bw + subops * startup, compute);
  };
  Result<compiler::LayerPlan> plan = compiler::make_plan(l, req);
  if (!plan.ok()) return plan.status().with_context("sieve");
  return plan;
}

namespace {

Result<LayerStats> simulate_layer_impl(const Spec& spec, Mode mode, const SimOptions& opt,
                                       const LayerWork& l, const compiler::LayerPlan& plan,
                                       int64_t batch, const ProgramRun* run) {
  SIEVE_RETURN_IF_ERROR(check_layer(l, batch));
  if (mode == Mode::kHuffman) SIEVE_RETURN_IF_ERROR(check_huffman_bank(spec));
  LayerStats st;
  st.name = l.name;
  st.kind = layer_kind_name(l.kind);
  st.macs_dense = l.dense_macs() * batch;
  const ModeSwitches sw = switches(mode);
  // Samples without recorded activations count as dense (every neuron non-zero).
  const BitVec all_in(l.input_size(), true), all_out(l.output_size(), true);
  auto in_of = [&](int64_t s) {
    return l.input_nz.empty() ? all_in.words().data()
                              : l.input_nz[static_cast<size_t>(s)].words().data();
  };
  auto out_of = [&](int64_t s) {
    return l.output_nz.empty() ? all_out.words().data()
                               : l.output_nz[static_cast<size_t>(s)].words().data();
  };

  if (l.kind == LayerKind::kPool || l.kind == LayerKind::kOther) {
    for (int64_t s = 0; s < batch; ++s) {
      Counters k;
      std::vector<PassCosts> rec(run != nullptr ? 1 : 0);
      const std::vector<TileEvents> ev = vector_layer_events(
          spec, sw, l, plan.streamed, in_of(s), out_of(s), k, rec.empty() ? nullptr : &rec[0]);
      const StepSchedule sched = schedule_steps(ev);
      finish_stats(spec, sw, k, sched, st);
      if (run != nullptr)
        SIEVE_RETURN_IF_ERROR(
            run_sample_program(spec, sw, l, nullptr, *run, rec, out_of(s), sched.cycles, st));
    }
  } else {
    if (l.rows <= 0 || l.cols <= 0)
      return invalid_argument("layer {}: no weights (rows {} cols {})", l.name, l.rows, l.cols);
    LayerCtx c;
    c.spec = &spec;
    c.l = &l;
    c.sw = sw;
    c.opt = opt;
    c.lim = matrix_limits(spec);
    const bool conv = l.kind == LayerKind::kConv;
    if (conv) {
      if (l.group < 1 || l.in_c % l.group != 0 || l.rows % l.group != 0)
        return invalid_argument("layer {}: group {} does not divide in_c {} and out_c {}", l.name,
                                l.group, l.in_c, l.rows);
      c.cg_in = l.in_c / l.group;
      c.k = l.kh * l.kw;
      if (c.cg_in * c.k != l.cols)
        return invalid_argument("layer {}: cols {} != in_c/group·kh·kw = {}", l.name, l.cols,
                                c.cg_in * c.k);
      c.eff_kh = (l.kh - 1) * l.dilation_h + 1;
      c.eff_kw = (l.kw - 1) * l.dilation_w + 1;
    }
    c.quantized = sw.wdm && l.codebook_entries > 0;
    c.abits = sw.wdm ? spec.aligned_weight_bits(std::min(l.weight_bits, spec.weight_bits_dense))
                     : spec.weight_bits_dense;

    const int64_t passes_per_sample = l.kind == LayerKind::kLstm ? l.timesteps : 1;
    if (!plan.tiled)
      return invalid_argument("sieve: layer {}: a weighted layer needs a tiled plan", l.name);
    c.t = plan.choice.tiling;
    c.reuse = plan.choice.reuse;
    // The PE groups depend on the layer, T_n and the output-channel cut alone (the memo).
    const std::string groups_key =
        opt.memo ? fmt::format("sieve/groups/{}/tn {}/oc {}x{}", static_cast<const void*>(&l),
                               spec.tn, c.t.oc_seg_n, c.t.oc_seg_size)
                 : std::string();
    if (auto g = opt.memo ? opt.memo->find<std::vector<Group>>(groups_key) : nullptr) {
      c.groups = *g;
    } else {
      c.groups = make_groups(l, spec, c.t.oc_seg_size, c.t.oc_seg_n);
      if (opt.memo) {
        size_t bytes = 0;
        for (const Group& gr : c.groups) bytes += sizeof(Group) + gr.s.size() * sizeof(uint64_t);
        opt.memo->put(groups_key, std::make_shared<const std::vector<Group>>(c.groups), bytes);
      }
    }
    c.groups_of_cg.assign(static_cast<size_t>(conv ? l.group : 1), {});
    for (size_t gi = 0; gi < c.groups.size(); ++gi)
      c.groups_of_cg[static_cast<size_t>(c.groups[gi].conv_group)].push_back(
          static_cast<int64_t>(gi));
    st.reuse = compiler::reuse_name(c.reuse);

    const size_t ncells =
        static_cast<size_t>(c.t.ow_seg_n * c.t.oc_seg_n * c.t.oh_seg_n * c.t.ic_seg_n);
    std::vector<Cell> static_c;
    if (!sw.neuron_index) {
      static_c.assign(ncells, Cell{});
      static_cells(c, static_c);
    }
    std::vector<uint64_t> vec(static_cast<size_t>((l.cols + 63) / 64 + 1), 0);
    std::vector<Cell> cells(ncells);
    for (int64_t s = 0; s < batch; ++s) {
      const uint64_t* in = in_of(s);
      const uint64_t* out = out_of(s);
      std::vector<PassCosts> rec(run != nullptr ? static_cast<size_t>(passes_per_sample) : 0);
      int64_t planned = 0;  // this sample's plan-driven cycles
      for (int64_t pass = 0; pass < passes_per_sample; ++pass) {
        Counters k;
        if (!sw.neuron_index) {
          cells = static_c;
        } else {
          // The cells depend on the layer, the sample (and LSTM step), the tiling, the PE
          // groups (T_n, the synapse index) and the walk limits, not on the memory or the
          // buffers: a sweep over those reuses them (SimOptions::memo).
          std::string key;
          std::shared_ptr<const std::vector<Cell>> memo_cells;
          if (opt.memo) {
            key = fmt::format("sieve/cells/{}/{}/{}/{}/tn {} lim {} {} {} syn {}",
                              static_cast<const void*>(&l), s, pass, c.t.to_string(), spec.tn,
                              c.lim.window, c.lim.stored, c.lim.pairs, sw.synapse_index);
            memo_cells = opt.memo->find<std::vector<Cell>>(key);
          }
          if (memo_cells) {
            cells = *memo_cells;
          } else {
            std::fill(cells.begin(), cells.end(), Cell{});
            if (conv) {
              for (int64_t oy = 0; oy < l.out_h; ++oy) {
                const int64_t h = oy / c.t.oh_seg_size;
                const int64_t ows = ow_size_of(c);
                for (int64_t ox = 0; ox < l.out_w; ++ox)
                  for (int64_t cg = 0; cg < l.group; ++cg) {
                    gather_conv(c, in, oy, ox, cg, vec);
                    vector_cells(c, vec.data(), h, ox / ows, cg, cells);
                  }
              }
            } else if (l.kind == LayerKind::kLstm) {
              std::fill(vec.begin(), vec.end(), 0);
              or_range(vec.data(), in, pass * l.cols, l.cols);
              vector_cells(c, vec.data(), 0, 0, 0, cells);
            } else {
              vector_cells(c, in, 0, 0, 0, cells);
            }
            if (opt.memo)
            opt.memo->put(key, std::make_shared<const std::vector<Cell>>(cells),
                          cells.size() * sizeof(Cell));
          }
        }
        const bool lstm = l.kind == LayerKind::kLstm;
        std::vector<TileEvents> ev = pass_events(
            c, plan, cells, in, lstm ? pass * l.cols : 0, out, lstm ? pass * l.out_c : 0, !lstm, k,
            rec.empty() ? nullptr : &rec[static_cast<size_t>(pass)]);
        if (lstm) {
          // Cell update on the vector unit: reads the gate rows and c_{t-1}, writes c_t and
          // h_t (h_t through the Encoder when it is on).
          const int64_t hidden = l.out_c;
          TileEvents te;
          const int64_t gate_bytes = bytes_of_bits((l.rows + hidden) * spec.psum_bits);
          k.psum_load_bytes += gate_bytes;
          int64_t store = bytes_of_bits(hidden * spec.psum_bits);  // c_t
          k.psum_store_bytes += store;
          int64_t enc = 0;
          int64_t nz = hidden;
          if (sw.encoder) {
            const WalkResult w =
                walk(nullptr, out, pass * hidden, (pass + 1) * hidden, encoder_limits(spec));
            enc = w.cycles;
            nz = w.pairs;
          }
          store += neuron_bytes(sw.encoder, nz, hidden, spec.neuron_bits, &k.out_bytes,
                                &k.out_index_bytes);
          // c = f⊙c + i⊙g (2 mul + 1 add), tanh(c), h = o⊙tanh(c): 5 operations per unit.
          constexpr int64_t kCellOpsPerUnit = 5;
          const int64_t vecc = ceil_div(kCellOpsPerUnit * hidden, spec.vector_lanes);
          k.vector_cycles += vecc;
          k.encoder_cycles += enc;
          te.load = load_cycles(gate_bytes, spec.dram);
          te.compute = std::max(vecc, enc);
          te.store = store_cycles(store, spec.dram);
          ev.push_back(te);
        }
        const StepSchedule sched = schedule_steps(ev);
        planned += sched.cycles;
        finish_stats(spec, sw, k, sched, st);
      }
      if (run != nullptr)
        SIEVE_RETURN_IF_ERROR(run_sample_program(spec, sw, l, &c, *run, rec, out, planned, st));
    }
  }
  st.macs_skipped = st.macs_dense - st.macs_performed;
  st.time_ns = static_cast<double>(st.cycles) / spec.freq_ghz;
  const int64_t mult = spec.tn * spec.tm;
  if (st.cycles > 0)
    st.utilization = static_cast<double>(st.macs_performed) /
                     (static_cast<double>(mult) * static_cast<double>(st.cycles));
  return st;
}

}  // namespace

Result<LayerStats> simulate_layer(const Spec& spec, Mode mode, const SimOptions& opt,
                                  const LayerWork& l, const compiler::LayerPlan& plan,
                                  int64_t batch) {
  return simulate_layer_impl(spec, mode, opt, l, plan, batch, nullptr);
}

Result<LayerStats> simulate_layer_program(const Spec& spec, Mode mode, const SimOptions& opt,
                                          const LayerWork& l, const compiler::LayerPlan& plan,
                                          const compiler::codegen::CompiledLayer& code,
                                          int64_t batch, IssueMode issue) {
  if (opt.weights_on_chip || opt.dense_weight_traffic)
    return invalid_argument(
        "sieve: layer {}: programs are generated for the preset's own weight traffic; "
        "--weights-on-chip and dense weight traffic run plan-driven only",
        l.name);
  const ProgramRun run{&code, issue};
  return simulate_layer_impl(spec, mode, opt, l, plan, batch, &run);
}

compiler::codegen::Target codegen_target(const Spec& spec, Mode mode, const LayerWork& l) {
  const ModeSwitches sw = switches(mode);
  compiler::codegen::Target t;
  t.arch = "sieve";
  t.tn = spec.tn;
  t.neuron_bits = spec.neuron_bits;
  t.psum_bits = spec.psum_bits;
  t.weight_bits = sw.wdm ? spec.aligned_weight_bits(std::min(l.weight_bits, spec.weight_bits_dense))
                         : spec.weight_bits_dense;
  t.neuron_index = sw.neuron_index;
  t.synapse_index = sw.synapse_index;
  t.wdm = sw.wdm && l.codebook_entries > 0;
  t.encoder = sw.encoder;
  t.lut_bytes = t.wdm ? bytes_of_bits(l.codebook_entries * spec.weight_bits_dense) : 0;
  const compiler::BufferModel b = spec.buffer_model();
  const int64_t div = b.ping_pong ? 2 : 1;
  t.buffer_half[0] = b.whole.nbin / div;
  t.buffer_half[1] = b.whole.nibin / div;
  t.buffer_half[2] = b.whole.nbout / div;
  t.buffer_half[3] = b.whole.sb / div;
  t.buffer_half[4] = b.whole.sib / div;
  t.buffer_half[5] = bytes_of_bits(256 * spec.weight_bits_dense);  // up to 256 centroids
  return t;
}

}  // namespace sieve::hw::sieve_arch
