// SCNN / DCNN performance model (perf.h).
#include "sieve/hw/archs/scnn/perf.h"

#include <algorithm>
#include <array>
#include <bit>
#include <unordered_map>

#include "sieve/hw/core/actions.h"

namespace sieve::hw::scnn_arch {
namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return b <= 0 ? 0 : (a + b - 1) / b;
}
// Floor and ceiling of a / b for b > 0 and any sign of a.
int64_t floor_div(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}
int64_t ceil_div_signed(int64_t a, int64_t b) {
  return -floor_div(-a, b);
}
int64_t pos_mod(int64_t a, int64_t m) {
  const int64_t r = a % m;
  return r < 0 ? r + m : r;
}

// Overlap of [a0, a1) and [b0, b1).
int64_t overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1) {
  return std::max<int64_t>(0, std::min(a1, b1) - std::max(a0, b0));
}

constexpr uint64_t kHighBits = 0xFEFEFEFEFEFEFEFEull;

// Byte lanes of `w` rotated up by t lanes within `lanes` lanes.
uint64_t rot_lanes(uint64_t w, int t, int lanes) {
  if (t == 0) return w;
  if (lanes == 8) return std::rotl(w, 8 * t);
  const int bits = 8 * lanes;
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  return ((w << (8 * t)) | (w >> (bits - 8 * t))) & mask;
}

// One vector of up to F weights: each weight's bank class (output channel mod F) and the lane
// rotation its output offset applies to an activation's position class.
struct WVec {
  int n = 0;
  std::array<uint8_t, 16> rho{};
  std::array<uint8_t, 16> t{};
};

// Cycles of the step (weight vector w × activation vector with lane counts `word`): the largest
// number of products on one bank, at least 1 (step_cycles' rule, on lane words).
int64_t pair_cycles(const WVec& w, uint64_t word, int lanes) {
  std::array<uint64_t, 16> cls{};
  uint16_t used = 0;
  for (int f = 0; f < w.n; ++f) {
    cls[w.rho[static_cast<size_t>(f)]] += rot_lanes(word, w.t[static_cast<size_t>(f)], lanes);
    used = static_cast<uint16_t>(used | (1u << w.rho[static_cast<size_t>(f)]));
  }
  int64_t m = 1;
  while (used != 0) {
    const int r = std::countr_zero(used);
    used = static_cast<uint16_t>(used & (used - 1));
    uint64_t x = cls[static_cast<size_t>(r)];
    if ((x & kHighBits) == 0) continue;  // every bank of this class takes at most one product
    for (; x != 0; x >>= 8) m = std::max<int64_t>(m, static_cast<int64_t>(x & 0xFF));
  }
  return m;
}

// A weight vector's shape: its (class, rotation) pairs, rotated so that the first is 0 and sorted,
// packed 6 bits each after a 4-bit count (F <= 8, lanes <= 8). Steps of two vectors of one shape cost the same on every
// activation vector (a common rotation moves every product to another bank of the same class).
uint64_t shape_of(const WVec& w, int lanes) {
  std::array<uint8_t, 16> e{};
  const int t0 = w.t[0];
  for (int f = 0; f < w.n; ++f)
    e[static_cast<size_t>(f)] = static_cast<uint8_t>(
        (w.rho[static_cast<size_t>(f)] << 3) | ((w.t[static_cast<size_t>(f)] - t0 + lanes) % lanes));
  for (int i = 1; i < w.n; ++i)  // insertion sort of at most F entries
    for (int j = i; j > 0 && e[static_cast<size_t>(j - 1)] > e[static_cast<size_t>(j)]; --j)
      std::swap(e[static_cast<size_t>(j - 1)], e[static_cast<size_t>(j)]);
  uint64_t key = static_cast<uint64_t>(w.n);
  for (int f = 0; f < w.n; ++f) key |= static_cast<uint64_t>(e[static_cast<size_t>(f)]) << (4 + 6 * f);
  return key;
}
WVec shape_vec(uint64_t key, int64_t F) {
  WVec w;
  w.n = static_cast<int>(key & 0xF);
  for (int f = 0; f < w.n && f < F; ++f) {
    const uint64_t e = (key >> (4 + 6 * f)) & 0x3F;
    w.rho[static_cast<size_t>(f)] = static_cast<uint8_t>(e >> 3);
    w.t[static_cast<size_t>(f)] = static_cast<uint8_t>(e & 7);
  }
  return w;
}

// The largest lane of a word (the peak of one activation vector's bank classes).
uint8_t peak_of(uint64_t w) {
  uint8_t m = 0;
  for (; w != 0; w >>= 8) m = std::max<uint8_t>(m, static_cast<uint8_t>(w & 0xFF));
  return m;
}

}  // namespace

int64_t step_cycles(const std::vector<int64_t>& banks, int64_t n_banks) {
  std::vector<int64_t> n(static_cast<size_t>(std::max<int64_t>(1, n_banks)), 0);
  int64_t m = 1;
  for (int64_t b : banks) m = std::max(m, ++n[static_cast<size_t>(pos_mod(b, n_banks))]);
  return m;
}

int64_t zero_run_entries(const BitVec& nz, int64_t begin, int64_t end, int64_t max_run) {
  if (end <= begin) return 0;
  int64_t entries = 0, prev = begin - 1;
  const std::vector<uint64_t>& words = nz.words();
  for (int64_t wi = begin >> 6; wi <= (end - 1) >> 6; ++wi) {
    uint64_t x = words[static_cast<size_t>(wi)];
    if (wi == (begin >> 6)) x &= ~uint64_t{0} << (begin & 63);
    if (wi == ((end - 1) >> 6) && (end & 63) != 0) x &= (uint64_t{1} << (end & 63)) - 1;
    while (x != 0) {
      const int64_t p = wi * 64 + std::countr_zero(x);
      entries += 1 + (p - prev - 1) / (max_run + 1);
      prev = p;
      x &= x - 1;
    }
  }
  return entries;
}

// Per input channel (planar layers): each PE's activation vectors by stride phase, grouped by
// their bank pattern, and the phase planes' integral images (non-zeros in a rectangle).
struct ScnnLayer::Channel {
  int64_t phases = 1, yn = 0, xn = 0;
  std::vector<std::vector<uint64_t>> words;   // [phase] distinct lane words
  std::vector<std::vector<uint8_t>> peak;     // [phase][word id] its largest lane
  std::vector<int64_t> hist_begin;            // [pe * phases + phase] into hist (+1 end)
  std::vector<std::pair<uint32_t, uint32_t>> hist;  // (word id, vectors)
  std::vector<int64_t> n_act, n_vec;          // [pe * phases + phase]
  std::vector<std::vector<int32_t>> integral;  // [phase] (yn + 1) × (xn + 1)

  int64_t rect(int64_t ph, int64_t y0, int64_t y1, int64_t x0, int64_t x1) const {
    y0 = std::max<int64_t>(y0, 0), x0 = std::max<int64_t>(x0, 0);
    y1 = std::min(y1, yn), x1 = std::min(x1, xn);
    if (y1 <= y0 || x1 <= x0) return 0;
    const std::vector<int32_t>& I = integral[static_cast<size_t>(ph)];
    const int64_t w = xn + 1;
    return I[static_cast<size_t>(y1 * w + x1)] - I[static_cast<size_t>(y0 * w + x1)] -
           I[static_cast<size_t>(y1 * w + x0)] + I[static_cast<size_t>(y0 * w + x0)];
  }
};

ScnnLayer::~ScnnLayer() = default;

bool ScnnLayer::planar() const {
  return layer_.kind == LayerKind::kConv || layer_.kind == LayerKind::kPool;
}

ScnnLayer::ScnnLayer(const ScnnSpec& spec, const LayerWork& layer)
    : spec_(spec), layer_(layer), sparse_(spec.dataflow == Dataflow::kCartesianSparse) {
  if (layer.rows > 0 && layer.cols > 0) {
    kept_fraction_ = static_cast<double>(layer.weight_mask.count()) /
                     static_cast<double>(layer.rows * layer.cols);
    const double bits = sparse_ ? static_cast<double>(spec.weight_bits + spec.index_bits) *
                                      kept_fraction_
                                : static_cast<double>(spec.weight_bits);
    weight_ratio_ = std::max(1e-6, bits / static_cast<double>(spec.neuron_bits));
  }
  if (!layer.input_nz.empty() && layer.input_nz[0].size() > 0)
    in_density_ = static_cast<double>(layer.input_nz[0].count()) /
                  static_cast<double>(layer.input_nz[0].size());
  if (!planar()) {
    region_h_ = layer.kind == LayerKind::kLstm ? std::max<int64_t>(1, layer.timesteps) : 1;
    region_w_ = 1;
    max_own_ = region_h_;
    return;
  }
  const int64_t H = layer.in_h, W = layer.in_w;
  tile_h_ = ceil_div(H, spec.pe_rows), tile_w_ = ceil_div(W, spec.pe_cols);
  out_tile_h_ = ceil_div(layer.out_h, spec.pe_rows);
  out_tile_w_ = ceil_div(layer.out_w, spec.pe_cols);
  // Reach of input rows [a, b) in output rows: oy with oy·s − pad + k·d in [a, b) for some tap.
  auto reach = [](int64_t a, int64_t b, int64_t pad, int64_t k, int64_t d, int64_t s,
                  int64_t out) -> std::pair<int64_t, int64_t> {
    if (b <= a) return {0, 0};
    const int64_t lo = std::max<int64_t>(0, ceil_div_signed(a + pad - (k - 1) * d, s));
    const int64_t hi = std::min<int64_t>(out, floor_div(b - 1 + pad, s) + 1);
    return {lo, std::max(lo, hi)};
  };
  region_h_ = region_w_ = 0;
  max_own_ = 0;
  for (int64_t py = 0; py < spec.pe_rows; ++py) {
    const auto ry = reach(py * tile_h_, std::min(H, (py + 1) * tile_h_), layer.pad_top, layer.kh,
                          layer.dilation_h, layer.stride_h, layer.out_h);
    const int64_t oy0 = py * out_tile_h_, oy1 = std::min(layer.out_h, (py + 1) * out_tile_h_);
    for (int64_t px = 0; px < spec.pe_cols; ++px) {
      const auto rx = reach(px * tile_w_, std::min(W, (px + 1) * tile_w_), layer.pad_left,
                            layer.kw, layer.dilation_w, layer.stride_w, layer.out_w);
      const int64_t ox0 = px * out_tile_w_, ox1 = std::min(layer.out_w, (px + 1) * out_tile_w_);
      const int64_t rh = ry.second - ry.first, rw = rx.second - rx.first;
      region_h_ = std::max(region_h_, rh);
      region_w_ = std::max(region_w_, rw);
      const int64_t own = std::max<int64_t>(0, oy1 - oy0) * std::max<int64_t>(0, ox1 - ox0);
      max_own_ = std::max(max_own_, own);
      if (layer.kind != LayerKind::kConv) continue;
      const int64_t inside =
          overlap(ry.first, ry.second, oy0, oy1) * overlap(rx.first, rx.second, ox0, ox1);
      const int64_t halo = rh * rw - inside;
      max_halo_ = std::max(max_halo_, halo);
      total_halo_ += halo;
    }
  }
  region_h_ = std::max<int64_t>(1, region_h_);
  region_w_ = std::max<int64_t>(1, region_w_);
  channels_.resize(static_cast<size_t>(layer.in_c));
}

const ScnnLayer::Channel& ScnnLayer::channel(int64_t gc) const {
  std::unique_ptr<Channel>& slot = channels_[static_cast<size_t>(gc)];
  if (slot) return *slot;
  slot = std::make_unique<Channel>();
  Channel& ch = *slot;
  const LayerWork& l = layer_;
  const int64_t sh = l.stride_h, sw = l.stride_w, H = l.in_h, W = l.in_w;
  const int64_t np = sh * sw, n_pe = spec_.n_pe(), lanes = spec_.lanes(), I = spec_.mult_i;
  ch.phases = np;
  ch.yn = floor_div(H - 1 + l.pad_top, sh) + 1;
  ch.xn = floor_div(W - 1 + l.pad_left, sw) + 1;
  const BitVec& nz = l.input_nz[0];
  const int64_t base = gc * H * W;
  // Integral images of the phase planes (Y, X) = ((y + pad − py) / sh, (x + pad − px) / sw).
  ch.integral.assign(static_cast<size_t>(np),
                     std::vector<int32_t>(static_cast<size_t>((ch.yn + 1) * (ch.xn + 1)), 0));
  for (int64_t y = 0; y < H; ++y) {
    const int64_t py = pos_mod(y + l.pad_top, sh), Y = (y + l.pad_top - py) / sh;
    for (int64_t x = 0; x < W; ++x) {
      if (!nz.get(base + y * W + x)) continue;
      const int64_t px = pos_mod(x + l.pad_left, sw), X = (x + l.pad_left - px) / sw;
      ch.integral[static_cast<size_t>(py * sw + px)]
                 [static_cast<size_t>((Y + 1) * (ch.xn + 1) + X + 1)] += 1;
    }
  }
  for (auto& I2 : ch.integral)
    for (int64_t Y = 1; Y <= ch.yn; ++Y)
      for (int64_t X = 1; X <= ch.xn; ++X) {
        const int64_t w = ch.xn + 1;
        I2[static_cast<size_t>(Y * w + X)] += I2[static_cast<size_t>((Y - 1) * w + X)] +
                                              I2[static_cast<size_t>(Y * w + X - 1)] -
                                              I2[static_cast<size_t>((Y - 1) * w + X - 1)];
      }
  if (!sparse_) return ch;
  // Activation vectors: per PE and phase, the non-zeros in raster order, I at a time; a vector's
  // word counts its activations per position class (Y·Wr + X) mod lanes, one byte lane each.
  ch.words.assign(static_cast<size_t>(np), {});
  ch.peak.assign(static_cast<size_t>(np), {});
  std::vector<std::unordered_map<uint64_t, uint32_t>> ids(static_cast<size_t>(np));
  ch.n_act.assign(static_cast<size_t>(n_pe * np), 0);
  ch.n_vec.assign(static_cast<size_t>(n_pe * np), 0);
  ch.hist_begin.assign(static_cast<size_t>(n_pe * np + 1), 0);
  std::vector<uint64_t> cur(static_cast<size_t>(np));
  std::vector<int64_t> fill(static_cast<size_t>(np));
  std::vector<std::vector<uint32_t>> vecs(static_cast<size_t>(np));
  auto close = [&](int64_t ph) {
    const size_t p = static_cast<size_t>(ph);
    if (fill[p] == 0) return;
    // Rotations of a word cost the same against any weight vector: keep the least.
    uint64_t key = cur[p];
    for (int t = 1; t < lanes; ++t) key = std::min(key, rot_lanes(cur[p], t, static_cast<int>(lanes)));
    auto [it, fresh] = ids[p].emplace(key, static_cast<uint32_t>(ch.words[p].size()));
    if (fresh) {
      ch.words[p].push_back(key);
      ch.peak[p].push_back(peak_of(key));
    }
    vecs[p].push_back(it->second);
    cur[p] = 0;
    fill[p] = 0;
  };
  for (int64_t pe = 0; pe < n_pe; ++pe) {
    const int64_t py = pe / spec_.pe_cols, px = pe % spec_.pe_cols;
    const int64_t y0 = py * tile_h_, y1 = std::min(H, y0 + tile_h_);
    const int64_t x0 = px * tile_w_, x1 = std::min(W, x0 + tile_w_);
    for (auto& v : vecs) v.clear();
    for (int64_t y = y0; y < y1; ++y) {
      const int64_t phy = pos_mod(y + l.pad_top, sh), Y = (y + l.pad_top - phy) / sh;
      for (int64_t x = x0; x < x1; ++x) {
        if (!nz.get(base + y * W + x)) continue;
        const int64_t phx = pos_mod(x + l.pad_left, sw), X = (x + l.pad_left - phx) / sw;
        const int64_t ph = phy * sw + phx;
        const size_t p = static_cast<size_t>(ph);
        cur[p] += uint64_t{1} << (8 * pos_mod(Y * region_w_ + X, lanes));
        ++ch.n_act[static_cast<size_t>(pe * np + ph)];
        if (++fill[p] == I) close(ph);
      }
    }
    for (int64_t ph = 0; ph < np; ++ph) {
      close(ph);
      const size_t slot_i = static_cast<size_t>(pe * np + ph);
      std::vector<uint32_t>& v = vecs[static_cast<size_t>(ph)];
      ch.n_vec[slot_i] = static_cast<int64_t>(v.size());
      std::sort(v.begin(), v.end());
      ch.hist_begin[slot_i] = static_cast<int64_t>(ch.hist.size());
      for (size_t i = 0; i < v.size();) {
        size_t j = i;
        while (j < v.size() && v[j] == v[i]) ++j;
        ch.hist.emplace_back(v[i], static_cast<uint32_t>(j - i));
        i = j;
      }
    }
  }
  ch.hist_begin[static_cast<size_t>(n_pe * np)] = static_cast<int64_t>(ch.hist.size());
  return ch;
}

namespace {

// Walks the weight block of output channels [ob, oe) of group g and input channel c (local to
// the group) in storage order: stride phase, kernel row, kernel column, output channel (fastest).
// fn(kept, k_local, R, S, phase) with (R, S) the tap in its phase plane's units.
template <class Fn>
void walk_block(const LayerWork& l, int64_t g, int64_t ob, int64_t oe, int64_t c, Fn&& fn) {
  const int64_t rpg = l.rows / std::max<int64_t>(1, l.group);
  const int64_t sh = l.stride_h, sw = l.stride_w;
  for (int64_t phy = 0; phy < sh; ++phy)
    for (int64_t phx = 0; phx < sw; ++phx)
      for (int64_t r = 0; r < l.kh; ++r) {
        if (pos_mod(r * l.dilation_h, sh) != phy) continue;
        const int64_t R = (r * l.dilation_h - phy) / sh;
        for (int64_t s = 0; s < l.kw; ++s) {
          if (pos_mod(s * l.dilation_w, sw) != phx) continue;
          const int64_t S = (s * l.dilation_w - phx) / sw;
          const int64_t col = (c * l.kh + r) * l.kw + s;
          for (int64_t k = ob; k < oe; ++k)
            fn(l.weight_mask.get((g * rpg + k) * l.cols + col), k - ob, R, S, phy * sw + phx);
        }
      }
}

}  // namespace

WeightBytes ScnnLayer::weight_bytes(const TileRange& r) const {
  WeightBytes b;
  const int64_t cpc = cols_per_channel(layer_);
  if (!sparse_) {
    b.values = ceil_div(r.rows() * r.channels() * cpc * spec_.weight_bits, 8);
    return b;
  }
  const int64_t gap = spec_.max_run() + 1;
  int64_t entries = 0;
  if (layer_.kind == LayerKind::kConv) {
    for (int64_t c = r.ic_begin; c < r.ic_end; ++c) {
      int64_t run = 0;
      walk_block(layer_, r.group, r.oc_begin, r.oc_end, c,
                 [&](bool kept, int64_t, int64_t, int64_t, int64_t) {
                   if (!kept) {
                     ++run;
                     return;
                   }
                   entries += 1 + run / gap;
                   run = 0;
                 });
    }
  } else {  // FC / LSTM rows, each in the zero-run format over the range's columns
    for (int64_t k = r.oc_begin; k < r.oc_end; ++k)
      entries += zero_run_entries(layer_.weight_mask, k * layer_.cols + r.ic_begin,
                                  k * layer_.cols + r.ic_end, spec_.max_run());
  }
  b.values = ceil_div(entries * spec_.weight_bits, 8);
  b.index = ceil_div(entries * spec_.index_bits, 8);
  return b;
}

void ScnnLayer::halo_and_drain(const TileRange& r, int64_t rows, TileCompute& t) const {
  // The group's outputs are complete after its last input channel: halos go to the
  // neighbours, then each PE drains its own outputs (one entry per bank per cycle).
  const int64_t channels_in_group = layer_.kind == LayerKind::kConv
                                        ? layer_.in_c / std::max<int64_t>(1, layer_.group)
                                        : layer_.cols;
  if (r.ic_end < channels_in_group) return;
  const int64_t halo = ceil_div(rows * max_halo_, spec_.halo_words_per_cycle);
  const int64_t per_pe_rows = planar() ? rows : ceil_div(rows, spec_.n_pe());
  const int64_t drain = ceil_div(per_pe_rows * max_own_, spec_.acc_banks);
  t.cycles += halo + drain;
  if (total_halo_ > 0) t.actions["halo_word"] += rows * total_halo_;
  const int64_t positions = planar() ? layer_.out_h * layer_.out_w : r.positions();
  t.actions["acc_drain"] += rows * positions;
  t.actions["oaram_write"] += spec_.compress_activations ? output_nonzeros(r) : rows * positions;
}

int64_t ScnnLayer::output_nonzeros(const TileRange& r) const {
  if (layer_.output_nz.empty()) return 0;
  const BitVec& o = layer_.output_nz[0];
  const int64_t rpg = layer_.rows / std::max<int64_t>(1, layer_.group);
  if (layer_.kind == LayerKind::kConv) {
    const int64_t plane = layer_.out_h * layer_.out_w;
    const int64_t k0 = r.group * rpg + r.oc_begin, k1 = r.group * rpg + r.oc_end;
    return o.count(std::min(o.size(), k0 * plane), std::min(o.size(), k1 * plane));
  }
  if (layer_.kind == LayerKind::kFullyConnected)
    return o.count(std::min(o.size(), r.oc_begin), std::min(o.size(), r.oc_end));
  const double d = o.size() > 0 ? static_cast<double>(o.count()) / static_cast<double>(o.size())
                                : 1.0;
  return static_cast<int64_t>(static_cast<double>(r.rows() * r.positions()) * d + 0.5);
}

TileCompute ScnnLayer::compute_conv(const TileRange& r) const {
  TileCompute t;
  const LayerWork& l = layer_;
  const int64_t n_pe = spec_.n_pe(), F = spec_.mult_f, I = spec_.mult_i;
  const int lanes = static_cast<int>(spec_.lanes());
  const int64_t cpg = l.in_c / std::max<int64_t>(1, l.group);
  const int64_t rows = r.rows(), np = l.stride_h * l.stride_w;
  std::vector<int64_t> cyc(static_cast<size_t>(n_pe), 0);
  int64_t useful = 0;
  if (!sparse_) {
    // Input positions in [a, b) that tap `tap` maps into the output plane (one axis).
    auto valid = [](int64_t a, int64_t b, int64_t tap, int64_t d, int64_t pad, int64_t s,
                    int64_t out) -> int64_t {
      const int64_t base = tap * d - pad;
      const int64_t lo = std::max(a, base), hi = std::min(b - 1, base + s * (out - 1));
      if (hi < lo) return 0;
      const int64_t first = base + s * ceil_div(lo - base, s);
      return first <= hi ? (hi - first) / s + 1 : 0;
    };
    // Per tap, the F lanes take the group's output channels and, when the group has fewer than
    // F (a plane so large that the accumulators hold one channel), further positions of the
    // same tap: ceil(positions × Kc / F) cycles per I input channels.
    const int64_t chunks = ceil_div(r.channels(), I);
    int64_t busy = 0, dense = 0, reads = 0;
    std::vector<int64_t> vy(static_cast<size_t>(l.kh)), vx(static_cast<size_t>(l.kw));
    for (int64_t pe = 0; pe < n_pe; ++pe) {
      const int64_t py = pe / spec_.pe_cols, px = pe % spec_.pe_cols;
      const int64_t y0 = py * tile_h_, y1 = std::min(l.in_h, y0 + tile_h_);
      const int64_t x0 = px * tile_w_, x1 = std::min(l.in_w, x0 + tile_w_);
      if (y1 <= y0 || x1 <= x0) continue;
      for (int64_t tap = 0; tap < l.kh; ++tap)
        vy[static_cast<size_t>(tap)] =
            valid(y0, y1, tap, l.dilation_h, l.pad_top, l.stride_h, l.out_h);
      for (int64_t tap = 0; tap < l.kw; ++tap)
        vx[static_cast<size_t>(tap)] =
            valid(x0, x1, tap, l.dilation_w, l.pad_left, l.stride_w, l.out_w);
      int64_t cycles = 0, pairs = 0;
      for (int64_t a : vy)
        for (int64_t b : vx) {
          cycles += ceil_div(a * b * rows, F) * chunks;
          pairs += a * b;
        }
      cyc[static_cast<size_t>(pe)] = cycles;
      busy += cycles;
      dense += pairs * rows * r.channels();
      reads += (y1 - y0) * (x1 - x0) * chunks;
    }
    t.macs = dense;
    if (spec_.zero_gating) {
      for (int64_t c = r.ic_begin; c < r.ic_end; ++c) {
        const Channel& ch = channel(r.group * cpg + c);
        walk_block(l, r.group, r.oc_begin, r.oc_end, c,
                   [&](bool kept, int64_t, int64_t R, int64_t S, int64_t ph) {
                     if (kept) useful += ch.rect(ph, R, R + l.out_h, S, S + l.out_w);
                   });
      }
      t.actions["mul"] += useful;
      t.actions["mul_gated"] += dense - useful;
    } else {
      t.actions["mul"] += dense;
    }
    t.actions[actions::kNbinRead] += reads;
    t.actions[actions::kSbRead] += busy;
    t.actions[actions::kNboutAccess] += busy;
    t.actions["add"] += busy * F * (I - 1);
  } else {
    int64_t steps = 0, products = 0, act_reads = 0;
    std::vector<std::vector<WVec>> wv(static_cast<size_t>(np));
    std::vector<int64_t> nw(static_cast<size_t>(np));
    std::vector<int64_t> cost;
    std::vector<uint64_t> distinct;
    std::vector<std::pair<uint64_t, int64_t>> shapes;
    const int64_t P = region_h_ * region_w_;
    for (int64_t c = r.ic_begin; c < r.ic_end; ++c) {
      const Channel& ch = channel(r.group * cpg + c);
      for (auto& v : wv) v.clear();
      std::fill(nw.begin(), nw.end(), 0);
      walk_block(l, r.group, r.oc_begin, r.oc_end, c,
                 [&](bool kept, int64_t kl, int64_t R, int64_t S, int64_t ph) {
                   if (!kept) return;
                   useful += ch.rect(ph, R, R + l.out_h, S, S + l.out_w);
                   std::vector<WVec>& v = wv[static_cast<size_t>(ph)];
                   if (v.empty() || v.back().n == F) v.emplace_back();
                   WVec& w = v.back();
                   w.rho[static_cast<size_t>(w.n)] = static_cast<uint8_t>(kl % F);
                   w.t[static_cast<size_t>(w.n)] =
                       static_cast<uint8_t>(pos_mod((kl / F) * P - (R * region_w_ + S), lanes));
                   ++w.n;
                   ++nw[static_cast<size_t>(ph)];
                 });
      for (int64_t ph = 0; ph < np; ++ph) {
        const std::vector<WVec>& v = wv[static_cast<size_t>(ph)];
        if (v.empty()) continue;
        const std::vector<uint64_t>& words = ch.words[static_cast<size_t>(ph)];
        const std::vector<uint8_t>& peak = ch.peak[static_cast<size_t>(ph)];
        // Weight vectors whose F weights lie in F different bank classes cost the activation
        // vector's own peak (rotations keep it); the others are costed once per distinct shape.
        int64_t spread = 0;
        distinct.clear();
        for (const WVec& w : v) {
          uint32_t seen = 0;
          bool clash = false;
          for (int f = 0; f < w.n; ++f) {
            const uint32_t bit = 1u << w.rho[static_cast<size_t>(f)];
            clash = clash || (seen & bit) != 0;
            seen |= bit;
          }
          if (!clash) {
            ++spread;
          } else {
            distinct.push_back(shape_of(w, lanes));
          }
        }
        std::sort(distinct.begin(), distinct.end());
        shapes.clear();
        for (size_t i = 0; i < distinct.size();) {
          size_t j = i;
          while (j < distinct.size() && distinct[j] == distinct[i]) ++j;
          shapes.emplace_back(distinct[i], static_cast<int64_t>(j - i));
          i = j;
        }
        cost.assign(words.size(), 0);
        for (size_t id = 0; id < words.size(); ++id) {
          int64_t sum = spread * peak[id];
          for (const auto& [shape, count] : shapes)
            sum += count * pair_cycles(shape_vec(shape, F), words[id], lanes);
          cost[id] = sum;
        }
        const int64_t nwv = static_cast<int64_t>(v.size());
        for (int64_t pe = 0; pe < n_pe; ++pe) {
          const size_t s = static_cast<size_t>(pe * np + ph);
          int64_t sum = 0;
          for (int64_t h = ch.hist_begin[s]; h < ch.hist_begin[s + 1]; ++h) {
            const auto& [id, count] = ch.hist[static_cast<size_t>(h)];
            sum += static_cast<int64_t>(count) * cost[id];
          }
          cyc[static_cast<size_t>(pe)] += sum;
          steps += nwv * ch.n_vec[s];
          act_reads += ch.n_vec[s];
          products += nw[static_cast<size_t>(ph)] * ch.n_act[s];
        }
      }
    }
    int64_t busy = 0;
    for (int64_t x : cyc) busy += x;
    t.macs = useful;
    t.actions["mul"] += products;
    t.actions["xbar_transfer"] += products;
    t.actions["coord_compute"] += products;
    t.actions[actions::kNboutAccess] += products;
    t.actions[actions::kNbinRead] += act_reads;
    t.actions[actions::kSbRead] += steps;
    t.actions["bank_conflict_cycle"] += busy - steps;
  }
  t.cycles = *std::max_element(cyc.begin(), cyc.end());
  halo_and_drain(r, rows, t);
  return t;
}

TileCompute ScnnLayer::compute_fc(const TileRange& r) const {
  TileCompute t;
  const LayerWork& l = layer_;
  const int64_t n_pe = spec_.n_pe(), F = spec_.mult_f, I = spec_.mult_i;
  const int lanes = static_cast<int>(spec_.lanes());
  const int64_t rows = r.rows(), chans = r.channels();
  const int64_t t0 = r.oh_begin, t1 = std::max(r.oh_end, r.oh_begin + 1);
  const int64_t positions = t1 - t0;
  const BitVec& in = l.input_nz[0];
  auto act = [&](int64_t tt, int64_t c) {
    const int64_t bit = tt * l.cols + c;
    return bit < in.size() && in.get(bit);
  };
  std::vector<int64_t> cyc(static_cast<size_t>(n_pe), 0);
  if (!sparse_) {
    int64_t busy = 0;
    for (int64_t pe = 0; pe < n_pe; ++pe) {
      const int64_t mine = rows > pe ? (rows - pe + n_pe - 1) / n_pe : 0;
      cyc[static_cast<size_t>(pe)] = positions * ceil_div(mine, F) * ceil_div(chans, I);
      busy += cyc[static_cast<size_t>(pe)];
    }
    const int64_t dense = rows * chans * positions;
    t.macs = dense;
    if (spec_.zero_gating) {
      int64_t useful = 0;
      for (int64_t k = r.oc_begin; k < r.oc_end; ++k)
        for (int64_t c = r.ic_begin; c < r.ic_end; ++c)
          if (l.weight_mask.get(k * l.cols + c))
            for (int64_t tt = t0; tt < t1; ++tt) useful += act(tt, c) ? 1 : 0;
      t.actions["mul"] += useful;
      t.actions["mul_gated"] += dense - useful;
    } else {
      t.actions["mul"] += dense;
    }
    t.actions[actions::kNbinRead] += positions * ceil_div(chans, I) * std::min(rows, n_pe);
    t.actions[actions::kSbRead] += busy;
    t.actions[actions::kNboutAccess] += busy;
    t.actions["add"] += busy * F * (I - 1);
  } else {
    // Activation vectors of each column: its non-zero step rows, I at a time.
    std::vector<std::vector<uint64_t>> avec(static_cast<size_t>(chans));
    std::vector<int64_t> nact(static_cast<size_t>(chans), 0);
    for (int64_t c = 0; c < chans; ++c) {
      uint64_t cur = 0;
      int64_t fill = 0;
      for (int64_t tt = t0; tt < t1; ++tt) {
        if (!act(tt, r.ic_begin + c)) continue;
        cur += uint64_t{1} << (8 * ((tt - t0) % lanes));
        ++nact[static_cast<size_t>(c)];
        if (++fill == I) {
          avec[static_cast<size_t>(c)].push_back(cur);
          cur = 0;
          fill = 0;
        }
      }
      if (fill > 0) avec[static_cast<size_t>(c)].push_back(cur);
    }
    int64_t steps = 0, products = 0, act_reads = 0;
    std::vector<WVec> open(static_cast<size_t>(chans));
    const int64_t P = positions;
    for (int64_t pe = 0; pe < std::min(rows, n_pe); ++pe) {
      int64_t& mine = cyc[static_cast<size_t>(pe)];
      auto flush = [&](int64_t c) {
        WVec& w = open[static_cast<size_t>(c)];
        if (w.n == 0) return;
        for (uint64_t word : avec[static_cast<size_t>(c)]) mine += pair_cycles(w, word, lanes);
        steps += static_cast<int64_t>(avec[static_cast<size_t>(c)].size());
        w.n = 0;
      };
      for (int64_t k = r.oc_begin + pe, kl = 0; k < r.oc_end; k += n_pe, ++kl) {
        const std::vector<uint64_t>& words = l.weight_mask.words();
        const int64_t b = k * l.cols + r.ic_begin, e = k * l.cols + r.ic_end;
        for (int64_t wi = b >> 6; wi <= (e - 1) >> 6 && e > b; ++wi) {
          uint64_t x = words[static_cast<size_t>(wi)];
          if (wi == (b >> 6)) x &= ~uint64_t{0} << (b & 63);
          if (wi == ((e - 1) >> 6) && (e & 63) != 0) x &= (uint64_t{1} << (e & 63)) - 1;
          while (x != 0) {
            const int64_t c = wi * 64 + std::countr_zero(x) - b;
            x &= x - 1;
            if (avec[static_cast<size_t>(c)].empty()) continue;  // a zero column: skipped
            products += nact[static_cast<size_t>(c)];
            WVec& w = open[static_cast<size_t>(c)];
            w.rho[static_cast<size_t>(w.n)] = static_cast<uint8_t>(kl % F);
            w.t[static_cast<size_t>(w.n)] = static_cast<uint8_t>(pos_mod((kl / F) * P, lanes));
            if (++w.n == F) flush(c);
          }
        }
      }
      for (int64_t c = 0; c < chans; ++c) flush(c);
    }
    for (int64_t c = 0; c < chans; ++c)
      act_reads += static_cast<int64_t>(avec[static_cast<size_t>(c)].size()) *
                   std::min(rows, n_pe);
    int64_t busy = 0;
    for (int64_t x : cyc) busy += x;
    t.macs = products;
    t.actions["mul"] += products;
    t.actions["xbar_transfer"] += products;
    t.actions["coord_compute"] += products;
    t.actions[actions::kNboutAccess] += products;
    t.actions[actions::kNbinRead] += act_reads;
    t.actions[actions::kSbRead] += steps;
    t.actions["bank_conflict_cycle"] += busy - steps;
  }
  t.cycles = *std::max_element(cyc.begin(), cyc.end());
  halo_and_drain(r, rows, t);
  return t;
}

TileCompute ScnnLayer::compute(const TileRange& r) const {
  TileCompute t;
  switch (layer_.kind) {
    case LayerKind::kConv:
      t = compute_conv(r);
      break;
    case LayerKind::kFullyConnected:
    case LayerKind::kLstm:
      t = compute_fc(r);
      break;
    case LayerKind::kPool: {
      const int64_t reads = r.rows() * max_own_ * layer_.kh * layer_.kw;
      t.cycles = ceil_div(reads, spec_.mult_i);
      t.actions["ppu_op"] += r.rows() * layer_.out_h * layer_.out_w * layer_.kh * layer_.kw;
      break;
    }
    case LayerKind::kOther:
      t.cycles = ceil_div(r.rows(), spec_.n_pe() * spec_.mult_i);
      t.actions["ppu_op"] += r.rows();
      break;
  }
  return t;
}

NeuronBytes ScnnLayer::input_bytes(const TileRange& r, int64_t elems, int64_t nb) const {
  if (!spec_.compress_activations || layer_.input_nz.empty()) return {elems * nb, 0};
  const BitVec& in = layer_.input_nz[0];
  int64_t entries = 0;
  const int64_t run = spec_.max_run();
  if (planar()) {
    const int64_t plane = layer_.in_h * layer_.in_w;
    const int64_t cpg = layer_.kind == LayerKind::kConv
                            ? layer_.in_c / std::max<int64_t>(1, layer_.group)
                            : layer_.in_c;
    const int64_t g0 = layer_.kind == LayerKind::kConv ? r.group * cpg : 0;
    for (int64_t c = r.ic_begin; c < r.ic_end; ++c)  // each channel plane on its own
      entries += zero_run_entries(in, (g0 + c) * plane, (g0 + c + 1) * plane, run);
  } else if (layer_.kind == LayerKind::kOther) {
    entries = zero_run_entries(in, r.ic_begin, std::min(in.size(), r.ic_end), run);
  } else {
    for (int64_t tt = r.oh_begin; tt < std::max(r.oh_end, r.oh_begin + 1); ++tt)
      entries += zero_run_entries(in, std::min(in.size(), tt * layer_.cols + r.ic_begin),
                                  std::min(in.size(), tt * layer_.cols + r.ic_end), run);
  }
  return {entries * nb, ceil_div(entries * spec_.index_bits, 8)};
}

NeuronBytes ScnnLayer::output_bytes(const TileRange& r, int64_t elems, int64_t nb) const {
  if (!spec_.compress_activations || layer_.output_nz.empty()) return {elems * nb, 0};
  const BitVec& o = layer_.output_nz[0];
  int64_t entries = 0;
  const int64_t run = spec_.max_run();
  if (planar()) {
    const int64_t plane = layer_.out_h * layer_.out_w;
    const int64_t rpg = layer_.kind == LayerKind::kConv
                            ? layer_.rows / std::max<int64_t>(1, layer_.group)
                            : layer_.out_c;
    const int64_t k0 = layer_.kind == LayerKind::kConv ? r.group * rpg : 0;
    for (int64_t k = r.oc_begin; k < r.oc_end; ++k)
      entries += zero_run_entries(o, std::min(o.size(), (k0 + k) * plane),
                                  std::min(o.size(), (k0 + k + 1) * plane), run);
  } else if (layer_.kind == LayerKind::kFullyConnected || layer_.kind == LayerKind::kOther) {
    entries = zero_run_entries(o, std::min(o.size(), r.oc_begin), std::min(o.size(), r.oc_end),
                               run);
  } else {  // LSTM: the gate rows are not the stored outputs; the layer's output density
    const double d = o.size() > 0
                         ? static_cast<double>(o.count()) / static_cast<double>(o.size())
                         : 1.0;
    entries = static_cast<int64_t>(static_cast<double>(elems) * d + 0.5);
  }
  return {entries * nb, ceil_div(entries * spec_.index_bits, 8)};
}

DriverOptions driver_options(const ScnnSpec& spec, bool weights_on_chip) {
  DriverOptions o;
  o.neuron_bytes = spec.neuron_bits / 8;
  const bool sparse = spec.dataflow == Dataflow::kCartesianSparse;
  // One IARAM line: I activations (SCNN: with their zero-run indexes).
  o.nbin_line_bytes = std::max<int64_t>(
      1, spec.mult_i * (spec.neuron_bits + (sparse ? spec.index_bits : 0)) / 8);
  // One weight line: SCNN a FIFO entry of F weights with indexes; DCNN F × I weights.
  o.sb_line_bytes = std::max<int64_t>(
      1, sparse ? spec.mult_f * (spec.weight_bits + spec.index_bits) / 8
                : spec.mult_f * spec.mult_i * spec.weight_bits / 8);
  // One accumulator line: one entry of every bank.
  o.nbout_line_bytes = spec.acc_banks * o.neuron_bytes;
  o.pipeline_fill = 0;
  o.memory = spec.memory;
  o.weights_on_chip = weights_on_chip;
  return o;
}

compiler::PlanRequest plan_request(const ScnnSpec& spec, const ScnnLayer& model,
                                   const LayerWork& layer, bool fifo_bound) {
  const bool sparse = spec.dataflow == Dataflow::kCartesianSparse;
  const int64_t nb = spec.neuron_bits / 8;
  compiler::PlanRequest r = value_buffer_request(
      spec.n_pe() * spec.iaram_bytes, spec.n_pe() * spec.acc_entries() * nb,
      sparse ? spec.n_pe() * spec.weight_fifo_entries * spec.mult_f * spec.weight_bits / 8
             : spec.n_pe() * spec.mult_f * spec.mult_i * spec.weight_bits / 8,
      /*ping_pong=*/false, spec.neuron_bits);
  r.buffers.sb_holds_all_weights = true;  // weights stream in; they never bound the tiling
  r.in_density = sparse ? std::clamp(model.input_density(), 1e-3, 1.0) : 1.0;
  const int64_t region = model.region_positions(), acc = spec.acc_entries();
  const bool conv = layer.kind == LayerKind::kConv, pool = layer.kind == LayerKind::kPool;
  const int64_t taps = layer.kh * layer.kw;
  const double fifo_weights = static_cast<double>(spec.weight_fifo_entries * spec.mult_f);
  const double kept = model.kept_fraction();
  const int64_t n_pe = spec.n_pe();
  r.accept = [=](const compiler::Tiling& t) {
    if (t.ow_seg_n != 1) return false;
    if (conv || pool) {
      if (t.oh_seg_n != 1) return false;
      if (pool) return true;
      if (t.oc_seg_size * region > acc) return false;
      return !sparse || !fifo_bound ||
             static_cast<double>(t.oc_seg_size * taps) * kept <= fifo_weights;
    }
    if (t.oh_seg_n != 1) return false;
    return ceil_div(t.oc_seg_size, n_pe) * region <= acc;
  };
  return r;
}

}  // namespace sieve::hw::scnn_arch
