#include "sieve/hw/archs/sieve/blocks.h"

#include <algorithm>
#include <bit>

#include "sieve/runtime/fixed16/fixed16.h"

namespace sieve::hw::sieve_arch {

// ---- NSM ----

Result<NsmTrace> Nsm::trace(std::span<const uint8_t> neuron_index,
                            std::span<const uint8_t> synapse_index,
                            std::span<const int16_t> neurons) const {
  const size_t n = neuron_index.size();
  if (synapse_index.size() != n) {
    return invalid_argument("NSM: neuron index has {} positions, synapse index {}", n,
                            synapse_index.size());
  }
  if (static_cast<int64_t>(n) > window_) {
    return invalid_argument("NSM: {} positions exceed the window of {}", n, window_);
  }
  NsmTrace t;
  t.indexing.resize(n);
  t.acc_neuron.resize(n);
  t.acc_synapse.resize(n);
  int32_t an = 0, as = 0;
  for (size_t i = 0; i < n; ++i) {
    an += neuron_index[i] != 0 ? 1 : 0;
    as += synapse_index[i] != 0 ? 1 : 0;
    t.acc_neuron[i] = an;
    t.acc_synapse[i] = as;
    t.indexing[i] = (neuron_index[i] != 0 && synapse_index[i] != 0) ? 1 : 0;
  }
  if (static_cast<size_t>(an) != neurons.size()) {
    return invalid_argument("NSM: the neuron index has {} set bits but {} neurons were given", an,
                            neurons.size());
  }
  for (size_t i = 0; i < n; ++i) {
    if (t.indexing[i] == 0) continue;
    t.neuron_flags.push_back(t.acc_neuron[i]);
    t.synapse_flags.push_back(t.acc_synapse[i]);
    t.selected.push_back(neurons[static_cast<size_t>(t.acc_neuron[i] - 1)]);
  }
  return t;
}

void Nsm::select(const uint64_t* neuron_index, const uint64_t* synapse_index, int64_t n,
                 const int16_t* neurons, std::vector<int32_t>& synapse_flags,
                 std::vector<int16_t>& selected) const {
  SIEVE_ASSERT(n <= window_, "NSM: {} positions exceed the window of {}", n, window_);
  synapse_flags.clear();
  selected.clear();
  const int64_t words = (n + 63) / 64;
  int32_t before_n = 0, before_s = 0;  // accumulated indexes at the end of the previous word
  for (int64_t w = 0; w < words; ++w) {
    const uint64_t nw = neuron_index[w], sw = synapse_index[w];
    uint64_t hit = nw & sw;
    while (hit != 0) {
      const int b = std::countr_zero(hit);
      const uint64_t upto = b == 63 ? ~uint64_t{0} : ((uint64_t{1} << (b + 1)) - 1);
      const int32_t nflag = before_n + std::popcount(nw & upto);
      synapse_flags.push_back(before_s + std::popcount(sw & upto));
      selected.push_back(neurons[nflag - 1]);
      hit &= hit - 1;
    }
    before_n += std::popcount(nw);
    before_s += std::popcount(sw);
  }
}

// ---- WDM ----

int aligned_code_bits(int bits) {
  SIEVE_ASSERT(bits >= 1 && bits <= 16, "code width {} outside 1..16", bits);
  return bits <= 4 ? 4 : bits <= 8 ? 8 : 16;
}

std::vector<uint8_t> pack_words(std::span<const uint16_t> words, int width) {
  SIEVE_ASSERT(width == 4 || width == 8 || width == 16, "word width {}", width);
  std::vector<uint8_t> out((words.size() * static_cast<size_t>(width) + 7) / 8, 0);
  for (size_t i = 0; i < words.size(); ++i) {
    const uint16_t w = words[i];
    if (width == 4) {
      SIEVE_ASSERT(w < 16, "word {} does not fit 4 bits", w);
      out[i / 2] |= static_cast<uint8_t>(w << ((i % 2) * 4));
    } else if (width == 8) {
      SIEVE_ASSERT(w < 256, "word {} does not fit 8 bits", w);
      out[i] = static_cast<uint8_t>(w);
    } else {
      out[2 * i] = static_cast<uint8_t>(w & 0xff);
      out[2 * i + 1] = static_cast<uint8_t>(w >> 8);
    }
  }
  return out;
}

uint16_t unpack_word(std::span<const uint8_t> packed, int width, int64_t i) {
  const size_t u = static_cast<size_t>(i);
  if (width == 4) return static_cast<uint16_t>((packed[u / 2] >> ((u % 2) * 4)) & 0xf);
  if (width == 8) return packed[u];
  return static_cast<uint16_t>(packed[2 * u] | (packed[2 * u + 1] << 8));
}

Result<Wdm> Wdm::for_layer(const compress::CompressedLayer& layer, int weight_frac) {
  if (layer.bits < 1 || layer.bits > 16) {
    return invalid_argument("WDM: layer \"{}\" has bits={}, expected 1..16", layer.weight,
                            layer.bits);
  }
  Wdm d;
  d.word_bits_ = aligned_code_bits(layer.bits);
  for (const std::vector<float>& book : layer.codebooks) {
    std::vector<int16_t> lut;
    lut.reserve(book.size());
    for (float v : book) lut.push_back(runtime::fixed16::quantize(v, weight_frac));
    d.luts_.push_back(std::move(lut));
  }
  return d;
}

Wdm Wdm::bypass() { return Wdm(); }

Status Wdm::decode(std::span<const uint8_t> packed, std::span<const int32_t> regions,
                   std::span<const uint8_t> valid, std::span<int16_t> out) const {
  for (size_t i = 0; i < out.size(); ++i) {
    if (valid[i] == 0) {
      out[i] = 0;
      continue;
    }
    const uint16_t word = unpack_word(packed, word_bits_, static_cast<int64_t>(i));
    if (is_bypass()) {
      out[i] = static_cast<int16_t>(word);
      continue;
    }
    const int32_t r = regions[i];
    if (r < 0 || static_cast<size_t>(r) >= luts_.size()) {
      return invalid_argument("WDM: region {} outside the {} LUTs", r, luts_.size());
    }
    const std::vector<int16_t>& lut = luts_[static_cast<size_t>(r)];
    if (word >= lut.size()) {
      return invalid_argument("WDM: code {} outside a LUT of {} entries (region {})", word,
                              lut.size(), r);
    }
    out[i] = lut[word];
  }
  return ok_status();
}

// ---- PEFU ----

int64_t Pefu::cycle(const int16_t* w, const int16_t* n, const uint8_t* shifts, int64_t k) const {
  SIEVE_ASSERT(k <= tm_, "PEFU: {} products in a cycle of {} multipliers", k, tm_);
  int64_t sum = 0;
  for (int64_t i = 0; i < k; ++i) {
    const int64_t p = int64_t{int32_t{w[i]} * int32_t{n[i]}};
    sum += shifts != nullptr ? p * (int64_t{1} << shifts[i]) : p;
  }
  return sum;
}

int64_t Pefu::accumulate(std::span<const int16_t> w, std::span<const int16_t> n,
                         std::span<const uint8_t> shifts, int64_t& acc) const {
  const int64_t k = static_cast<int64_t>(w.size());
  int64_t cycles = 0;
  for (int64_t i = 0; i < k; i += tm_, ++cycles) {
    const int64_t m = std::min(tm_, k - i);
    acc += cycle(w.data() + i, n.data() + i, shifts.empty() ? nullptr : shifts.data() + i, m);
  }
  return cycles;
}

int16_t Pefu::requantize(int64_t acc, int acc_frac, int out_frac) {
  return runtime::fixed16::requantize(acc, acc_frac, out_frac);
}

int16_t Pefu::activate(int16_t v, Activation a) {
  switch (a) {
    case Activation::kIdentity: return v;
    case Activation::kRelu: return std::max<int16_t>(v, 0);
  }
  return v;
}

// ---- Encoder ----

Encoded Encoder::encode(std::span<const int16_t> neurons) {
  Encoded e;
  e.index = BitVec(static_cast<int64_t>(neurons.size()));
  for (size_t i = 0; i < neurons.size(); ++i) {
    if (neurons[i] == 0) continue;
    e.index.set(static_cast<int64_t>(i));
    e.values.push_back(neurons[i]);
  }
  return e;
}

std::vector<int16_t> Encoder::decode(const Encoded& e) {
  std::vector<int16_t> out(static_cast<size_t>(e.index.size()), 0);
  size_t k = 0;
  for (int64_t i = 0; i < e.index.size(); ++i) {
    if (e.index.get(i)) out[static_cast<size_t>(i)] = e.values[k++];
  }
  return out;
}

}  // namespace sieve::hw::sieve_arch
