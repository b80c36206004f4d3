// Sizing expressions of the area model (configs/area/*.yaml): arithmetic over a preset's
// parameters, e.g. "16*tm*neuron_bits" or "tn*(ssm_window*ssm_select)". Grammar: numbers,
// parameter names ([A-Za-z_][A-Za-z0-9_]*), + - * / and parentheses, with the usual precedence.
// Pure function; thread-safe.
#pragma once

#include <string>

#include "sieve/core/status.h"
#include "sieve/hw/core/params.h"

namespace sieve::hw::area {

// The value of `expr` with each name looked up in `ps`. Refused, naming `where` and the
// expression: an unknown name (listing the preset's), a syntax error with its position, a
// division by zero.
Result<double> eval_expr(const std::string& expr, const ParamSet& ps, const std::string& where);

}  // namespace sieve::hw::area
