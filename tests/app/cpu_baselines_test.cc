// The thesis' CPU baselines (app/cpu_baselines.h) and their reproduce rows: every matrix layer is
// timed on the three configurations, the blocks kernel runs the layer's own block and code width,
// and the rows are timed-here rows that never count as reproduced. (Small benchmarks only: the
// figures themselves are in docs/RESULTS.md; timings are not asserted.)
#include "sieve/app/cpu_baselines.h"

#include <gtest/gtest.h>

#include <string>

#include "sieve/hw/sim/inputs.h"
#include "sieve/hw/sim/reproduce.h"

namespace sieve::app {
namespace {

TEST(CpuBaselines, EveryMatrixLayerIsTimedOnTheThreeConfigurations) {
  hw::WorkloadRequest req;
  req.model = "thesis:lenet5";
  Result<hw::Workload> w = hw::make_workload(req);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  CpuBaselineOptions o;
  o.min_seconds = 0.001;
  Result<CpuModelTime> t = time_cpu_baselines(*w, o);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  ASSERT_EQ(t->layers.size(), 4u);  // conv1, conv2, ip1, ip2 (pooling is not timed)
  double dense = 0;
  for (const CpuLayerTime& l : t->layers) {
    SCOPED_TRACE(l.layer);
    EXPECT_GT(l.t.dense_s, 0);
    EXPECT_GT(l.t.csr_s, 0);
    EXPECT_GT(l.t.blocks_s, 0);
    EXPECT_GT(l.density, 0);
    EXPECT_LE(l.density, 1);
    dense += l.t.dense_s;
  }
  EXPECT_DOUBLE_EQ(t->total.dense_s, dense);
  // The blocks kernel runs the recorded block and code width: conv 16×1, 8-bit codes; the
  // thesis' LeNet-5 ip1 is pruned in 10×1 or 16×1 blocks with 5-bit codes (8-bit path).
  EXPECT_EQ(t->layers[0].block_rows, 16);
  EXPECT_EQ(t->layers[0].block_cols, 1);
  EXPECT_EQ(t->layers[0].bits, 8);
  EXPECT_EQ(t->layers[2].bits, 8);
  const std::string text = cpu_baselines_text(*t, "test CPU", "scalar");
  EXPECT_NE(text.find("conv1"), std::string::npos);
  EXPECT_NE(text.find("test CPU"), std::string::npos);
}

TEST(CpuBaselines, ReproduceRowsAreTimedHereAndNeverCounted) {
  hw::ReproduceOptions o;
  o.benchmarks = {"lenet5"};
  Result<std::vector<hw::FigureResult>> f = hw::reproduce({"cpu"}, o);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  ASSERT_EQ(f->size(), 4u);
  for (const hw::FigureResult& r : *f) {
    SCOPED_TRACE(r.figure);
    EXPECT_TRUE(r.measured_here);
    EXPECT_FALSE(r.reproduced);
    EXPECT_GT(r.ours.get<double>(), 0);
  }
  EXPECT_EQ((*f)[0].published.get<double>(), 44.8);
  EXPECT_EQ((*f)[1].published.get<double>(), 331.1);
  EXPECT_TRUE((*f)[2].published.is_null());
  const std::string text = hw::figures_text(*f);
  EXPECT_NE(text.find("n/a: timed on this CPU"), std::string::npos) << text;
  EXPECT_NE(text.find("0 of 0 simulated figures within tolerance"), std::string::npos) << text;
  // The default list leaves them out.
  Result<std::vector<hw::FigureResult>> tiling = hw::reproduce({}, o);
  ASSERT_TRUE(tiling.ok());
  for (const hw::FigureResult& r : *tiling) EXPECT_FALSE(r.figure.starts_with("cpu")) << r.figure;
}

}  // namespace
}  // namespace sieve::app
