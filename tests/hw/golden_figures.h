// Pinning a `sieve reproduce` group in its golden file (tests/golden/<file>): the thesis'
// figures and each rival paper's have one each, so that groups are added independently.
//
// expect_figures_match_golden() runs reproduce(names) at seed 1 and checks every figure against
// the file: the same ids in the same order, the same published value, source and kind, our value
// within 1 % of the golden one (the models are deterministic for a seed: a change means a model
// changed — regenerate with SIEVE_REGEN_GOLDEN=1 and explain it in docs/RESULTS.md), and the
// same reproduced verdict (a figure that starts or stops being reproduced fails until the file
// and RESULTS.md say so). With SIEVE_REGEN_GOLDEN set it writes the file and skips the test.
// Gives our figures to the caller's own checks in `figures` (left empty after a failure or a
// regeneration).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sieve/hw/sim/reproduce.h"

namespace sieve::hw::golden {

inline void expect_figures_match_golden(const std::vector<std::string>& names,
                                        const std::string& file, const std::string& source,
                                        std::vector<FigureResult>* figures = nullptr) {
  const std::filesystem::path path =
      std::filesystem::path(SIEVE_SOURCE_DIR) / "tests" / "golden" / file;
  ReproduceOptions opt;
  opt.seed = 1;
  opt.threads = 2;
  Result<std::vector<FigureResult>> r = reproduce(names, opt);
  if (!r.ok()) {
    ADD_FAILURE() << r.status().to_string();
    return;
  }
  const nlohmann::json ours = figures_json(*r);
  if (std::getenv("SIEVE_REGEN_GOLDEN") != nullptr) {
    // The assumptions are lists of config keys, checked by their own test: not pinned here.
    nlohmann::json pinned = ours;
    for (nlohmann::json& f : pinned) f.erase("assumptions");
    std::ofstream(path) << pinned.dump(2) << "\n";
    GTEST_SKIP() << "wrote " << path;
  }
  std::ifstream in(path);
  if (!in.good()) {
    ADD_FAILURE() << "missing " << path << " (SIEVE_REGEN_GOLDEN=1 writes it)";
    return;
  }
  const nlohmann::json golden = nlohmann::json::parse(in);
  EXPECT_EQ(golden.size(), ours.size()) << path;
  for (size_t i = 0; i < ours.size() && i < golden.size(); ++i) {
    const nlohmann::json& g = golden[i];
    const nlohmann::json& o = ours[i];
    EXPECT_EQ(g["figure"], o["figure"]) << path << " row " << i;
    if (g["figure"] != o["figure"]) return;
    SCOPED_TRACE(o["figure"].get<std::string>());
    EXPECT_EQ(o["source"], source);
    EXPECT_EQ(g["source"], o["source"]);
    EXPECT_EQ(g["kind"], o["kind"]);
    EXPECT_EQ(g["published"], o["published"]);
    if (g["ours"].is_number() && o["ours"].is_number()) {
      const double gv = g["ours"].get<double>(), ov = o["ours"].get<double>();
      EXPECT_NEAR(ov, gv, 0.01 * std::abs(gv) + 1e-9);
    } else {
      EXPECT_EQ(g["ours"], o["ours"]);
    }
    EXPECT_EQ(g["reproduced"], o["reproduced"]);
  }
  if (figures != nullptr) *figures = *r;
}

}  // namespace sieve::hw::golden
