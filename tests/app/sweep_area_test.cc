// `sieve sweep` with the area model's metrics (area_mm2, power_mw) and `--pareto ...,area`:
// more PEs, more area; the default configuration is Table 5.1's 6.82 mm².
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "cli_util.h"

namespace {

TEST(SweepArea, AreaAndPowerFollowTheConfigurationAndJoinTheParetoFront) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("sieve_sweep_area_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string spec = (dir / "s.yaml").string(), out = (dir / "s.csv").string();
  std::ofstream(spec) << "axes:\n  model: [thesis:lenet5]\n  param.tn: [8, 16, 32]\n"
                         "metrics: [time_ns, area_mm2, power_mw]\n";
  const sieve_test::CliRun r =
      sieve_test::run_sieve("sweep " + spec + " --out " + out + " --pareto time,area");
  ASSERT_EQ(r.rc, 0) << r.out;
  const std::string csv = sieve_test::slurp_file(out);
  EXPECT_NE(csv.find("point,model,param.tn,time_ns,area_mm2,power_mw,error,pareto"),
            std::string::npos)
      << csv;
  // tn = 16 is the preset: Table 5.1's 6.82 mm², 821.19 mW.
  EXPECT_NE(csv.find(",16,"), std::string::npos);
  EXPECT_NE(csv.find(",6.8199999999999"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",821.18999999999"), std::string::npos) << csv;
  // tn = 8 is the smallest design: always on the time-area front.
  EXPECT_NE(csv.find("\n0,thesis:lenet5,8,"), std::string::npos) << csv;
  const size_t row0 = csv.find("\n0,");
  const std::string line0 = csv.substr(row0 + 1, csv.find('\n', row0 + 1) - row0 - 1);
  EXPECT_EQ(line0.back(), '1') << line0;
  std::filesystem::remove_all(dir);
}

}  // namespace
