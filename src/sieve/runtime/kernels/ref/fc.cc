// Reference FullyConnected (ONNX Gemm) and MatMul (numpy matmul).
// Gemm: Y = alpha * A' * B' + beta * C, A' = trans_a ? X^T : X, B' = trans_b ? W^T : W, C
// broadcast to [M, N] (defaults alpha = beta = 1, trans_b = 1: W is [out, in]).
// MatMul: 1-D operands are promoted ([K] -> [1, K] for A, [K, 1] for B) and the added dim is
// removed from the result; leading (batch) dims broadcast.
#include <algorithm>
#include <vector>

#include "sieve/runtime/kernels/ref/ref.h"
#include "sieve/runtime/kernels/ref/util.h"

namespace sieve::runtime::ref {

namespace {
// The [cols, rows] transpose of a row-major [rows, cols] matrix.
std::vector<float> transposed(const float* a, int64_t rows, int64_t cols) {
  std::vector<float> t(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) t[static_cast<size_t>(c * rows + r)] = a[r * cols + c];
  }
  return t;
}
}  // namespace

Outputs fully_connected(const ir::Node& n, Inputs in, OutInfos out) {
  const Tensor& x = *in[0];
  const Tensor& w = *in[1];
  const Tensor* c = in.size() > 2 ? in[2] : nullptr;
  const bool trans_a = n.attr_int("trans_a", 0) != 0;
  const bool trans_b = n.attr_int("trans_b", 1) != 0;
  const double alpha = n.attr_float("alpha", 1.0);
  const double beta = n.attr_float("beta", 1.0);
  const int64_t m = out[0].shape[0];
  const int64_t nn = out[0].shape[1];
  const int64_t k = trans_a ? x.dim(0) : x.dim(1);
  Tensor y(DType::kF32, out[0].shape);
  const float* xd = x.data<float>();
  const float* wd = w.data<float>();
  // C's strides under broadcasting to [M, N] (C may be a scalar, [N], [1, N], [M, 1], [M, N]).
  int64_t c_row = 0, c_col = 0;
  if (c != nullptr) {
    const Shape& cs = c->shape();
    if (cs.size() == 2) {
      c_row = cs[0] == 1 ? 0 : cs[1];
      c_col = cs[1] == 1 ? 0 : 1;
    } else if (cs.size() == 1) {
      c_col = cs[0] == 1 ? 0 : 1;
    }
  }
  // Rows of A' ([M, K]) and columns of B' (as rows of [N, K]), contiguous: the operands
  // themselves, or transposed copies.
  const std::vector<float> at = trans_a ? transposed(xd, k, m) : std::vector<float>();
  const std::vector<float> bt = trans_b ? std::vector<float>() : transposed(wd, k, nn);
  const float* rows = trans_a ? at.data() : xd;
  const float* cols = trans_b ? wd : bt.data();
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < nn; ++j) {
      double v = alpha * dot(rows + i * k, cols + j * k, k);
      if (c != nullptr) v += beta * c->data<float>()[i * c_row + j * c_col];
      y.data<float>()[i * nn + j] = static_cast<float>(v);
    }
  }
  return std::vector<Tensor>{y};
}

Outputs matmul(const ir::Node& n, Inputs in, OutInfos out) {
  (void)n;
  const Tensor& a = *in[0];
  const Tensor& b = *in[1];
  // Promote 1-D operands to matrices.
  Shape as = a.shape(), bs = b.shape();
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  const int64_t m = as[as.size() - 2];
  const int64_t k = as[as.size() - 1];
  const int64_t nn = bs[bs.size() - 1];
  // The broadcast batch shape and each operand's batch strides (0 where broadcast).
  const size_t rb = std::max(as.size(), bs.size()) - 2;
  Shape batch(rb, 1);
  std::vector<int64_t> sa(rb, 0), sb(rb, 0);
  const int64_t a_mat = m * k, b_mat = k * nn;
  int64_t stride_a = a_mat, stride_b = b_mat;
  for (size_t i = 0; i < rb; ++i) {
    const size_t d = rb - 1 - i;  // batch dim, innermost first
    const int64_t da = i < as.size() - 2 ? as[as.size() - 3 - i] : 1;
    const int64_t db = i < bs.size() - 2 ? bs[bs.size() - 3 - i] : 1;
    batch[d] = da == 1 ? db : da;
    sa[d] = da == 1 ? 0 : stride_a;
    sb[d] = db == 1 ? 0 : stride_b;
    stride_a *= da;
    stride_b *= db;
  }
  Tensor y(DType::kF32, out[0].shape);
  const float* ad = a.data<float>();
  const float* bd = b.data<float>();
  float* yd = y.data<float>();
  int64_t yo = 0;
  for (MultiIndex ix(batch); !ix.done(); ix.next()) {
    int64_t ao = 0, bo = 0;
    for (size_t d = 0; d < rb; ++d) {
      ao += ix[d] * sa[d];
      bo += ix[d] * sb[d];
    }
    const std::vector<float> cols = transposed(bd + bo, k, nn);  // B's columns as rows
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < nn; ++j) {
        yd[yo++] = static_cast<float>(dot(ad + ao + i * k, cols.data() + j * k, k));
      }
    }
  }
  return std::vector<Tensor>{y};
}

}  // namespace sieve::runtime::ref
