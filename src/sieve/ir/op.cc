#include "sieve/ir/op.h"

#include <string>

namespace sieve::ir {

namespace {
struct OpInfo {
  std::string_view name;
  std::string_view desc;
};
constexpr OpInfo kInfo[] = {
#define SIEVE_OP(e, name, cat, weight, matrices, bias, params, fixed, macs, view, desc) \
  {name, desc},
#include "sieve/ir/ops.def"
#undef SIEVE_OP
};
}  // namespace

std::string_view category_name(OpCategory c) {
  switch (c) {
    case OpCategory::kInput: return "input";
    case OpCategory::kFc: return "fc";
    case OpCategory::kConv: return "conv";
    case OpCategory::kPool: return "pool";
    case OpCategory::kLstm: return "lstm";
    case OpCategory::kGru: return "gru";
    case OpCategory::kActivation: return "activation";
    case OpCategory::kNorm: return "norm";
    case OpCategory::kElementwise: return "elementwise";
    case OpCategory::kShape: return "shape";
  }
  return "?";
}

std::vector<size_t> OperandSet::list() const {
  std::vector<size_t> out;
  for (size_t i = 0; i < 16; ++i) {
    if (contains(static_cast<int>(i))) out.push_back(i);
  }
  return out;
}

std::string_view op_name(OpKind op) { return kInfo[static_cast<int>(op)].name; }
std::string_view op_description(OpKind op) { return kInfo[static_cast<int>(op)].desc; }

std::optional<OpKind> op_from_name(std::string_view name) {
  for (OpKind k : kAllOps) {
    if (op_name(k) == name) return k;
  }
  return std::nullopt;
}

std::string all_op_names() {
  std::string s;
  for (OpKind k : kAllOps) {
    if (!s.empty()) s += ", ";
    s += op_name(k);
  }
  return s;
}

}  // namespace sieve::ir
