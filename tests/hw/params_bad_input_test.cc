// Arch presets and energy tables against the bad inputs of issue 8: values and keys of the
// wrong YAML kind (a list for `arch:`, a map for `description:` or `source:`, a map as a
// parameter key), duplicate keys, and a directory given as the file. Each is refused with a
// message naming the file, the key and what was found; none throws.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "cli_util.h"
#include "sieve/hw/core/params.h"

namespace sieve::hw {
namespace {

std::string refusal(const std::string& yaml) {
  Result<ParamSet> ps = parse_params(yaml, "p.yaml");
  EXPECT_FALSE(ps.ok()) << yaml;
  return ps.ok() ? std::string() : ps.status().message();
}

constexpr const char* kParams = "params:\n  tn: {value: 16, source: \"s\"}\n";

TEST(ParamsBadInput, WrongKindsAreRefusedNamingFileKeyAndValue) {
  const struct {
    std::string yaml;
    const char* want;
  } cases[] = {
      {std::string("arch: [sieve]\n") + kParams,
       "p.yaml: arch: expected an arch name, got a list [sieve]"},
      {std::string("description: {a: 1}\n") + kParams,
       "p.yaml: description: expected text, got a map {a: 1}"},
      {std::string("description: [1, 2]\n") + kParams,
       "p.yaml: description: expected text, got a list [1, 2]"},
      {"params:\n  tn: {value: 16, source: [a, b]}\n",
       "p.yaml: params.tn.source: expected text, got a list [a, b]"},
      {"params:\n  tn: {value: 16, source: {a: b}}\n",
       "p.yaml: params.tn.source: expected text, got a map {a: b}"},
      {"params:\n  ? {x: 1}\n  : {value: 16, source: s}\n",
       "p.yaml: line 2: params: a key is a map {x: 1}; keys must be plain names"},
      {"? [a]\n: 1\n", "p.yaml: line 1: (top level): a key is a list [a]"},
      {"params:\n  tn: {value: [16], source: s}\n",
       "p.yaml: params.tn.value: expected a number, got a list [16]"},
      {"params:\n  tn: {value: .nan, source: s}\n", "p.yaml: params.tn.value: \".nan\" is not a number"},
  };
  for (const auto& c : cases) {
    EXPECT_NE(refusal(c.yaml).find(c.want), std::string::npos)
        << c.yaml << " -> " << refusal(c.yaml);
  }
}

TEST(ParamsBadInput, DuplicateKeysAreRefused) {
  EXPECT_NE(refusal(std::string("arch: sieve\narch: diannao\n") + kParams)
                .find("p.yaml: line 2: arch: duplicate key \"arch\""),
            std::string::npos);
  EXPECT_NE(refusal("params:\n  tn: {value: 16, value: 8, source: s}\n")
                .find("params.tn.value: duplicate key \"value\""),
            std::string::npos)
      << refusal("params:\n  tn: {value: 16, value: 8, source: s}\n");
}

TEST(ParamsBadInput, ADirectoryIsRefusedAsOne) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("sieve_arch_dir_" + std::to_string(::getpid()) + ".yaml");
  std::filesystem::create_directories(dir);
  Result<ParamSet> ps = read_params(dir.string());
  ASSERT_FALSE(ps.ok());
  EXPECT_NE(ps.status().message().find(dir.string() + ": is a directory, expected a file"),
            std::string::npos)
      << ps.status().message();
  // Through the CLI: exit 1 and the message, not an abort.
  const sieve_test::CliRun r =
      sieve_test::run_sieve("simulate --model lenet5 --arch " + dir.string());
  std::filesystem::remove(dir);
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.stderr_only.find("is a directory, expected a file"), std::string::npos) << r.out;
}

TEST(ParamsBadInput, AListAsArchThroughTheCliExitsOne) {
  const auto file = std::filesystem::temp_directory_path() /
                    ("sieve_arch_list_" + std::to_string(::getpid()) + ".yaml");
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("arch: [sieve]\nparams:\n  tn: {value: 16, source: s}\n", f);
    std::fclose(f);
  }
  const sieve_test::CliRun r = sieve_test::run_sieve("simulate --model lenet5 --arch " + file.string());
  std::filesystem::remove(file);
  EXPECT_FALSE(r.signaled) << r.out;
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.stderr_only.find("arch: expected an arch name, got a list [sieve]"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace sieve::hw
