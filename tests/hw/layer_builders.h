// Hand-made workload layers for the accelerator-model tests.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>

#include "sieve/hw/core/workload.h"

namespace sieve::hw::testing {

// A rows × cols FC layer whose kept weights are those `keep(row, col)` names; dense neurons.
inline LayerWork fc(int64_t rows, int64_t cols,
                    const std::function<bool(int64_t, int64_t)>& keep) {
  LayerWork l;
  l.name = "fc";
  l.kind = LayerKind::kFullyConnected;
  l.in_c = cols;
  l.out_c = rows;
  l.rows = rows;
  l.cols = cols;
  l.weight_mask = BitVec(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      if (keep(r, c)) l.weight_mask.set(r * cols + c);
  l.pruned = true;
  l.input_nz = {BitVec(cols, true)};
  l.output_nz = {BitVec(rows, true)};
  return l;
}

inline LayerWork dense_fc(int64_t rows, int64_t cols) {
  return fc(rows, cols, [](int64_t, int64_t) { return true; });
}

// A workload of one layer.
inline Workload one(LayerWork l, int64_t batch = 1) {
  Workload w;
  w.model = "test";
  w.batch = batch;
  w.layers.push_back(std::move(l));
  return w;
}

}  // namespace sieve::hw::testing
