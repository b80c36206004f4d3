// Tests of the Fashion-MNIST reader (io/datasets/fashion_mnist.h).
//
// Fixtures: tests/data/fashion-mnist-tiny (valid, 64 train / 32 test synthetic items) and
// tests/data/fashion-mnist-broken/<case> (one defect each). They are committed; regenerate them
// with `python3 scripts/make_test_fixtures.py` (the pixel/label formulas below must match it).
// The last tests read the real Debian files and are skipped when dataset-fashion-mnist is absent.
#include "sieve/io/datasets/fashion_mnist.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace sieve::io {
namespace {

using ::testing::HasSubstr;

const std::string kData = SIEVE_TEST_DATA_DIR;
const std::string kTiny = kData + "/fashion-mnist-tiny";
std::string broken(const std::string& c) {
  return kData + "/fashion-mnist-broken/" + c;
}

// The generator's formulas (scripts/make_test_fixtures.py).
int fixture_label(bool train, int i) {
  return train ? (7 * i + 3) % 10 : i % 10;
}
int fixture_pixel(bool train, int i, int r, int c) {
  return ((train ? 13 : 101) + 37 * i + 11 * r + 5 * c + 19 * fixture_label(train, i)) % 256;
}

void check_fixture(const Dataset& ds, bool train, int count) {
  ASSERT_EQ(ds.images.dtype(), DType::kF32);
  ASSERT_EQ(ds.images.shape(), (Shape{count, 1, 28, 28}));
  ASSERT_EQ(ds.labels.size(), static_cast<size_t>(count));
  EXPECT_EQ(ds.num_classes, 10);
  const float* px = ds.images.data<float>();
  for (int i = 0; i < count; ++i) {
    ASSERT_EQ(ds.labels[i], fixture_label(train, i)) << "item " << i;
    for (int r = 0; r < 28; ++r) {
      for (int c = 0; c < 28; ++c) {
        const float want = static_cast<float>(fixture_pixel(train, i, r, c)) / 255.0f;
        ASSERT_FLOAT_EQ(px[(i * 28 + r) * 28 + c], want)
            << "item " << i << " r " << r << " c " << c;
      }
    }
  }
}

TEST(FashionMnist, LoadsTinyTestSplit) {
  auto ds = load_fashion_mnist("test", kTiny);
  ASSERT_TRUE(ds.ok()) << ds.status().to_string();
  check_fixture(*ds, false, 32);
  // Values span [0, 1] exactly at the byte extremes.
  float lo = 1.0f, hi = 0.0f;
  for (float v : ds->images.span<float>()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 1.0f);
}

TEST(FashionMnist, LoadsTinyTrainSplit) {
  auto ds = load_fashion_mnist("train", kTiny);
  ASSERT_TRUE(ds.ok()) << ds.status().to_string();
  check_fixture(*ds, true, 64);
}

TEST(FashionMnist, LimitKeepsFirstItems) {
  auto ds = load_fashion_mnist("train", kTiny, 5);
  ASSERT_TRUE(ds.ok()) << ds.status().to_string();
  check_fixture(*ds, true, 5);
  auto zero = load_fashion_mnist("train", kTiny, 0);
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->images.shape(), (Shape{0, 1, 28, 28}));
  EXPECT_TRUE(zero->labels.empty());
  auto more = load_fashion_mnist("train", kTiny, 1000);  // more than there are: all of them
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(more->labels.size(), 64u);
}

TEST(FashionMnist, SplitValidationHoldsOutTheTail) {
  auto all = load_fashion_mnist("train", kTiny);
  ASSERT_TRUE(all.ok()) << all.status().to_string();
  Dataset train = *all;
  auto val = split_validation(train, 16);
  ASSERT_TRUE(val.ok()) << val.status().to_string();
  EXPECT_EQ(train.images.shape(), (Shape{48, 1, 28, 28}));
  EXPECT_EQ(val->images.shape(), (Shape{16, 1, 28, 28}));
  ASSERT_EQ(train.labels.size(), 48u);
  ASSERT_EQ(val->labels.size(), 16u);
  EXPECT_EQ(val->num_classes, all->num_classes);
  // The two parts are the head and the tail of the original, pixel for pixel.
  const auto px = all->images.span<float>();
  const size_t per = 28 * 28;
  for (size_t i = 0; i < 48 * per; ++i) ASSERT_EQ(train.images.span<float>()[i], px[i]);
  for (size_t i = 0; i < 16 * per; ++i) ASSERT_EQ(val->images.span<float>()[i], px[48 * per + i]);
  for (size_t i = 0; i < 16; ++i) EXPECT_EQ(val->labels[i], all->labels[48 + i]);
  for (size_t i = 0; i < 48; ++i) EXPECT_EQ(train.labels[i], all->labels[i]);
  // Nothing left to train on, or nothing held out: refused, naming the numbers.
  for (int64_t n : {int64_t{0}, int64_t{-3}, int64_t{48}, int64_t{100}}) {
    Dataset d = train;
    auto bad = split_validation(d, n);
    ASSERT_FALSE(bad.ok()) << n;
    EXPECT_NE(bad.status().message().find(std::to_string(n)), std::string::npos)
        << bad.status().message();
    EXPECT_NE(bad.status().message().find("48"), std::string::npos) << bad.status().message();
    EXPECT_EQ(d.labels.size(), 48u);  // untouched
  }
}

TEST(FashionMnist, ReadIdxGzGivesRawDimsAndBytes) {
  auto f = read_idx_gz(kTiny + "/t10k-images-idx3-ubyte.gz");
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(f->type_code, 0x08);
  EXPECT_EQ(f->magic(), 0x00000803u);
  EXPECT_EQ(f->dims, (std::vector<int64_t>{32, 28, 28}));
  ASSERT_EQ(f->data.size(), 32u * 28 * 28);
  EXPECT_EQ(f->data[(3 * 28 + 4) * 28 + 5], fixture_pixel(false, 3, 4, 5));
  auto l = read_idx_gz(kTiny + "/train-labels-idx1-ubyte.gz");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->magic(), 0x00000801u);
  EXPECT_EQ(l->dims, (std::vector<int64_t>{64}));
}

TEST(FashionMnist, MultiMemberGzipIsRead) {
  auto ds = load_fashion_mnist("test", broken("multi-member"));
  ASSERT_TRUE(ds.ok()) << ds.status().to_string();
  check_fixture(*ds, false, 32);
}

struct BrokenCase {
  const char* dir;
  StatusCode code;
  std::array<const char*, 2> message_parts;  // each must appear in the message
};

TEST(FashionMnist, BrokenFilesAreClearErrors) {
  const BrokenCase cases[] = {
      {"truncated-gzip",
       StatusCode::kDataLoss,
       {"t10k-images-idx3-ubyte.gz: truncated gzip stream", "bytes decompressed"}},
      {"corrupt-gzip",
       StatusCode::kDataLoss,
       {"t10k-images-idx3-ubyte.gz: corrupt gzip stream (", ")"}},
      {"not-gzip",
       StatusCode::kDataLoss,
       {"t10k-images-idx3-ubyte.gz: not a gzip file", "starts with 0x00 0x00, expected 0x1f 0x8b"}},
      {"trailing-garbage-gzip",
       StatusCode::kDataLoss,
       {"t10k-images-idx3-ubyte.gz: 8 bytes of trailing garbage", "gzip stream"}},
      {"wrong-magic",
       StatusCode::kDataLoss,
       {"t10k-labels-idx1-ubyte.gz: magic 0x00000803, expected 0x00000801 (labels)", ""}},
      {"count-mismatch",
       StatusCode::kDataLoss,
       {"t10k-labels-idx1-ubyte.gz: 31 labels, but ", "t10k-images-idx3-ubyte.gz has 32 images"}},
      {"short-data",
       StatusCode::kDataLoss,
       {"t10k-images-idx3-ubyte.gz: data is 24988 bytes, but dims 32x28x28 need 25088",
        "(truncated)"}},
      {"trailing-data",
       StatusCode::kDataLoss,
       {"t10k-images-idx3-ubyte.gz: data is 25095 bytes, but dims 32x28x28 need 25088",
        "(7 bytes of trailing data)"}},
      {"bad-label",
       StatusCode::kDataLoss,
       {"t10k-labels-idx1-ubyte.gz: label[5] = 10, expected < 10", ""}},
      {"bad-size",
       StatusCode::kDataLoss,
       {"t10k-images-idx3-ubyte.gz: image size 28x27, expected 28x28", ""}},
  };
  for (const BrokenCase& c : cases) {
    auto ds = load_fashion_mnist("test", broken(c.dir));
    ASSERT_FALSE(ds.ok()) << c.dir;
    EXPECT_EQ(ds.status().code(), c.code) << c.dir << ": " << ds.status().to_string();
    for (const char* part : c.message_parts) {
      EXPECT_THAT(ds.status().message(), HasSubstr(part)) << c.dir;
    }
    // The message names the full path of the file at fault.
    EXPECT_THAT(ds.status().message(), HasSubstr(broken(c.dir) + "/t10k-")) << c.dir;
  }
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

TEST(FashionMnist, EveryTruncationIsAnErrorAndFlipsNeverCrash) {
  const std::vector<uint8_t> good = read_bytes(kTiny + "/t10k-images-idx3-ubyte.gz");
  ASSERT_GT(good.size(), 100u);
  const std::string origin = "mutant.gz";
  ASSERT_TRUE(parse_idx_gz(good, origin).ok());
  for (size_t len = 0; len < good.size(); ++len) {
    auto f = parse_idx_gz(std::span<const uint8_t>(good.data(), len), origin);
    ASSERT_FALSE(f.ok()) << "truncated to " << len << " bytes";
    EXPECT_EQ(f.status().code(), StatusCode::kDataLoss) << len;
    EXPECT_THAT(f.status().message(), HasSubstr("mutant.gz: ")) << len;
  }
  // Single bit flips: all are caught by the deflate decoder, the CRC or the IDX checks except
  // those in the gzip header's MTIME, XFL and OS fields (bytes 4..9) and in the padding bits
  // after the last deflate block (this fixture: one, at byte 1557).
  int errors = 0;
  for (size_t pos = 0; pos < good.size(); ++pos) {
    std::vector<uint8_t> bad = good;
    bad[pos] = static_cast<uint8_t>(bad[pos] ^ (1u << (pos % 8)));
    auto f = parse_idx_gz(bad, origin);
    if (!f.ok()) {
      ++errors;
      EXPECT_THAT(f.status().message(), HasSubstr("mutant.gz: ")) << pos;
    } else {
      EXPECT_EQ(f->data.size(), 32u * 28 * 28) << pos;
    }
  }
  EXPECT_EQ(errors, static_cast<int>(good.size()) - 7);
}

TEST(FashionMnist, MissingFileAndBadSplit) {
  auto ds = load_fashion_mnist("train", broken("bad-label"));  // has only t10k-* files
  ASSERT_FALSE(ds.ok());
  EXPECT_EQ(ds.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(ds.status().message(), HasSubstr("train-images-idx3-ubyte.gz: cannot open"));

  auto bad = load_fashion_mnist("validation", kTiny);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(),
              HasSubstr("unknown split \"validation\"; expected train or test"));
}

TEST(FashionMnist, EnvironmentOverridesDefaultDir) {
  const char* old = std::getenv("SIEVE_FASHION_MNIST_DIR");
  const std::string saved = old != nullptr ? old : "";
  ASSERT_EQ(setenv("SIEVE_FASHION_MNIST_DIR", kTiny.c_str(), 1), 0);
  auto dir = default_fashion_mnist_dir();
  auto ds = load_fashion_mnist("test");
  if (old != nullptr) {
    setenv("SIEVE_FASHION_MNIST_DIR", saved.c_str(), 1);
  } else {
    unsetenv("SIEVE_FASHION_MNIST_DIR");
  }
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(*dir, kTiny);
  ASSERT_TRUE(ds.ok()) << ds.status().to_string();
  EXPECT_EQ(ds->labels.size(), 32u);
}

// ---- the real data set from Debian's dataset-fashion-mnist ----

std::string real_dir_or_empty() {
  if (std::getenv("SIEVE_FASHION_MNIST_DIR") != nullptr) return "";  // only the Debian files
  auto dir = default_fashion_mnist_dir();
  if (!dir.ok() || !std::filesystem::exists(*dir + "/t10k-labels-idx1-ubyte.gz")) return "";
  return *dir;
}

void check_real_split(const std::string& split, int64_t count) {
  const std::string dir = real_dir_or_empty();
  if (dir.empty()) GTEST_SKIP() << "Debian package dataset-fashion-mnist is not installed";
  auto ds = load_fashion_mnist(split, dir);
  ASSERT_TRUE(ds.ok()) << ds.status().to_string();
  EXPECT_EQ(ds->images.shape(), (Shape{count, 1, 28, 28}));
  ASSERT_EQ(static_cast<int64_t>(ds->labels.size()), count);
  std::array<int64_t, 10> hist{};
  for (uint8_t l : ds->labels) ++hist[l];
  for (int k = 0; k < 10; ++k) EXPECT_EQ(hist[k], count / 10) << "class " << k;
  float lo = 1.0f, hi = 0.0f;
  double sum = 0.0;
  for (float v : ds->images.span<float>()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  }
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 1.0f);
  // Mean pixel of Fashion-MNIST is about 0.286 (72.9 / 255) in both splits.
  EXPECT_NEAR(sum / static_cast<double>(ds->images.numel()), 0.286, 0.005);
}

TEST(FashionMnistReal, TestSplitHas10000BalancedItems) {
  check_real_split("test", 10000);
}
TEST(FashionMnistReal, TrainSplitHas60000BalancedItems) {
  check_real_split("train", 60000);
}

TEST(FashionMnistReal, DefaultDirComesFromDpkg) {
  if (real_dir_or_empty().empty()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  auto dir = default_fashion_mnist_dir();
  ASSERT_TRUE(dir.ok());
  EXPECT_TRUE(std::filesystem::exists(*dir + "/train-images-idx3-ubyte.gz"));
}

}  // namespace
}  // namespace sieve::io
