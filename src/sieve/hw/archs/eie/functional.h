// EIE's functional model: a compressed model's fully-connected layers computed through the
// interleaved CSC datapath (csc.h) in 16-bit fixed point, bit for bit equal to the reference
// engine (runtime/fixed16) on every value.
//
// Per FC layer: the weights are laid out as EIE stores them (each PE's rows, 4-bit codebook
// indices and relative row indices, padding zeros), the codebook LUT holds each region's
// entries quantized to the layer's 16-bit weight format (fixed16::weight_frac_bits of the
// decoded weight, the reference's rule), the non-zero input activations are broadcast in order
// (zeros skipped, as the LNZD does), and each PE walks the column's entries: it rebuilds the
// row from the relative indexes, decodes the code to a 16-bit weight (a padding is a zero
// weight) and accumulates weight × activation into the row's int64 accumulator, which starts at
// the bias quantized to the accumulator's scale (an assumption: the paper's benchmark layers
// have no bias; preloading it is the reference's arithmetic). The output is requantized to its
// Q format as the reference does. ReLU and the moving ops (Flatten, Reshape, Identity,
// Dropout, Squeeze, Unsqueeze) are the reference's; a trailing Softmax is not evaluated.
//
// Refused (naming the node): any other op (EIE runs FC layers only), and FC weights not
// quantized to at most code_bits-bit codes (EIE stores codebook indices, not values).
//
// Counters (when given): "eie_broadcasts" (non-zero activations broadcast), "eie_macs"
// (entries multiplied, paddings included), "eie_paddings". Pure; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/hw/archs/eie/spec.h"
#include "sieve/runtime/fixed16/fixed16.h"

namespace sieve::hw::eie_arch {

Result<Tensor> run_functional(const compress::CompressedModel& model, const Tensor& input,
                              const EieSpec& spec, const runtime::fixed16::ValueHook& hook = {},
                              std::map<std::string, int64_t>* counters = nullptr);

}  // namespace sieve::hw::eie_arch
