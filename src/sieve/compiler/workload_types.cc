// BitVec and LayerWork helpers (the builder is in workload.cc).
#include <bit>

#include "sieve/compiler/workload.h"

namespace sieve::compiler {

BitVec::BitVec(int64_t n, bool value)
    : n_(n), words_(static_cast<size_t>((n + 63) / 64), value ? ~uint64_t{0} : 0) {
  if (value && (n & 63) != 0) words_.back() = (uint64_t{1} << (n & 63)) - 1;
}

int64_t BitVec::count() const {
  int64_t c = 0;
  for (uint64_t w : words_) c += std::popcount(w);
  return c;
}

int64_t BitVec::count(int64_t begin, int64_t end) const {
  if (begin >= end) return 0;
  int64_t c = 0;
  int64_t wb = begin >> 6, we = (end - 1) >> 6;
  for (int64_t w = wb; w <= we; ++w) {
    uint64_t x = words_[static_cast<size_t>(w)];
    if (w == wb) x &= ~uint64_t{0} << (begin & 63);
    if (w == we && (end & 63) != 0) x &= (uint64_t{1} << (end & 63)) - 1;
    c += std::popcount(x);
  }
  return c;
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
