#include "sieve/train/layers.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "sieve/core/assert.h"
#include "sieve/runtime/kernels/blas/blas.h"

namespace sieve::train {

namespace blas = runtime::blas;
using blas::Trans;

namespace {
int to_int(int64_t v) {
  SIEVE_ASSERT(v >= 0 && v <= std::numeric_limits<int>::max(), "dimension {} out of int range", v);
  return static_cast<int>(v);
}
}  // namespace

// ---------------------------------------------------------------- fully connected

void fc_forward(const FcGeometry& g, const float* x, const float* w, const float* b, int64_t n,
                float* y) {
  const int64_t out = g.out;
  if (b != nullptr && g.beta != 0.0f) {
    for (int64_t i = 0; i < n; ++i) {
      float* row = y + i * out;
      for (int64_t o = 0; o < out; ++o) row[o] = g.beta * b[o];
    }
  }
  const float beta = (b != nullptr && g.beta != 0.0f) ? 1.0f : 0.0f;
  blas::sgemm(Trans::kNo, g.trans_b ? Trans::kYes : Trans::kNo, to_int(n), to_int(out),
              to_int(g.in), g.alpha, x, to_int(g.in), w, to_int(g.trans_b ? g.in : out), beta, y,
              to_int(out));
}

void fc_backward(const FcGeometry& g, const float* x, const float* w, const float* dy, int64_t n,
                 float* dw, float* db, float* dx) {
  const int in = to_int(g.in);
  const int out = to_int(g.out);
  const int nn = to_int(n);
  if (g.trans_b) {
    // dW[out, in] += alpha * dY^T X
    blas::sgemm(Trans::kYes, Trans::kNo, out, in, nn, g.alpha, dy, out, x, in, 1.0f, dw, in);
  } else {
    // dW[in, out] += alpha * X^T dY
    blas::sgemm(Trans::kYes, Trans::kNo, in, out, nn, g.alpha, x, in, dy, out, 1.0f, dw, out);
  }
  if (db != nullptr) {
    for (int64_t i = 0; i < n; ++i) {
      const float* row = dy + i * out;
      for (int o = 0; o < out; ++o) db[o] += g.beta * row[o];
    }
  }
  if (dx != nullptr) {
    if (g.trans_b) {
      blas::sgemm(Trans::kNo, Trans::kNo, nn, in, out, g.alpha, dy, out, w, in, 0.0f, dx, in);
    } else {
      blas::sgemm(Trans::kNo, Trans::kYes, nn, in, out, g.alpha, dy, out, w, out, 0.0f, dx, in);
    }
  }
}

// ---------------------------------------------------------------- convolution

bool conv_output_size(ConvGeometry& g) {
  const int64_t ekh = (g.kh - 1) * g.dh + 1;
  const int64_t ekw = (g.kw - 1) * g.dw + 1;
  const int64_t ph = g.h + g.pt + g.pb - ekh;
  const int64_t pw = g.w + g.pl + g.pr - ekw;
  if (ph < 0 || pw < 0 || g.sh <= 0 || g.sw <= 0) {
    g.oh = g.ow = 0;
    return false;
  }
  g.oh = ph / g.sh + 1;
  g.ow = pw / g.sw + 1;
  return true;
}

void im2col(const ConvGeometry& g, const float* x, int64_t n, float* col) {
  const int64_t plane = g.out_plane();
  const int64_t row_len = n * plane;
  for (int64_t c = 0; c < g.c; ++c) {
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        float* row = col + ((c * g.kh + i) * g.kw + j) * row_len;
        // Output columns ow whose input column iw = ow*sw - pl + j*dw lies inside [0, w).
        const int64_t off_w = j * g.dw - g.pl;
        int64_t ow_lo = 0;
        while (ow_lo < g.ow && ow_lo * g.sw + off_w < 0) ++ow_lo;
        int64_t ow_hi = g.ow;
        while (ow_hi > ow_lo && (ow_hi - 1) * g.sw + off_w >= g.w) --ow_hi;
        for (int64_t b = 0; b < n; ++b) {
          const float* xp = x + (b * g.c + c) * g.h * g.w;
          float* out = row + b * plane;
          for (int64_t oh = 0; oh < g.oh; ++oh) {
            const int64_t ih = oh * g.sh - g.pt + i * g.dh;
            float* __restrict o = out + oh * g.ow;
            if (ih < 0 || ih >= g.h) {
              std::memset(o, 0, sizeof(float) * static_cast<size_t>(g.ow));
              continue;
            }
            const float* __restrict xr = xp + ih * g.w + off_w;
            for (int64_t ow = 0; ow < ow_lo; ++ow) o[ow] = 0.0f;
            // Rows are short (LeNet: 8-24 values): a loop beats a memcpy call.
            if (g.sw == 1) {
              for (int64_t ow = ow_lo; ow < ow_hi; ++ow) o[ow] = xr[ow];
            } else {
              for (int64_t ow = ow_lo; ow < ow_hi; ++ow) o[ow] = xr[ow * g.sw];
            }
            for (int64_t ow = ow_hi; ow < g.ow; ++ow) o[ow] = 0.0f;
          }
        }
      }
    }
  }
}

void col2im(const ConvGeometry& g, const float* dcol, int64_t n, float* dx) {
  std::memset(dx, 0, sizeof(float) * static_cast<size_t>(n * g.c * g.h * g.w));
  const int64_t plane = g.out_plane();
  const int64_t row_len = n * plane;
  for (int64_t c = 0; c < g.c; ++c) {
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        const float* row = dcol + ((c * g.kh + i) * g.kw + j) * row_len;
        const int64_t off_w = j * g.dw - g.pl;
        int64_t ow_lo = 0;
        while (ow_lo < g.ow && ow_lo * g.sw + off_w < 0) ++ow_lo;
        int64_t ow_hi = g.ow;
        while (ow_hi > ow_lo && (ow_hi - 1) * g.sw + off_w >= g.w) --ow_hi;
        for (int64_t b = 0; b < n; ++b) {
          float* xp = dx + (b * g.c + c) * g.h * g.w;
          const float* in = row + b * plane;
          for (int64_t oh = 0; oh < g.oh; ++oh) {
            const int64_t ih = oh * g.sh - g.pt + i * g.dh;
            if (ih < 0 || ih >= g.h) continue;
            const float* __restrict o = in + oh * g.ow;
            float* __restrict xr = xp + ih * g.w + off_w;
            if (g.sw == 1) {
              for (int64_t ow = ow_lo; ow < ow_hi; ++ow) xr[ow] += o[ow];
            } else {
              for (int64_t ow = ow_lo; ow < ow_hi; ++ow) xr[ow * g.sw] += o[ow];
            }
          }
        }
      }
    }
  }
}

int64_t conv_chunk(const ConvGeometry& g, int64_t n) {
  if (g.chunk > 0) return std::min(g.chunk, std::max<int64_t>(n, 1));
  // ~256 KiB of im2col rows per chunk: a quarter of the smallest L2 seen (1 MiB per core).
  constexpr int64_t kBudgetFloats = 64 * 1024;
  const int64_t per_image = std::max<int64_t>(1, g.col_rows() * g.out_plane());
  return std::clamp<int64_t>(kBudgetFloats / per_image, 1, std::max<int64_t>(n, 1));
}

int64_t conv_scratch_size(const ConvGeometry& g, int64_t n) {
  const int64_t cols = conv_chunk(g, n) * g.out_plane();
  // col + dcol (backward) + a [m, cols] staging block.
  return 2 * g.col_rows() * cols + g.m * cols;
}

void conv_forward(const ConvGeometry& g, const float* x, const float* w, const float* b, int64_t n,
                  float* scratch, float* y) {
  const int64_t plane = g.out_plane();
  const int64_t kc = (g.c / g.group) * g.kh * g.kw;
  const int64_t mg = g.m / g.group;
  const int64_t chunk = conv_chunk(g, n);
  const int64_t in_image = g.c * g.h * g.w;
  const int64_t out_image = g.m * plane;
  float* col = scratch;
  float* tmp = scratch + 2 * g.col_rows() * chunk * plane;
  for (int64_t b0 = 0; b0 < n; b0 += chunk) {
    const int64_t nb = std::min(chunk, n - b0);
    const int64_t cols = nb * plane;
    im2col(g, x + b0 * in_image, nb, col);
    // One image: the GEMM result [m, plane] is already the NCHW output.
    float* out = nb == 1 ? y + b0 * out_image : tmp;
    for (int64_t gi = 0; gi < g.group; ++gi) {
      blas::sgemm(Trans::kNo, Trans::kNo, to_int(mg), to_int(cols), to_int(kc), 1.0f,
                  w + gi * mg * kc, to_int(kc), col + gi * kc * cols, to_int(cols), 0.0f,
                  out + gi * mg * cols, to_int(cols));
    }
    for (int64_t bi = 0; bi < nb; ++bi) {
      for (int64_t m = 0; m < g.m; ++m) {
        const float* __restrict src = out + m * cols + bi * plane;
        float* __restrict dst = y + (b0 + bi) * out_image + m * plane;
        const float bias = b != nullptr ? b[m] : 0.0f;
        if (src == dst) {
          if (bias != 0.0f) {
            for (int64_t p = 0; p < plane; ++p) dst[p] += bias;
          }
        } else {
          for (int64_t p = 0; p < plane; ++p) dst[p] = src[p] + bias;
        }
      }
    }
  }
}

void conv_backward(const ConvGeometry& g, const float* x, const float* w, const float* dy,
                   int64_t n, float* scratch, float* dw, float* db, float* dx) {
  const int64_t plane = g.out_plane();
  const int64_t kc = (g.c / g.group) * g.kh * g.kw;
  const int64_t mg = g.m / g.group;
  const int64_t chunk = conv_chunk(g, n);
  const int64_t in_image = g.c * g.h * g.w;
  const int64_t out_image = g.m * plane;
  float* col = scratch;
  float* dcol = scratch + g.col_rows() * chunk * plane;
  float* tmp = dcol + g.col_rows() * chunk * plane;
  if (db != nullptr) {
    for (int64_t bi = 0; bi < n; ++bi) {
      for (int64_t m = 0; m < g.m; ++m) {
        const float* r = dy + bi * out_image + m * plane;
        float s = 0.0f;
        for (int64_t p = 0; p < plane; ++p) s += r[p];
        db[m] += s;
      }
    }
  }
  for (int64_t b0 = 0; b0 < n; b0 += chunk) {
    const int64_t nb = std::min(chunk, n - b0);
    const int64_t cols = nb * plane;
    im2col(g, x + b0 * in_image, nb, col);
    // dy of the chunk as [m, nb*plane] (for one image that is dy itself).
    const float* dyt = dy + b0 * out_image;
    if (nb > 1) {
      for (int64_t bi = 0; bi < nb; ++bi) {
        for (int64_t m = 0; m < g.m; ++m) {
          std::memcpy(tmp + m * cols + bi * plane, dy + (b0 + bi) * out_image + m * plane,
                      sizeof(float) * static_cast<size_t>(plane));
        }
      }
      dyt = tmp;
    }
    for (int64_t gi = 0; gi < g.group; ++gi) {
      // dW_g [mg, kc] += dYt_g [mg, cols] * col_g^T [cols, kc]
      blas::sgemm(Trans::kNo, Trans::kYes, to_int(mg), to_int(kc), to_int(cols), 1.0f,
                  dyt + gi * mg * cols, to_int(cols), col + gi * kc * cols, to_int(cols), 1.0f,
                  dw + gi * mg * kc, to_int(kc));
    }
    if (dx == nullptr) continue;
    for (int64_t gi = 0; gi < g.group; ++gi) {
      // dcol_g [kc, cols] = W_g^T [kc, mg] * dYt_g [mg, cols]
      blas::sgemm(Trans::kYes, Trans::kNo, to_int(kc), to_int(cols), to_int(mg), 1.0f,
                  w + gi * mg * kc, to_int(kc), dyt + gi * mg * cols, to_int(cols), 0.0f,
                  dcol + gi * kc * cols, to_int(cols));
    }
    col2im(g, dcol, nb, dx + b0 * in_image);
  }
}

// ---------------------------------------------------------------- pooling

namespace {
int64_t pool_dim(int64_t in, int64_t pad_begin, int64_t pad_end, int64_t k, int64_t s, int64_t d,
                 bool ceil_mode) {
  const int64_t span = in + pad_begin + pad_end - ((k - 1) * d + 1);
  if (span < 0 || s <= 0) return 0;
  int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  // A last window that starts in the end padding is dropped (ONNX, PyTorch).
  if (ceil_mode && (out - 1) * s >= in + pad_begin) --out;
  return out;
}
}  // namespace

bool pool_output_size(PoolGeometry& g) {
  g.oh = pool_dim(g.h, g.pt, g.pb, g.kh, g.sh, g.dh, g.ceil_mode);
  g.ow = pool_dim(g.w, g.pl, g.pr, g.kw, g.sw, g.dw, g.ceil_mode);
  return g.oh > 0 && g.ow > 0;
}

namespace {
// True when every window lies inside the input (no padding reached, no dilation): the common
// LeNet/AlexNet case, which runs without bounds checks.
bool pool_windows_inside(const PoolGeometry& g) {
  return g.pt == 0 && g.pl == 0 && g.dh == 1 && g.dw == 1 && (g.oh - 1) * g.sh + g.kh <= g.h &&
         (g.ow - 1) * g.sw + g.kw <= g.w;
}

// One output row of a 2x2/2 max pool from input rows r0 and r1 (flat indices base0, base1).
// Branch-free so the compiler vectorizes it; ties keep the first position in scan order, as
// the general path does.
void maxpool2x2_row(const float* __restrict r0, const float* __restrict r1, int64_t ow_n,
                    int32_t base0, int32_t base1, float* __restrict y, int32_t* __restrict am) {
  for (int64_t ow = 0; ow < ow_n; ++ow) {
    const float a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
    const int32_t i0 = base0 + 2 * static_cast<int32_t>(ow);
    const int32_t i2 = base1 + 2 * static_cast<int32_t>(ow);
    const bool ab = b > a;
    const float mab = ab ? b : a;
    const int32_t iab = ab ? i0 + 1 : i0;
    const bool cd = d > c;
    const float mcd = cd ? d : c;
    const int32_t icd = cd ? i2 + 1 : i2;
    const bool take = mcd > mab;
    y[ow] = take ? mcd : mab;
    am[ow] = take ? icd : iab;
  }
}

void maxpool2x2_row_backward(const float* __restrict dy, const int32_t* __restrict am, int64_t ow_n,
                             int32_t base0, int32_t base1, float* __restrict d0,
                             float* __restrict d1) {
  for (int64_t ow = 0; ow < ow_n; ++ow) {
    const int32_t i0 = base0 + 2 * static_cast<int32_t>(ow);
    const int32_t i2 = base1 + 2 * static_cast<int32_t>(ow);
    const int32_t a = am[ow];
    const float v = dy[ow];
    d0[2 * ow] = a == i0 ? v : 0.0f;
    d0[2 * ow + 1] = a == i0 + 1 ? v : 0.0f;
    d1[2 * ow] = a == i2 ? v : 0.0f;
    d1[2 * ow + 1] = a == i2 + 1 ? v : 0.0f;
  }
}
}  // namespace

void maxpool_forward(const PoolGeometry& g, const float* x, int64_t n, float* y, int32_t* argmax) {
  const int64_t in_plane = g.h * g.w;
  const int64_t out_plane = g.oh * g.ow;
  if (pool_windows_inside(g) && g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2) {
    for (int64_t p = 0; p < n * g.c; ++p) {
      const float* xp = x + p * in_plane;
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        const int32_t base = static_cast<int32_t>(2 * oh * g.w);
        maxpool2x2_row(xp + base, xp + base + g.w, g.ow, base, base + static_cast<int32_t>(g.w),
                       y + p * out_plane + oh * g.ow, argmax + p * out_plane + oh * g.ow);
      }
    }
    return;
  }
  if (pool_windows_inside(g)) {
    for (int64_t p = 0; p < n * g.c; ++p) {
      const float* __restrict xp = x + p * in_plane;
      float* __restrict yp = y + p * out_plane;
      int32_t* __restrict ap = argmax + p * out_plane;
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        const int64_t h0 = oh * g.sh;
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          const int64_t w0 = ow * g.sw;
          int64_t best_idx = h0 * g.w + w0;
          float best = xp[best_idx];
          for (int64_t i = 0; i < g.kh; ++i) {
            const int64_t row = (h0 + i) * g.w + w0;
            for (int64_t j = 0; j < g.kw; ++j) {
              if (xp[row + j] > best) best = xp[best_idx = row + j];
            }
          }
          yp[oh * g.ow + ow] = best;
          ap[oh * g.ow + ow] = static_cast<int32_t>(best_idx);
        }
      }
    }
    return;
  }
  for (int64_t p = 0; p < n * g.c; ++p) {
    const float* xp = x + p * in_plane;
    float* yp = y + p * out_plane;
    int32_t* ap = argmax + p * out_plane;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        float best = -std::numeric_limits<float>::infinity();
        int32_t best_idx = -1;
        for (int64_t i = 0; i < g.kh; ++i) {
          const int64_t ih = oh * g.sh - g.pt + i * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          for (int64_t j = 0; j < g.kw; ++j) {
            const int64_t iw = ow * g.sw - g.pl + j * g.dw;
            if (iw < 0 || iw >= g.w) continue;
            const float v = xp[ih * g.w + iw];
            if (best_idx < 0 || v > best) {
              best = v;
              best_idx = static_cast<int32_t>(ih * g.w + iw);
            }
          }
        }
        yp[oh * g.ow + ow] = best_idx < 0 ? 0.0f : best;
        ap[oh * g.ow + ow] = best_idx;
      }
    }
  }
}

void maxpool_backward(const PoolGeometry& g, const float* dy, const int32_t* argmax, int64_t n,
                      float* dx) {
  const int64_t in_plane = g.h * g.w;
  const int64_t out_plane = g.oh * g.ow;
  if (pool_windows_inside(g) && g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2) {
    // Each input lies in at most one window: write dx directly (rows or columns left over by
    // an odd size are zeroed first).
    if (2 * g.oh != g.h || 2 * g.ow != g.w) {
      std::memset(dx, 0, sizeof(float) * static_cast<size_t>(n * g.c * in_plane));
    }
    for (int64_t p = 0; p < n * g.c; ++p) {
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        const int32_t base = static_cast<int32_t>(2 * oh * g.w);
        maxpool2x2_row_backward(dy + p * out_plane + oh * g.ow, argmax + p * out_plane + oh * g.ow,
                                g.ow, base, base + static_cast<int32_t>(g.w),
                                dx + p * in_plane + base, dx + p * in_plane + base + g.w);
      }
    }
    return;
  }
  std::memset(dx, 0, sizeof(float) * static_cast<size_t>(n * g.c * in_plane));
  for (int64_t p = 0; p < n * g.c; ++p) {
    float* dxp = dx + p * in_plane;
    const float* dyp = dy + p * out_plane;
    const int32_t* ap = argmax + p * out_plane;
    for (int64_t o = 0; o < out_plane; ++o) {
      if (ap[o] >= 0) dxp[ap[o]] += dyp[o];
    }
  }
}

namespace {
// The window of output (oh, ow) clipped to the input, and the divisor AveragePool uses.
struct Window {
  int64_t h0, h1, w0, w1;
  float inv_count;
};
Window avg_window(const PoolGeometry& g, int64_t oh, int64_t ow) {
  const int64_t hs = oh * g.sh - g.pt;
  const int64_t ws = ow * g.sw - g.pl;
  const int64_t he = hs + g.kh;
  const int64_t we = ws + g.kw;
  Window win;
  win.h0 = std::max<int64_t>(hs, 0);
  win.w0 = std::max<int64_t>(ws, 0);
  win.h1 = std::min(he, g.h);
  win.w1 = std::min(we, g.w);
  int64_t count;
  if (g.count_include_pad) {
    // Positions inside the padded input (a ceil_mode window may reach past it).
    const int64_t ph1 = std::min(he, g.h + g.pb);
    const int64_t pw1 = std::min(we, g.w + g.pr);
    count = (ph1 - hs) * (pw1 - ws);
  } else {
    count = (win.h1 - win.h0) * (win.w1 - win.w0);
  }
  win.inv_count = count > 0 ? 1.0f / static_cast<float>(count) : 0.0f;
  return win;
}
}  // namespace

void avgpool_forward(const PoolGeometry& g, const float* x, int64_t n, float* y) {
  const int64_t in_plane = g.h * g.w;
  const int64_t out_plane = g.oh * g.ow;
  for (int64_t p = 0; p < n * g.c; ++p) {
    const float* xp = x + p * in_plane;
    float* yp = y + p * out_plane;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const Window win = avg_window(g, oh, ow);
        float s = 0.0f;
        for (int64_t ih = win.h0; ih < win.h1; ++ih) {
          for (int64_t iw = win.w0; iw < win.w1; ++iw) s += xp[ih * g.w + iw];
        }
        yp[oh * g.ow + ow] = s * win.inv_count;
      }
    }
  }
}

void avgpool_backward(const PoolGeometry& g, const float* dy, int64_t n, float* dx) {
  const int64_t in_plane = g.h * g.w;
  const int64_t out_plane = g.oh * g.ow;
  std::memset(dx, 0, sizeof(float) * static_cast<size_t>(n * g.c * in_plane));
  for (int64_t p = 0; p < n * g.c; ++p) {
    float* dxp = dx + p * in_plane;
    const float* dyp = dy + p * out_plane;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const Window win = avg_window(g, oh, ow);
        const float v = dyp[oh * g.ow + ow] * win.inv_count;
        for (int64_t ih = win.h0; ih < win.h1; ++ih) {
          for (int64_t iw = win.w0; iw < win.w1; ++iw) dxp[ih * g.w + iw] += v;
        }
      }
    }
  }
}

void global_avgpool_forward(int64_t c, int64_t hw, const float* x, int64_t n, float* y) {
  const float inv = 1.0f / static_cast<float>(hw);
  for (int64_t p = 0; p < n * c; ++p) {
    const float* xp = x + p * hw;
    float s = 0.0f;
    for (int64_t i = 0; i < hw; ++i) s += xp[i];
    y[p] = s * inv;
  }
}

void global_avgpool_backward(int64_t c, int64_t hw, const float* dy, int64_t n, float* dx) {
  const float inv = 1.0f / static_cast<float>(hw);
  for (int64_t p = 0; p < n * c; ++p) {
    const float v = dy[p] * inv;
    float* dxp = dx + p * hw;
    for (int64_t i = 0; i < hw; ++i) dxp[i] = v;
  }
}

// ---------------------------------------------------------------- activations

void activation_forward(Activation a, const float* x, int64_t count, float* y) {
  switch (a) {
    case Activation::kRelu:
      for (int64_t i = 0; i < count; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
      return;
    case Activation::kSigmoid:
      for (int64_t i = 0; i < count; ++i) y[i] = 1.0f / (1.0f + std::exp(-x[i]));
      return;
    case Activation::kTanh:
      for (int64_t i = 0; i < count; ++i) y[i] = std::tanh(x[i]);
      return;
  }
}

void activation_backward(Activation a, const float* y, const float* dy, int64_t count, float* dx) {
  switch (a) {
    case Activation::kRelu:
      for (int64_t i = 0; i < count; ++i) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
      return;
    case Activation::kSigmoid:
      for (int64_t i = 0; i < count; ++i) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
      return;
    case Activation::kTanh:
      for (int64_t i = 0; i < count; ++i) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
      return;
  }
}

void dropout_apply(const float* x, const uint8_t* mask, float scale, int64_t count, float* y) {
  for (int64_t i = 0; i < count; ++i) y[i] = mask[i] != 0 ? x[i] * scale : 0.0f;
}

// ---------------------------------------------------------------- loss

double softmax_cross_entropy(const float* logits, const uint8_t* labels, int64_t n, int64_t classes,
                             float* dlogits, int64_t* correct) {
  double total = 0.0;
  const double inv_n = n > 0 ? 1.0 / static_cast<double>(n) : 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float* z = logits + i * classes;
    const int64_t label = labels[i];
    SIEVE_ASSERT(label < classes, "label {} out of range for {} classes", label, classes);
    int64_t arg = 0;
    for (int64_t k = 1; k < classes; ++k) {
      if (z[k] > z[arg]) arg = k;
    }
    if (correct != nullptr && arg == label) ++*correct;
    const double zmax = z[arg];
    double sum = 0.0;
    for (int64_t k = 0; k < classes; ++k) sum += std::exp(static_cast<double>(z[k]) - zmax);
    const double log_sum = std::log(sum) + zmax;
    total += log_sum - static_cast<double>(z[label]);
    if (dlogits != nullptr) {
      float* d = dlogits + i * classes;
      for (int64_t k = 0; k < classes; ++k) {
        const double p = std::exp(static_cast<double>(z[k]) - log_sum);
        d[k] = static_cast<float>((p - (k == label ? 1.0 : 0.0)) * inv_n);
      }
    }
  }
  return total * inv_n;
}

double distillation_loss(const float* logits, const float* teacher, int64_t n, int64_t classes,
                         double temperature, float* dlogits) {
  SIEVE_ASSERT(temperature > 0, "distillation temperature {} is not positive", temperature);
  const double inv_n = n > 0 ? 1.0 / static_cast<double>(n) : 0.0;
  const double inv_t = 1.0 / temperature;
  std::vector<double> ps(static_cast<size_t>(classes)), pt(static_cast<size_t>(classes));
  // Softmax of z / T into p; returns log of its normaliser (of z / T).
  auto soft = [&](const float* z, std::vector<double>& p) {
    double zmax = z[0];
    for (int64_t k = 1; k < classes; ++k) zmax = std::max(zmax, static_cast<double>(z[k]));
    double sum = 0.0;
    for (int64_t k = 0; k < classes; ++k) {
      p[static_cast<size_t>(k)] = std::exp((static_cast<double>(z[k]) - zmax) * inv_t);
      sum += p[static_cast<size_t>(k)];
    }
    for (double& v : p) v /= sum;
    return std::log(sum) + zmax * inv_t;
  };
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float* z = logits + i * classes;
    const float* t = teacher + i * classes;
    const double ls = soft(z, ps);
    const double lt = soft(t, pt);
    double kl = 0.0;
    for (int64_t k = 0; k < classes; ++k) {
      const double q = pt[static_cast<size_t>(k)];
      if (q <= 0.0) continue;
      // log q - log p_s, each as (z / T) - log-normaliser.
      kl += q * ((static_cast<double>(t[k]) * inv_t - lt) - (static_cast<double>(z[k]) * inv_t - ls));
    }
    total += temperature * temperature * kl;
    if (dlogits != nullptr) {
      float* d = dlogits + i * classes;
      for (int64_t k = 0; k < classes; ++k) {
        d[k] = static_cast<float>(temperature *
                                  (ps[static_cast<size_t>(k)] - pt[static_cast<size_t>(k)]) * inv_n);
      }
    }
  }
  return total * inv_n;
}

}  // namespace sieve::train
