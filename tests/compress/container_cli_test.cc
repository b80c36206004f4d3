// `sieve inspect` on .sieve files and --local-convergence.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "compress/container_test_util.h"
#include "sieve/core/atomic_file.h"
#include "sieve/io/container/container.h"
#include "unit/onnx_test_util.h"

namespace sieve {
namespace {

using sieve_test::CliRun;
using sieve_test::run_sieve;

TEST(ContainerCli, InspectListsSectionsLayersAndGraph) {
  onnx_test::ScratchDir dir;
  using container_test::Form;
  compress::CompressedModel m = container_test::make_model(
      "lenet5", {Form::kDenseValues, Form::kBlockQuantGlobal, Form::kFineQuantLocal});
  const std::string path = dir.file("l5.sieve");
  ASSERT_TRUE(io::write_sieve(m, path).ok());
  CliRun r = run_sieve("inspect " + path);
  ASSERT_EQ(r.rc, 0) << r.out;
  for (const char* s :
       {".sieve format version 2", "GRAPH", "CODEBOOKS", "ACTQ", "4 compressed layers",
        "conv2.weight", "50x20x5x5", "block-bitmask", "bitmask", "graph \"lenet5\""}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
  }
  CliRun j = run_sieve("inspect --json " + path);
  ASSERT_EQ(j.rc, 0) << j.out;
  nlohmann::json doc = nlohmann::json::parse(j.out);
  ASSERT_EQ(doc["sieve"]["sections"].size(), 9u);
  ASSERT_EQ(doc["sieve"]["layers"].size(), 4u);
  EXPECT_EQ(doc["sieve"]["layers"][1]["index_format"], "block-bitmask");
  EXPECT_EQ(doc["sieve"]["layers"][1]["bits"], 8);
  EXPECT_EQ(doc["sieve"]["layers"][2]["region_rows"], 3);
  // A damaged file is refused, naming the file and the section.
  auto bytes = read_file(path);
  ASSERT_TRUE(bytes.ok());
  auto info = io::sieve_file_info(*bytes);
  ASSERT_TRUE(info.ok());
  std::string bad = *bytes;
  bad[info->sections[3].offset] = static_cast<char>(bad[info->sections[3].offset] ^ 1);
  ASSERT_TRUE(write_file_atomic(path, bad).ok());
  CliRun e = run_sieve("inspect " + path);
  EXPECT_NE(e.rc, 0);
  EXPECT_NE(e.out.find("section MASKS"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find(path), std::string::npos) << e.out;
}

TEST(ContainerCli, InspectLocalConvergence) {
  CliRun r = run_sieve("inspect lenet-300-100 --local-convergence --json");
  ASSERT_EQ(r.rc, 0) << r.out;
  nlohmann::json doc = nlohmann::json::parse(r.out);
  const auto& lc = doc["local_convergence"];
  ASSERT_EQ(lc.size(), 3u);
  EXPECT_EQ(lc[0]["weight"], "ip1.weight");
  EXPECT_EQ(lc[0]["window"], (std::vector<int64_t>{4, 4}));
  // Random initial weights on both sides: about 16 · 0.1 large per window, never a full one.
  EXPECT_LT(lc[0]["trained"]["max_large"].get<int64_t>(), 12);
  EXPECT_EQ(lc[0]["trained"]["windows"].get<int64_t>(), 297 * 781);
}

}  // namespace
}  // namespace sieve
