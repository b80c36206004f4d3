#include "sieve/hw/core/csc.h"

#include <bit>

#include "sieve/core/assert.h"

namespace sieve::hw {

int64_t CscCounts::pe_entries(int64_t pe) const {
  int64_t n = 0;
  for (int64_t c = 0; c < cols; ++c) n += at(pe, c);
  return n;
}

namespace {

// Calls f(row, col) for every kept position in row-major order (set bits word by word).
template <typename F>
void for_each_kept(const BitVec* mask, int64_t rows, int64_t cols, F&& f) {
  if (mask == nullptr) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) f(r, c);
    return;
  }
  SIEVE_ASSERT(mask->size() == rows * cols);
  const std::vector<uint64_t>& words = mask->words();
  for (size_t w = 0; w < words.size(); ++w) {
    uint64_t bits = words[w];
    while (bits != 0) {
      const int64_t i = static_cast<int64_t>(w) * 64 + std::countr_zero(bits);
      bits &= bits - 1;
      if (i >= rows * cols) return;
      f(i / cols, i % cols);
    }
  }
}

}  // namespace

CscCounts count_csc(const BitVec* mask, int64_t rows, int64_t cols, int64_t n_pe,
                    int64_t max_gap) {
  CscCounts c;
  c.n_pe = n_pe, c.rows = rows, c.cols = cols;
  const size_t n = static_cast<size_t>(n_pe * cols);
  c.entries.assign(n, 0);
  c.padding.assign(n, 0);
  // Rows arrive in increasing order, so each (PE, column) sees its local rows in order: the
  // next free local row of each is all the state the relative index needs.
  std::vector<int32_t> next(n, 0);
  for_each_kept(mask, rows, cols, [&](int64_t r, int64_t col) {
    const size_t k = static_cast<size_t>((r % n_pe) * cols + col);
    const int64_t local = r / n_pe;
    const int64_t pad = paddings_for_gap(local - next[k], max_gap);
    c.padding[k] += static_cast<int32_t>(pad);
    c.entries[k] += static_cast<int32_t>(pad + 1);
    next[k] = static_cast<int32_t>(local + 1);
    ++c.nonzeros;
    c.paddings += pad;
  });
  return c;
}

std::vector<PeSlice> encode_csc(const BitVec* mask, int64_t rows, int64_t cols, int64_t n_pe,
                                int64_t max_gap, const std::vector<uint16_t>& codes) {
  // Entries per (PE, column), then flattened column by column.
  std::vector<std::vector<CscEntry>> cells(static_cast<size_t>(n_pe * cols));
  std::vector<int64_t> next(cells.size(), 0);
  int64_t rank = 0;
  for_each_kept(mask, rows, cols, [&](int64_t r, int64_t col) {
    const size_t k = static_cast<size_t>((r % n_pe) * cols + col);
    const int64_t local = r / n_pe;
    int64_t z = local - next[k];
    while (z > max_gap) {
      cells[k].push_back({0, static_cast<uint8_t>(max_gap), true, -1});
      z -= max_gap + 1;
    }
    CscEntry e;
    e.code = codes.empty() ? 0 : codes[static_cast<size_t>(rank)];
    e.rel = static_cast<uint8_t>(z);
    e.source = rank++;
    cells[k].push_back(e);
    next[k] = local + 1;
  });
  std::vector<PeSlice> out(static_cast<size_t>(n_pe));
  for (int64_t p = 0; p < n_pe; ++p) {
    PeSlice& s = out[static_cast<size_t>(p)];
    s.col_ptr.assign(static_cast<size_t>(cols + 1), 0);
    for (int64_t c = 0; c < cols; ++c) {
      const auto& cell = cells[static_cast<size_t>(p * cols + c)];
      s.entries.insert(s.entries.end(), cell.begin(), cell.end());
      s.col_ptr[static_cast<size_t>(c + 1)] = static_cast<int64_t>(s.entries.size());
    }
  }
  return out;
}

}  // namespace sieve::hw
