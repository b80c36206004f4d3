// The program executor (program_exec.h). One Executor per layer holds the layer's numbers (the
// weight parts, the bias, the formats) and the tiles decoded from each weight segment (they do
// not depend on the sample); one run of the program per sample holds the DRAM and buffer state.
#include "sieve/hw/archs/sieve/program_exec.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "sieve/compiler/tiling.h"
#include "sieve/hw/archs/sieve/datapath.h"
#include "sieve/hw/archs/sieve/perf.h"
#include "sieve/ir/shape_inference.h"

namespace sieve::hw::sieve_arch {
namespace {

namespace fx = runtime::fixed16;
namespace isa = compiler::isa;
namespace cg = compiler::codegen;
using cg::TensorId;
using Seg = cg::Segment;

constexpr int kNbin = 0, kNbout = 2, kSb = 3, kLut = 5;

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// Where an NBout element came from (LSTM cell update): tensor and element, or none.
int64_t tag(TensorId t, int64_t elem) {
  return (static_cast<int64_t>(t) + 1) << 40 | elem;
}
constexpr int64_t kNoTag = -1;

enum class Kind { kFc, kConv, kPool, kLstm };

// What a layer computes, besides its program.
struct LayerData {
  Kind kind = Kind::kFc;
  const ir::Node* node = nullptr;
  std::vector<WeightPart> parts;
  std::vector<int64_t> bias;  // per weight row, accumulator scale
  int acc_frac = 0, out_frac = 0;
  bool relu = false;
  // conv
  ir::WindowGeometry geo;
  int64_t group = 1, c_in = 1, ih = 1, iw = 1, oh = 1, ow = 1, k = 1, cg_in = 1, mg = 1;
  // pool: the input's Q format
  int in_frac = 0;
  // LSTM
  fx::LstmQ q;   // without its weight tensors
  fx::LstmQ q1;  // one unit: the per-unit call of lstm_pointwise
};

// An input segment (or pooling chunk) resident in an NBin half: conv groups [cg0, cg1], channels
// [c0, c1) within each group, rows [r0, r1), columns [x0, x1). FC / LSTM: c0..c1 are the vector
// positions, one row and column.
struct NbinHalf {
  const Seg* seg = nullptr;
  int64_t step = 0;
  int64_t cg0 = 0, cg1 = 0, c0 = 0, c1 = 0, r0 = 0, r1 = 1, x0 = 0, x1 = 1;
  std::vector<int16_t> data;
  int64_t at(int64_t g, int64_t c, int64_t y, int64_t x) const {
    return (((g - cg0) * (c1 - c0) + (c - c0)) * (r1 - r0) + (y - r0)) * (x1 - x0) + (x - x0);
  }
};

// A weight segment resident in an SB half: one tile per conv group its rows span.
struct SbTile {
  int64_t r0 = 0, r1 = 0, group = 0;  // weight rows (absolute), conv group
  WeightTile tile;
};
struct SbHalf {
  const Seg* seg = nullptr;
  const std::vector<SbTile>* tiles = nullptr;
};

// An NBout half: an output tile of an mxv (accumulators [pixel][row] of output segment (oc, oh,
// ow) at a step, and the input columns they hold), a pooled chunk, or elements of the LSTM cell
// update (with where each came from).
struct NboutHalf {
  enum class What { kNone, kTile, kPool, kElements } what = What::kNone;
  int64_t oc = 0, oh = 0, ow = 0, step = 0;
  int64_t word = -1;  // the last mxv (or pooling) that wrote it
  std::vector<std::pair<int64_t, int64_t>> cols = {};
  std::vector<int64_t> v = {};
  std::vector<int64_t> src = {};
  std::string text() const {
    switch (what) {
      case What::kNone: return "nothing";
      case What::kTile:
        return fmt::format("the output tile (oc {}, oh {}, ow {}) of the mxv at word {}", oc, oh,
                           ow, word);
      case What::kPool: return fmt::format("the pooled chunk ({}, {}) of word {}", oc, oh, word);
      case What::kElements: return "cell-update elements";
    }
    return "?";
  }
};

struct OutSeg {
  std::vector<int16_t> y, ya;  // requantized; after the activation (what DRAM holds)
};

// Ranges of a tiled layer's segment indices.
struct Ranges {
  int64_t ob = 0, oe = 0, icb = 0, ice = 0, ohb = 0, ohe = 1, owb = 0, owe = 1;
};

class Executor {
 public:
  Executor(const LayerProgram& lp, const LayerData& d, const Spec& spec,
           const ProgramExecOptions& o, ProgramExecStats& st, Datapath& dp)
      : lp_(lp), d_(d), spec_(spec), o_(o), st_(st), dp_(dp) {}

  // The sample's input: conv / pool [C, H, W], FC [K], LSTM [T, in] (steps filled on demand).
  // For an LSTM, `recurrent` gives r_t from h_t (the projection's program, or the identity).
  using Recurrent =
      std::function<Result<std::vector<int16_t>>(int64_t step, const std::vector<int16_t>& h)>;
  Status run(const int16_t* x, const Recurrent& recurrent = {});

  // After run(): the outputs of the sample. Tiled conv / FC: [M, Ho, Wo] / [M] (y requantized,
  // ya activated); pool [C, Ho, Wo]; LSTM: h_t per step (T × H) and the final cell.
  std::vector<int16_t> y, ya;
  std::vector<std::vector<int16_t>> h;  // LSTM: per step
  std::vector<int16_t> cell;

 private:
  Status exec(const isa::Insn& in, const std::array<int64_t, 16>& seen,
              std::array<int64_t, 16>& regs, size_t& next, bool& halted);
  Status load(const isa::Insn& in, const std::array<int64_t, 16>& seen);
  Status store(const isa::Insn& in, const std::array<int64_t, 16>& seen);
  Status mxv(const isa::Insn& in);
  Status pool(const isa::Insn& in);
  Status lstm(const isa::Insn& in);
  Status finish();

  // DRAM address of a transfer -> tensor, offset within the step, step (Layout::resolve).
  Result<cg::Layout::Address> locate(const isa::Insn& in,
                                     const std::array<int64_t, 16>& seen) const;
  Ranges ranges(const Seg& s) const;
  Result<NbinHalf> input_segment(const Seg& s, int64_t step);
  Result<const std::vector<SbTile>*> weight_tiles(const Seg& s);
  Result<const std::vector<int16_t>*> step_vector(int64_t step);
  Status check_columns(const NboutHalf& o) const;
  int64_t elem(int64_t bytes) const { return bytes * 8 / spec_.psum_bits; }

  const LayerProgram& lp_;
  const LayerData& d_;
  const Spec& spec_;
  const ProgramExecOptions& o_;
  ProgramExecStats& st_;
  Datapath& dp_;
  std::map<std::pair<int64_t, int64_t>, std::vector<SbTile>> tiles_;  // (oc seg, ic seg)

  // Per sample.
  const int16_t* x_ = nullptr;
  Recurrent recurrent_;
  std::array<NbinHalf, 2> nbin_;
  std::array<SbHalf, 2> sb_;
  std::array<NboutHalf, 2> nbout_;
  std::array<bool, 2> lut_{};
  std::map<int64_t, NboutHalf> psum_;  // by offset
  std::map<int64_t, OutSeg> out_;      // by offset (tiled, pool)
  std::vector<int64_t> gates_, gates_step_;
  std::vector<int64_t> cell_;
  std::vector<std::vector<uint8_t>> h_stored_;
  std::map<int64_t, std::vector<int16_t>> vec_;  // LSTM step vectors [x_t; r_{t-1}]
  int64_t step_ = 0;
  int64_t word_ = 0;  // the word executing
};

Ranges Executor::ranges(const Seg& s) const {
  const compiler::Tiling& t = lp_.plan.choice.tiling;
  const compiler::LayerGeometry& g = lp_.plan.lowered.geometry;
  Ranges r;
  r.ob = compiler::seg_begin(s.oc, t.oc_seg_size);
  r.oe = compiler::seg_end(s.oc, t.oc_seg_size, g.out_c);
  r.icb = compiler::seg_begin(s.ic, t.ic_seg_size);
  r.ice = compiler::seg_end(s.ic, t.ic_seg_size, g.in_c);
  if (d_.kind == Kind::kConv) {
    const int64_t ows = t.ow_seg_n > 1 ? t.ow_seg_size : d_.ow;
    r.ohb = compiler::seg_begin(s.oh, t.oh_seg_size);
    r.ohe = compiler::seg_end(s.oh, t.oh_seg_size, d_.oh);
    r.owb = compiler::seg_begin(s.ow, ows);
    r.owe = compiler::seg_end(s.ow, ows, d_.ow);
  }
  return r;
}

Result<cg::Layout::Address> Executor::locate(const isa::Insn& in,
                                             const std::array<int64_t, 16>& seen) const {
  return lp_.code.layout.resolve(static_cast<int>(isa::operand(in, "base")),
                                 isa::operand(in, "addr"), seen, lp_.code.steps);
}

Result<const std::vector<int16_t>*> Executor::step_vector(int64_t step) {
  if (auto f = vec_.find(step); f != vec_.end()) return &f->second;
  const int64_t in = d_.q.input, state = d_.q.state, nh = d_.q.hidden;
  std::vector<int16_t> v(static_cast<size_t>(in + state), 0);
  std::copy(x_ + step * in, x_ + (step + 1) * in, v.begin());
  if (step > 0) {
    // r_{t-1}: the h_{t-1} the program stored (through the projection when there is one).
    const std::vector<uint8_t>& stored = h_stored_[static_cast<size_t>(step - 1)];
    for (int64_t u = 0; u < nh; ++u)
      if (stored[static_cast<size_t>(u)] == 0)
        return invalid_argument(
            "the input of step {} reads h of step {}, whose unit {} was never stored", step,
            step - 1, u);
    SIEVE_ASSIGN_OR_RETURN(std::vector<int16_t> r,
                           recurrent_(step - 1, h[static_cast<size_t>(step - 1)]));
    std::copy(r.begin(), r.end(), v.begin() + in);
  }
  return &(vec_[step] = std::move(v));
}

Result<NbinHalf> Executor::input_segment(const Seg& s, int64_t step) {
  NbinHalf h;
  h.seg = &s;
  h.step = step;
  if (d_.kind == Kind::kPool) {
    const compiler::StreamedPlan& sp = lp_.plan.streamed;
    const compiler::LayerWork& l = lp_.work;
    const int64_t rows = std::max<int64_t>(1, sp.rows_per_chunk);
    const int64_t chans = std::max<int64_t>(1, sp.channels_per_chunk);
    const int64_t kh = std::max<int64_t>(1, l.kh);
    const int64_t eff_kh = (kh - 1) * l.dilation_h + 1;
    h.c0 = s.oc * chans;
    h.c1 = std::min(l.out_c, h.c0 + chans);
    const int64_t oy = s.oh * rows, oy1 = std::min(l.out_h, oy + rows);
    h.r0 = std::max<int64_t>(0, oy * l.stride_h - l.pad_top);
    h.r1 = std::min(l.in_h, (oy1 - 1) * l.stride_h - l.pad_top + eff_kh);
    h.x0 = 0;
    h.x1 = l.in_w;
    if (h.c0 >= h.c1 || h.r0 >= h.r1) return invalid_argument("empty pooling chunk");
    h.data.resize(static_cast<size_t>((h.c1 - h.c0) * (h.r1 - h.r0) * (h.x1 - h.x0)));
    for (int64_t c = h.c0; c < h.c1; ++c)
      for (int64_t y = h.r0; y < h.r1; ++y)
        for (int64_t x = h.x0; x < h.x1; ++x)
          h.data[static_cast<size_t>(h.at(0, c, y, x))] = x_[(c * d_.ih + y) * d_.iw + x];
    return h;
  }
  const Ranges r = ranges(s);
  h.c0 = r.icb;
  h.c1 = r.ice;
  if (d_.kind == Kind::kFc || d_.kind == Kind::kLstm) {
    const int16_t* src = x_;
    if (d_.kind == Kind::kLstm) {
      SIEVE_ASSIGN_OR_RETURN(const std::vector<int16_t>* v, step_vector(step));
      src = v->data();
    }
    h.data.assign(src + h.c0, src + h.c1);
    return h;
  }
  // Conv: the conv groups of the oc segment's rows, the rows and columns its pixels read.
  const int64_t eff_kh = (d_.geo.kernel[0] - 1) * d_.geo.dilations[0] + 1;
  const int64_t eff_kw = (d_.geo.kernel[1] - 1) * d_.geo.dilations[1] + 1;
  h.cg0 = r.ob / d_.mg;
  h.cg1 = (r.oe - 1) / d_.mg;
  h.r0 = std::max<int64_t>(0, r.ohb * d_.geo.strides[0] - d_.geo.pads_begin[0]);
  h.r1 = std::min(d_.ih, (r.ohe - 1) * d_.geo.strides[0] - d_.geo.pads_begin[0] + eff_kh);
  h.x0 = 0;
  h.x1 = d_.iw;
  if (lp_.plan.choice.tiling.ow_seg_n > 1) {
    h.x0 = std::max<int64_t>(0, r.owb * d_.geo.strides[1] - d_.geo.pads_begin[1]);
    h.x1 = std::min(d_.iw, (r.owe - 1) * d_.geo.strides[1] - d_.geo.pads_begin[1] + eff_kw);
  }
  h.r1 = std::max(h.r1, h.r0);
  h.x1 = std::max(h.x1, h.x0);
  h.data.resize(
      static_cast<size_t>((h.cg1 - h.cg0 + 1) * (h.c1 - h.c0) * (h.r1 - h.r0) * (h.x1 - h.x0)));
  for (int64_t g = h.cg0; g <= h.cg1; ++g)
    for (int64_t c = h.c0; c < h.c1; ++c) {
      const int16_t* plane = x_ + (g * d_.cg_in + c) * d_.ih * d_.iw;
      for (int64_t y = h.r0; y < h.r1; ++y)
        for (int64_t x = h.x0; x < h.x1; ++x)
          h.data[static_cast<size_t>(h.at(g, c, y, x))] = plane[y * d_.iw + x];
    }
  return h;
}

Result<const std::vector<SbTile>*> Executor::weight_tiles(const Seg& s) {
  auto key = std::make_pair(s.oc, s.ic);
  if (auto f = tiles_.find(key); f != tiles_.end()) return &f->second;
  const Ranges r = ranges(s);
  const int64_t k = d_.kind == Kind::kConv ? d_.k : 1;
  std::vector<SbTile> tiles;
  for (int64_t row = r.ob; row < r.oe;) {
    const int64_t g = d_.kind == Kind::kConv ? row / d_.mg : 0;
    const int64_t end = d_.kind == Kind::kConv ? std::min(r.oe, (g + 1) * d_.mg) : r.oe;
    SbTile t;
    t.r0 = row;
    t.r1 = end;
    t.group = g;
    SIEVE_ASSIGN_OR_RETURN(
        t.tile, build_tile(d_.parts, row, end, r.icb * k, r.ice * k, spec_.tn, spec_.tm));
    tiles.push_back(std::move(t));
    row = end;
  }
  return &(tiles_[key] = std::move(tiles));
}

Status Executor::load(const isa::Insn& in, const std::array<int64_t, 16>& seen) {
  ++st_.loads;
  SIEVE_ASSIGN_OR_RETURN(const cg::Layout::Address a, locate(in, seen));
  const TensorId t = a.tensor;
  const int64_t off = a.offset, step = a.step;
  const int buf = static_cast<int>(isa::operand(in, "buf"));
  const auto half = static_cast<size_t>(isa::operand(in, "half"));
  const int64_t boff = isa::operand(in, "off");
  auto want_buf = [&](int b) -> Status {
    if (buf == b) return ok_status();
    return invalid_argument("a {} segment goes to {}, not {}", cg::tensor_name(t),
                            isa::kBufferNames[static_cast<size_t>(b)],
                            isa::kBufferNames[static_cast<size_t>(buf)]);
  };
  const cg::Layout& lay = lp_.code.layout;
  auto segment = [&]() -> Result<const Seg*> {
    const Seg* s = lay.find(t, off);
    if (s == nullptr)
      return invalid_argument("no {} segment starts at offset {}", cg::tensor_name(t), off);
    return s;
  };
  switch (t) {
    case TensorId::kInput: {
      SIEVE_RETURN_IF_ERROR(want_buf(kNbin));
      SIEVE_ASSIGN_OR_RETURN(const Seg* s, segment());
      if (d_.kind == Kind::kLstm) step_ = step;
      SIEVE_ASSIGN_OR_RETURN(nbin_[half], input_segment(*s, step));
      return ok_status();
    }
    case TensorId::kWeights: {
      SIEVE_RETURN_IF_ERROR(want_buf(kSb));
      SIEVE_ASSIGN_OR_RETURN(const Seg* s, segment());
      SIEVE_ASSIGN_OR_RETURN(const std::vector<SbTile>* tiles, weight_tiles(*s));
      sb_[half] = SbHalf{s, tiles};
      return ok_status();
    }
    case TensorId::kCodebook:
      SIEVE_RETURN_IF_ERROR(want_buf(kLut));
      lut_[half] = true;
      return ok_status();
    case TensorId::kPartialSums: {
      SIEVE_RETURN_IF_ERROR(want_buf(kNbout));
      SIEVE_ASSIGN_OR_RETURN(const Seg* s, segment());
      auto f = psum_.find(off);
      if (f == psum_.end())
        return invalid_argument(
            "the partial sums (oc {}, oh {}, ow {}) are loaded before they "
            "were stored",
            s->oc, s->oh, s->ow);
      if (boff != 0) return invalid_argument("partial sums at NBout offset {}, not 0", boff);
      nbout_[half] = f->second;
      return ok_status();
    }
    case TensorId::kGates:
    case TensorId::kCell: {
      SIEVE_RETURN_IF_ERROR(want_buf(kNbout));
      const bool gates = t == TensorId::kGates;
      const std::vector<int64_t>& src = gates ? gates_ : cell_;
      const int64_t e0 = elem(off), n = elem(isa::operand(in, "bytes")), b0 = elem(boff);
      if (e0 + n > static_cast<int64_t>(src.size()))
        return invalid_argument("{} elements [{}, {}) of {}", cg::tensor_name(t), e0, e0 + n,
                                src.size());
      NboutHalf& o = nbout_[half];
      if (o.what != NboutHalf::What::kElements) o = NboutHalf{.what = NboutHalf::What::kElements};
      if (static_cast<int64_t>(o.v.size()) < b0 + n) {
        o.v.resize(static_cast<size_t>(b0 + n), 0);
        o.src.resize(static_cast<size_t>(b0 + n), kNoTag);
      }
      for (int64_t j = 0; j < n; ++j) {
        const auto e = static_cast<size_t>(e0 + j);
        if (gates && gates_step_[e] != step_)
          return invalid_argument("gate row {} is loaded at step {} but was stored at step {}",
                                  e0 + j, step_, gates_step_[e]);
        o.v[static_cast<size_t>(b0 + j)] = src[e];
        o.src[static_cast<size_t>(b0 + j)] = tag(t, e0 + j);
      }
      return ok_status();
    }
    case TensorId::kOutput: return invalid_argument("a load from the output tensor");
  }
  return ok_status();
}

Status Executor::check_columns(const NboutHalf& o) const {
  std::vector<std::pair<int64_t, int64_t>> c = o.cols;
  std::sort(c.begin(), c.end());
  int64_t at = 0;  // every range starts where the previous one ended
  for (const auto& [b, e] : c) at = b == at ? e : -1;
  if (at == lp_.work.cols) return ok_status();
  std::string got;
  for (const auto& [b, e] : c) got += fmt::format("{}[{}, {})", got.empty() ? "" : " ", b, e);
  return invalid_argument("{} holds input columns {} of the layer's [0, {})", o.text(),
                          got.empty() ? "none" : got, lp_.work.cols);
}

Status Executor::store(const isa::Insn& in, const std::array<int64_t, 16>& seen) {
  ++st_.stores;
  SIEVE_ASSIGN_OR_RETURN(const cg::Layout::Address a, locate(in, seen));
  const TensorId t = a.tensor;
  const int64_t off = a.offset, step = a.step;
  const int buf = static_cast<int>(isa::operand(in, "buf"));
  const auto half = static_cast<size_t>(isa::operand(in, "half"));
  const int64_t boff = isa::operand(in, "off");
  if (buf != kNbout)
    return invalid_argument("a store from {}: only NBout is stored",
                            isa::kBufferNames[static_cast<size_t>(buf)]);
  NboutHalf& o = nbout_[half];
  const cg::Layout& lay = lp_.code.layout;
  const Seg* s = nullptr;
  if (t == TensorId::kPartialSums || t == TensorId::kOutput) {
    s = lay.find(t, off);
    if (s == nullptr)
      return invalid_argument("no {} segment starts at offset {}", cg::tensor_name(t), off);
  }
  auto same_tile = [&]() -> Status {
    if (o.what == NboutHalf::What::kTile && o.oc == s->oc && o.oh == s->oh && o.ow == s->ow)
      return ok_status();
    return invalid_argument("NBout half {} holds {}, not the output tile (oc {}, oh {}, ow {})",
                            half, o.text(), s->oc, s->oh, s->ow);
  };
  switch (t) {
    case TensorId::kPartialSums:
      SIEVE_RETURN_IF_ERROR(same_tile());
      psum_[off] = o;  // exact accumulators, and the columns they hold
      return ok_status();
    case TensorId::kOutput: {
      if (d_.kind == Kind::kLstm) {
        const int64_t b0 = elem(boff), n = s->end - s->begin;
        if (o.what != NboutHalf::What::kElements || static_cast<int64_t>(o.v.size()) < b0 + n)
          return invalid_argument("NBout half {} holds {}, not h of units [{}, {})", half, o.text(),
                                  s->begin, s->end);
        for (int64_t j = 0; j < n; ++j) {
          if (o.src[static_cast<size_t>(b0 + j)] != tag(TensorId::kOutput, s->begin + j))
            return invalid_argument("NBout half {} element {} is not h of unit {}", half, b0 + j,
                                    s->begin + j);
          h[static_cast<size_t>(step)][static_cast<size_t>(s->begin + j)] =
              static_cast<int16_t>(o.v[static_cast<size_t>(b0 + j)]);
          h_stored_[static_cast<size_t>(step)][static_cast<size_t>(s->begin + j)] = 1;
        }
        return ok_status();
      }
      if (d_.kind == Kind::kPool) {
        if (o.what != NboutHalf::What::kPool || o.oc != s->oc || o.oh != s->oh)
          return invalid_argument("NBout half {} holds {}, not the pooled chunk ({}, {})", half,
                                  o.text(), s->oc, s->oh);
        OutSeg& os = out_[off];
        os.y.assign(o.v.begin(), o.v.end());
        os.ya = os.y;
        return ok_status();
      }
      SIEVE_RETURN_IF_ERROR(same_tile());
      SIEVE_RETURN_IF_ERROR(check_columns(o));
      OutSeg& os = out_[off];
      os.y.resize(o.v.size());
      os.ya.resize(o.v.size());
      for (size_t i = 0; i < o.v.size(); ++i) {  // the PEFU's function stage
        os.y[i] = Pefu::requantize(o.v[i], d_.acc_frac, d_.out_frac);
        os.ya[i] = Pefu::activate(os.y[i], d_.relu ? Activation::kRelu : Activation::kIdentity);
      }
      return ok_status();
    }
    case TensorId::kGates: {
      if (o.what != NboutHalf::What::kTile)
        return invalid_argument("NBout half {} holds {}, not gate rows", half, o.text());
      const Ranges r = ranges(Seg{.oc = o.oc});
      if (elem(off) != r.ob)
        return invalid_argument("gate rows [{}, {}) stored at row {}", r.ob, r.oe, elem(off));
      SIEVE_RETURN_IF_ERROR(check_columns(o));
      for (int64_t j = 0; j < r.oe - r.ob; ++j) {
        gates_[static_cast<size_t>(r.ob + j)] = o.v[static_cast<size_t>(j)];
        gates_step_[static_cast<size_t>(r.ob + j)] = o.step;
      }
      return ok_status();
    }
    case TensorId::kCell: {
      const int64_t e0 = elem(off), n = elem(isa::operand(in, "bytes")), b0 = elem(boff);
      if (o.what != NboutHalf::What::kElements || static_cast<int64_t>(o.v.size()) < b0 + n ||
          e0 + n > static_cast<int64_t>(cell_.size()))
        return invalid_argument("NBout half {} holds {}, not cells [{}, {})", half, o.text(), e0,
                                e0 + n);
      for (int64_t j = 0; j < n; ++j) {
        if (o.src[static_cast<size_t>(b0 + j)] != tag(TensorId::kCell, e0 + j))
          return invalid_argument("NBout half {} element {} is not the cell of unit {}", half,
                                  b0 + j, e0 + j);
        cell_[static_cast<size_t>(e0 + j)] = o.v[static_cast<size_t>(b0 + j)];
      }
      return ok_status();
    }
    default: return invalid_argument("a store to the {} tensor", cg::tensor_name(t));
  }
}

Status Executor::mxv(const isa::Insn& in) {
  ++st_.mxv;
  auto v = [&](const char* name) { return isa::operand(in, name); };
  const NbinHalf& x = nbin_[static_cast<size_t>(v("in"))];
  const SbHalf& w = sb_[static_cast<size_t>(v("w"))];
  const auto oh = static_cast<size_t>(v("out"));
  if (d_.kind == Kind::kPool) return invalid_argument("mxv in a pooling layer");
  if (x.seg == nullptr) return invalid_argument("NBin half {} holds no input segment", v("in"));
  if (w.seg == nullptr) return invalid_argument("SB half {} holds no weight segment", v("w"));
  if (v("wdm") != 0 && !lut_[0] && !lut_[1])
    return invalid_argument("wdm=1 but no LUT half holds the codebook");
  if (x.seg->ic != w.seg->ic)
    return invalid_argument(
        "NBin half {} holds input channels segment {}, SB half {} weights "
        "of segment {}",
        v("in"), x.seg->ic, v("w"), w.seg->ic);
  const Ranges rw = ranges(*w.seg), rx = ranges(*x.seg);
  const int64_t k = d_.kind == Kind::kConv ? d_.k : 1;
  const int64_t rows = rw.oe - rw.ob;
  const int64_t pixels = (rx.ohe - rx.ohb) * (rx.owe - rx.owb);
  if (v("col") != rw.icb * k || v("cols") != (rw.ice - rw.icb) * k ||
      v("groups") != ceil_div(rows, spec_.tn) || v("vecs") != pixels)
    return invalid_argument(
        "operands col={} cols={} groups={} vecs={}, but the resident "
        "segments are columns [{}, {}), {} rows, {} pixels",
        v("col"), v("cols"), v("groups"), v("vecs"), rw.icb * k, rw.ice * k, rows, pixels);
  NboutHalf& o = nbout_[oh];
  const std::pair<int64_t, int64_t> cols{rw.icb * k, rw.ice * k};
  if (v("acc") != 0) {
    if (o.what != NboutHalf::What::kTile || o.oc != w.seg->oc || o.oh != x.seg->oh ||
        o.ow != x.seg->ow || o.step != x.step)
      return invalid_argument(
          "acc=1 on NBout half {}, which holds {}, not the output tile (oc {}, oh {}, ow {})", oh,
          o.text(), w.seg->oc, x.seg->oh, x.seg->ow);
    for (const auto& [b, e] : o.cols)
      if (b < cols.second && cols.first < e)
        return invalid_argument("input columns [{}, {}) accumulated twice into {}", cols.first,
                                cols.second, o.text());
  } else {
    o = NboutHalf{.what = NboutHalf::What::kTile,
                  .oc = w.seg->oc,
                  .oh = x.seg->oh,
                  .ow = x.seg->ow,
                  .step = x.step};
    o.v.resize(static_cast<size_t>(rows * pixels));
    for (int64_t p = 0; p < pixels; ++p)  // the bias enters with the first column segment
      std::copy(d_.bias.begin() + rw.ob, d_.bias.begin() + rw.oe, o.v.begin() + p * rows);
  }
  o.cols.push_back(cols);
  o.word = word_;
  std::vector<int16_t> vec;
  for (int64_t py = rx.ohb, p = 0; py < rx.ohe; ++py) {
    for (int64_t px = rx.owb; px < rx.owe; ++px, ++p) {
      for (const SbTile& t : *w.tiles) {
        if (d_.kind == Kind::kConv) {
          // The window [c, ky, kx] of pixel (py, px) over the segment's channels of the group.
          const int64_t kh = d_.geo.kernel[0], kw = d_.geo.kernel[1];
          vec.assign(static_cast<size_t>((rw.ice - rw.icb) * kh * kw), 0);
          size_t i = 0;
          for (int64_t c = rw.icb; c < rw.ice; ++c)
            for (int64_t ky = 0; ky < kh; ++ky) {
              const int64_t yy =
                  py * d_.geo.strides[0] - d_.geo.pads_begin[0] + ky * d_.geo.dilations[0];
              for (int64_t kx = 0; kx < kw; ++kx, ++i) {
                const int64_t xx =
                    px * d_.geo.strides[1] - d_.geo.pads_begin[1] + kx * d_.geo.dilations[1];
                if (yy < 0 || yy >= d_.ih || xx < 0 || xx >= d_.iw) continue;  // padding
                if (t.group < x.cg0 || t.group > x.cg1 || c < x.c0 || c >= x.c1 || yy < x.r0 ||
                    yy >= x.r1 || xx < x.x0 || xx >= x.x1)
                  return invalid_argument(
                      "pixel ({}, {}) reads input (channel {}, row {}, column {}), which the "
                      "input segment in NBin half {} does not hold",
                      py, px, t.group * d_.cg_in + c, yy, xx, v("in"));
                vec[i] = x.data[static_cast<size_t>(x.at(t.group, c, yy, xx))];
              }
            }
        } else {
          if (x.c0 != rw.icb || x.c1 != rw.ice)
            return invalid_argument(
                "NBin half {} holds input positions [{}, {}), the weights "
                "columns [{}, {})",
                v("in"), x.c0, x.c1, rw.icb, rw.ice);
          vec = x.data;
        }
        const Encoded e = encode(vec, dp_.st);
        run_tile(t.tile, e, dp_,
                 std::span<int64_t>(o.v.data() + p * rows + (t.r0 - rw.ob),
                                    static_cast<size_t>(t.r1 - t.r0)));
      }
    }
  }
  return ok_status();
}

Status Executor::pool(const isa::Insn& in) {
  ++st_.vector_ops;
  auto v = [&](const char* name) { return isa::operand(in, name); };
  const NbinHalf& x = nbin_[static_cast<size_t>(v("src"))];
  if (d_.kind != Kind::kPool) return invalid_argument("pooling in a {} layer", lp_.plan.kind);
  const bool max = in.op == isa::Op::pmax;
  if (max != (d_.node->op == ir::OpKind::kMaxPool))
    return invalid_argument("{} on a {} layer", max ? "pmax" : "pavg", ir::op_name(d_.node->op));
  if (x.seg == nullptr) return invalid_argument("NBin half {} holds no chunk", v("src"));
  const compiler::LayerWork& l = lp_.work;
  const int64_t kh = std::max<int64_t>(1, l.kh), kw = std::max<int64_t>(1, l.kw);
  if (v("ch") != x.c1 - x.c0 || v("kh") != kh || v("kw") != kw || v("sh") != l.stride_h ||
      v("sw") != l.stride_w)
    return invalid_argument(
        "operands ch={} kh={} kw={} sh={} sw={}, but the layer pools {} "
        "channels with a {}x{} window, stride {}x{}",
        v("ch"), v("kh"), v("kw"), v("sh"), v("sw"), x.c1 - x.c0, kh, kw, l.stride_h, l.stride_w);
  const int64_t rows = std::max<int64_t>(1, lp_.plan.streamed.rows_per_chunk);
  const int64_t oy = x.seg->oh * rows, oy1 = std::min(d_.oh, oy + rows);
  // The rows the chunk's windows read must be resident.
  const int64_t lo = std::max<int64_t>(0, oy * d_.geo.strides[0] - d_.geo.pads_begin[0]);
  const int64_t hi = std::min(d_.ih, (oy1 - 1) * d_.geo.strides[0] - d_.geo.pads_begin[0] +
                                         (d_.geo.kernel[0] - 1) * d_.geo.dilations[0] + 1);
  if (lo < x.r0 || hi > x.r1)
    return invalid_argument(
        "output rows [{}, {}) read input rows [{}, {}); NBin half {} holds "
        "[{}, {})",
        oy, oy1, lo, hi, v("src"), x.r0, x.r1);
  // The reference's kernel over the chunk's channels at full height (rows that are not resident
  // are never read: checked above).
  const int64_t ch = x.c1 - x.c0;
  Tensor t(DType::kI16, {1, ch, d_.ih, d_.iw});
  t.set_frac_bits(d_.in_frac);
  std::fill(t.span<int16_t>().begin(), t.span<int16_t>().end(), int16_t{0});
  for (int64_t c = x.c0; c < x.c1; ++c)
    for (int64_t y = x.r0; y < x.r1; ++y)
      for (int64_t xx = x.x0; xx < x.x1; ++xx)
        t.data<int16_t>()[((c - x.c0) * d_.ih + y) * d_.iw + xx] =
            x.data[static_cast<size_t>(x.at(0, c, y, xx))];
  const Shape out_shape = {1, ch, d_.oh, d_.ow};
  Result<Tensor> y = max ? fx::max_pool(*d_.node, t, out_shape)
                         : fx::average_pool(*d_.node, t, out_shape, d_.out_frac);
  if (!y.ok()) return y.status();
  NboutHalf& o = nbout_[static_cast<size_t>(v("dst"))];
  o = NboutHalf{.what = NboutHalf::What::kPool, .oc = x.seg->oc, .oh = x.seg->oh, .word = word_};
  for (int64_t c = 0; c < ch; ++c)
    for (int64_t r = oy; r < oy1; ++r)
      for (int64_t q = 0; q < d_.ow; ++q)
        o.v.push_back(y->data<int16_t>()[(c * d_.oh + r) * d_.ow + q]);
  return ok_status();
}

Status Executor::lstm(const isa::Insn& in) {
  ++st_.vector_ops;
  auto v = [&](const char* name) { return isa::operand(in, name); };
  if (d_.kind != Kind::kLstm) return invalid_argument("lstm in a {} layer", lp_.plan.kind);
  NboutHalf& o = nbout_[static_cast<size_t>(v("half"))];
  const int64_t n = v("n"), ge = elem(v("gates")), ce = elem(v("cell")), he = elem(v("h"));
  const int64_t nh = d_.q.hidden;
  if (o.what != NboutHalf::What::kElements ||
      static_cast<int64_t>(o.v.size()) < std::max({ge + 4 * n, ce + n}))
    return invalid_argument("NBout half {} holds {}, not {} units' gates and cells", v("half"),
                            o.text(), n);
  const int64_t c_tag = o.src[static_cast<size_t>(ce)];
  const int64_t u0 = c_tag - tag(TensorId::kCell, 0);
  if (c_tag == kNoTag || u0 < 0 || u0 + n > nh)
    return invalid_argument("NBout half {} element {} is no cell", v("half"), ce);
  if (static_cast<int64_t>(o.v.size()) < he + n) {
    o.v.resize(static_cast<size_t>(he + n), 0);
    o.src.resize(static_cast<size_t>(he + n), kNoTag);
  }
  fx::LstmQ q1 = d_.q1;
  std::array<int64_t, 4> acc{};
  std::array<int16_t, 1> c{}, m{};
  for (int64_t j = 0; j < n; ++j) {
    const int64_t u = u0 + j;
    if (o.src[static_cast<size_t>(ce + j)] != tag(TensorId::kCell, u))
      return invalid_argument("NBout half {} element {} is not the cell of unit {}", v("half"),
                              ce + j, u);
    for (int64_t g = 0; g < 4; ++g) {
      const auto e = static_cast<size_t>(ge + g * n + j);
      if (o.src[e] != tag(TensorId::kGates, g * nh + u))
        return invalid_argument("NBout half {} element {} is not gate row {}", v("half"), e,
                                g * nh + u);
      acc[static_cast<size_t>(g)] = o.v[e];
    }
    if (!d_.q.peep.empty())
      q1.peep = {d_.q.peep[static_cast<size_t>(u)], d_.q.peep[static_cast<size_t>(nh + u)],
                 d_.q.peep[static_cast<size_t>(2 * nh + u)]};
    c[0] = static_cast<int16_t>(o.v[static_cast<size_t>(ce + j)]);
    fx::lstm_pointwise(q1, acc, c, m);
    o.v[static_cast<size_t>(ce + j)] = c[0];
    o.v[static_cast<size_t>(he + j)] = m[0];
    o.src[static_cast<size_t>(he + j)] = tag(TensorId::kOutput, u);
  }
  return ok_status();
}

Status Executor::exec(const isa::Insn& in, const std::array<int64_t, 16>& seen,
                      std::array<int64_t, 16>& regs, size_t& next, bool& halted) {
  using isa::Op;
  auto r = [&](const char* name) { return seen[static_cast<size_t>(isa::operand(in, name))]; };
  auto set = [&](int64_t value) {
    const auto rd = static_cast<size_t>(isa::operand(in, "rd"));
    if (rd != 0) regs[rd] = value;
  };
  switch (in.op) {
    case Op::ld: return load(in, seen);
    case Op::st: return store(in, seen);
    case Op::mxv: return mxv(in);
    case Op::pmax:
    case Op::pavg: return pool(in);
    case Op::lstm: return lstm(in);
    case Op::sset: set(isa::operand(in, "imm")); return ok_status();
    case Op::saddi: set(r("ra") + isa::operand(in, "imm")); return ok_status();
    case Op::sadd: set(r("ra") + r("rb")); return ok_status();
    case Op::smul: set(r("ra") * r("rb")); return ok_status();
    case Op::sync: return ok_status();
    case Op::jmp: next = static_cast<size_t>(isa::operand(in, "target")); return ok_status();
    case Op::bnz:
      if (r("ra") != 0) next = static_cast<size_t>(isa::operand(in, "target"));
      return ok_status();
    case Op::halt: halted = true; return ok_status();
    default:
      return Status(StatusCode::kUnimplemented,
                    "the program executor does not run this instruction (no generated program "
                    "uses it)");
  }
}

Status Executor::finish() {
  const cg::Layout& lay = lp_.code.layout;
  if (d_.kind == Kind::kLstm) {
    for (size_t t = 0; t < h_stored_.size(); ++t)
      for (size_t u = 0; u < h_stored_[t].size(); ++u)
        if (h_stored_[t][u] == 0)
          return invalid_argument("at halt, h of unit {} at step {} was never stored", u, t);
    cell.assign(cell_.begin(), cell_.end());
    return ok_status();
  }
  // Assemble the output tensor from its segments.
  const int64_t m = d_.kind == Kind::kPool ? lp_.work.out_c : lp_.work.rows;
  const int64_t hw = d_.oh * d_.ow;
  y.assign(static_cast<size_t>(m * hw), 0);
  ya = y;
  const int64_t chans = std::max<int64_t>(1, lp_.plan.streamed.channels_per_chunk);
  const int64_t rows = std::max<int64_t>(1, lp_.plan.streamed.rows_per_chunk);
  for (const Seg& s : lay.segments) {
    if (s.tensor != TensorId::kOutput) continue;
    auto f = out_.find(s.offset);
    if (f == out_.end())
      return invalid_argument("at halt, output segment (oc {}, oh {}, ow {}) was never stored",
                              s.oc, s.oh, s.ow);
    const OutSeg& os = f->second;
    size_t i = 0;
    if (d_.kind == Kind::kPool) {
      const int64_t c0 = s.oc * chans, c1 = std::min(m, c0 + chans);
      const int64_t oy = s.oh * rows, oy1 = std::min(d_.oh, oy + rows);
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t r = oy; r < oy1; ++r)
          for (int64_t q = 0; q < d_.ow; ++q, ++i) {
            const auto at = static_cast<size_t>((c * d_.oh + r) * d_.ow + q);
            y[at] = os.y[i];
            ya[at] = os.ya[i];
          }
      continue;
    }
    const Ranges rg = ranges(s);
    const int64_t nrows = rg.oe - rg.ob;
    for (int64_t py = rg.ohb, p = 0; py < rg.ohe; ++py)
      for (int64_t px = rg.owb; px < rg.owe; ++px, ++p)
        for (int64_t j = 0; j < nrows; ++j) {
          const auto at = static_cast<size_t>(((rg.ob + j) * d_.oh + py) * d_.ow + px);
          y[at] = os.y[static_cast<size_t>(p * nrows + j)];
          ya[at] = os.ya[static_cast<size_t>(p * nrows + j)];
        }
  }
  return ok_status();
}

Status Executor::run(const int16_t* x, const Recurrent& recurrent) {
  x_ = x;
  recurrent_ = recurrent;
  nbin_ = {};
  sb_ = {};
  nbout_ = {};
  lut_ = {};
  psum_.clear();
  out_.clear();
  vec_.clear();
  step_ = 0;
  if (d_.kind == Kind::kLstm) {
    const int64_t nh = d_.q.hidden, steps = lp_.code.steps;
    gates_.assign(static_cast<size_t>(4 * nh), 0);
    gates_step_.assign(static_cast<size_t>(4 * nh), -1);
    cell_.assign(static_cast<size_t>(nh), 0);  // c_0 = 0, placed by the host
    h.assign(static_cast<size_t>(steps), std::vector<int16_t>(static_cast<size_t>(nh), 0));
    h_stored_.assign(static_cast<size_t>(steps), std::vector<uint8_t>(static_cast<size_t>(nh), 0));
  }
  const isa::Program& p = lp_.code.packed.program;
  std::array<int64_t, 16> regs{};
  size_t pc = 0;
  int64_t issued = 0;
  ++st_.runs;
  for (;;) {
    if (pc >= p.words.size())
      return invalid_argument(
          "layer {}: the program ran past its last word ({} words) without "
          "halt",
          lp_.code.layer, p.words.size());
    if (++issued > o_.max_words)
      return invalid_argument("layer {}: the program did not halt within {} words (at word {})",
                              lp_.code.layer, o_.max_words, pc);
    ++st_.words;
    const isa::Bundle& b = p.words[pc];
    word_ = static_cast<int64_t>(pc);
    const std::array<int64_t, 16> seen = regs;  // every instruction of a word reads the same
    size_t next = pc + 1;
    bool halted = false;
    for (const isa::Insn& in : b.slot) {
      if (in.empty()) continue;
      ++st_.instructions;
      Status s = exec(in, seen, regs, next, halted);
      if (!s.ok())
        return s.with_context(
            fmt::format("layer {}: word {} ({})", lp_.code.layer, pc, isa::format_insn(in)));
    }
    if (halted) break;
    pc = next;
  }
  Status s = finish();
  if (!s.ok()) return s.with_context(fmt::format("layer {}", lp_.code.layer));
  return ok_status();
}

// ---- the layers ----

struct Ctx {
  const compress::CompressedModel& model;
  const Spec& spec;
  const ModelPrograms& programs;
  const ProgramExecOptions& o;
  const fx::Formats& fm;
  ProgramExecStats& st;
  Datapath dp;
};

Result<const LayerProgram*> program_of(const Ctx& cx, const std::string& name) {
  auto f = cx.programs.layers.find(name);
  if (f == cx.programs.layers.end()) return invalid_argument("layer {} has no program", name);
  return &f->second;
}

Result<std::vector<Tensor>> matrix_layer(Ctx& cx, const NodeCall& c) {
  const ir::Node& n = *c.node;
  const Tensor& x = *c.x;
  SIEVE_ASSIGN_OR_RETURN(const LayerProgram* lp, program_of(cx, n.name));
  if (!n.has_input(1) || !cx.model.graph.is_initializer(n.input(1)))
    return Status(StatusCode::kUnimplemented, node_label(n) + ": W must be an initializer");
  LayerData d;
  d.node = &n;
  d.out_frac = c.out_frac;
  d.relu = c.fused_relu;
  int64_t m = 0, per_sample = 0;
  if (n.op == ir::OpKind::kFullyConnected) {
    if (n.attr_float("alpha", 1.0) != 1.0 || n.attr_float("beta", 1.0) != 1.0 ||
        n.attr_int("trans_a", 0) != 0 || n.attr_int("trans_b", 1) != 1)
      return Status(StatusCode::kUnimplemented,
                    node_label(n) +
                        ": the functional model needs alpha = beta = 1, "
                        "trans_a = 0, trans_b = 1");
    d.kind = Kind::kFc;
    m = c.out_shape.at(1);
    per_sample = x.dim(1);
    SIEVE_ASSIGN_OR_RETURN(WeightPart w, weight_part(cx.model, n.input(1), m, per_sample));
    d.parts = {w};
  } else {
    if (x.rank() != 4)
      return Status(StatusCode::kUnimplemented,
                    node_label(n) + ": the functional model supports 2-D convolutions only");
    d.kind = Kind::kConv;
    const Tensor* w0 = cx.model.graph.initializer(n.input(1));
    SIEVE_ASSIGN_OR_RETURN(d.geo, ir::window_geometry(n, x.shape(), &w0->shape()));
    d.group = n.attr_int("group", 1);
    d.c_in = x.dim(1);
    d.ih = x.dim(2);
    d.iw = x.dim(3);
    m = w0->dim(0);
    d.cg_in = d.c_in / d.group;
    d.mg = m / d.group;
    d.k = d.geo.kernel[0] * d.geo.kernel[1];
    d.oh = c.out_shape[2];
    d.ow = c.out_shape[3];
    per_sample = d.c_in * d.ih * d.iw;
    SIEVE_ASSIGN_OR_RETURN(WeightPart w, weight_part(cx.model, n.input(1), m, d.cg_in * d.k));
    d.parts = {w};
  }
  if (lp->work.rows != m || lp->work.cols != d.parts[0].cols)
    return invalid_argument("{}: the program is for a {}x{} layer, the model's is {}x{}",
                            node_label(n), lp->work.rows, lp->work.cols, m, d.parts[0].cols);
  d.acc_frac = x.frac_bits() + d.parts[0].frac;
  SIEVE_ASSIGN_OR_RETURN(d.bias, bias_at(cx.model, n, 2, m, d.acc_frac));
  Tensor y(DType::kI16, c.out_shape), yr;
  y.set_frac_bits(c.out_frac);
  if (c.fused_relu) {
    yr = Tensor(DType::kI16, c.out_shape);
    yr.set_frac_bits(c.out_frac);
  }
  Executor ex(*lp, d, cx.spec, cx.o, cx.st, cx.dp);
  const int64_t out_per_sample = y.numel() / std::max<int64_t>(1, x.dim(0));
  for (int64_t s = 0; s < x.dim(0); ++s) {
    SIEVE_RETURN_IF_ERROR(ex.run(x.data<int16_t>() + s * per_sample));
    if (static_cast<int64_t>(ex.y.size()) != out_per_sample)
      return Status(StatusCode::kInternal, node_label(n) + ": output size");
    std::copy(ex.y.begin(), ex.y.end(), y.data<int16_t>() + s * out_per_sample);
    if (c.fused_relu)
      std::copy(ex.ya.begin(), ex.ya.end(), yr.data<int16_t>() + s * out_per_sample);
  }
  return std::vector<Tensor>{y, yr};
}

Result<std::vector<Tensor>> pool_layer(Ctx& cx, const NodeCall& c) {
  const ir::Node& n = *c.node;
  const Tensor& x = *c.x;
  SIEVE_ASSIGN_OR_RETURN(const LayerProgram* lp, program_of(cx, n.name));
  if (x.rank() != 4)
    return Status(StatusCode::kUnimplemented, node_label(n) + ": 2-D pooling only");
  LayerData d;
  d.kind = Kind::kPool;
  d.node = &n;
  d.out_frac = c.out_frac;
  d.in_frac = x.frac_bits();
  SIEVE_ASSIGN_OR_RETURN(d.geo, ir::window_geometry(n, x.shape(), nullptr));
  d.c_in = x.dim(1);
  d.ih = x.dim(2);
  d.iw = x.dim(3);
  d.oh = c.out_shape[2];
  d.ow = c.out_shape[3];
  if (lp->work.in_h != d.ih || lp->work.in_w != d.iw || lp->work.out_c != d.c_in ||
      lp->work.out_h != d.oh || lp->work.out_w != d.ow)
    return invalid_argument("{}: the program is for another geometry", node_label(n));
  Tensor y(DType::kI16, c.out_shape);
  y.set_frac_bits(n.op == ir::OpKind::kMaxPool ? x.frac_bits() : c.out_frac);
  Executor ex(*lp, d, cx.spec, cx.o, cx.st, cx.dp);
  const int64_t per_in = d.c_in * d.ih * d.iw, per_out = d.c_in * d.oh * d.ow;
  for (int64_t s = 0; s < x.dim(0); ++s) {
    SIEVE_RETURN_IF_ERROR(ex.run(x.data<int16_t>() + s * per_in));
    std::copy(ex.y.begin(), ex.y.end(), y.data<int16_t>() + s * per_out);
  }
  return std::vector<Tensor>{y};
}

Result<std::vector<Tensor>> lstm_layer(Ctx& cx, const NodeCall& c) {
  const ir::Node& n = *c.node;
  const Tensor& x = *c.x;
  SIEVE_ASSIGN_OR_RETURN(const LayerProgram* lp, program_of(cx, n.name));
  LayerData d;
  d.kind = Kind::kLstm;
  d.node = &n;
  SIEVE_ASSIGN_OR_RETURN(d.q, fx::lstm_q(cx.model, n, cx.fm, cx.o.fixed));
  const fx::LstmQ& q = d.q;
  if (x.rank() != 3 || x.dim(2) != q.input)
    return invalid_argument("{}: X is {}, expected [seq, batch, {}]", node_label(n),
                            shape_str(x.shape()), q.input);
  const int64_t seq = x.dim(0), batch = x.dim(1), nh = q.hidden, gh = 4 * nh;
  if (lp->code.steps != std::max<int64_t>(1, seq) || lp->work.rows != gh ||
      lp->work.cols != q.input + q.state)
    return invalid_argument(
        "{}: the program is for {} steps of a {}x{} gate matrix, the model "
        "runs {} steps of {}x{}",
        node_label(n), lp->code.steps, lp->work.rows, lp->work.cols, seq, gh, q.input + q.state);
  SIEVE_ASSIGN_OR_RETURN(WeightPart sw, weight_part(cx.model, n.input(1), gh, q.input));
  SIEVE_ASSIGN_OR_RETURN(WeightPart sr, weight_part(cx.model, n.input(2), gh, q.state));
  sw.shift = q.shift_x;
  sr.shift = q.shift_r;
  d.parts = {sw, sr};
  d.bias = q.bias;
  d.q.w = Tensor();
  d.q.r = Tensor();
  d.q.w_proj = Tensor();
  d.q1 = d.q;
  d.q1.hidden = 1;
  d.q1.bias.clear();
  d.q1.peep.clear();
  // The projection r_t = W_proj · m_t, by its own program (an FC layer per step).
  std::unique_ptr<LayerData> pd;
  std::vector<const LayerProgram*> proj_programs;
  if (q.proj > 0) {
    pd = std::make_unique<LayerData>();
    pd->kind = Kind::kFc;
    pd->node = &n;
    SIEVE_ASSIGN_OR_RETURN(WeightPart wp, weight_part(cx.model, n.input(8), q.proj, nh));
    pd->parts = {wp};
    pd->bias.assign(static_cast<size_t>(q.proj), 0);
    pd->acc_frac = q.f_proj + fx::kGateFracBits;
    pd->out_frac = q.f_r;
    for (int64_t t = 0; t < seq; ++t) {
      SIEVE_ASSIGN_OR_RETURN(
          const LayerProgram* pp,
          program_of(cx, seq == 1 ? n.name + "/proj" : fmt::format("{}/proj@{}", n.name, t)));
      proj_programs.push_back(pp);
    }
  }
  Tensor y(DType::kI16, {seq, 1, batch, q.state});
  y.set_frac_bits(q.f_r);
  Tensor y_h(DType::kI16, {1, batch, q.state});
  y_h.set_frac_bits(q.f_r);
  Tensor y_c(DType::kI16, {1, batch, nh});
  y_c.set_frac_bits(q.f_c);
  Executor ex(*lp, d, cx.spec, cx.o, cx.st, cx.dp);
  std::vector<std::unique_ptr<Executor>> proj_ex;
  for (const LayerProgram* pp : proj_programs)
    proj_ex.push_back(std::make_unique<Executor>(*pp, *pd, cx.spec, cx.o, cx.st, cx.dp));
  // r_t from h_t (= m_t): the projection's program, or the identity.
  auto recurrent = [&](int64_t t, const std::vector<int16_t>& m) -> Result<std::vector<int16_t>> {
    if (q.proj == 0) return m;
    Executor& pe = *proj_ex[static_cast<size_t>(t)];
    SIEVE_RETURN_IF_ERROR(pe.run(m.data()));
    return pe.y;
  };
  std::vector<int16_t> xs(static_cast<size_t>(std::max<int64_t>(1, seq) * q.input));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t t = 0; t < seq; ++t)
      std::copy(x.data<int16_t>() + (t * batch + b) * q.input,
                x.data<int16_t>() + (t * batch + b + 1) * q.input, xs.begin() + t * q.input);
    if (seq == 0) continue;
    SIEVE_RETURN_IF_ERROR(ex.run(xs.data(), recurrent));
    for (int64_t t = 0; t < seq; ++t) {
      SIEVE_ASSIGN_OR_RETURN(std::vector<int16_t> r, recurrent(t, ex.h[static_cast<size_t>(t)]));
      std::copy(r.begin(), r.end(), y.data<int16_t>() + (t * batch + b) * q.state);
      if (t == seq - 1) std::copy(r.begin(), r.end(), y_h.data<int16_t>() + b * q.state);
    }
    std::copy(ex.cell.begin(), ex.cell.end(), y_c.data<int16_t>() + b * nh);
  }
  return std::vector<Tensor>{y, y_h, y_c};
}

}  // namespace

Result<ModelPrograms> compile_programs(const Spec& spec, Mode mode, const compiler::Workload& w,
                                       bool multi_issue) {
  ModelPrograms out;
  compiler::codegen::CodegenOptions copt;
  copt.multi_issue = multi_issue;
  SimOptions so;
  so.mode = mode_name(mode);
  for (const compiler::LayerWork& l : w.layers) {
    LayerProgram lp;
    lp.work = l;
    lp.work.input_nz.clear();
    lp.work.output_nz.clear();
    SIEVE_ASSIGN_OR_RETURN(lp.plan, plan_layer(spec, mode, so, l));
    Result<cg::CompiledLayer> code = cg::generate(l, lp.plan, codegen_target(spec, mode, l), copt);
    if (!code.ok()) return code.status().with_context("sieve");
    lp.code = std::move(*code);
    copt.dram_base = lp.code.layout.end;
    out.layers[l.name] = std::move(lp);
  }
  return out;
}

Result<Tensor> run_functional_program(const compress::CompressedModel& model, const Tensor& input,
                                      const Spec& spec, const ModelPrograms& programs,
                                      const ProgramExecOptions& options,
                                      const runtime::fixed16::ValueHook& hook,
                                      ProgramExecStats* stats) {
  if (spec.psum_bits != 16 || spec.neuron_bits != 16)
    return invalid_argument(
        "the program executor models 16-bit neurons and partial-sum slots "
        "(neuron_bits {}, psum_bits {})",
        spec.neuron_bits, spec.psum_bits);
  SIEVE_ASSIGN_OR_RETURN(fx::Formats fm, fx::resolve_formats(model, options.fixed));
  ProgramExecStats local;
  ProgramExecStats& st = stats != nullptr ? *stats : local;
  Ctx cx{model, spec, programs, options, fm, st, Datapath(spec.tm, st.datapath)};
  FunctionalOptions fo;
  fo.tn = spec.tn;
  fo.tm = spec.tm;
  fo.fixed = options.fixed;
  return walk_graph(model, input, fo, hook, &st.datapath,
                    [&](const NodeCall& c) -> Result<std::vector<Tensor>> {
                      switch (c.node->op) {
                        case ir::OpKind::kFullyConnected:
                        case ir::OpKind::kConv: return matrix_layer(cx, c);
                        case ir::OpKind::kMaxPool:
                        case ir::OpKind::kAveragePool: return pool_layer(cx, c);
                        case ir::OpKind::kLSTM: return lstm_layer(cx, c);
                        default:
                          return Status(StatusCode::kInternal,
                                        node_label(*c.node) + " handed to the program executor");
                      }
                    });
}

Result<Tensor> run_functional_program(const compress::CompressedModel& model, const Tensor& input,
                                      const Spec& spec, const ProgramExecOptions& options,
                                      const runtime::fixed16::ValueHook& hook,
                                      ProgramExecStats* stats) {
  compiler::WorkloadOptions wo;  // dense synthetic activations
  SIEVE_ASSIGN_OR_RETURN(compiler::Workload w, compiler::build_workload(model, wo));
  SIEVE_ASSIGN_OR_RETURN(ModelPrograms p,
                         compile_programs(spec, options.mode, w, options.multi_issue));
  return run_functional_program(model, input, spec, p, options, hook, stats);
}

}  // namespace sieve::hw::sieve_arch
