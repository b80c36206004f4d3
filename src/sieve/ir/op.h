// OpKind: the closed set of ops Sieve understands, and each op's traits (category, weight
// operand, bias, parameters, MAC formula, 2-D weight view), all generated from ops.def.
// Every "is this a weighted layer / which operand is the weight / how many MACs / how is the
// weight a matrix" question reads op_traits(); nothing keeps a second list of op kinds.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sieve::ir {

#define SIEVE_OP(e, name, cat, weight, matrices, bias, params, fixed, macs, view, desc) k##e,
enum class OpKind {
#include "sieve/ir/ops.def"
};
#undef SIEVE_OP

#define SIEVE_OP(e, name, cat, weight, matrices, bias, params, fixed, macs, view, desc) \
  OpKind::k##e,
inline constexpr OpKind kAllOps[] = {
#include "sieve/ir/ops.def"
};
#undef SIEVE_OP

// What an op is. The hardware's layer kinds (compiler::LayerKind) and the recipes' "fc"/"conv"
// sections are derived from it.
enum class OpCategory {
  kInput,        // graph input
  kFc,           // fully connected / matrix product
  kConv,         // convolution
  kPool,         // max / average pooling, local or global
  kLstm,         // long short-term memory
  kGru,          // gated recurrent unit
  kActivation,   // element-wise nonlinearity, softmax
  kNorm,         // batch normalisation, LRN
  kElementwise,  // binary arithmetic with broadcasting
  kShape,        // moves or copies data: reshape, concat, transpose, pad, identity, dropout
};
// "input", "fc", "conv", "pool", "lstm", "gru", "activation", "norm", "elementwise", "shape".
std::string_view category_name(OpCategory c);

// The MAC formula of an op (ir/cost.h computes it on a node's shapes).
enum class MacRule {
  kNone,    // element-wise, pooling, normalisation, shape ops: 0 (as the published totals)
  kConv,    // numel(Y) · (C/group) · prod(kernel)
  kGemm,    // M · N · K (K from trans_b)
  kMatMul,  // numel(Y) · K (K = last dim of A)
  kLstm,    // seq · batch · dirs · (4H·I + 4H·R_in + 3H peepholes + P·H projection)
  kGru,     // seq · batch · dirs · 3H · (I + H)
};

// How the weight reads as a matrix of rows (output channels / out features / gate rows) ×
// cols (the rest), see ir::weight_matrix (graph.h).
enum class WeightView {
  kNone,   // no weight
  kOutIn,  // rows = dim 0, cols = the product of the other dims (Conv [M, C/g, kh, kw])
  kGemm,   // FullyConnected: kOutIn when trans_b (W is [out, in]), else kInOut
  kInOut,  // [.., K, N]: rows = N, cols = K (stored transposed)
  kGates,  // [dirs, G·H, X]: rows = dirs · G·H, cols = X
};

// A set of operand indices (0..15), in ascending order.
class OperandSet {
 public:
  constexpr OperandSet() = default;
  constexpr explicit OperandSet(uint16_t bits) : bits_(bits) {}
  constexpr bool contains(int i) const { return i >= 0 && i < 16 && ((bits_ >> i) & 1u) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr uint16_t bits() const { return bits_; }
  std::vector<size_t> list() const;  // ascending

 private:
  uint16_t bits_ = 0;
};

template <typename... I>
constexpr OperandSet operands(I... i) {
  return OperandSet(static_cast<uint16_t>((0u | ... | (1u << i))));
}

inline constexpr int kNoOperand = -1;

struct OpTraits {
  OpCategory category;
  int weight;           // operand index of the weight (main matrix), kNoOperand = none
  OperandSet matrices;  // every weight-matrix operand (LSTM: W, R, W_proj)
  int bias;             // operand index of the bias, kNoOperand = none
  OperandSet params;    // operands holding trainable parameters when initializers
  bool fixed_weight;    // the weight operand always holds a trained weight (see ops.def)
  MacRule macs;
  WeightView view;

  constexpr bool has_weight() const { return weight != kNoOperand; }
};

namespace detail {
#define SIEVE_OP(e, name, cat, weight, matrices, bias, params, fixed, macs, view, desc) \
  OpTraits{OpCategory::k##cat, weight, matrices, bias, params, fixed, MacRule::k##macs, \
           WeightView::k##view},
inline constexpr OpTraits kOpTraits[] = {
#include "sieve/ir/ops.def"
};
#undef SIEVE_OP
}  // namespace detail

constexpr const OpTraits& op_traits(OpKind op) {
  return detail::kOpTraits[static_cast<int>(op)];
}
constexpr OpCategory op_category(OpKind op) {
  return op_traits(op).category;
}

std::string_view op_name(OpKind op);         // "Conv"
std::string_view op_description(OpKind op);  // one line
std::optional<OpKind> op_from_name(std::string_view name);
// "Add, AveragePool, ..." — for error messages listing the valid names.
std::string all_op_names();

}  // namespace sieve::ir
