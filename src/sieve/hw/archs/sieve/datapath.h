// The Sieve datapath as callable pieces, shared by the two functional models: run_functional
// (functional.h, a whole layer at a time) and the program executor (program_exec.h, one `mxv`
// tile at a time). Internal to hw/archs/sieve; functional.h states the mapping convention.
//
//  * WeightPart: a weight tensor seen as the [rows, cols] matrix the PE array holds (with the
//    compressed layer it comes from, or none: a plain initializer, dense, 16-bit), its Q format
//    and the left shift of its products onto the accumulator scale (LSTM: W and R parts).
//  * WeightTile: the synapse buffers of rows [row_begin, row_end) × columns [col_begin, col_end)
//    of several parts side by side (the columns of part k follow those of part k-1): per T_n-row
//    group and NSM window, the group's synapse index (OR of its rows' masks) and each PE's
//    weights decoded by the WDM at the union positions. Windows start at col_begin.
//  * run_tile: acc[r] += row r of the tile · the encoded input vector (the tile's columns),
//    through NSM, SSM and PEFU. The int64 accumulator is exact, so cutting the columns of a row
//    into tiles and adding the tiles' products in any order gives the same sum: the program
//    executor relies on it for input-channel segments and partial sums.
//  * walk_graph: run_functional's graph walk (activation formats, fused ReLU, shape ops,
//    pooling, unfused ReLU, trailing Softmax), with the matrix, pooling and LSTM nodes handed to
//    a runner (the layer functions of functional.cc when none is given).
//
// Thread-safety: pure functions; a Datapath is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/hw/archs/sieve/blocks.h"
#include "sieve/hw/archs/sieve/functional.h"
#include "sieve/ir/graph.h"
#include "sieve/runtime/fixed16/fixed16.h"

namespace sieve::hw::sieve_arch {

struct WeightPart {
  const compress::CompressedLayer* layer = nullptr;
  Tensor dense;  // decoded f32 weight
  int64_t rows = 0, cols = 0;
  int frac = 0;   // weight Q format
  int shift = 0;  // left shift of this part's products onto the accumulator scale
  std::vector<int64_t> kept_before;  // kept weights before each row (rows + 1 entries)
};

// The weight initializer `weight` as a [rows, cols] part. Errors: a size that is not rows·cols,
// codes that do not match the kept weights, a code width over 16.
Result<WeightPart> weight_part(const compress::CompressedModel& model, const std::string& weight,
                               int64_t rows, int64_t cols);

struct GroupWindow {
  std::vector<uint64_t> synapse_index;           // packed, window positions
  std::vector<uint8_t> shifts;                   // per union position; empty when all zero
  std::vector<std::vector<int16_t>> pe_weights;  // per PE: WDM output per union position
};

struct WeightTile {
  int64_t rows = 0, cols = 0, tn = 0, window = 0, groups = 0, windows = 0;
  std::vector<GroupWindow> gw;  // [group * windows + window]
};

// Rows [row_begin, row_end) × columns [col_begin, col_end) of `parts` side by side (every part
// has the same rows). Errors: the WDM's (a code beyond its LUT).
Result<WeightTile> build_tile(const std::vector<WeightPart>& parts, int64_t row_begin,
                              int64_t row_end, int64_t col_begin, int64_t col_end, int64_t tn,
                              int64_t tm);
// All columns.
Result<WeightTile> build_tile(const std::vector<WeightPart>& parts, int64_t row_begin,
                              int64_t row_end, int64_t tn, int64_t tm);

// The PE array's blocks and counters.
struct Datapath {
  Datapath(int64_t tm, FunctionalStats& s) : nsm(16 * tm), pefu(tm), st(s) {}
  Nsm nsm;
  Pefu pefu;
  FunctionalStats& st;
  // scratch
  std::vector<uint64_t> neuron_index;
  std::vector<int32_t> flags;
  std::vector<int16_t> selected;
  std::vector<int16_t> weights;
  std::vector<uint8_t> shifts;
};

// The Encoder on an input vector (counted in dp.st).
Encoded encode(std::span<const int16_t> v, FunctionalStats& st);
// acc[r] += row r of `t` · `in` (in has t.cols positions; SIEVE_ASSERTed).
void run_tile(const WeightTile& t, const Encoded& in, Datapath& dp, std::span<int64_t> acc);

// The bias operand `operand` of node n at the accumulator scale (zeros when absent); one value
// per output or a scalar. Errors: another size.
Result<std::vector<int64_t>> bias_at(const compress::CompressedModel& model, const ir::Node& n,
                                     size_t operand, int64_t m, int acc_frac);

// "node \"name\" (Op)" for messages.
std::string node_label(const ir::Node& n);

// A FullyConnected / Conv / MaxPool / AveragePool / LSTM node handed to a LayerRunner.
struct NodeCall {
  const ir::Node* node = nullptr;
  const Tensor* x = nullptr;  // operand 0, i16
  Shape out_shape;            // output 0 (empty for LSTM)
  int out_frac = 0;           // output 0's Q format (LSTM: unused)
  bool fused_relu = false;    // FC / Conv: its only reader is a Relu, applied by the PEFU
};
// Returns the node's outputs: FC / Conv {y, relu(y) when fused (else an empty tensor)}; pooling
// {y}; LSTM {Y, Y_h, Y_c}.
using LayerRunner = std::function<Result<std::vector<Tensor>>(const NodeCall&)>;

// run_functional's walk with `runner` (empty: the layer functions of functional.cc).
Result<Tensor> walk_graph(const compress::CompressedModel& model, const Tensor& input,
                          const FunctionalOptions& options, const runtime::fixed16::ValueHook& hook,
                          FunctionalStats* stats, const LayerRunner& runner);

}  // namespace sieve::hw::sieve_arch
