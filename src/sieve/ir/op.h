// OpKind: the closed set of ops Sieve understands, generated from ops.def.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace sieve::ir {

enum class OpKind {
#define SIEVE_OP(e, name, desc) k##e,
#include "sieve/ir/ops.def"
#undef SIEVE_OP
};

inline constexpr OpKind kAllOps[] = {
#define SIEVE_OP(e, name, desc) OpKind::k##e,
#include "sieve/ir/ops.def"
#undef SIEVE_OP
};

std::string_view op_name(OpKind op);         // "Conv"
std::string_view op_description(OpKind op);  // one line
std::optional<OpKind> op_from_name(std::string_view name);
// "Add, AveragePool, ..." — for error messages listing the valid names.
std::string all_op_names();

}  // namespace sieve::ir
