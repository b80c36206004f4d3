// `sieve reproduce area- power-`: the area and power figures (hw/sim/figures/area.cc) pinned in
// tests/golden/area_reproduce.json (regenerate with SIEVE_REGEN_GOLDEN=1 and explain the change
// in docs/RESULTS.md), and what must hold whatever the golden numbers: the default preset is
// Table 5.1, and a bit-granular WDM is bigger than the 4-bit one.
#include <gtest/gtest.h>

#include <map>

#include "golden_figures.h"
#include "sieve/hw/sim/reproduce.h"

namespace sieve::hw {
namespace {

TEST(AreaReproduceGolden, EveryAreaFigureMatchesItsGoldenFile) {
  std::vector<FigureResult> r;
  golden::expect_figures_match_golden({"area-", "power-"}, "area_reproduce.json",
                                      "Area and power (thesis §5.3.1, Table 5.1; DianNao; "
                                      "Cambricon-X)",
                                      &r);
  if (r.empty()) return;
  std::map<std::string, double> v;
  for (const FigureResult& f : r) v[f.figure] = f.ours.get<double>();
  EXPECT_NEAR(v.at("area-sieve"), 6.82, 0.0682);
  EXPECT_NEAR(v.at("power-sieve"), 821.19, 8.21);
  EXPECT_NEAR(v.at("area-sparse-modules"), 2.52, 0.0252);
  EXPECT_GT(v.at("area-wdm-alignment-saving"), 1.0);
  EXPECT_GT(v.at("area-index-vs-cambricon-x"), 1.0);  // Cambricon-X's per-PE IMs are bigger
}

}  // namespace
}  // namespace sieve::hw
