// The IDX reader against the bad inputs of issue 8: a gzip bomb (its header declares more
// than a dataset file may hold, or the stream inflates past what its header declares) is
// refused without inflating it, and a directory named like a dataset file is an error, not an
// exception.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_util.h"
#include "sieve/io/datasets/fashion_mnist.h"

namespace sieve::io {
namespace {

std::vector<uint8_t> gzip(const std::vector<uint8_t>& raw) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<uint8_t> out(deflateBound(&zs, raw.size()) + 64);
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::vector<uint8_t> idx_header(std::initializer_list<uint32_t> dims) {
  std::vector<uint8_t> h = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) h.push_back(static_cast<uint8_t>(d >> s));
  }
  return h;
}

TEST(FashionMnistBadInput, HeaderDeclaringMoreThanAnIdxFileMayHoldIsRefusedAtOnce) {
  // 2^31 images of 65535 x 65535: refused from the 16-byte header, nothing else inflated.
  std::vector<uint8_t> raw = idx_header({1u << 31, 65535, 65535});
  raw.resize(raw.size() + (1 << 20), 0);  // 1 MiB of zeros behind it (a few KB of gzip)
  Result<IdxFile> f = parse_idx_gz(gzip(raw), "bomb.gz");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find(
                "bomb.gz: header declares dims 2147483648x65535x65535 of 1-byte elements, more "
                "than the 268435456 bytes an IDX dataset file may hold"),
            std::string::npos)
      << f.status().message();
}

TEST(FashionMnistBadInput, StreamLongerThanItsHeaderDeclaresStopsEarly) {
  // The header declares 10 images of 28 x 28 (7,856 bytes with the header); the stream holds
  // 8 MiB of zeros (8 KB of gzip). Inflating stops 64 KiB past the declared size.
  std::vector<uint8_t> raw = idx_header({10, 28, 28});
  raw.resize(size_t{8} << 20, 0);
  Result<IdxFile> f = parse_idx_gz(gzip(raw), "bomb.gz");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("bomb.gz: decompresses to more than 73392 bytes, but its "
                                      "IDX header declares 7856"),
            std::string::npos)
      << f.status().message();
  // A little trailing data is still counted exactly.
  std::vector<uint8_t> small = idx_header({10, 28, 28});
  small.resize(7856 + 5, 0);
  Result<IdxFile> g = parse_idx_gz(gzip(small), "t.gz");
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("(5 bytes of trailing data)"), std::string::npos)
      << g.status().message();
}

TEST(FashionMnistBadInput, ADirectoryNamedLikeTheDataFileIsAnError) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("sieve_fmnist_dir_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "t10k-images-idx3-ubyte.gz");
  Result<Dataset> ds = load_fashion_mnist("test", dir.string());
  ASSERT_FALSE(ds.ok());
  EXPECT_NE(ds.status().message().find("t10k-images-idx3-ubyte.gz: is a directory, expected a "
                                       "gzip IDX file"),
            std::string::npos)
      << ds.status().message();
  // `sieve eval` and `sieve run` exit 1 with the message (it used to abort on std::ios_failure).
  for (const std::string cmd : {"eval --model lenet5", "run --model lenet5"}) {
    const sieve_test::CliRun r = sieve_test::run_sieve(cmd + " --data-dir " + dir.string());
    EXPECT_FALSE(r.signaled) << cmd << ": " << r.out;
    EXPECT_EQ(r.rc, 1) << cmd << ": " << r.out;
    EXPECT_NE(r.stderr_only.find("is a directory, expected a gzip IDX file"), std::string::npos)
        << cmd << ": " << r.out;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sieve::io
