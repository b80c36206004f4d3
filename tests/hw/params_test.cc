// Parameter files (hw/core/params.h), the arch registry (hw/core/arch.h) and energy as a pure
// function of action counts (hw/energy/energy.h).
#include "sieve/hw/core/params.h"

#include <gtest/gtest.h>

#include "sieve/hw/core/arch.h"
#include "sieve/hw/energy/energy.h"

namespace sieve::hw {
namespace {

constexpr const char* kGood = R"(
arch: sieve
energy: sieve-65nm
description: test preset
params:
  tn: {value: 16, source: "thesis §5.3.1"}
  freq_ghz: {value: 1.0, source: "thesis §5.3.1"}
  ping_pong: {value: true, source: "thesis §4.2.2"}
)";

TEST(Params, APresetNamesItsEnergyTableAndOnlyAPresetDoes) {
  const std::string params = "params:\n  tn: {value: 16, source: s}\n";
  Result<ParamSet> ps = parse_params("arch: sieve\n" + params, "p.yaml");
  ASSERT_FALSE(ps.ok());
  EXPECT_NE(ps.status().message().find("p.yaml: arch sieve has no \"energy\" key"),
            std::string::npos)
      << ps.status().message();
  ps = parse_params("energy: sieve-65nm\n" + params, "t.yaml");
  ASSERT_FALSE(ps.ok());
  EXPECT_NE(ps.status().message().find("t.yaml: \"energy: sieve-65nm\" without \"arch\""),
            std::string::npos)
      << ps.status().message();
  ps = parse_params("arch: sieve\nenergy: no-such-table\n" + params, "p.yaml");
  ASSERT_TRUE(ps.ok()) << ps.status().to_string();
  Result<ParamSet> t = energy_table_for(*ps);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("p.yaml: energy: no-such-table"), std::string::npos)
      << t.status().message();
  // Every shipped preset's table loads.
  for (const ArchInfo& a : archs()) {
    Result<ParamSet> preset = read_params(config_dir() + "/archs/" + a.default_preset + ".yaml");
    ASSERT_TRUE(preset.ok()) << preset.status().to_string();
    Result<ParamSet> table = energy_table_for(*preset);
    EXPECT_TRUE(table.ok()) << a.name << ": " << table.status().to_string();
  }
}

TEST(Params, ParsesValuesSourcesAndArch) {
  Result<ParamSet> ps = parse_params(kGood, "good.yaml");
  ASSERT_TRUE(ps.ok()) << ps.status().to_string();
  EXPECT_EQ(ps->arch, "sieve");
  EXPECT_EQ(ps->energy, "sieve-65nm");
  ASSERT_EQ(ps->params.size(), 3u);
  EXPECT_EQ(ps->params[0].name, "tn");
  EXPECT_EQ(ps->params[0].value, 16);
  EXPECT_EQ(ps->params[0].source, "thesis §5.3.1");
  EXPECT_EQ(ps->find("ping_pong")->value, 1);
  EXPECT_EQ(ps->find("nope"), nullptr);
}

TEST(Params, EntryWithoutSourceIsRefused) {
  Result<ParamSet> ps = parse_params("params:\n  tn: {value: 16}\n", "f.yaml");
  ASSERT_FALSE(ps.ok());
  EXPECT_NE(ps.status().message().find("f.yaml: params.tn: no source"), std::string::npos)
      << ps.status().message();
}

TEST(Params, NonNumericValueIsRefusedNamingIt) {
  Result<ParamSet> ps = parse_params("params:\n  tn: {value: sixteen, source: x}\n", "f.yaml");
  ASSERT_FALSE(ps.ok());
  EXPECT_NE(ps.status().message().find("params.tn.value: \"sixteen\" is not a number"),
            std::string::npos)
      << ps.status().message();
}

TEST(Params, UnknownTopLevelKeyAndFieldAreRefused) {
  EXPECT_FALSE(parse_params("params: {}\nfoo: 1\n", "f.yaml").ok());
  Result<ParamSet> ps = parse_params("params:\n  tn: {value: 1, source: s, unit: x}\n", "f.yaml");
  ASSERT_FALSE(ps.ok());
  EXPECT_NE(ps.status().message().find("unknown field \"unit\""), std::string::npos);
}

TEST(Params, DuplicateNameIsRefused) {
  EXPECT_FALSE(
      parse_params("params:\n  a: {value: 1, source: s}\n  a: {value: 2, source: s}\n", "f.yaml")
          .ok());
}

TEST(Params, TruncatedYamlIsAnError) {
  Result<ParamSet> ps = parse_params("params:\n  tn: {value: 1, source: \"s", "t.yaml");
  ASSERT_FALSE(ps.ok());
  EXPECT_NE(ps.status().message().find("t.yaml"), std::string::npos);
}

TEST(Params, OverridesReplaceKnownKeysAndRefuseUnknownOnes) {
  ParamSet ps = *parse_params(kGood, "good.yaml");
  ASSERT_TRUE(apply_overrides(ps, {"tn=32"}).ok());
  EXPECT_EQ(ps.find("tn")->value, 32);
  EXPECT_TRUE(ps.find("tn")->overridden);
  Status s = apply_overrides(ps, {"tm=4"});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("unknown parameter \"tm\""), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("known: tn, freq_ghz, ping_pong"), std::string::npos) << s.message();
  EXPECT_FALSE(apply_overrides(ps, {"tn"}).ok());
  EXPECT_FALSE(apply_overrides(ps, {"tn=abc"}).ok());
}

TEST(Params, ReaderChecksRangesIntegersAndUnusedKeys) {
  ParamSet ps = *parse_params(kGood, "good.yaml");
  ParamReader r(ps);
  int tn = 0;
  double f = 0;
  ASSERT_TRUE(r.get("tn", tn, 1, 64).ok());
  EXPECT_EQ(tn, 16);
  ASSERT_TRUE(r.get("freq_ghz", f, 0.1, 10).ok());
  Status unused = r.finish();
  ASSERT_FALSE(unused.ok());
  EXPECT_NE(unused.message().find("unknown parameter \"ping_pong\""), std::string::npos);
  bool pp = false;
  ASSERT_TRUE(r.get("ping_pong", pp).ok());
  EXPECT_TRUE(pp);
  EXPECT_TRUE(r.finish().ok());

  ParamReader r2(ps);
  int small = 0;
  Status range = r2.get("tn", small, 1, 8);
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.message().find("out of range [1, 8]"), std::string::npos);
  EXPECT_FALSE(r2.get("missing", small, 0, 1).ok());
  int64_t whole = 0;
  ParamSet frac = *parse_params("params:\n  n: {value: 2.5, source: s}\n", "f.yaml");
  ParamReader r3(frac);
  EXPECT_FALSE(r3.get("n", whole, 0, 10).ok());
}

TEST(Energy, IsCountsTimesTablePlusDram) {
  ParamSet table = *parse_params(
      "params:\n  mac: {value: 2.0, source: s}\n  sb_access: {value: 10, source: s}\n"
      "  dram_bit: {value: 20, source: s}\n",
      "e.yaml");
  LayerStats l;
  l.name = "fc1";
  l.actions = {{"mac", 100}, {"sb_access", 3}};
  l.offchip.weights = 10;
  l.offchip.neurons = 2;
  Result<EnergyBreakdown> e = layer_energy(l, table);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_DOUBLE_EQ(e->onchip_pj, 230.0);
  EXPECT_DOUBLE_EQ(e->offchip_pj, 12 * 8 * 20.0);
  EXPECT_DOUBLE_EQ(e->pj.at("mac"), 200.0);
  EXPECT_DOUBLE_EQ(e->total_pj(), 230.0 + 1920.0);

  SimResult r;
  r.layers = {l, l};
  std::vector<EnergyBreakdown> per;
  Result<EnergyBreakdown> t = total_energy(r, table, &per);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(per.size(), 2u);
  EXPECT_DOUBLE_EQ(t->total_pj(), 2 * e->total_pj());
}

TEST(Energy, ActionWithoutTableEntryIsAnError) {
  ParamSet table = *parse_params("params:\n  mac: {value: 2.0, source: s}\n", "e.yaml");
  LayerStats l;
  l.name = "conv1";
  l.actions = {{"nsm_cycle", 1}};
  Result<EnergyBreakdown> e = layer_energy(l, table);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("no energy entry for action \"nsm_cycle\""),
            std::string::npos);
  LayerStats d;
  d.offchip.weights = 1;
  EXPECT_FALSE(layer_energy(d, table).ok());  // no dram_bit
}

TEST(Archs, UnknownArchIsRefusedListingTheKnownOnes) {
  Result<std::unique_ptr<Accelerator>> a = make_accelerator("eei", {});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("unknown arch \"eei\"; known: sieve, diannao, cambricon-x"),
            std::string::npos)
      << a.status().message();
}

TEST(Archs, ListComesFromArchsDef) {
  ASSERT_GE(archs().size(), 3u);
  EXPECT_EQ(archs()[0].name, "sieve");
  EXPECT_EQ(archs()[0].default_preset, "sieve-65nm");
  for (const ArchInfo& a : archs()) EXPECT_NE(a.create, nullptr);
}

}  // namespace
}  // namespace sieve::hw
