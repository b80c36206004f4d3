// End-to-end tests of `sieve train` and `sieve eval` on a small subset of Fashion-MNIST (the
// Debian package's files), plus their errors and the OpenBLAS core-type re-exec.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_util.h"
#include "sieve/io/datasets/fashion_mnist.h"
#include "sieve/runtime/kernels/blas/coretype.h"

namespace {

using sieve_test::CliRun;

CliRun run(const std::string& args, const std::string& env = "") {
  return sieve_test::run_sieve(args, env);
}

class TrainCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!sieve::io::default_fashion_mnist_dir().ok()) {
      GTEST_SKIP() << "Fashion-MNIST is not installed (dataset-fashion-mnist)";
    }
    dir_ = std::filesystem::temp_directory_path() /
           ("sieve_train_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path dir_;
};

TEST_F(TrainCli, TrainsThenEvaluatesATinySubset) {
  const std::string model = (dir_ / "m.onnx").string();
  CliRun t =
      run("train --model lenet5 --data fashion-mnist --limit 1000 --epochs 1 --seed 3 --out " +
          model + " --json");
  ASSERT_EQ(t.rc, 0) << t.out;
  const auto j = nlohmann::json::parse(t.stdout_only);  // stdout holds only the JSON
  EXPECT_EQ(j.at("model"), "lenet5");
  EXPECT_EQ(j.at("epochs"), 1);
  EXPECT_EQ(j.at("seed"), 3);
  EXPECT_EQ(j.at("train_examples"), 1000);
  EXPECT_EQ(j.at("test_examples"), 1000);
  EXPECT_GT(j.at("train_seconds").get<double>(), 0.0);
  EXPECT_FALSE(j.at("corename").get<std::string>().empty());
  const double acc = j.at("test_accuracy").get<double>();
  EXPECT_GT(acc, 0.3);  // 16 steps on 1,000 images are well above chance (0.1)
  EXPECT_LE(acc, 1.0);
  ASSERT_TRUE(std::filesystem::exists(model));
  // No temporary file is left next to the model.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);

  CliRun e = run("eval --model " + model + " --data fashion-mnist --limit 1000 --json");
  ASSERT_EQ(e.rc, 0) << e.out;
  const auto je = nlohmann::json::parse(e.stdout_only);
  EXPECT_EQ(je.at("examples"), 1000);
  // The exported model scores exactly what the trainer measured on the same 1,000 images.
  EXPECT_DOUBLE_EQ(je.at("test_accuracy").get<double>(), acc);
  CliRun plain = run("eval --model " + model + " --limit 1000");
  ASSERT_EQ(plain.rc, 0) << plain.out;
  EXPECT_NE(plain.out.find("test_accuracy"), std::string::npos);
}

TEST_F(TrainCli, PlainLogHasEpochLinesAndCore) {
  CliRun t = run("train --model lenet-300-100 --limit 200 --epochs 2 --out " +
                 (dir_ / "mlp.onnx").string());
  ASSERT_EQ(t.rc, 0) << t.out;
  EXPECT_NE(t.out.find("OpenBLAS core: "), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("epoch  1/2"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("epoch  2/2"), std::string::npos) << t.out;
  EXPECT_EQ(t.out.find('\r'), std::string::npos) << "no progress bar when stdout is a pipe";
}

TEST_F(TrainCli, BadInputIsAClearError) {
  const std::string out = " --out " + (dir_ / "x.onnx").string();
  CliRun r = run("train --model lenet6 --limit 10 --epochs 1" + out);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("lenet6"), std::string::npos) << r.out;
  r = run("train --model lenet5 --data mnist-digits --epochs 1" + out);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("unknown dataset \"mnist-digits\"; known: fashion-mnist"), std::string::npos)
      << r.out;
  r = run("train --model lenet5 --data-dir /nonexistent/fm --epochs 1" + out);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("/nonexistent/fm"), std::string::npos) << r.out;
  r = run("train --model lenet5 --epochs 1 --out /nonexistent/dir/m.onnx");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("/nonexistent/dir"), std::string::npos) << r.out;
  r = run("eval --model " + (dir_ / "missing.onnx").string());
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("missing.onnx"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "x.onnx"));
}

TEST_F(TrainCli, PrescottIsReplacedByReexec) {
  // Pretend OpenBLAS picked its Prescott kernels: the CLI must re-execute itself with
  // OPENBLAS_CORETYPE set to the best kernels this CPU supports.
  const sieve::runtime::blas::CpuFeatures cpu = sieve::runtime::blas::detect_cpu_features();
  const std::string want = sieve::runtime::blas::recommended_coretype("Prescott", cpu);
  if (want.empty()) GTEST_SKIP() << "CPU has neither AVX-512F nor AVX2";
  const std::string env =
      "-u OPENBLAS_CORETYPE -u SIEVE_OPENBLAS_REEXEC SIEVE_OPENBLAS_ASSUME_CORENAME=Prescott";
  // What sieve did is checked, not what OpenBLAS then reports: on a CPU where OpenBLAS picks
  // `want` by itself, its corename says nothing about the re-exec.
  CliRun plain = run("eval --model lenet-300-100 --limit 20", env);
  ASSERT_EQ(plain.rc, 0) << plain.out;
  EXPECT_NE(plain.out.find("OPENBLAS_CORETYPE=" + want + " set by sieve; OpenBLAS had picked Prescott"),
            std::string::npos)
      << plain.out;
  CliRun r = run("eval --model lenet-300-100 --limit 20 --json", env);
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_FALSE(nlohmann::json::parse(r.stdout_only).at("corename").get<std::string>().empty());
  // The loop guard: a process that was already re-executed does not do it again, so the
  // variable stays unset and OpenBLAS keeps its own choice.
  CliRun guarded =
      run("eval --model lenet-300-100 --limit 20", env + " SIEVE_OPENBLAS_REEXEC=Prescott");
  ASSERT_EQ(guarded.rc, 0) << guarded.out;
  EXPECT_EQ(guarded.out.find("set by sieve"), std::string::npos) << guarded.out;
  EXPECT_NE(guarded.out.find("(detected)"), std::string::npos) << guarded.out;
}

}  // namespace
