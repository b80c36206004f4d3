// 16-bit fixed-point activation formats chosen from calibration data: every activation value
// of the graph (the graph input and every node output) gets the largest number of fraction
// bits f such that max|x| · 2^f ≤ 32767 over a calibration batch (Q(15−f).f; f may be negative
// for huge ranges and is capped at 15 for tiny ones). The accelerator models read them from
// CompressedModel::activation_frac_bits.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/ir/graph.h"

namespace sieve::compress::quant {

// Largest f in [-16, 15] with max_abs · 2^f ≤ 32767 (15 when max_abs is 0).
int choose_frac_bits(double max_abs);

struct CalibrationOptions {
  int64_t max_examples = 256;  // calibration images used (the first ones)
  int64_t batch = 64;          // run in batches of this size
};

// Runs the reference engine on the calibration images (f32 [N, ...], reshaped to the graph
// input's per-example shape) and returns {value name -> frac bits} with the max |x| seen.
Result<std::map<std::string, int>> calibrate_activations(const ir::Graph& graph,
                                                         const Tensor& images,
                                                         const CalibrationOptions& options = {});

// Fills model.activation_frac_bits from calibrate_activations on model.graph.
Status calibrate(CompressedModel& model, const Tensor& images,
                 const CalibrationOptions& options = {});

}  // namespace sieve::compress::quant
