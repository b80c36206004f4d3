// The CLI against the bad inputs of issue 8 that are options rather than files: an absurd
// --batch, NaN and Inf in range-checked options, an empty --dump-outputs path, and a model
// whose work exceeds the memory limit; and a device given as a recipe, an over-overlapping
// block grid, a too-small Huffman decoder bank, and report inputs with an out-of-range number or
// too deep a nesting. Each exits 1 with a message naming the file or option and the value.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_util.h"
#include "sieve/core/checked.h"

namespace {

using sieve_test::CliRun;
using sieve_test::run_sieve;

void expect_refused(const std::string& args, const std::string& want, const std::string& env = "") {
  const CliRun r = run_sieve(args, env);
  EXPECT_FALSE(r.signaled) << args << ": " << r.out;
  EXPECT_EQ(r.rc, 1) << args << ": " << r.out;
  EXPECT_NE(r.stderr_only.find(want), std::string::npos) << args << ": " << r.out;
}

// The exit codes are documented where a user looks first, and usage errors give 2.
TEST(BadInputCli, HelpDocumentsTheExitCodes) {
  CliRun help = run_sieve("--help");
  EXPECT_EQ(help.rc, 0);
  EXPECT_NE(help.stdout_only.find("Exit codes: 0 success; 1 bad input"), std::string::npos)
      << help.stdout_only;
  EXPECT_NE(help.stdout_only.find("2 usage"), std::string::npos);
  EXPECT_NE(help.stdout_only.find("3 internal error"), std::string::npos);
  EXPECT_EQ(run_sieve("simulate --no-such-option").rc, 2);
  EXPECT_EQ(run_sieve("no-such-command").rc, 2);
}

// This session's refusals, through the CLI: exit code 1 and a message naming the file, field
// and value.
TEST(BadInputCli, DevicesOverlappingBlocksSmallDecoderBanksAndHugeNumbersAreRefused) {
  const std::string recipe =
      std::string(SIEVE_SOURCE_DIR) + "/recipes/cambricon-s/lenet-300-100.yaml";
  CliRun dev = run_sieve("compress --model lenet-300-100 --data none --recipe /dev/zero");
  EXPECT_EQ(dev.rc, 1) << dev.out;
  EXPECT_NE(dev.stderr_only.find("/dev/zero: is a device, expected a file or a pipe"),
            std::string::npos)
      << dev.out;

  CliRun grid = run_sieve("compress --model lenet-300-100 --data none --recipe " + recipe +
                          " --set 'prune.fc.block=[16, 8]' --set 'prune.fc.stride=[1, 1]'");
  EXPECT_EQ(grid.rc, 1) << grid.out;
  EXPECT_NE(grid.stderr_only.find("layer ip1.weight: weight: block 16x8 with stride 1x1 covers a "
                                  "weight up to 128 times; at most 64"),
            std::string::npos)
      << grid.out;

  CliRun bank = run_sieve("simulate --model thesis:lenet5 --mode huffman -p huffman_decoders=512");
  EXPECT_EQ(bank.rc, 1) << bank.out;
  EXPECT_NE(bank.stderr_only.find("mode huffman: huffman_decoders = 512 is below T_n × "
                                  "ssm_window = 1024"),
            std::string::npos)
      << bank.out;

  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("sieve_bad_report_" + std::to_string(::getpid())))
                              .string();
  std::filesystem::create_directories(dir);
  const std::string big = dir + "/big.json", deep = dir + "/deep.json";
  std::ofstream(big) << "[1e999999]";
  std::ofstream(deep) << std::string(100, '[') << std::string(100, ']');
  CliRun num = run_sieve("report " + big + " -o " + dir + "/r.html");
  EXPECT_EQ(num.rc, 1) << num.out;
  EXPECT_NE(num.stderr_only.find(big + ": cannot read as JSON: "), std::string::npos) << num.out;
  EXPECT_NE(num.stderr_only.find("number overflow"), std::string::npos) << num.out;
  CliRun nest = run_sieve("report " + deep + " -o " + dir + "/r.html");
  EXPECT_EQ(nest.rc, 1) << nest.out;
  EXPECT_NE(nest.stderr_only.find(deep + ": nested more than 64 levels deep"), std::string::npos)
      << nest.out;
  EXPECT_FALSE(std::filesystem::exists(dir + "/r.html"));
  std::filesystem::remove_all(dir);
}

TEST(BadInputCli, InspectWithAnAbsurdBatchIsRefusedWithTheNumbers) {
  // 2^62 x 1 x 28 x 28 overflows int64 (it used to print "0 MACs").
  expect_refused("inspect lenet5 --batch 4611686018427387904",
                 "of shape [4611686018427387904,1,28,28] has more than 2^63 elements");
}

TEST(BadInputCli, AModelPastTheMemoryLimitIsRefusedBeforeAllocating) {
  // lenet5 at batch 10^6: its first activation alone is 10^6 x 20 x 24 x 24 f32 (43 GiB).
  expect_refused("inspect lenet5 --batch 1000000", "more than the memory limit of 64.0 MiB",
                 "SIEVE_MEMORY_LIMIT=64M");
  // The same model at a batch that fits is still fine.
  const CliRun ok = run_sieve("inspect lenet5 --batch 2", "SIEVE_MEMORY_LIMIT=64M");
  EXPECT_EQ(ok.rc, 0) << ok.out;
}

TEST(BadInputCli, SimulateBatchHasAnUpperBound) {
  expect_refused("simulate --model lenet5 --batch 4611686018427387904",
                 "batch 4611686018427387904 outside 1..65536");
}

TEST(BadInputCli, NanAndInfFailRangeChecks) {
  expect_refused("simulate --model lenet5 --input-density nan",
                 "--input-density nan must be in (0, 1]");
  expect_refused("simulate --model lenet5 --input-density inf",
                 "--input-density inf must be in (0, 1]");
  // Refused before anything is trained or written.
  const std::string out =
      (std::filesystem::temp_directory_path() / "sieve_bad_input_never_written.onnx").string();
  expect_refused("train --model lenet5 --out " + out + " --momentum inf",
                 "--momentum inf must be in [0, 1)");
  expect_refused("train --model lenet5 --out " + out + " --momentum nan",
                 "--momentum nan must be in [0, 1)");
  expect_refused("train --model lenet5 --out " + out + " --lr inf", "--lr inf must be a positive");
  expect_refused("train --model lenet5 --out " + out + " --weight-decay nan",
                 "--weight-decay nan must be a number >= 0");
}

TEST(BadInputCli, EmptyDumpOutputsPathIsRefused) {
  expect_refused("run --model lenet5 --dump-outputs \"\"", "--dump-outputs \"\": the path is empty");
  expect_refused("simulate --model lenet5 --functional --data fashion-mnist --dump-outputs \"\"",
                 "--dump-outputs \"\": the path is empty");
}

TEST(CheckedArithmetic, MultiplyAndNumel) {
  EXPECT_EQ(sieve::checked_mul(int64_t{1} << 31, int64_t{1} << 31), int64_t{1} << 62);
  EXPECT_FALSE(sieve::checked_mul(int64_t{1} << 32, int64_t{1} << 31).has_value());
  EXPECT_FALSE(sieve::checked_add(INT64_MAX, 1).has_value());
  EXPECT_EQ(sieve::checked_numel({2, 3, 4}), 24);
  EXPECT_FALSE(sieve::checked_numel({int64_t{1} << 62, 784}).has_value());
  EXPECT_FALSE(sieve::checked_numel({-1, 3}).has_value());
  auto b = sieve::checked_bytes({int64_t{1} << 62}, sieve::DType::kF32, "x");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), "x of shape [4611686018427387904] has more than 2^63 bytes");
}

}  // namespace
