// Fuzz target: the Fashion-MNIST gzip+IDX reader (io/datasets/fashion_mnist.h), as
// load_fashion_mnist (`sieve train/eval/run --data-dir`) uses it. The input is read two ways:
// as a gzip file (parse_idx_gz on the bytes as given: the gzip paths), and as the IDX bytes
// inside one (the input gzip-compressed here first, so mutations reach the IDX header checks).
// An accepted images file (0x00000803) is paired with valid labels, an accepted labels file
// (0x00000801) with blank images, and both go through fashion_mnist_from_idx, the checks that
// make a Dataset.
#include <zlib.h>

#include "fuzz/fuzz.h"
#include "sieve/core/assert.h"
#include "sieve/io/datasets/fashion_mnist.h"

namespace sieve::fuzz {
namespace {

std::vector<uint8_t> gzip(std::string_view raw) {
  z_stream zs{};
  SIEVE_ASSERT(deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::vector<uint8_t> out(deflateBound(&zs, static_cast<uLong>(raw.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  SIEVE_ASSERT(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// The Dataset checks on an accepted file and a made-up valid partner.
void to_dataset(const io::IdxFile& f) {
  constexpr int64_t kMaxPartner = 1024;  // items: keeps a blank partner small
  if (f.magic() == 0x00000803 && f.dims[0] <= kMaxPartner) {
    io::IdxFile labels;
    labels.type_code = 0x08;
    labels.dims = {f.dims[0]};
    labels.data.assign(static_cast<size_t>(f.dims[0]), 0);
    (void)io::fashion_mnist_from_idx(f, "images", labels, "labels", f.dims[0] > 64 ? 16 : -1);
  } else if (f.magic() == 0x00000801 && f.dims[0] <= kMaxPartner) {
    io::IdxFile images;
    images.type_code = 0x08;
    images.dims = {f.dims[0], 28, 28};
    images.data.assign(static_cast<size_t>(f.dims[0]) * 28 * 28, 0);
    (void)io::fashion_mnist_from_idx(images, "images", f, "labels", f.dims[0] > 64 ? 16 : -1);
  }
}

}  // namespace

Status idx(std::string_view input) {
  const auto* p = reinterpret_cast<const uint8_t*>(input.data());
  Result<io::IdxFile> as_gz = io::parse_idx_gz({p, input.size()}, "fuzz.gz");
  if (as_gz.ok()) to_dataset(as_gz.value());
  const std::vector<uint8_t> gz = gzip(input);
  Result<io::IdxFile> as_raw = io::parse_idx_gz(gz, "fuzz-idx.gz");
  if (as_raw.ok()) to_dataset(as_raw.value());
  // The bytes as given are what a user's file would be.
  return as_gz.ok() ? ok_status() : as_gz.status();
}

}  // namespace sieve::fuzz

SIEVE_FUZZ_ENTRY(idx)
