// The datapath pieces (datapath.h), moved out of functional.cc so that the program executor
// runs the same arithmetic one tile at a time.
#include "sieve/hw/archs/sieve/datapath.h"

#include <algorithm>
#include <string>
#include <vector>

namespace sieve::hw::sieve_arch {

namespace fx = runtime::fixed16;

std::string node_label(const ir::Node& n) {
  return fmt::format("node \"{}\" ({})", n.name, ir::op_name(n.op));
}

namespace {

// One row of a part as stored: per column kept?, the stored word, its region.
struct RowWords {
  std::vector<uint8_t> kept;
  std::vector<uint16_t> word;
  std::vector<int32_t> region;
};

// Kept positions before each row of a part (index of the row's first code/value).
std::vector<int64_t> kept_before_rows(const WeightPart& s) {
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

// Columns [c0, c1) of row r of a part, into `out` from index `at` on.
void row_words(const WeightPart& s, int64_t r, int64_t c0, int64_t c1, RowWords& out, size_t at) {
  const compress::CompressedLayer* l = s.layer;
  const uint8_t* m = l != nullptr && !l->mask.empty() ? l->mask.data<uint8_t>() : nullptr;
  const float* d = s.dense.data<float>();
  int64_t k = s.kept_before[static_cast<size_t>(r)];  // the code index of the row's first kept
  if (m == nullptr) {
    k += c0;
  } else {
    for (int64_t c = 0; c < c0; ++c) k += m[r * s.cols + c] != 0 ? 1 : 0;
  }
  for (int64_t c = c0; c < c1; ++c) {
    const size_t uc = at + static_cast<size_t>(c - c0);
    const int64_t flat = r * s.cols + c;
    out.kept[uc] = 1;
    out.word[uc] = 0;
    out.region[uc] = 0;
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

}  // namespace

Result<WeightPart> weight_part(const compress::CompressedModel& model, const std::string& weight,
                               int64_t rows, int64_t cols) {
  WeightPart s;
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
  s.kept_before = kept_before_rows(s);
  return s;
}

Result<WeightTile> build_tile(const std::vector<WeightPart>& parts, int64_t row_begin,
                              int64_t row_end, int64_t tn, int64_t tm) {
  int64_t cols = 0;
  for (const WeightPart& s : parts) cols += s.cols;
  return build_tile(parts, row_begin, row_end, 0, cols, tn, tm);
}

Result<WeightTile> build_tile(const std::vector<WeightPart>& parts, int64_t row_begin,
                              int64_t row_end, int64_t col_begin, int64_t col_end, int64_t tn,
                              int64_t tm) {
  WeightTile mx;
  mx.rows = row_end - row_begin;
  mx.tn = tn;
  mx.window = 16 * tm;
  mx.cols = col_end - col_begin;
  mx.groups = (mx.rows + tn - 1) / tn;
  mx.windows = (mx.cols + mx.window - 1) / mx.window;
  std::vector<Wdm> wdms;
  std::vector<int64_t> seg_begin;
  int64_t col = 0;
  bool any_shift = false;
  for (const WeightPart& s : parts) {
    if (s.layer != nullptr && s.layer->bits > 0) {
      SIEVE_ASSIGN_OR_RETURN(Wdm w, Wdm::for_layer(*s.layer, s.frac));
      wdms.push_back(std::move(w));
    } else {
      wdms.push_back(Wdm::bypass());
    }
    seg_begin.push_back(col);
    col += s.cols;
    any_shift = any_shift || s.shift != 0;
  }
  // The tile's rows as stored words over its columns (index c - col_begin), concatenated over
  // the parts.
  std::vector<RowWords> rows(static_cast<size_t>(mx.rows));
  for (int64_t r = 0; r < mx.rows; ++r) {
    RowWords& rw = rows[static_cast<size_t>(r)];
    rw.kept.resize(static_cast<size_t>(mx.cols));
    rw.word.resize(static_cast<size_t>(mx.cols));
    rw.region.resize(static_cast<size_t>(mx.cols));
    for (size_t si = 0; si < parts.size(); ++si) {
      const int64_t b = std::max(col_begin, seg_begin[si]);
      const int64_t e = std::min(col_end, seg_begin[si] + parts[si].cols);
      if (b >= e) continue;
      row_words(parts[si], row_begin + r, b - seg_begin[si], e - seg_begin[si], rw,
                static_cast<size_t>(b - col_begin));
    }
  }
  mx.gw.resize(static_cast<size_t>(mx.groups * mx.windows));
  std::vector<int64_t> pos;  // union positions, absolute columns
  std::vector<uint16_t> words;
  std::vector<int32_t> regions;
  std::vector<uint8_t> valid;
  for (int64_t g = 0; g < mx.groups; ++g) {
    const int64_t r0 = g * tn, r1 = std::min(mx.rows, r0 + tn);
    for (int64_t w = 0; w < mx.windows; ++w) {
      GroupWindow& gw = mx.gw[static_cast<size_t>(g * mx.windows + w)];
      const int64_t c0 = col_begin + w * mx.window;
      const int64_t c1 = std::min(col_end, c0 + mx.window);
      gw.synapse_index.assign(static_cast<size_t>((mx.window + 63) / 64), 0);
      pos.clear();
      for (int64_t c = c0; c < c1; ++c) {
        bool any = false;
        for (int64_t r = r0; r < r1 && !any; ++r) {
          any = rows[static_cast<size_t>(r)].kept[static_cast<size_t>(c - col_begin)] != 0;
        }
        if (!any) continue;
        pos.push_back(c);
        gw.synapse_index[static_cast<size_t>((c - c0) / 64)] |= uint64_t{1} << ((c - c0) % 64);
      }
      // Which part each union position is in (positions are sorted, parts contiguous).
      std::vector<size_t> seg_of(pos.size());
      for (size_t i = 0; i < pos.size(); ++i) {
        size_t si = 0;
        while (si + 1 < parts.size() && pos[i] >= seg_begin[si + 1]) ++si;
        seg_of[i] = si;
      }
      if (any_shift) {
        gw.shifts.resize(pos.size());
        for (size_t i = 0; i < pos.size(); ++i) {
          gw.shifts[i] = static_cast<uint8_t>(parts[seg_of[i]].shift);
        }
      }
      for (int64_t r = r0; r < r1; ++r) {
        const RowWords& rw = rows[static_cast<size_t>(r)];
        std::vector<int16_t> decoded(pos.size());
        // The synapse buffer holds the row's words per part; the WDM decodes each part.
        size_t i = 0;
        while (i < pos.size()) {
          const size_t si = seg_of[i];
          size_t j = i;
          words.clear();
          regions.clear();
          valid.clear();
          for (; j < pos.size() && seg_of[j] == si; ++j) {
            const size_t c = static_cast<size_t>(pos[j] - col_begin);
            words.push_back(rw.kept[c] != 0 ? rw.word[c] : uint16_t{0});
            regions.push_back(rw.region[c]);
            valid.push_back(rw.kept[c]);
          }
          const std::vector<uint8_t> sb = pack_words(words, wdms[si].word_bits());
          SIEVE_RETURN_IF_ERROR(
              wdms[si].decode(sb, regions, valid, std::span<int16_t>(decoded.data() + i, j - i)));
          i = j;
        }
        gw.pe_weights.push_back(std::move(decoded));
      }
    }
  }
  return mx;
}

Encoded encode(std::span<const int16_t> v, FunctionalStats& st) {
  Encoded e = Encoder::encode(v);
  st.encoded += static_cast<int64_t>(v.size());
  st.encoded_nonzero += static_cast<int64_t>(e.values.size());
  return e;
}

void run_tile(const WeightTile& mx, const Encoded& in, Datapath& dp, std::span<int64_t> acc) {
  SIEVE_ASSERT(in.index.size() == mx.cols, "input of {} for a tile of {} columns", in.index.size(),
               mx.cols);
  FunctionalStats& st = dp.st;
  int64_t compact = 0;  // neurons before the window in the compact list
  for (int64_t w = 0; w < mx.windows; ++w) {
    const int64_t c0 = w * mx.window, n = std::min(mx.window, mx.cols - c0);
    extract_bits(in.index, c0, n, dp.neuron_index);
    const int16_t* neurons = in.values.data() + compact;
    for (int64_t g = 0; g < mx.groups; ++g) {
      const GroupWindow& gw = mx.gw[static_cast<size_t>(g * mx.windows + w)];
      dp.nsm.select(dp.neuron_index.data(), gw.synapse_index.data(), n, neurons, dp.flags,
                    dp.selected);
      ++st.nsm_selections;
      st.selected += static_cast<int64_t>(dp.selected.size());
      if (dp.selected.empty()) continue;
      if (!gw.shifts.empty()) {
        Ssm::pick<uint8_t>(gw.shifts, dp.flags, dp.shifts);
      } else {
        dp.shifts.clear();
      }
      for (size_t p = 0; p < gw.pe_weights.size(); ++p) {
        Ssm::pick<int16_t>(gw.pe_weights[p], dp.flags, dp.weights);
        const int64_t row = g * mx.tn + static_cast<int64_t>(p);
        st.pefu_cycles +=
            dp.pefu.accumulate(dp.weights, dp.selected, dp.shifts, acc[static_cast<size_t>(row)]);
        st.multiplies += static_cast<int64_t>(dp.selected.size());
      }
    }
    compact += in.index.count(c0, c0 + n);
  }
}

Result<std::vector<int64_t>> bias_at(const compress::CompressedModel& model, const ir::Node& n,
                                     size_t operand, int64_t m, int acc_frac) {
  std::vector<int64_t> bias(static_cast<size_t>(m), 0);
  if (!n.has_input(operand)) return bias;
  SIEVE_ASSIGN_OR_RETURN(Tensor b, fx::dense_weight(model, n.input(operand)));
  if (b.numel() != m && b.numel() != 1) {
    return invalid_argument("{}: bias has {} elements for {} outputs", node_label(n), b.numel(), m);
  }
  for (int64_t j = 0; j < m; ++j) {
    bias[static_cast<size_t>(j)] =
        fx::quantize_wide(b.data<float>()[b.numel() == 1 ? 0 : j], acc_frac);
  }
  return bias;
}

}  // namespace sieve::hw::sieve_arch
