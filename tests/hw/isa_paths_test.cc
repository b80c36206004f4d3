// The simulators' bit-counting code is compiled twice (POPCNT/PDEP for CPUs with BMI2, portable
// for the others; hw/archs/sieve/perf.cc walk(), compiler/workload_types.cc counts). Both must
// give the same numbers: the same simulations run with SIEVE_ISA=generic (the portable path)
// and with the CPU's own features print the same statistics. On a CPU without BMI2 both runs
// take the portable path and the test still holds.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "cli_util.h"

namespace {

nlohmann::json totals(const std::string& args, const std::string& isa) {
  const sieve_test::CliRun r = sieve_test::run_sieve(args, "SIEVE_ISA=" + isa);
  EXPECT_EQ(r.rc, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.stdout_only, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.stdout_only;
  j.erase("simulation_seconds");
  return j;
}

TEST(IsaPaths, SimulationsAreTheSameOnThePortableAndTheFastBitCounts) {
  for (const char* model : {"thesis:alexnet", "thesis:lstm"}) {
    const std::string args = std::string("simulate --model ") + model + " --json";
    const nlohmann::json fast = totals(args, "native");
    const nlohmann::json portable = totals(args, "generic");
    ASSERT_TRUE(fast.contains("total")) << model;
    EXPECT_GT(fast["total"]["cycles"].get<int64_t>(), 0) << model;
    EXPECT_EQ(fast, portable) << model;
  }
}

}  // namespace
