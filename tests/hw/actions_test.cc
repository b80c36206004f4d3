// The shared action vocabulary (hw/core/actions.h): every architecture of archs.def names the
// buffers, the control unit and DRAM with the shared names and no other, and its preset's
// energy table prices every action it counts.
#include "sieve/hw/core/actions.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "sieve/hw/core/arch.h"
#include "sieve/hw/sim/inputs.h"
#include "sieve/hw/sim/run.h"

namespace sieve::hw {
namespace {

TEST(Actions, EveryArchUsesTheSharedNamesForSharedUnits) {
  WorkloadRequest req;
  req.model = "thesis:lenet5";  // conv, pooling and FC layers
  Result<Workload> w = make_workload(req);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  for (const ArchInfo& a : archs()) {
    Result<SimReport> r = run_sim(*w, {a.name, {}, {}});
    ASSERT_TRUE(r.ok()) << a.name << ": " << r.status().to_string();
    std::set<std::string> keys;
    for (const LayerStats& l : r->result.layers)
      for (const auto& [k, v] : l.actions) keys.insert(k);
    EXPECT_TRUE(keys.count(actions::kControlCycle)) << a.name;
    EXPECT_TRUE(keys.count(actions::kNbinFill)) << a.name;
    for (const std::string& k : keys) {
      if (actions::names_shared_unit(k)) {
        EXPECT_TRUE(actions::is_shared(k))
            << a.name << " counts \"" << k << "\": a shared unit under a name of its own";
      }
    }
    EXPECT_GT(r->energy.total_pj(), 0) << a.name;
  }
}

TEST(Actions, TheVocabularyIsRecognised) {
  for (const char* k : actions::kShared) {
    EXPECT_TRUE(actions::names_shared_unit(k)) << k;
    EXPECT_TRUE(actions::is_shared(k)) << k;
  }
  EXPECT_TRUE(actions::names_shared_unit("nbin_access"));
  EXPECT_FALSE(actions::is_shared("nbin_access"));
  EXPECT_FALSE(actions::names_shared_unit("nfu_cycle"));
}

}  // namespace
}  // namespace sieve::hw
