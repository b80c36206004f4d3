#include "sieve/ir/op.h"

#include <string>

namespace sieve::ir {

namespace {
struct OpInfo {
  std::string_view name;
  std::string_view desc;
};
constexpr OpInfo kInfo[] = {
#define SIEVE_OP(e, name, desc) {name, desc},
#include "sieve/ir/ops.def"
#undef SIEVE_OP
};
}  // namespace

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
