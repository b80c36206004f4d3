#include "sieve/compress/coding/index.h"

#include <cmath>

#include "sieve/compress/coding/bitstream.h"
#include "sieve/core/assert.h"
#include "sieve/core/block_grid.h"

namespace sieve::compress::coding {

namespace {

constexpr IndexFormat kAllFormats[] = {IndexFormat::kBitmask,  IndexFormat::kBlock,
                                       IndexFormat::kRelative, IndexFormat::kCsr,
                                       IndexFormat::kCsc,      IndexFormat::kCoo};

EncodedIndex finish(IndexFormat f, BitWriter& w) {
  EncodedIndex e;
  e.format = f;
  e.bits = w.bit_count();
  e.bytes = w.take();
  return e;
}

int64_t count_kept(const MaskView& m) {
  int64_t n = 0;
  for (int64_t i = 0; i < m.size(); ++i) n += m.data[i] != 0;
  return n;
}

// The tiling of `shape` by `block` (one size per dimension, missing trailing sizes 1).
Result<BlockGrid> block_tiling(const Shape& shape, std::span<const int64_t> block) {
  return BlockGrid::make(shape, block, {}, "block index");
}

// Kept flag per block, or an empty vector when the mask is not constant on some block.
std::vector<int8_t> block_flags(const Tensor& mask, const BlockGrid& grid) {
  std::vector<int8_t> flag(static_cast<size_t>(grid.blocks()), -1);
  const uint8_t* m = mask.data<uint8_t>();
  bool constant = true;
  grid.for_each_offset([&](int64_t i, int64_t id) {
    const int8_t v = m[i] != 0 ? 1 : 0;
    int8_t& f = flag[static_cast<size_t>(id)];
    if (f < 0) {
      f = v;
    } else if (f != v) {
      constant = false;
    }
  });
  if (!constant) return {};
  return flag;
}

// Number of fillers a gap of z pruned positions needs with k-bit entries.
int64_t fillers_for(int64_t z, int k) {
  const int64_t escape = (int64_t{1} << k) - 1;
  return z / escape;
}

}  // namespace

const char* index_format_name(IndexFormat f) {
  switch (f) {
    case IndexFormat::kBitmask: return "bitmask";
    case IndexFormat::kBlock: return "block";
    case IndexFormat::kRelative: return "relative";
    case IndexFormat::kCsr: return "csr";
    case IndexFormat::kCsc: return "csc";
    case IndexFormat::kCoo: return "coo";
  }
  return "?";
}

Result<IndexFormat> parse_index_format(const std::string& name) {
  for (IndexFormat f : kAllFormats) {
    if (name == index_format_name(f)) return f;
  }
  return invalid_argument(
      "unknown index format \"{}\" (known: bitmask, block, relative, csr, "
      "csc, coo)",
      name);
}

MaskView mask_view(const Tensor& mask) {
  SIEVE_ASSERT(mask.dtype() == DType::kU8 && mask.rank() >= 1, "mask_view: {} {}",
               dtype_name(mask.dtype()), shape_str(mask.shape()));
  MaskView v;
  v.data = mask.data<uint8_t>();
  v.rows = mask.rank() == 1 ? 1 : mask.dim(0);
  v.cols = v.rows == 0 ? 0 : mask.numel() / v.rows;
  return v;
}

EncodedIndex encode_bitmask(const MaskView& mask) {
  BitWriter w;
  for (int64_t i = 0; i < mask.size(); ++i) w.put(mask.data[i] != 0 ? 1 : 0, 1);
  return finish(IndexFormat::kBitmask, w);
}

Result<EncodedIndex> encode_block(const Tensor& mask, std::span<const int64_t> block) {
  SIEVE_ASSIGN_OR_RETURN(const BlockGrid grid, block_tiling(mask.shape(), block));
  const std::vector<int8_t> flags = block_flags(mask, grid);
  if (flags.empty() && mask.numel() > 0) {
    return invalid_argument("mask {} is not constant on blocks of {}", shape_str(mask.shape()),
                            shape_str(grid.block()));
  }
  BitWriter w;
  for (int8_t f : flags) w.put(f > 0 ? 1 : 0, 1);
  return finish(IndexFormat::kBlock, w);
}

std::vector<uint16_t> relative_gaps(const MaskView& mask, int k, int64_t* fillers) {
  SIEVE_ASSERT(k >= 1 && k <= 16, "relative index: k = {}", k);
  const int64_t escape = (int64_t{1} << k) - 1;
  std::vector<uint16_t> out;
  int64_t z = 0, nf = 0;
  for (int64_t i = 0; i < mask.size(); ++i) {
    if (mask.data[i] == 0) {
      ++z;
      continue;
    }
    while (z >= escape) {
      out.push_back(static_cast<uint16_t>(escape));
      z -= escape;
      ++nf;
    }
    out.push_back(static_cast<uint16_t>(z));
    z = 0;
  }
  if (fillers != nullptr) *fillers = nf;
  return out;
}

Result<EncodedIndex> encode_relative(const MaskView& mask, int k) {
  if (k < 1 || k > 16) return invalid_argument("relative index: k = {} (expected 1..16)", k);
  int64_t fillers = 0;
  const std::vector<uint16_t> gaps = relative_gaps(mask, k, &fillers);
  BitWriter w;
  for (uint16_t g : gaps) w.put(g, k);
  EncodedIndex e = finish(IndexFormat::kRelative, w);
  e.k = k;
  e.fillers = fillers;
  return e;
}

namespace {
// CSR (by_rows) and CSC (!by_rows): pointers (running kept counts per outer line, starting at
// 0) then the inner position of every kept element, both at their minimal widths.
EncodedIndex encode_compressed(const MaskView& mask, bool by_rows, IndexFormat format) {
  const int64_t outer = by_rows ? mask.rows : mask.cols;
  const int64_t inner = by_rows ? mask.cols : mask.rows;
  auto kept = [&](int64_t o, int64_t i) {
    return (by_rows ? mask.at(o, i) : mask.at(i, o)) != 0;
  };
  const int64_t nnz = count_kept(mask);
  const int pw = bits_for(static_cast<uint64_t>(nnz));
  const int iw = bits_for(static_cast<uint64_t>(std::max<int64_t>(inner - 1, 0)));
  BitWriter w;
  int64_t acc = 0;
  w.put(0, pw);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) acc += kept(o, i);
    w.put(static_cast<uint32_t>(acc), pw);
  }
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      if (kept(o, i)) w.put(static_cast<uint32_t>(i), iw);
    }
  }
  return finish(format, w);
}
}  // namespace

EncodedIndex encode_csr(const MaskView& mask) {
  return encode_compressed(mask, /*by_rows=*/true, IndexFormat::kCsr);
}

EncodedIndex encode_csc(const MaskView& mask) {
  return encode_compressed(mask, /*by_rows=*/false, IndexFormat::kCsc);
}

EncodedIndex encode_coo(const MaskView& mask) {
  const int rw = bits_for(static_cast<uint64_t>(std::max<int64_t>(mask.rows - 1, 0)));
  const int cw = bits_for(static_cast<uint64_t>(std::max<int64_t>(mask.cols - 1, 0)));
  BitWriter w;
  for (int64_t r = 0; r < mask.rows; ++r) {
    for (int64_t c = 0; c < mask.cols; ++c) {
      if (mask.at(r, c) != 0) {
        w.put(static_cast<uint32_t>(r), rw);
        w.put(static_cast<uint32_t>(c), cw);
      }
    }
  }
  return finish(IndexFormat::kCoo, w);
}

Result<Tensor> decode_index(const EncodedIndex& index, const Shape& shape, int64_t kept,
                            std::span<const int64_t> block) {
  const char* name = index_format_name(index.format);
  if (index.bytes.size() != (index.bits + 7) / 8) {
    return data_loss("{} index: {} bytes for {} bits", name, index.bytes.size(), index.bits);
  }
  Tensor out(DType::kU8, shape);
  if (shape.empty()) return invalid_argument("{} index: scalar weight shape", name);
  const MaskView v = mask_view(out);
  uint8_t* m = out.data<uint8_t>();
  const int64_t n = out.numel();
  if (kept < 0 || kept > n) {
    return invalid_argument("{} index: {} kept of {} positions", name, kept, n);
  }
  BitReader in(index.bytes, static_cast<int64_t>(index.bits));
  int64_t got = 0;
  switch (index.format) {
    case IndexFormat::kBitmask:
      for (int64_t i = 0; i < n; ++i) {
        SIEVE_ASSIGN_OR_RETURN(uint32_t b, in.get(1));
        m[i] = static_cast<uint8_t>(b);
        got += b;
      }
      break;
    case IndexFormat::kBlock: {
      SIEVE_ASSIGN_OR_RETURN(const BlockGrid grid, block_tiling(shape, block));
      const int64_t nb = grid.blocks();
      std::vector<uint8_t> flags(static_cast<size_t>(nb));
      for (int64_t i = 0; i < nb; ++i) {
        SIEVE_ASSIGN_OR_RETURN(uint32_t bit, in.get(1));
        flags[static_cast<size_t>(i)] = static_cast<uint8_t>(bit);
      }
      grid.for_each_offset([&](int64_t i, int64_t id) {
        m[i] = flags[static_cast<size_t>(id)];
        got += m[i];
      });
      break;
    }
    case IndexFormat::kRelative: {
      if (index.k < 1 || index.k > 16) {
        return data_loss("relative index: entry width k = {} (expected 1..16)", index.k);
      }
      const uint32_t escape = (uint32_t{1} << index.k) - 1;
      int64_t pos = 0;
      while (got < kept) {
        SIEVE_ASSIGN_OR_RETURN(uint32_t e, in.get(index.k));
        pos += e;
        if (e == escape) continue;
        if (pos >= n) {
          return data_loss("relative index: entry {} points at position {} of {}", got, pos, n);
        }
        m[pos++] = 1;
        ++got;
      }
      break;
    }
    case IndexFormat::kCsr:
    case IndexFormat::kCsc: {
      const bool csr = index.format == IndexFormat::kCsr;
      const int64_t outer = csr ? v.rows : v.cols;
      const int64_t inner = csr ? v.cols : v.rows;
      const int pw = bits_for(static_cast<uint64_t>(kept));
      const int iw = bits_for(static_cast<uint64_t>(std::max<int64_t>(inner - 1, 0)));
      std::vector<int64_t> ptr(static_cast<size_t>(outer + 1));
      for (int64_t i = 0; i <= outer; ++i) {
        SIEVE_ASSIGN_OR_RETURN(uint32_t p, in.get(pw));
        ptr[static_cast<size_t>(i)] = p;
        if ((i == 0 && p != 0) ||
            (i > 0 && ptr[static_cast<size_t>(i)] < ptr[static_cast<size_t>(i - 1)])) {
          return data_loss("{} index: pointer {} = {} out of order", name, i, p);
        }
      }
      if (ptr[static_cast<size_t>(outer)] != kept) {
        return data_loss("{} index: pointers end at {}, expected {} kept", name,
                         ptr[static_cast<size_t>(outer)], kept);
      }
      for (int64_t o = 0; o < outer; ++o) {
        int64_t last = -1;
        for (int64_t j = ptr[static_cast<size_t>(o)]; j < ptr[static_cast<size_t>(o + 1)]; ++j) {
          SIEVE_ASSIGN_OR_RETURN(uint32_t x, in.get(iw));
          if (static_cast<int64_t>(x) <= last || static_cast<int64_t>(x) >= inner) {
            return data_loss("{} index: index {} at entry {} out of order or range", name, x, j);
          }
          last = x;
          m[csr ? o * v.cols + x : x * v.cols + o] = 1;
          ++got;
        }
      }
      break;
    }
    case IndexFormat::kCoo: {
      const int rw = bits_for(static_cast<uint64_t>(std::max<int64_t>(v.rows - 1, 0)));
      const int cw = bits_for(static_cast<uint64_t>(std::max<int64_t>(v.cols - 1, 0)));
      int64_t last = -1;
      for (int64_t j = 0; j < kept; ++j) {
        SIEVE_ASSIGN_OR_RETURN(uint32_t r, in.get(rw));
        SIEVE_ASSIGN_OR_RETURN(uint32_t c, in.get(cw));
        const int64_t p = static_cast<int64_t>(r) * v.cols + c;
        if (r >= v.rows || c >= v.cols || p <= last) {
          return data_loss("coo index: entry {} ({}, {}) out of order or range", j, r, c);
        }
        last = p;
        m[p] = 1;
        ++got;
      }
      break;
    }
  }
  if (got != kept) {
    return data_loss("{} index: {} kept positions decoded, expected {}", name, got, kept);
  }
  if (in.remaining() != 0) {
    return data_loss("{} index: {} bits left over after decoding", name, in.remaining());
  }
  return out;
}

double deep_compression_rate(double n, double k, double b) {
  return n * b / (n * std::log2(k) + k * b);
}

IndexChoice choose_index_format(const Tensor& mask, std::span<const int64_t> block,
                                int weight_bits) {
  IndexChoice choice;
  for (IndexFormat f : kAllFormats) {
    IndexCost c;
    c.format = f;
    choice.costs.push_back(c);
  }
  if (mask.empty()) {
    choice.costs[static_cast<size_t>(IndexFormat::kBlock)].available = false;
    choice.best = choice.costs[0];
    return choice;
  }
  const MaskView v = mask_view(mask);
  const uint64_t n = static_cast<uint64_t>(v.size());
  const uint64_t nnz = static_cast<uint64_t>(count_kept(v));
  const uint64_t rw =
      static_cast<uint64_t>(bits_for(static_cast<uint64_t>(std::max<int64_t>(v.rows - 1, 0))));
  const uint64_t cw =
      static_cast<uint64_t>(bits_for(static_cast<uint64_t>(std::max<int64_t>(v.cols - 1, 0))));
  const uint64_t pw = static_cast<uint64_t>(bits_for(nnz));
  auto set = [&](IndexFormat f, uint64_t bits) {
    IndexCost& c = choice.costs[static_cast<size_t>(f)];
    c.bits = bits;
    c.bytes = (bits + 7) / 8;
    c.total_bits = bits;
  };
  set(IndexFormat::kBitmask, n);
  set(IndexFormat::kCsr, (static_cast<uint64_t>(v.rows) + 1) * pw + nnz * cw);
  set(IndexFormat::kCsc, (static_cast<uint64_t>(v.cols) + 1) * pw + nnz * rw);
  set(IndexFormat::kCoo, nnz * (rw + cw));
  // Block.
  {
    IndexCost& c = choice.costs[static_cast<size_t>(IndexFormat::kBlock)];
    Result<BlockGrid> grid = block_tiling(mask.shape(), block);
    c.available = false;
    if (!block.empty() && grid.ok()) {
      const std::vector<int8_t> flags = block_flags(mask, *grid);
      if (!flags.empty()) {
        c.available = true;
        set(IndexFormat::kBlock, flags.size());
      }
    }
  }
  // Relative: gaps once, then the cost for every k.
  {
    std::vector<int64_t> gaps;
    gaps.reserve(static_cast<size_t>(nnz));
    int64_t z = 0;
    for (uint64_t i = 0; i < n; ++i) {
      if (v.data[i] == 0) {
        ++z;
      } else {
        gaps.push_back(z);
        z = 0;
      }
    }
    IndexCost& c = choice.costs[static_cast<size_t>(IndexFormat::kRelative)];
    bool first = true;
    for (int k = 1; k <= 16; ++k) {
      int64_t fillers = 0;
      for (int64_t g : gaps) fillers += fillers_for(g, k);
      const uint64_t bits = (nnz + static_cast<uint64_t>(fillers)) * static_cast<uint64_t>(k);
      const uint64_t total =
          bits + static_cast<uint64_t>(fillers) * static_cast<uint64_t>(std::max(weight_bits, 0));
      if (first || total < c.total_bits) {
        c.k = k;
        c.bits = bits;
        c.bytes = (bits + 7) / 8;
        c.fillers = fillers;
        c.total_bits = total;
        first = false;
      }
    }
  }
  bool have = false;
  for (const IndexCost& c : choice.costs) {
    if (!c.available) continue;
    if (!have || c.total_bits < choice.best.total_bits) {
      choice.best = c;
      have = true;
    }
  }
  return choice;
}

}  // namespace sieve::compress::coding
