// Fashion-MNIST (Xiao et al. 2017): the four gzip-compressed IDX files as a Dataset
// (io/datasets/dataset.h).
//
// The files come from Debian's `dataset-fashion-mnist` package (found with `dpkg -L`, falling
// back to /usr/share/datasets/fashion-mnist); the environment variable SIEVE_FASHION_MNIST_DIR
// or an explicit `dir` argument overrides the location. Nothing is ever downloaded.
// Everything read is checked (gzip stream complete, IDX magic numbers, 28x28 images, as many
// labels as images, labels < 10, exact data length); every error names the file, the field and
// the offending value, e.g.
//   ".../t10k-labels-idx1-ubyte.gz: magic 0x00000803, expected 0x00000801 (labels)".
// Ownership: results are plain values. Thread-safety: the functions share no state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"
#include "sieve/io/datasets/dataset.h"

namespace sieve::io {

// Raw content of an IDX file (big-endian header: 0, 0, element type, rank, then one u32 per
// dimension; then the elements, row-major).
struct IdxFile {
  uint8_t type_code = 0;      // 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64
  std::vector<int64_t> dims;  // outermost first
  std::vector<uint8_t> data;  // the elements exactly as stored (big-endian for multi-byte types)
  // The 32-bit magic number, e.g. 0x00000803 for a rank-3 u8 file.
  uint32_t magic() const { return (uint32_t{type_code} << 8) | static_cast<uint32_t>(dims.size()); }
};

// Reads a gzip-compressed IDX file: a missing file, a file that is not gzip, a truncated or
// corrupt gzip stream, an unknown element type, or a data length that differs from the header's
// dimensions (short or with trailing bytes) is an error naming the file.
Result<IdxFile> read_idx_gz(const std::string& path);
// The same from the bytes of a gzip file in memory; `origin` names it in error messages.
Result<IdxFile> parse_idx_gz(std::span<const uint8_t> gz, const std::string& origin);

// The folder holding the four files: $SIEVE_FASHION_MNIST_DIR if set, else the folder where
// `dpkg -L dataset-fashion-mnist` lists them, else /usr/share/datasets/fashion-mnist. Not found
// (no folder with t10k-images-idx3-ubyte.gz) is an error that says what was tried.
Result<std::string> default_fashion_mnist_dir();

// Loads split "train" (train-*-ubyte.gz, 60,000 items in the real set) or "test" (t10k-*,
// 10,000) from `dir` (empty: default_fashion_mnist_dir()). `limit` >= 0 keeps only the first
// `limit` items (the whole file is still read and checked).
Result<Dataset> load_fashion_mnist(const std::string& split, const std::string& dir = "",
                                   int64_t limit = -1);

// The Dataset of two parsed IDX files, with the checks load_fashion_mnist makes: images of magic
// 0x00000803 and 28x28, labels of magic 0x00000801, as many labels as images, each < 10.
// `images_path`/`labels_path` name them in errors. `limit` as in load_fashion_mnist.
Result<Dataset> fashion_mnist_from_idx(const IdxFile& images, const std::string& images_path,
                                       const IdxFile& labels, const std::string& labels_path,
                                       int64_t limit = -1);

}  // namespace sieve::io
