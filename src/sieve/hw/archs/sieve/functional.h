// The functional model of the Sieve accelerator: runs a whole compressed model through the
// datapath blocks of blocks.h (NSM, SSM, WDM, PEFU, Encoder) in 16-bit fixed point. It must
// equal the naive fixed-point reference (runtime/fixed16/fixed16.h) bit for bit on every
// value of every layer; the tests check that on random compressed models.
//
// Mapping convention (the performance model uses the same one):
//  * A weight is used in its 2-D view: rows = output neurons / output channels / LSTM gate
//    rows, cols = the input vector (FC [out, in]; conv [M, C/g·kh·kw] in [c, ky, kx] order;
//    LSTM [4H, in + state] over the vector [x_t; r_{t−1}]).
//  * Output rows are processed in groups of T_n, one row per PE. The group's synapse index is
//    the OR of its rows' keep masks (exact when coarse-grained blocks span ≥ T_n aligned rows);
//    a union position that a row does not keep decodes to weight 0 (its row-validity bit).
//    Each PE's synapse buffer holds its row's codes for the group's union positions, in the
//    aligned word width (4/8/16 bits); the WDM decodes them through the region LUTs. The
//    synapse buffer contents depend only on the layer, so they are decoded once per layer.
//  * The input vector is compressed by the Encoder (non-zero values + bit string). The input
//    positions are cut into windows of 16·T_m; per window and group the NSM ANDs the neuron and
//    synapse indexes, broadcasts the selected neurons and synapse flags to the group's PEs, each
//    SSM picks its weights, and each PEFU multiplies T_m pairs per cycle into an adder tree and
//    an int64 accumulator that starts at the bias (accumulator scale). After the last window
//    the PEFU requantizes and applies the activation: ReLU when the layer's output feeds only a
//    Relu node (the fused Relu's value is then produced by the PEFU), else the identity.
//  * Conv: per output pixel the input vector is the window [c, ky, kx] of the pixel's conv
//    group; padding positions are zero neurons (never selected). FC: one vector per sample.
//  * LSTM: per timestep the vector [x_t; r_{t−1}] against the 4H gate rows (W and R side by
//    side; the products of each part are shifted onto the common accumulator scale before the
//    adder tree), then the gate nonlinearities and the cell update on the vector unit
//    (fixed16::lstm_pointwise), then the projection W_proj · m through the PEs again.
//  * Pooling, Relu (unfused) and the shape ops run on the vector unit with the reference's
//    kernels (fixed16::max_pool, average_pool, relu).
// Supported ops are the reference's, with Conv restricted to 2-D.
// program_exec.h runs the same datapath (datapath.h) driven by the generated programs.
//
// Thread-safety: pure function of its arguments. Ownership: the result owns its tensor.
#pragma once

#include <cstdint>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/runtime/fixed16/fixed16.h"

namespace sieve::hw::sieve_arch {

struct FunctionalOptions {
  int64_t tn = 16;  // PEs (thesis §5.3.1: T_n = 16)
  int64_t tm = 16;  // multipliers per PE (thesis §5.3.1: T_m = 16); NSM window 16·T_m
  runtime::fixed16::Options fixed;
};

// What the blocks did, summed over the run (all samples).
struct FunctionalStats {
  int64_t nsm_selections = 0;  // NSM windows processed (group × window × input vector)
  int64_t selected = 0;        // neurons the NSM selected, summed over selections
  int64_t multiplies = 0;      // products computed by the PEFUs
  int64_t pefu_cycles = 0;     // PEFU cycles, summed over PEs
  int64_t encoded = 0;         // neurons the Encoder compressed (inputs of matrix layers)
  int64_t encoded_nonzero = 0;
};

// Runs `model` on `input` (f32, the graph input's shape with any batch size). Returns the first
// graph output before any trailing Softmax (i16 with its frac bits) — the same tensor that
// runtime::fixed16::run returns. `hook` sees every activation value (as in fixed16::run).
Result<Tensor> run_functional(const compress::CompressedModel& model, const Tensor& input,
                              const FunctionalOptions& options = {},
                              const runtime::fixed16::ValueHook& hook = {},
                              FunctionalStats* stats = nullptr);

}  // namespace sieve::hw::sieve_arch
