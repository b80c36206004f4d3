// The block-sparse Linear: a layer's kept blocks packed once by bsr::pack_bsr() and multiplied by
// bsr::spmm() on the session's ISA path — or, on the int8 route, re-packed once by
// bsr::pack_int8() and multiplied by bsr::spmm_int8() (u8 activations quantized per sample on
// every call, int8 weights; kernels/bsr/int8.h states the quantization).

#include "sieve/runtime/cpu/linear.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "sieve/runtime/kernels/bsr/bsr.h"
#include "sieve/runtime/kernels/bsr/int8.h"

namespace sieve::runtime::cpu {

namespace bsr = kernels::bsr;

namespace {

class BsrLinear final : public Linear {
 public:
  BsrLinear(bsr::BsrWeights w, Isa isa, std::unique_ptr<bsr::BsrInt8Weights> q)
      : w_(std::move(w)), isa_(isa), q_(std::move(q)) {
    rows_ = w_.rows;
    cols_ = w_.cols;
  }

  void cols_form(const float* x, int64_t n, float* y, int64_t r0, int64_t r1,
                 bool relu) const override {
    if (r1 <= r0 || n <= 0) return;
    // spmm works on whole block rows: [r0, r1) must be block-aligned except at the end.
    const int64_t b0 = r0 / w_.br;
    const int64_t b1 = std::min(w_.block_rows(), (r1 + w_.br - 1) / w_.br);
    if (q_ != nullptr) {
      bsr::spmm_int8(*q_, x, n, y, isa_, b0, b1);
    } else {
      bsr::spmm(w_, x, n, y, isa_, b0, b1);
    }
    if (relu) {
      const int64_t lo = b0 * w_.br, hi = std::min(rows_, b1 * w_.br);
      for (float* v = y + lo * n; v < y + hi * n; ++v) *v = std::max(*v, 0.0f);
    }
  }

  bool int8() const override { return q_ != nullptr; }
  void cols_form_u8(const uint8_t* xq, bsr::ActQuant a, int64_t n, float* y, int64_t r0,
                    int64_t r1, bool relu) const override {
    SIEVE_ASSERT(q_ != nullptr, "cols_form_u8 on the fp32 route");
    if (r1 <= r0 || n <= 0) return;
    const int64_t b0 = r0 / w_.br;
    const int64_t b1 = std::min(w_.block_rows(), (r1 + w_.br - 1) / w_.br);
    bsr::spmm_int8_u8(*q_, xq, a, n, y, isa_, b0, b1);
    if (relu) {
      const int64_t lo = b0 * w_.br, hi = std::min(rows_, b1 * w_.br);
      for (float* v = y + lo * n; v < y + hi * n; ++v) *v = std::max(*v, 0.0f);
    }
  }

  // X [n, cols] -> xT [cols, n] -> spmm -> yT [rows, n] -> Y [n, ldy] (n == 1 needs neither
  // transpose: a row and a column of one element per position are the same memory).
  void rows_form(const float* x, int64_t n, float* y, int64_t ldy, int64_t r0, int64_t r1,
                 bool relu, float* scratch) const override {
    if (r1 <= r0 || n <= 0) return;
    if (n == 1) {
      cols_form(x, 1, y, r0, r1, relu);
      return;
    }
    float* xt = scratch;
    float* yt = scratch + cols_ * n;
    for (int64_t j = 0; j < n; ++j)
      for (int64_t c = 0; c < cols_; ++c) xt[c * n + j] = x[j * cols_ + c];
    cols_form(xt, n, yt, r0, r1, relu);
    const int64_t lo = (r0 / w_.br) * w_.br;
    const int64_t hi = std::min(rows_, ((r1 + w_.br - 1) / w_.br) * w_.br);
    for (int64_t j = 0; j < n; ++j)
      for (int64_t r = lo; r < hi; ++r) y[j * ldy + r] = yt[r * n + j];
  }

  int64_t rows_form_scratch(int64_t n) const override { return (cols_ + rows_) * n; }
  int64_t row_granule() const override { return w_.br; }
  std::string kind() const override {
    return fmt::format("bsr {}x{} {}{}", w_.br, w_.bc,
                       w_.bits == 0 ? std::string("fp32") : fmt::format("{}-bit", w_.bits),
                       q_ != nullptr ? " int8" : "");
  }
  int64_t bytes() const override { return q_ != nullptr ? q_->bytes() : w_.bytes(); }

 private:
  bsr::BsrWeights w_;
  Isa isa_;
  std::unique_ptr<bsr::BsrInt8Weights> q_;  // the int8 route (nullptr: fp32)
};

}  // namespace


Result<std::unique_ptr<Linear>> make_bsr_linear(const LinearSource& src, Isa isa, bool int8) {
  const compress::CompressedLayer* layer = src.layer;
  if (layer == nullptr || layer->mask.empty()) return std::unique_ptr<Linear>();
  const BlockView view = block_view(*layer);
  const int64_t n = src.rows * src.cols;
  const uint8_t* mask = layer->mask.data<uint8_t>() + src.row0 * src.cols;
  // Block density under the packer's tiling: dense GEMM wins above kBsrMaxBlockDensity.
  const int64_t brows = (src.rows + view.br - 1) / view.br;
  const int64_t bcols = (src.cols + view.bc - 1) / view.bc;
  std::vector<uint8_t> kept_block(static_cast<size_t>(brows * bcols), 0);
  for (int64_t r = 0; r < src.rows; ++r)
    for (int64_t c = 0; c < src.cols; ++c)
      if (mask[r * src.cols + c] != 0) kept_block[static_cast<size_t>((r / view.br) * bcols + c / view.bc)] = 1;
  const auto kept = std::count(kept_block.begin(), kept_block.end(), uint8_t{1});
  if (static_cast<double>(kept) > kBsrMaxBlockDensity * static_cast<double>(brows * bcols))
    return std::unique_ptr<Linear>();

  bsr::PackInput in;
  in.rows = src.rows;
  in.cols = src.cols;
  in.dense = src.dense.empty() ? src.dense_view : src.dense.data();
  in.mask = mask;
  in.br = view.br;
  in.bc = view.bc;
  in.bias = src.bias.empty() ? nullptr : src.bias.data();
  // Codes: the container holds one per kept weight (row-major over kept positions of the whole
  // layer); the packer wants one per position of these rows, with its region's codebook.
  std::vector<uint16_t> code;
  std::vector<int32_t> codebook_of;
  std::vector<std::vector<float>> books;
  if (layer->bits >= 1 && layer->bits <= 8) {
    in.bits = layer->bits <= 4 ? 4 : 8;
    const size_t entries = size_t{1} << in.bits;
    books = layer->codebooks;
    for (std::vector<float>& b : books) b.resize(entries, 0.0f);  // codes < 2^bits never reach the padding
    code.assign(static_cast<size_t>(n), 0);
    codebook_of.assign(static_cast<size_t>(n), 0);
    const uint8_t* all = layer->mask.data<uint8_t>();
    const int64_t first = src.row0 * src.cols;
    int64_t k = 0;  // index of the next kept weight in layer->codes
    for (int64_t i = 0; i < first; ++i) k += all[i] != 0;
    for (int64_t i = 0; i < n; ++i) {
      if (mask[i] == 0) continue;
      if (k >= static_cast<int64_t>(layer->codes.size()))
        return invalid_argument("layer '{}': {} codes for more kept weights", layer->weight,
                                layer->codes.size());
      code[static_cast<size_t>(i)] = layer->codes[static_cast<size_t>(k++)];
      codebook_of[static_cast<size_t>(i)] =
          static_cast<int32_t>(layer->region_of(src.row0 + i / src.cols, i % src.cols));
    }
    in.code = code.data();
    in.codebook_of = codebook_of.data();
    in.codebooks = &books;
  }
  SIEVE_ASSIGN_OR_RETURN(bsr::BsrWeights w, bsr::pack_bsr(in));
  std::unique_ptr<bsr::BsrInt8Weights> q;
  if (int8) {
    SIEVE_ASSIGN_OR_RETURN(bsr::BsrInt8Weights p, bsr::pack_int8(w));
    q = std::make_unique<bsr::BsrInt8Weights>(std::move(p));
  }
  return std::unique_ptr<Linear>(std::make_unique<BsrLinear>(std::move(w), isa, std::move(q)));
}

}  // namespace sieve::runtime::cpu
