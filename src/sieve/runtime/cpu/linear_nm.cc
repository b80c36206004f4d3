// The N:M Linear: a fully connected layer pruned n:m (compress/prune's nm pass, recorded in the
// container's STRUCTURE) packed once by nm::pack_nm() and multiplied by nm::spmm() on the
// session's ISA path (kernels/nm/nm.h). Only rank-2 weights: their groups are m consecutive
// columns of the 2-D view; a convolution's groups (input channels at a fixed kernel position)
// are strided there, and such layers stay on the other variants.
#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "sieve/runtime/cpu/linear.h"
#include "sieve/runtime/kernels/nm/nm.h"

namespace sieve::runtime::cpu {

namespace nm = kernels::nm;

namespace {

class NmLinear final : public Linear {
 public:
  NmLinear(nm::NmWeights w, Isa isa) : w_(std::move(w)), isa_(isa) {
    rows_ = w_.rows;
    cols_ = w_.cols;
  }

  void cols_form(const float* x, int64_t n, float* y, int64_t r0, int64_t r1,
                 bool relu) const override {
    if (r1 <= r0 || n <= 0) return;
    nm::spmm(w_, x, n, y, isa_, r0, r1);
    if (relu)
      for (float* v = y + r0 * n; v < y + std::min(r1, rows_) * n; ++v) *v = std::max(*v, 0.0f);
  }

  // X [n, cols] -> xT [cols, n] -> spmm -> yT [rows, n] -> Y [n, ldy] (n == 1: the same memory).
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
    for (int64_t j = 0; j < n; ++j)
      for (int64_t r = r0; r < std::min(r1, rows_); ++r) y[j * ldy + r] = yt[r * n + j];
  }

  int64_t rows_form_scratch(int64_t n) const override { return (cols_ + rows_) * n; }
  std::string kind() const override { return fmt::format("nm {}:{} fp32", w_.n, w_.m); }
  int64_t bytes() const override { return w_.bytes(); }

 private:
  nm::NmWeights w_;
  Isa isa_;
};

}  // namespace

Result<std::unique_ptr<Linear>> make_nm_linear(const LinearSource& src, Isa isa, bool int8) {
  const compress::CompressedLayer* layer = src.layer;
  if (int8 || layer == nullptr || layer->mask.empty() || layer->structure.method != "nm" ||
      layer->shape.size() != 2 || layer->structure.m < 2 || layer->structure.n < 1 ||
      src.cols % layer->structure.m != 0)
    return std::unique_ptr<Linear>();
  nm::NmPackInput in;
  in.rows = src.rows;
  in.cols = src.cols;
  in.dense = src.dense.empty() ? src.dense_view : src.dense.data();
  in.mask = layer->mask.data<uint8_t>() + src.row0 * src.cols;
  in.n = layer->structure.n;
  in.m = layer->structure.m;
  in.bias = src.bias.empty() ? nullptr : src.bias.data();
  SIEVE_ASSIGN_OR_RETURN(nm::NmWeights w, nm::pack_nm(in));
  return std::unique_ptr<Linear>(std::make_unique<NmLinear>(std::move(w), isa));
}

}  // namespace sieve::runtime::cpu
