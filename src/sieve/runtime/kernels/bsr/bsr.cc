// Packing of block-sparse layers and the choice of a kernel path. Compiled for the x86-64
// baseline (no ISA flags): the dispatch must run on any CPU before it picks a path.
#include "sieve/runtime/kernels/bsr/bsr.h"

#include <algorithm>
#include <cstring>

#include "sieve/core/assert.h"
#include "sieve/runtime/kernels/bsr/internal.h"

namespace sieve::runtime::kernels::bsr {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "?";
}

Isa best_isa(const CpuFeatures& cpu) {
  if (cpu.avx512f) return Isa::kAvx512;
  if (cpu.avx2 && cpu.fma) return Isa::kAvx2;
  return Isa::kScalar;
}

Result<Isa> isa_for(std::string_view name, const CpuFeatures& cpu) {
  // The SIEVE_ISA spellings are accepted too: "native" is the best path, "generic" the scalar.
  if (name == "native" || name.empty()) return best_isa(cpu);
  if (name == "scalar" || name == "generic") return Isa::kScalar;
  if (name == "avx2") {
    if (!cpu.avx2) return failed_precondition("avx2: the CPU has no avx2");
    if (!cpu.fma) return failed_precondition("avx2: the CPU has no fma");
    return Isa::kAvx2;
  }
  if (name == "avx512") {
    if (!cpu.avx512f) return failed_precondition("avx512: the CPU has no avx512f");
    return Isa::kAvx512;
  }
  return invalid_argument("ISA path '{}': unknown; valid: scalar, avx2, avx512 (or native, generic)",
                          name);
}

int64_t BsrWeights::bytes() const {
  return static_cast<int64_t>(row_ptr.size() * sizeof(int64_t) + col_blk.size() * sizeof(int32_t) +
                              values.size() * sizeof(float) + codes.size() +
                              block_codebook.size() * sizeof(int32_t) +
                              codebooks.size() * sizeof(float) + bias.size() * sizeof(float));
}

namespace {

// One kept block while packing: where it is and which codebook its kept positions use.
struct KeptBlock {
  int64_t bi = 0, bj = 0;
  int32_t codebook = -1;
  bool mixed = false;   // kept positions of two codebooks
  bool padded = false;  // holds a position that must decode to 0 (pruned or past the edge)
};

// The fp32 value of position (r, c) as the layer would store it: 0 when pruned.
float weight_at(const PackInput& in, int64_t r, int64_t c,
                const std::vector<std::vector<float>>* cbs) {
  const int64_t i = r * in.cols + c;
  if (in.mask != nullptr && in.mask[i] == 0) return 0.0f;
  if (in.bits == 0) return in.dense[i];
  return (*cbs)[static_cast<size_t>(in.codebook_of[i])][in.code[i]];
}

}  // namespace

Result<BsrWeights> pack_bsr(const PackInput& in) {
  if (in.rows < 0 || in.cols < 0) {
    return invalid_argument("layer shape {}×{}: rows and cols must be at least 0", in.rows, in.cols);
  }
  if (in.br < 1 || in.bc < 1) {
    return invalid_argument("block shape br={} bc={}: both must be at least 1", in.br, in.bc);
  }
  if (in.bits != 0 && in.bits != 4 && in.bits != 8) {
    return invalid_argument("bits={}: must be 0 (fp32 values), 4 or 8 (codes)", in.bits);
  }
  const int64_t total = in.rows * in.cols;
  if (in.bits == 0 && total > 0 && in.dense == nullptr) {
    return invalid_argument("dense: null, but bits=0 stores the fp32 values from it");
  }
  const int64_t entries = int64_t{1} << in.bits;
  const std::vector<std::vector<float>>* cbs = in.codebooks;
  if (in.bits != 0) {
    if (in.code == nullptr || in.codebook_of == nullptr || cbs == nullptr) {
      return invalid_argument("bits={}: code, codebook_of and codebooks must all be given", in.bits);
    }
    for (size_t b = 0; b < cbs->size(); ++b) {
      if (static_cast<int64_t>((*cbs)[b].size()) != entries) {
        return invalid_argument("codebooks[{}]: {} entries, but bits={} needs {}", b,
                                (*cbs)[b].size(), in.bits, entries);
      }
    }
    for (int64_t i = 0; i < total; ++i) {
      if (in.mask != nullptr && in.mask[i] == 0) continue;
      const int32_t b = in.codebook_of[i];
      if (b < 0 || b >= static_cast<int64_t>(cbs->size())) {
        return invalid_argument("codebook_of[{}]={} at ({}, {}): past the {} codebooks", i, b,
                                i / in.cols, i % in.cols, cbs->size());
      }
      if (in.code[i] >= entries) {
        return invalid_argument("code[{}]={} at ({}, {}): past the {}-entry codebook {}", i,
                                in.code[i], i / in.cols, i % in.cols, entries, b);
      }
    }
  }

  BsrWeights w;
  w.rows = in.rows;
  w.cols = in.cols;
  w.br = in.br;
  w.bc = in.bc;
  w.bits = in.bits;
  if (in.bias != nullptr) w.bias.assign(in.bias, in.bias + in.rows);

  // The kept blocks, block row by block row.
  const int64_t nbr = (in.rows + in.br - 1) / in.br, nbc = (in.cols + in.bc - 1) / in.bc;
  std::vector<KeptBlock> kept;
  std::vector<int64_t> slot(static_cast<size_t>(nbc), -1);  // block column -> index in `kept`
  std::vector<int64_t> count(static_cast<size_t>(nbc), 0);  // kept positions per block column
  w.row_ptr.assign(static_cast<size_t>(nbr + 1), 0);
  for (int64_t bi = 0; bi < nbr; ++bi) {
    const int64_t r0 = bi * in.br, r1 = std::min(in.rows, r0 + in.br);
    const size_t first = kept.size();
    std::fill(slot.begin(), slot.end(), -1);
    std::fill(count.begin(), count.end(), 0);
    for (int64_t bj = 0; bj < nbc; ++bj) {
      const int64_t c0 = bj * in.bc, c1 = std::min(in.cols, c0 + in.bc);
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t c = c0; c < c1; ++c) {
          const int64_t i = r * in.cols + c;
          if (in.mask != nullptr && in.mask[i] == 0) continue;
          if (slot[static_cast<size_t>(bj)] < 0) {
            slot[static_cast<size_t>(bj)] = static_cast<int64_t>(kept.size());
            kept.push_back(KeptBlock{bi, bj, in.bits != 0 ? in.codebook_of[i] : -1});
          }
          KeptBlock& kb = kept[static_cast<size_t>(slot[static_cast<size_t>(bj)])];
          if (in.bits != 0 && in.codebook_of[i] != kb.codebook) kb.mixed = true;
          ++count[static_cast<size_t>(bj)];
        }
      }
    }
    for (size_t k = first; k < kept.size(); ++k) {
      kept[k].padded = count[static_cast<size_t>(kept[k].bj)] < in.br * in.bc;
    }
    w.row_ptr[static_cast<size_t>(bi + 1)] = static_cast<int64_t>(kept.size());
  }
  w.col_blk.reserve(kept.size());
  for (const KeptBlock& kb : kept) w.col_blk.push_back(static_cast<int32_t>(kb.bj));

  // Codes: every padded block needs a code of value exactly 0 in its codebook. A codebook
  // without a 0 gets one in an entry no kept position uses; when every entry is used, or a
  // block mixes codebooks, the layer is stored as fp32 (bits = 0) and `note` says why.
  std::vector<int> zero_code;
  if (in.bits != 0) {
    w.codebooks.reserve(cbs->size() * static_cast<size_t>(entries));
    for (const std::vector<float>& cb : *cbs) w.codebooks.insert(w.codebooks.end(), cb.begin(), cb.end());
    std::vector<uint8_t> used(cbs->size() * static_cast<size_t>(entries), 0);
    for (int64_t i = 0; i < total; ++i) {
      if (in.mask != nullptr && in.mask[i] == 0) continue;
      used[static_cast<size_t>(in.codebook_of[i] * entries + in.code[i])] = 1;
    }
    zero_code.assign(cbs->size(), -1);
    std::vector<uint8_t> needs_zero(cbs->size(), 0);
    for (const KeptBlock& kb : kept) {
      if (kb.mixed) {
        w.note = fmt::format(
            "a {}×{} block at block ({}, {}) spans two codebooks: layer stored as fp32", in.br,
            in.bc, kb.bi, kb.bj);
        break;
      }
      if (kb.padded) needs_zero[static_cast<size_t>(kb.codebook)] = 1;
    }
    for (size_t b = 0; b < cbs->size() && w.note.empty(); ++b) {
      if (!needs_zero[b]) continue;
      for (int64_t e = 0; e < entries && zero_code[b] < 0; ++e) {
        if ((*cbs)[b][static_cast<size_t>(e)] == 0.0f) zero_code[b] = static_cast<int>(e);
      }
      for (int64_t e = 0; e < entries && zero_code[b] < 0; ++e) {
        if (used[b * static_cast<size_t>(entries) + static_cast<size_t>(e)] == 0) {
          zero_code[b] = static_cast<int>(e);
          w.codebooks[b * static_cast<size_t>(entries) + static_cast<size_t>(e)] = 0.0f;
        }
      }
      if (zero_code[b] < 0) {
        w.note = fmt::format(
            "codebook {} uses all {} codes and has no 0, so a kept block's pruned or edge "
            "positions cannot be coded: layer stored as fp32",
            b, entries);
      }
    }
    if (!w.note.empty()) {
      w.bits = 0;
      w.codebooks.clear();
    }
  }

  const int64_t bsize = in.br * in.bc;
  const size_t nk = kept.size();
  if (w.bits == 0) {
    w.values.assign(nk * static_cast<size_t>(bsize), 0.0f);
  } else {
    w.block_codebook.reserve(nk);
    for (const KeptBlock& kb : kept) w.block_codebook.push_back(kb.codebook);
    const size_t ncodes = nk * static_cast<size_t>(bsize);
    w.codes.assign(w.bits == 8 ? ncodes : (ncodes + 1) / 2, 0);
  }
  for (size_t k = 0; k < nk; ++k) {
    const KeptBlock& kb = kept[k];
    const int64_t r0 = kb.bi * in.br, c0 = kb.bj * in.bc;
    for (int64_t br = 0; br < in.br; ++br) {
      for (int64_t bc = 0; bc < in.bc; ++bc) {
        const int64_t r = r0 + br, c = c0 + bc, p = static_cast<int64_t>(k) * bsize + br * in.bc + bc;
        const bool inside = r < in.rows && c < in.cols;
        const bool on = inside && (in.mask == nullptr || in.mask[r * in.cols + c] != 0);
        if (w.bits == 0) {
          w.values[static_cast<size_t>(p)] = on ? weight_at(in, r, c, cbs) : 0.0f;
          continue;
        }
        const unsigned code = on ? in.code[r * in.cols + c]
                                 : static_cast<unsigned>(zero_code[static_cast<size_t>(kb.codebook)]);
        if (w.bits == 8) {
          w.codes[static_cast<size_t>(p)] = static_cast<uint8_t>(code);
        } else {
          w.codes[static_cast<size_t>(p >> 1)] |= static_cast<uint8_t>(code << ((p & 1) * 4));
        }
      }
    }
  }
  return w;
}

namespace {

const CpuFeatures& this_cpu() {
  static const CpuFeatures cpu = detected_cpu_features();
  return cpu;
}

}  // namespace

void spmm(const BsrWeights& w, const float* x, int64_t n, float* y, Isa isa,
          int64_t block_row_begin, int64_t block_row_end) {
  SIEVE_ASSERT(0 <= block_row_begin && block_row_begin <= block_row_end &&
                   block_row_end <= w.block_rows(),
               "block rows [{}, {}) of {}", block_row_begin, block_row_end, w.block_rows());
  SIEVE_ASSERT(n >= 0, "n={}", n);
  if (n == 0 || block_row_begin == block_row_end) return;
  // A path the CPU lacks would die of SIGILL somewhere inside; say which instead.
  SIEVE_ASSERT(isa_for(isa_name(isa), this_cpu()).ok(), "spmm: ISA path {} on a CPU without it",
               isa_name(isa));
  switch (isa) {
    case Isa::kAvx512:
      detail::spmm_avx512(w, x, n, y, block_row_begin, block_row_end);
      return;
    case Isa::kAvx2:
      detail::spmm_avx2(w, x, n, y, block_row_begin, block_row_end);
      return;
    case Isa::kScalar:
      detail::spmm_scalar(w, x, n, y, block_row_begin, block_row_end);
      return;
  }
}

}  // namespace sieve::runtime::kernels::bsr
