// Replays every input of tests/data/fuzz-regressions/<target>/ through the body of fuzz target
// <target> (fuzz/<target>.cc, compiled into this binary without libFuzzer): crashes, hangs and
// sanitizer reports found by fuzzing stay fixed, and the seed-derived inputs (valid files and
// hand-made corrupt ones) keep the replay from being empty. Each input must return; a refused
// one must say why (a non-empty message). See docs/fuzzing.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "fuzz/fuzz.h"

namespace sieve::fuzz {
namespace {

namespace fs = std::filesystem;

const char* const kTargets[] = {
#define SIEVE_FUZZ_TARGET(name) #name,
#include "fuzz/targets.def"
#undef SIEVE_FUZZ_TARGET
};

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void replay(const std::string& target, Status (*body)(std::string_view)) {
  const fs::path dir = fs::path(SIEVE_TEST_DATA_DIR) / "fuzz-regressions" / target;
  ASSERT_TRUE(fs::is_directory(dir)) << dir << " is missing";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << dir << " holds no input";
  for (const fs::path& f : files) {
    SCOPED_TRACE(f.string());
    const Status st = body(read_bytes(f));
    if (!st.ok()) {
      EXPECT_FALSE(st.message().empty()) << "refused without a message";
    }
  }
}

#define SIEVE_FUZZ_TARGET(name) \
  TEST(FuzzRegressions, name) { replay(#name, &::sieve::fuzz::name); }
#include "fuzz/targets.def"
#undef SIEVE_FUZZ_TARGET

// One file per target in fuzz/ and one line per target in fuzz/targets.def, and the other way
// round: a target missing from the list would be built by `make fuzz` but never replayed.
TEST(FuzzRegressions, EveryFuzzFileIsListed) {
  std::set<std::string> files, listed(std::begin(kTargets), std::end(kTargets));
  for (const auto& e : fs::directory_iterator(fs::path(SIEVE_SOURCE_DIR) / "fuzz")) {
    if (e.path().extension() == ".cc") files.insert(e.path().stem().string());
  }
  EXPECT_EQ(files, listed);
}

TEST(FuzzRegressions, SplitPartsSeparatesDocumentAndOverrides) {
  using namespace std::string_literals;
  Parts p = split_parts("a: 1\n\0x=1\0y.z=[2]"s);
  EXPECT_EQ(p.document, "a: 1\n");
  EXPECT_EQ(p.overrides, (std::vector<std::string>{"x=1", "y.z=[2]"}));
  p = split_parts("a: 1\n");
  EXPECT_TRUE(p.overrides.empty());
  p = split_parts("\0\0\0"s, 2);
  EXPECT_EQ(p.document, "");
  EXPECT_EQ(p.overrides, (std::vector<std::string>{"", ""}));
}

}  // namespace
}  // namespace sieve::fuzz
