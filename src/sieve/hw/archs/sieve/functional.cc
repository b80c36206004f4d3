#include "sieve/hw/archs/sieve/functional.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sieve/hw/archs/sieve/blocks.h"
#include "sieve/ir/shape_inference.h"

namespace sieve::hw::sieve_arch {

namespace fx = runtime::fixed16;

namespace {

std::string label(const ir::Node& n) {
  return fmt::format("node \"{}\" ({})", n.name, ir::op_name(n.op));
}

// ---- a weight matrix as the PE array holds it ----

// A weight tensor seen as a [rows, cols] matrix (row-major over its flat elements), with the
// compressed layer it comes from (nullptr: a plain initializer, dense, 16-bit).
struct Segment {
  const compress::CompressedLayer* layer = nullptr;
  Tensor dense;  // decoded f32 weight
  int64_t rows = 0, cols = 0;
  int frac = 0;   // weight Q format
  int shift = 0;  // left shift of this segment's products onto the accumulator scale
};

// One row of a segment as stored: per column kept?, the stored word, its region.
struct RowWords {
  std::vector<uint8_t> kept;
  std::vector<uint16_t> word;
  std::vector<int32_t> region;
};

// Kept positions before each row of a layer (index of the row's first code/value).
std::vector<int64_t> kept_before_rows(const Segment& s) {
  std::vector<int64_t> before(static_cast<size_t>(s.rows) + 1, 0);
  const uint8_t* m =
      s.layer != nullptr && !s.layer->mask.empty() ? s.layer->mask.data<uint8_t>() : nullptr;
  for (int64_t r = 0; r < s.rows; ++r) {
    int64_t k = 0;
    if (m == nullptr) {
      k = s.cols;
    } else {
      for (int64_t c = 0; c < s.cols; ++c) k += m[r * s.cols + c] != 0 ? 1 : 0;
    }
    before[static_cast<size_t>(r) + 1] = before[static_cast<size_t>(r)] + k;
  }
  return before;
}

void row_words(const Segment& s, int64_t r, int64_t first_kept, RowWords& out) {
  out.kept.assign(static_cast<size_t>(s.cols), 1);
  out.word.assign(static_cast<size_t>(s.cols), 0);
  out.region.assign(static_cast<size_t>(s.cols), 0);
  const compress::CompressedLayer* l = s.layer;
  const uint8_t* m = l != nullptr && !l->mask.empty() ? l->mask.data<uint8_t>() : nullptr;
  const float* d = s.dense.data<float>();
  int64_t k = first_kept;
  for (int64_t c = 0; c < s.cols; ++c) {
    const size_t uc = static_cast<size_t>(c);
    const int64_t flat = r * s.cols + c;
    if (m != nullptr && m[flat] == 0) {
      out.kept[uc] = 0;
      continue;
    }
    if (l != nullptr && l->bits > 0) {
      out.word[uc] = l->codes[static_cast<size_t>(k)];
      out.region[uc] = static_cast<int32_t>(l->region_of(flat / l->cols(), flat % l->cols()));
    } else {
      // Unquantized: the 16-bit word is the weight (the decoded value, quantized).
      out.word[uc] = static_cast<uint16_t>(fx::quantize(d[flat], s.frac));
    }
    ++k;
  }
}

struct GroupWindow {
  std::vector<uint64_t> synapse_index;          // packed, window positions
  std::vector<uint8_t> shifts;                   // per union position; empty when all zero
  std::vector<std::vector<int16_t>> pe_weights;  // per PE: WDM output per union position
};

struct Matrix {
  int64_t rows = 0, cols = 0, tn = 0, window = 0, groups = 0, windows = 0;
  std::vector<GroupWindow> gw;  // [group * windows + window]
};

// Rows [row_begin, row_end) of every segment (all have the same rows), segments side by side.
Result<Matrix> build_matrix(const std::vector<Segment>& segs, int64_t row_begin, int64_t row_end,
                            const FunctionalOptions& o) {
  Matrix mx;
  mx.rows = row_end - row_begin;
  mx.tn = o.tn;
  mx.window = 16 * o.tm;
  for (const Segment& s : segs) mx.cols += s.cols;
  mx.groups = (mx.rows + o.tn - 1) / o.tn;
  mx.windows = (mx.cols + mx.window - 1) / mx.window;
  std::vector<Wdm> wdms;
  std::vector<std::vector<int64_t>> before;
  std::vector<int64_t> seg_begin;
  int64_t col = 0;
  bool any_shift = false;
  for (const Segment& s : segs) {
    if (s.layer != nullptr && s.layer->bits > 0) {
      SIEVE_ASSIGN_OR_RETURN(Wdm w, Wdm::for_layer(*s.layer, s.frac));
      wdms.push_back(std::move(w));
    } else {
      wdms.push_back(Wdm::bypass());
    }
    before.push_back(kept_before_rows(s));
    seg_begin.push_back(col);
    col += s.cols;
    any_shift = any_shift || s.shift != 0;
  }
  // Every row of the matrix as stored words, columns concatenated over the segments.
  std::vector<RowWords> rows(static_cast<size_t>(mx.rows));
  RowWords part;
  for (int64_t r = 0; r < mx.rows; ++r) {
    RowWords& rw = rows[static_cast<size_t>(r)];
    for (size_t si = 0; si < segs.size(); ++si) {
      const int64_t gr = row_begin + r;
      row_words(segs[si], gr, before[si][static_cast<size_t>(gr)], part);
      rw.kept.insert(rw.kept.end(), part.kept.begin(), part.kept.end());
      rw.word.insert(rw.word.end(), part.word.begin(), part.word.end());
      rw.region.insert(rw.region.end(), part.region.begin(), part.region.end());
    }
  }
  mx.gw.resize(static_cast<size_t>(mx.groups * mx.windows));
  std::vector<int64_t> pos;
  std::vector<uint16_t> words;
  std::vector<int32_t> regions;
  std::vector<uint8_t> valid;
  for (int64_t g = 0; g < mx.groups; ++g) {
    const int64_t r0 = g * o.tn, r1 = std::min(mx.rows, r0 + o.tn);
    for (int64_t w = 0; w < mx.windows; ++w) {
      GroupWindow& gw = mx.gw[static_cast<size_t>(g * mx.windows + w)];
      const int64_t c0 = w * mx.window, c1 = std::min(mx.cols, c0 + mx.window);
      gw.synapse_index.assign(static_cast<size_t>((mx.window + 63) / 64), 0);
      pos.clear();
      for (int64_t c = c0; c < c1; ++c) {
        bool any = false;
        for (int64_t r = r0; r < r1 && !any; ++r) {
          any = rows[static_cast<size_t>(r)].kept[static_cast<size_t>(c)] != 0;
        }
        if (!any) continue;
        pos.push_back(c);
        gw.synapse_index[static_cast<size_t>((c - c0) / 64)] |= uint64_t{1} << ((c - c0) % 64);
      }
      // Which segment each union position is in (positions are sorted, segments contiguous).
      std::vector<size_t> seg_of(pos.size());
      for (size_t i = 0; i < pos.size(); ++i) {
        size_t si = 0;
        while (si + 1 < segs.size() && pos[i] >= seg_begin[si + 1]) ++si;
        seg_of[i] = si;
      }
      if (any_shift) {
        gw.shifts.resize(pos.size());
        for (size_t i = 0; i < pos.size(); ++i) {
          gw.shifts[i] = static_cast<uint8_t>(segs[seg_of[i]].shift);
        }
      }
      for (int64_t r = r0; r < r1; ++r) {
        const RowWords& rw = rows[static_cast<size_t>(r)];
        std::vector<int16_t> decoded(pos.size());
        // The synapse buffer holds the row's words per segment part; the WDM decodes each part.
        size_t i = 0;
        while (i < pos.size()) {
          const size_t si = seg_of[i];
          size_t j = i;
          words.clear();
          regions.clear();
          valid.clear();
          for (; j < pos.size() && seg_of[j] == si; ++j) {
            const size_t c = static_cast<size_t>(pos[j]);
            words.push_back(rw.kept[c] != 0 ? rw.word[c] : uint16_t{0});
            regions.push_back(rw.region[c]);
            valid.push_back(rw.kept[c]);
          }
          const std::vector<uint8_t> sb = pack_words(words, wdms[si].word_bits());
          SIEVE_RETURN_IF_ERROR(wdms[si].decode(
              sb, regions, valid, std::span<int16_t>(decoded.data() + i, j - i)));
          i = j;
        }
        gw.pe_weights.push_back(std::move(decoded));
      }
    }
  }
  return mx;
}

// Scratch buffers of run_matrix.
struct Scratch {
  std::vector<uint64_t> neuron_index;
  std::vector<int32_t> flags;
  std::vector<int16_t> selected;
  std::vector<int16_t> weights;
  std::vector<uint8_t> shifts;
};

// Bits [begin, begin + n) of `v` into out (packed from bit 0).
void extract_bits(const BitVec& v, int64_t begin, int64_t n, std::vector<uint64_t>& out) {
  out.assign(static_cast<size_t>((n + 63) / 64), 0);
  const std::vector<uint64_t>& w = v.words();
  const int64_t off = begin % 64;
  for (int64_t j = 0; j < static_cast<int64_t>(out.size()); ++j) {
    const size_t a = static_cast<size_t>(begin / 64 + j);
    uint64_t x = a < w.size() ? w[a] >> off : 0;
    if (off != 0 && a + 1 < w.size()) x |= w[a + 1] << (64 - off);
    out[static_cast<size_t>(j)] = x;
  }
  if (n % 64 != 0) out.back() &= (uint64_t{1} << (n % 64)) - 1;
}

// acc[r] += row r of the matrix · the encoded input vector, through NSM, SSM and PEFU.
void run_matrix(const Matrix& mx, const Encoded& in, const Nsm& nsm, const Pefu& pefu,
                std::span<int64_t> acc, Scratch& s, FunctionalStats& st) {
  SIEVE_ASSERT(in.index.size() == mx.cols, "input of {} for a matrix of {} columns",
               in.index.size(), mx.cols);
  int64_t compact = 0;  // neurons before the window in the compact list
  for (int64_t w = 0; w < mx.windows; ++w) {
    const int64_t c0 = w * mx.window, n = std::min(mx.window, mx.cols - c0);
    extract_bits(in.index, c0, n, s.neuron_index);
    const int16_t* neurons = in.values.data() + compact;
    for (int64_t g = 0; g < mx.groups; ++g) {
      const GroupWindow& gw = mx.gw[static_cast<size_t>(g * mx.windows + w)];
      nsm.select(s.neuron_index.data(), gw.synapse_index.data(), n, neurons, s.flags, s.selected);
      ++st.nsm_selections;
      st.selected += static_cast<int64_t>(s.selected.size());
      if (s.selected.empty()) continue;
      if (!gw.shifts.empty()) {
        Ssm::pick<uint8_t>(gw.shifts, s.flags, s.shifts);
      } else {
        s.shifts.clear();
      }
      for (size_t p = 0; p < gw.pe_weights.size(); ++p) {
        Ssm::pick<int16_t>(gw.pe_weights[p], s.flags, s.weights);
        const int64_t row = g * mx.tn + static_cast<int64_t>(p);
        st.pefu_cycles += pefu.accumulate(s.weights, s.selected, s.shifts,
                                          acc[static_cast<size_t>(row)]);
        st.multiplies += static_cast<int64_t>(s.selected.size());
      }
    }
    compact += in.index.count(c0, c0 + n);
  }
}

Encoded encode(std::span<const int16_t> v, FunctionalStats& st) {
  Encoded e = Encoder::encode(v);
  st.encoded += static_cast<int64_t>(v.size());
  st.encoded_nonzero += static_cast<int64_t>(e.values.size());
  return e;
}

// ---- the walker ----

struct Ctx {
  const compress::CompressedModel& model;
  const FunctionalOptions& o;
  const fx::Formats& fm;
  Nsm nsm;
  Pefu pefu;
  FunctionalStats& st;
  Scratch scratch;
};

Result<Segment> segment_of(const compress::CompressedModel& model, const std::string& weight,
                           int64_t rows, int64_t cols) {
  Segment s;
  s.layer = model.find_layer(weight);
  SIEVE_ASSIGN_OR_RETURN(s.dense, fx::dense_weight(model, weight));
  if (s.dense.numel() != rows * cols) {
    return invalid_argument("weight \"{}\" {} is not a [{}, {}] matrix", weight,
                            shape_str(s.dense.shape()), rows, cols);
  }
  s.rows = rows;
  s.cols = cols;
  s.frac = fx::weight_frac_bits(s.dense);
  if (s.layer != nullptr && s.layer->bits > 0 &&
      static_cast<int64_t>(s.layer->codes.size()) != s.layer->kept()) {
    return invalid_argument("layer \"{}\": {} codes for {} kept weights", weight,
                            s.layer->codes.size(), s.layer->kept());
  }
  if (s.layer != nullptr && s.layer->bits > 16) {
    return invalid_argument("layer \"{}\": bits={}", weight, s.layer->bits);
  }
  return s;
}

Result<std::vector<int64_t>> bias_at(const compress::CompressedModel& model, const ir::Node& n,
                                     size_t operand, int64_t m, int acc_frac) {
  std::vector<int64_t> bias(static_cast<size_t>(m), 0);
  if (!n.has_input(operand)) return bias;
  SIEVE_ASSIGN_OR_RETURN(Tensor b, fx::dense_weight(model, n.input(operand)));
  if (b.numel() != m && b.numel() != 1) {
    return invalid_argument("{}: bias has {} elements for {} outputs", label(n), b.numel(), m);
  }
  for (int64_t j = 0; j < m; ++j) {
    bias[static_cast<size_t>(j)] = fx::quantize_wide(b.data<float>()[b.numel() == 1 ? 0 : j],
                                                     acc_frac);
  }
  return bias;
}

// FullyConnected: returns {y, relu(y) when fused}.
Result<std::vector<Tensor>> fully_connected(Ctx& cx, const ir::Node& n, const Tensor& x,
                                            const Shape& out_shape, int out_frac, bool fuse) {
  if (n.attr_float("alpha", 1.0) != 1.0 || n.attr_float("beta", 1.0) != 1.0 ||
      n.attr_int("trans_a", 0) != 0 || n.attr_int("trans_b", 1) != 1) {
    return Status(StatusCode::kUnimplemented,
                  label(n) + ": the functional model needs alpha = beta = 1, trans_a = 0, "
                             "trans_b = 1");
  }
  if (!n.has_input(1) || !cx.model.graph.is_initializer(n.input(1))) {
    return Status(StatusCode::kUnimplemented, label(n) + ": W must be an initializer");
  }
  const int64_t batch = x.dim(0), k = x.dim(1), m = out_shape.at(1);
  SIEVE_ASSIGN_OR_RETURN(Segment seg, segment_of(cx.model, n.input(1), m, k));
  const int acc_frac = x.frac_bits() + seg.frac;
  SIEVE_ASSIGN_OR_RETURN(std::vector<int64_t> bias, bias_at(cx.model, n, 2, m, acc_frac));
  SIEVE_ASSIGN_OR_RETURN(Matrix mx, build_matrix({seg}, 0, m, cx.o));
  Tensor y(DType::kI16, out_shape), yr;
  y.set_frac_bits(out_frac);
  if (fuse) {
    yr = Tensor(DType::kI16, out_shape);
    yr.set_frac_bits(out_frac);
  }
  std::vector<int64_t> acc(static_cast<size_t>(m));
  for (int64_t s = 0; s < batch; ++s) {
    const Encoded in = encode({x.data<int16_t>() + s * k, static_cast<size_t>(k)}, cx.st);
    acc = bias;
    run_matrix(mx, in, cx.nsm, cx.pefu, acc, cx.scratch, cx.st);
    for (int64_t j = 0; j < m; ++j) {
      const int16_t v = Pefu::requantize(acc[static_cast<size_t>(j)], acc_frac, out_frac);
      y.data<int16_t>()[s * m + j] = v;
      if (fuse) yr.data<int16_t>()[s * m + j] = Pefu::activate(v, Activation::kRelu);
    }
  }
  return std::vector<Tensor>{y, yr};
}

Result<std::vector<Tensor>> conv(Ctx& cx, const ir::Node& n, const Tensor& x,
                                 const Shape& out_shape, int out_frac, bool fuse) {
  if (!n.has_input(1) || !cx.model.graph.is_initializer(n.input(1))) {
    return Status(StatusCode::kUnimplemented, label(n) + ": W must be an initializer");
  }
  if (x.rank() != 4) {
    return Status(StatusCode::kUnimplemented,
                  label(n) + ": the functional model supports 2-D convolutions only");
  }
  const Tensor* w0 = cx.model.graph.initializer(n.input(1));
  SIEVE_ASSIGN_OR_RETURN(ir::WindowGeometry geo, ir::window_geometry(n, x.shape(), &w0->shape()));
  const int64_t group = n.attr_int("group", 1);
  const int64_t batch = x.dim(0), c_in = x.dim(1), ih = x.dim(2), iw = x.dim(3);
  const int64_t m_out = w0->dim(0), cg = c_in / group, mg = m_out / group;
  const int64_t kh = geo.kernel[0], kw = geo.kernel[1];
  const int64_t oh = out_shape[2], ow = out_shape[3];
  const int64_t cols = cg * kh * kw;
  SIEVE_ASSIGN_OR_RETURN(Segment seg, segment_of(cx.model, n.input(1), m_out, cols));
  const int acc_frac = x.frac_bits() + seg.frac;
  SIEVE_ASSIGN_OR_RETURN(std::vector<int64_t> bias, bias_at(cx.model, n, 2, m_out, acc_frac));
  std::vector<Matrix> mats;
  for (int64_t gi = 0; gi < group; ++gi) {
    SIEVE_ASSIGN_OR_RETURN(Matrix mx, build_matrix({seg}, gi * mg, (gi + 1) * mg, cx.o));
    mats.push_back(std::move(mx));
  }
  Tensor y(DType::kI16, out_shape), yr;
  y.set_frac_bits(out_frac);
  if (fuse) {
    yr = Tensor(DType::kI16, out_shape);
    yr.set_frac_bits(out_frac);
  }
  const int16_t* xd = x.data<int16_t>();
  std::vector<int16_t> vec(static_cast<size_t>(cols));
  std::vector<int64_t> acc(static_cast<size_t>(mg));
  for (int64_t s = 0; s < batch; ++s) {
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) {
        for (int64_t gi = 0; gi < group; ++gi) {
          // The window [c, ky, kx] of this pixel; padding positions are zero neurons.
          size_t i = 0;
          for (int64_t c = 0; c < cg; ++c) {
            const int16_t* plane = xd + ((s * c_in) + gi * cg + c) * ih * iw;
            for (int64_t ky = 0; ky < kh; ++ky) {
              const int64_t yy = oy * geo.strides[0] - geo.pads_begin[0] + ky * geo.dilations[0];
              for (int64_t kx = 0; kx < kw; ++kx, ++i) {
                const int64_t xx =
                    ox * geo.strides[1] - geo.pads_begin[1] + kx * geo.dilations[1];
                vec[i] = (yy >= 0 && yy < ih && xx >= 0 && xx < iw) ? plane[yy * iw + xx]
                                                                     : int16_t{0};
              }
            }
          }
          const Encoded in = encode(vec, cx.st);
          std::copy(bias.begin() + gi * mg, bias.begin() + (gi + 1) * mg, acc.begin());
          run_matrix(mats[static_cast<size_t>(gi)], in, cx.nsm, cx.pefu, acc, cx.scratch, cx.st);
          for (int64_t j = 0; j < mg; ++j) {
            const int64_t at = ((s * m_out + gi * mg + j) * oh + oy) * ow + ox;
            const int16_t v = Pefu::requantize(acc[static_cast<size_t>(j)], acc_frac, out_frac);
            y.data<int16_t>()[at] = v;
            if (fuse) yr.data<int16_t>()[at] = Pefu::activate(v, Activation::kRelu);
          }
        }
      }
    }
  }
  return std::vector<Tensor>{y, yr};
}

Result<std::vector<Tensor>> lstm(Ctx& cx, const ir::Node& n, const Tensor& x) {
  SIEVE_ASSIGN_OR_RETURN(fx::LstmQ q, fx::lstm_q(cx.model, n, cx.fm, cx.o.fixed));
  if (x.rank() != 3 || x.dim(2) != q.input) {
    return invalid_argument("{}: X is {}, expected [seq, batch, {}]", label(n),
                            shape_str(x.shape()), q.input);
  }
  const int64_t seq = x.dim(0), batch = x.dim(1), nh = q.hidden, gh = 4 * nh;
  SIEVE_ASSIGN_OR_RETURN(Segment sw, segment_of(cx.model, n.input(1), gh, q.input));
  SIEVE_ASSIGN_OR_RETURN(Segment sr, segment_of(cx.model, n.input(2), gh, q.state));
  sw.shift = q.shift_x;
  sr.shift = q.shift_r;
  SIEVE_ASSIGN_OR_RETURN(Matrix gates, build_matrix({sw, sr}, 0, gh, cx.o));
  Matrix proj;
  if (q.proj > 0) {
    SIEVE_ASSIGN_OR_RETURN(Segment sp, segment_of(cx.model, n.input(8), q.proj, nh));
    SIEVE_ASSIGN_OR_RETURN(proj, build_matrix({sp}, 0, q.proj, cx.o));
  }
  Tensor y(DType::kI16, {seq, 1, batch, q.state});
  y.set_frac_bits(q.f_r);
  Tensor y_h(DType::kI16, {1, batch, q.state});
  y_h.set_frac_bits(q.f_r);
  Tensor y_c(DType::kI16, {1, batch, nh});
  y_c.set_frac_bits(q.f_c);
  std::vector<int16_t> vec(static_cast<size_t>(q.input + q.state));
  std::vector<int16_t> c(static_cast<size_t>(nh)), m(static_cast<size_t>(nh));
  std::vector<int64_t> acc(static_cast<size_t>(gh)), pacc(static_cast<size_t>(q.proj));
  for (int64_t b = 0; b < batch; ++b) {
    std::fill(vec.begin(), vec.end(), int16_t{0});
    std::fill(c.begin(), c.end(), int16_t{0});
    for (int64_t t = 0; t < seq; ++t) {
      const int16_t* xt = x.data<int16_t>() + (t * batch + b) * q.input;
      std::copy(xt, xt + q.input, vec.begin());  // [x_t; r_{t−1}]
      const Encoded in = encode(vec, cx.st);
      acc = q.bias;
      run_matrix(gates, in, cx.nsm, cx.pefu, acc, cx.scratch, cx.st);
      fx::lstm_pointwise(q, acc, c, m);  // the vector unit
      int16_t* r = vec.data() + q.input;
      if (q.proj > 0) {
        const Encoded mi = encode(m, cx.st);
        std::fill(pacc.begin(), pacc.end(), 0);
        run_matrix(proj, mi, cx.nsm, cx.pefu, pacc, cx.scratch, cx.st);
        for (int64_t k = 0; k < q.proj; ++k) {
          r[k] = Pefu::requantize(pacc[static_cast<size_t>(k)], q.f_proj + fx::kGateFracBits,
                                  q.f_r);
        }
      } else {
        std::copy(m.begin(), m.end(), r);
      }
      std::copy(r, r + q.state, y.data<int16_t>() + (t * batch + b) * q.state);
    }
    if (seq > 0) {
      std::copy(vec.begin() + q.input, vec.end(), y_h.data<int16_t>() + b * q.state);
      std::copy(c.begin(), c.end(), y_c.data<int16_t>() + b * nh);
    }
  }
  return std::vector<Tensor>{y, y_h, y_c};
}

// Softmax/LogSoftmax nodes whose output is a graph output that no node reads.
bool is_trailing_softmax(const ir::Graph& g, const ir::Node& n,
                         const std::map<std::string, int>& readers) {
  if (n.op != ir::OpKind::kSoftmax && n.op != ir::OpKind::kLogSoftmax) return false;
  if (n.outputs.size() != 1 || readers.count(n.outputs[0]) != 0) return false;
  return std::find(g.outputs.begin(), g.outputs.end(), n.outputs[0]) != g.outputs.end();
}

}  // namespace

Result<Tensor> run_functional(const compress::CompressedModel& model, const Tensor& input,
                              const FunctionalOptions& options,
                              const runtime::fixed16::ValueHook& hook, FunctionalStats* stats) {
  if (options.tn < 1 || options.tm < 1) {
    return invalid_argument("functional model: T_n = {} and T_m = {} must be positive",
                            options.tn, options.tm);
  }
  const ir::Graph& g = model.graph;
  SIEVE_ASSIGN_OR_RETURN(fx::Formats fm, fx::resolve_formats(model, options.fixed));
  FunctionalStats local;
  Ctx cx{model, options, fm, Nsm(16 * options.tm), Pefu(options.tm),
         stats != nullptr ? *stats : local, {}};

  // Readers of each value: a FullyConnected/Conv whose only reader is a Relu (and that is not a
  // graph output) runs the ReLU in its PEFU.
  std::map<std::string, int> readers;
  std::map<std::string, const ir::Node*> reader;
  for (const ir::Node& n : g.nodes) {
    for (const std::string& v : n.inputs) {
      if (v.empty()) continue;
      ++readers[v];
      reader[v] = &n;
    }
  }
  const std::set<std::string> graph_outputs(g.outputs.begin(), g.outputs.end());
  auto fused_relu = [&](const ir::Node& n) -> const ir::Node* {
    const std::string& v = n.outputs.at(0);
    if (graph_outputs.count(v) != 0 || readers[v] != 1) return nullptr;
    const ir::Node* r = reader[v];
    return r->op == ir::OpKind::kRelu ? r : nullptr;
  };

  const ir::Node* in_node = nullptr;
  for (const ir::Node& n : g.nodes) {
    if (n.op != ir::OpKind::kInput) continue;
    if (in_node != nullptr) return invalid_argument("graph \"{}\" has several inputs", g.name);
    in_node = &n;
  }
  if (in_node == nullptr) return invalid_argument("graph \"{}\" has no input", g.name);
  const std::vector<int64_t> declared = in_node->attr_ints("shape");
  if (input.dtype() != DType::kF32 ||
      (!declared.empty() && static_cast<size_t>(input.rank()) != declared.size())) {
    return invalid_argument("input: expected f32 of rank {} (like {}), got {} {}", declared.size(),
                            shape_str(declared), dtype_name(input.dtype()),
                            shape_str(input.shape()));
  }
  if (g.outputs.empty()) return invalid_argument("graph \"{}\" has no output", g.name);

  std::map<std::string, Tensor> env;
  std::map<std::string, Shape> shapes;
  auto put = [&](const std::string& v, Tensor t) {
    if (v.empty()) return;
    shapes[v] = t.shape();
    if (hook) hook(v, t);
    env[v] = std::move(t);
  };
  for (const ir::Node& n : g.nodes) {
    if (n.op == ir::OpKind::kInput) {
      put(n.outputs[0], fx::quantize_tensor(input, fm.value_frac.at(n.outputs[0])));
      continue;
    }
    if (!n.outputs.empty() && env.count(n.outputs[0]) != 0) continue;  // a fused Relu
    auto xi = env.find(n.input(0));
    if (xi == env.end()) {
      return invalid_argument("{}: operand \"{}\" is not an activation computed earlier",
                              label(n), n.input(0));
    }
    const Tensor& x = xi->second;
    if (is_trailing_softmax(g, n, readers)) {
      put(n.outputs[0], x);
      continue;
    }
    if (n.op == ir::OpKind::kLSTM) {
      SIEVE_ASSIGN_OR_RETURN(std::vector<Tensor> outs, lstm(cx, n, x));
      for (size_t j = 0; j < n.outputs.size() && j < outs.size(); ++j) put(n.outputs[j], outs[j]);
      continue;
    }
    SIEVE_ASSIGN_OR_RETURN(Shape out_shape, fx::output_shape(g, n, shapes));
    const std::string& out = n.outputs.at(0);
    const int out_frac = fm.value_frac.at(out);
    if (n.op == ir::OpKind::kFullyConnected || n.op == ir::OpKind::kConv) {
      const ir::Node* relu = fused_relu(n);
      std::vector<Tensor> ys;
      if (n.op == ir::OpKind::kFullyConnected) {
        SIEVE_ASSIGN_OR_RETURN(ys, fully_connected(cx, n, x, out_shape, out_frac, relu != nullptr));
      } else {
        SIEVE_ASSIGN_OR_RETURN(ys, conv(cx, n, x, out_shape, out_frac, relu != nullptr));
      }
      put(out, ys[0]);
      if (relu != nullptr) put(relu->outputs.at(0), ys[1]);
    } else if (n.op == ir::OpKind::kMaxPool) {
      SIEVE_ASSIGN_OR_RETURN(Tensor y, fx::max_pool(n, x, out_shape));
      put(out, y);
    } else if (n.op == ir::OpKind::kAveragePool) {
      SIEVE_ASSIGN_OR_RETURN(Tensor y, fx::average_pool(n, x, out_shape, out_frac));
      put(out, y);
    } else if (n.op == ir::OpKind::kRelu) {
      put(out, fx::relu(x));
    } else {
      put(out, x.reshaped(out_shape));  // shape ops (resolve_formats refused the rest)
    }
  }
  auto it = env.find(g.outputs[0]);
  if (it == env.end()) {
    return invalid_argument("graph output \"{}\" was not computed", g.outputs[0]);
  }
  return it->second;
}

}  // namespace sieve::hw::sieve_arch
