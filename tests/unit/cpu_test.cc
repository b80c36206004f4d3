// SIEVE_ISA: the CPU features Sieve consults can be capped, never raised; each answer of the
// CPU is covered here by injection, not by the machine the test happens to run on.
#include "sieve/core/cpu.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_util.h"
#include "sieve/runtime/kernels/blas/coretype.h"

namespace sieve {
namespace {

constexpr CpuFeatures kAvx512{.avx512f = true, .avx2 = true, .bmi2 = true, .fma = true,
                              .avx512vnni = true, .avxvnni = true, .avx512bw = true,
                              .avx512vbmi = true};
constexpr CpuFeatures kAvx2{.avx512f = false, .avx2 = true, .bmi2 = true, .fma = true,
                            .avx512vnni = false, .avxvnni = true};
constexpr CpuFeatures kNone{};

bool same(const CpuFeatures& a, const CpuFeatures& b) {
  return a.avx512f == b.avx512f && a.avx2 == b.avx2 && a.bmi2 == b.bmi2 && a.fma == b.fma &&
         a.avx512vnni == b.avx512vnni && a.avxvnni == b.avxvnni && a.avx512bw == b.avx512bw &&
         a.avx512vbmi == b.avx512vbmi;
}

TEST(CpuFeatures, IsaCapTakesFeaturesAwayNeverAddsThem) {
  for (const CpuFeatures& cpu : {kAvx512, kAvx2, kNone}) {
    for (const char* isa : {"", "native", "avx512"}) {
      Result<CpuFeatures> f = cap_cpu_features(cpu, isa);
      ASSERT_TRUE(f.ok()) << isa;
      EXPECT_TRUE(same(*f, cpu)) << isa;
    }
    Result<CpuFeatures> a2 = cap_cpu_features(cpu, "avx2");
    ASSERT_TRUE(a2.ok());
    EXPECT_FALSE(a2->avx512f);
    EXPECT_FALSE(a2->avx512vnni);
    EXPECT_FALSE(a2->avx512bw);
    EXPECT_FALSE(a2->avx512vbmi);
    EXPECT_EQ(a2->avx2, cpu.avx2);  // never more than the CPU has
    EXPECT_EQ(a2->bmi2, cpu.bmi2);
    EXPECT_EQ(a2->fma, cpu.fma);
    EXPECT_EQ(a2->avxvnni, cpu.avxvnni);
    Result<CpuFeatures> g = cap_cpu_features(cpu, "generic");
    ASSERT_TRUE(g.ok());
    EXPECT_TRUE(same(*g, kNone));
    Result<CpuFeatures> sc = cap_cpu_features(cpu, "scalar");  // a synonym of generic
    ASSERT_TRUE(sc.ok());
    EXPECT_TRUE(same(*sc, kNone));
  }
  Result<CpuFeatures> bad = cap_cpu_features(kAvx512, "avx3");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("SIEVE_ISA=avx3"), std::string::npos);
  EXPECT_NE(bad.status().message().find("native, avx512, avx2, generic"), std::string::npos);
}

TEST(CpuFeatures, ThisProcessNeverReportsMoreThanTheCpu) {
  const CpuFeatures cpu = detected_cpu_features(), f = cpu_features();
  EXPECT_TRUE(!f.avx512f || cpu.avx512f);
  EXPECT_TRUE(!f.avx2 || cpu.avx2);
  EXPECT_TRUE(!f.bmi2 || cpu.bmi2);
  EXPECT_TRUE(!f.fma || cpu.fma);
  EXPECT_TRUE(!f.avx512vnni || cpu.avx512vnni);
  EXPECT_TRUE(!f.avxvnni || cpu.avxvnni);
  EXPECT_TRUE(!f.avx512bw || cpu.avx512bw);
  EXPECT_TRUE(!f.avx512vbmi || cpu.avx512vbmi);
}

// Two independent readings of the same CPU: detected_cpu_features() (the compiler's builtin, and
// cpuid for AVX-VNNI) against the kernel's flags in /proc/cpuinfo. Whatever the CPU has, they
// must agree; where /proc/cpuinfo is absent there is nothing to compare with.
TEST(CpuFeatures, DetectionAgreesWithProcCpuinfo) {
  std::ifstream in("/proc/cpuinfo");
  std::string line, flags;
  while (std::getline(in, line))
    if (line.rfind("flags", 0) == 0) {
      flags = line.substr(line.find(':') + 1) + " ";
      break;
    }
  if (flags.empty()) GTEST_SKIP() << "no flags line in /proc/cpuinfo";
  auto has = [&](const std::string& f) { return flags.find(" " + f + " ") != std::string::npos; };
  const CpuFeatures f = detected_cpu_features();
  EXPECT_EQ(f.avx2, has("avx2"));
  EXPECT_EQ(f.avx512f, has("avx512f"));
  EXPECT_EQ(f.avx512bw, has("avx512bw"));
  EXPECT_EQ(f.avx512vnni, has("avx512_vnni"));
  EXPECT_EQ(f.avxvnni, has("avx_vnni"));
  EXPECT_EQ(f.bmi2, has("bmi2"));
}

TEST(CpuFeatures, CappedCoretypeFollowsTheCap) {
  using runtime::blas::capped_coretype;
  EXPECT_EQ(capped_coretype(kAvx512), "");
  EXPECT_EQ(capped_coretype(kAvx2), "Haswell");
  EXPECT_EQ(capped_coretype(kNone), "Prescott");
}

// The CLI under each SIEVE_ISA value: the same simulation results (the Sieve walk with and
// without BMI2 PDEP), and OpenBLAS on the kernels the cap allows.
TEST(CpuFeatures, SimulateGivesTheSameResultsUnderEveryIsa) {
  const std::string cmd = "simulate --arch sieve --model thesis:lenet-300-100 --json";
  const std::string base = "-u OPENBLAS_CORETYPE -u SIEVE_OPENBLAS_REEXEC ";
  nlohmann::json first;
  for (const char* isa : {"native", "avx2", "generic"}) {
    sieve_test::CliRun r = sieve_test::run_sieve(cmd, base + "SIEVE_ISA=" + isa);
    ASSERT_EQ(r.rc, 0) << isa << "\n" << r.out;
    nlohmann::json j = nlohmann::json::parse(r.stdout_only);
    j.erase("simulation_seconds");
    if (first.is_null()) {
      first = j;
    } else {
      EXPECT_EQ(j, first) << "SIEVE_ISA=" << isa << " changed the simulation";
    }
  }
  sieve_test::CliRun bad = sieve_test::run_sieve(cmd, base + "SIEVE_ISA=avx3");
  EXPECT_EQ(bad.rc, 0) << bad.out;
  EXPECT_NE(bad.stderr_only.find("SIEVE_ISA=avx3: unknown value"), std::string::npos) << bad.out;
}

std::string corename_under(const std::string& isa) {
  const std::string env = "-u OPENBLAS_CORETYPE -u SIEVE_OPENBLAS_REEXEC SIEVE_ISA=" + isa;
  sieve_test::CliRun r =
      sieve_test::run_sieve("eval --model lenet-300-100 --limit 8 --data-dir " +
                                std::string(SIEVE_TEST_DATA_DIR) + "/fashion-mnist-tiny --json",
                            env);
  EXPECT_EQ(r.rc, 0) << r.out;
  if (r.rc != 0) return "";
  return nlohmann::json::parse(r.stdout_only).at("corename").get<std::string>();
}

TEST(CpuFeatures, IsaCapSwitchesOpenBlasKernels) {
  // generic: OpenBLAS's baseline kernels, whatever it would pick by itself.
  EXPECT_EQ(corename_under("generic"), "Prescott");
  // avx2 on an AVX-512 CPU: the AVX2 kernels. (Without AVX-512 nothing is capped, and OpenBLAS
  // keeps its own choice, e.g. Zen.)
  if (detected_cpu_features().avx512f) {
    EXPECT_EQ(corename_under("avx2"), "Haswell");
  }
}

}  // namespace
}  // namespace sieve
