// BitVec and LayerWork helpers (the builder is in workload.cc).
#include <bit>

#include "sieve/compiler/workload.h"
#include "sieve/core/cpu.h"

namespace sieve::compiler {

BitVec::BitVec(int64_t n, bool value)
    : n_(n), words_(static_cast<size_t>((n + 63) / 64), value ? ~uint64_t{0} : 0) {
  if (value && (n & 63) != 0) words_.back() = (uint64_t{1} << (n & 63)) - 1;
}

namespace {

// Set bits of words [wb, we] with the first word masked from bit `lo` and the last below bit
// `hi` (0: whole word). Compiled twice: with the POPCNT instruction for CPUs that have it (every
// BMI2 CPU does; SIEVE_ISA=generic turns it off), and without, where std::popcount is a libgcc
// call — which made counting a VGG16 layer's kept weights per tiling a fifth of a sweep point.
template <bool kPopcnt>
[[gnu::always_inline]] inline int64_t count_words(const uint64_t* words, int64_t wb, int64_t we,
                                                  int lo, int hi) {
  int64_t c = 0;
  for (int64_t w = wb; w <= we; ++w) {
    uint64_t x = words[w];
    if (w == wb) x &= ~uint64_t{0} << lo;
    if (w == we && hi != 0) x &= (uint64_t{1} << hi) - 1;
    c += std::popcount(x);
  }
  return c;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("popcnt"))) int64_t count_words_popcnt(const uint64_t* words, int64_t wb,
                                                             int64_t we, int lo, int hi) {
  return count_words<true>(words, wb, we, lo, hi);
}
bool use_popcnt() {
  static const bool has = ::sieve::cpu_features().bmi2;
  return has;
}
#endif

int64_t count_words_any(const uint64_t* words, int64_t wb, int64_t we, int lo, int hi) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (use_popcnt()) return count_words_popcnt(words, wb, we, lo, hi);
#endif
  return count_words<false>(words, wb, we, lo, hi);
}

}  // namespace

int64_t BitVec::count() const {
  if (words_.empty()) return 0;
  return count_words_any(words_.data(), 0, static_cast<int64_t>(words_.size()) - 1, 0, 0);
}

int64_t BitVec::count(int64_t begin, int64_t end) const {
  if (begin >= end) return 0;
  return count_words_any(words_.data(), begin >> 6, (end - 1) >> 6, static_cast<int>(begin & 63),
                         static_cast<int>(end & 63));
}

BitRank::BitRank(const BitVec& v) : v_(&v), before_(v.words().size() + 1, 0) {
  const std::vector<uint64_t>& w = v.words();
  for (size_t i = 0; i < w.size(); ++i)
    before_[i + 1] = before_[i] + count_words_any(w.data(), static_cast<int64_t>(i),
                                                  static_cast<int64_t>(i), 0, 0);
}

namespace {

template <bool kPopcnt>
[[gnu::always_inline]] inline int64_t rank_count(const int64_t* before, const uint64_t* words,
                                                 int64_t begin, int64_t end) {
  const int64_t wb = begin >> 6, we = (end - 1) >> 6;
  const uint64_t first = words[wb] & (~uint64_t{0} << (begin & 63));
  const uint64_t last_mask = (end & 63) != 0 ? (uint64_t{1} << (end & 63)) - 1 : ~uint64_t{0};
  if (wb == we) return std::popcount(first & last_mask);
  return before[we] - before[wb + 1] + std::popcount(first) + std::popcount(words[we] & last_mask);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("popcnt"))) int64_t rank_count_popcnt(const int64_t* before,
                                                            const uint64_t* words, int64_t begin,
                                                            int64_t end) {
  return rank_count<true>(before, words, begin, end);
}
#endif

}  // namespace

int64_t BitRank::count(int64_t begin, int64_t end) const {
  if (begin >= end) return 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (use_popcnt()) return rank_count_popcnt(before_.data(), v_->words().data(), begin, end);
#endif
  return rank_count<false>(before_.data(), v_->words().data(), begin, end);
}

LayerKind layer_kind(ir::OpCategory c) {
  switch (c) {
    case ir::OpCategory::kFc: return LayerKind::kFullyConnected;
    case ir::OpCategory::kConv: return LayerKind::kConv;
    case ir::OpCategory::kPool: return LayerKind::kPool;
    case ir::OpCategory::kLstm: return LayerKind::kLstm;
    case ir::OpCategory::kInput:
    case ir::OpCategory::kGru:
    case ir::OpCategory::kActivation:
    case ir::OpCategory::kNorm:
    case ir::OpCategory::kElementwise:
    case ir::OpCategory::kShape: return LayerKind::kOther;
  }
  return LayerKind::kOther;
}

const char* layer_kind_name(LayerKind k) {
  // category_name returns views of string literals, so data() is NUL-terminated.
  switch (k) {
    case LayerKind::kFullyConnected: return ir::category_name(ir::OpCategory::kFc).data();
    case LayerKind::kConv: return ir::category_name(ir::OpCategory::kConv).data();
    case LayerKind::kPool: return ir::category_name(ir::OpCategory::kPool).data();
    case LayerKind::kLstm: return ir::category_name(ir::OpCategory::kLstm).data();
    case LayerKind::kOther: return "other";
  }
  return "?";
}

int64_t LayerWork::dense_macs() const {
  switch (kind) {
    case LayerKind::kFullyConnected: return rows * cols;
    case LayerKind::kConv: return rows * cols * out_h * out_w;
    case LayerKind::kLstm: return rows * cols * timesteps;
    case LayerKind::kPool:
    case LayerKind::kOther: return 0;
  }
  return 0;
}

int64_t LayerWork::input_size() const {
  if (kind == LayerKind::kLstm) return timesteps * (in_c + (recurrent > 0 ? recurrent : out_c));
  return in_c * in_h * in_w;
}

int64_t LayerWork::output_size() const {
  if (kind == LayerKind::kLstm) return timesteps * out_c;
  return out_c * out_h * out_w;
}

}  // namespace sieve::compiler
