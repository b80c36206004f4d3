// The conformance runner: tolerance rule, case lists and discovery, run_conformance_case on
// hand-made cases, and the `sieve onnx-test` command line (output lines and exit status).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

#include "cli_util.h"
#include "onnx_test_util.h"
#include "sieve/app/onnx_conformance.h"
#include "sieve/core/atomic_file.h"
#include "sieve/io/onnx/onnx.h"

namespace sieve {
namespace {

namespace fs = std::filesystem;
using app::compare_tensors;
using ir::Node;
using ir::OpKind;
using onnx_test::ScratchDir;

bool contains(const std::string& s, const std::string& sub) {
  return s.find(sub) != std::string::npos;
}

TEST(OnnxConformance, ToleranceFollowsOnnx) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  Tensor want = Tensor::from_f32({4}, {1000.0f, 0.0f, nan, inf});
  // |a-b| <= 1e-7 + 1e-3*|b|: 1000.9 is inside (0.9 <= 1.0000001), 1001.1 is not.
  EXPECT_TRUE(
      compare_tensors(want, Tensor::from_f32({4}, {1000.9f, 0.0f, nan, inf}), 1e-3, 1e-7).ok());
  Status s = compare_tensors(want, Tensor::from_f32({4}, {1001.1f, 0.0f, nan, inf}), 1e-3, 1e-7);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "1 of 4 elements differ")) << s.message();
  EXPECT_TRUE(contains(s.message(), "flat index 0")) << s.message();
  // Near zero only atol counts.
  EXPECT_FALSE(
      compare_tensors(want, Tensor::from_f32({4}, {1000.0f, 1e-6f, nan, inf}), 1e-3, 1e-7).ok());
  // NaN must meet NaN, inf must meet the same inf.
  EXPECT_FALSE(
      compare_tensors(want, Tensor::from_f32({4}, {1000.0f, 0.0f, 1.0f, inf}), 1e-3, 1e-7).ok());
  EXPECT_FALSE(
      compare_tensors(want, Tensor::from_f32({4}, {1000.0f, 0.0f, nan, -inf}), 1e-3, 1e-7).ok());
}

TEST(OnnxConformance, ShapeAndDtypeMustMatchExactly) {
  Tensor a = Tensor::from_f32({2, 3}, {1, 2, 3, 4, 5, 6});
  Status s = compare_tensors(a, a.reshaped({3, 2}), 1e-3, 1e-7);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "shape [2,3] expected, got [3,2]")) << s.message();
  Tensor i = Tensor::from_i64({2}, std::vector<int64_t>{1, 2});
  Status d = compare_tensors(i, Tensor::from_f32({2}, {1, 2}), 1e-3, 1e-7);
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(contains(d.message(), "dtype")) << d.message();
  // Integers compare exactly.
  EXPECT_TRUE(compare_tensors(i, Tensor::from_i64({2}, std::vector<int64_t>{1, 2}), 1, 1).ok());
  EXPECT_FALSE(compare_tensors(i, Tensor::from_i64({2}, std::vector<int64_t>{1, 3}), 1, 1).ok());
}

TEST(OnnxConformance, ListsAndCaseDiscovery) {
  ScratchDir dir;
  for (const char* c : {"suite/b_case", "suite/a_case", "suite/nested/c_case"}) {
    fs::create_directories(dir.path() / c);
    ASSERT_TRUE(write_file_atomic((dir.path() / c / "model.onnx").string(), "x").ok());
  }
  fs::create_directories(dir.path() / "suite/empty");
  auto cases = app::expand_cases({(dir.path() / "suite").string()});
  ASSERT_TRUE(cases.ok()) << cases.status().message();
  ASSERT_EQ(cases->size(), 3u);
  EXPECT_EQ(fs::path((*cases)[0]).filename(), "a_case");
  EXPECT_EQ(fs::path((*cases)[1]).filename(), "b_case");
  EXPECT_EQ(fs::path((*cases)[2]).filename(), "c_case");
  EXPECT_FALSE(app::expand_cases({(dir.path() / "suite/empty").string()}).ok());
  EXPECT_FALSE(app::expand_cases({dir.file("nowhere")}).ok());

  auto r = app::resolve_case("suite/a_case", dir.path().string());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, (dir.path() / "suite/a_case").string());
  auto missing = app::resolve_case("test_nothing", dir.path().string());
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(contains(missing.status().message(), "test_nothing"));

  const std::string list = dir.file("list.txt");
  ASSERT_TRUE(write_file_atomic(list, "# header\n\n  test_a   # trailing comment\ntest_b\n").ok());
  auto names = app::read_case_list(list);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"test_a", "test_b"}));
  EXPECT_FALSE(app::read_case_list(dir.file("no_list.txt")).ok());
}

// Writes a case computing y = relu(x) + b into dir/name with one data set whose expected
// output is scaled by `expected_scale` (1 = correct).
void write_relu_case(const fs::path& dir, const std::string& name, float expected_scale) {
  ir::Graph g;
  g.name = name;
  Node in;
  in.op = OpKind::kInput;
  in.name = "x";
  in.outputs = {"x"};
  in.attrs["shape"] = std::vector<int64_t>{2, 3};
  in.attrs["dtype"] = static_cast<int64_t>(DType::kF32);
  g.nodes.push_back(in);
  g.initializers["b"] = Tensor::from_f32({3}, {0.5f, -1.0f, 2.0f});
  Node relu;
  relu.op = OpKind::kRelu;
  relu.name = "relu";
  relu.inputs = {"x"};
  relu.outputs = {"r"};
  g.nodes.push_back(relu);
  Node add;
  add.op = OpKind::kAdd;
  add.name = "add";
  add.inputs = {"r", "b"};
  add.outputs = {"y"};
  g.nodes.push_back(add);
  g.outputs = {"y"};
  const fs::path c = dir / name;
  fs::create_directories(c / "test_data_set_0");
  ASSERT_TRUE(io::export_onnx(g, (c / "model.onnx").string()).ok());
  Tensor x = Tensor::from_f32({2, 3}, {-1, 2, -3, 4, -5, 6});
  const float b[3] = {0.5f, -1.0f, 2.0f};
  std::vector<float> y(6);
  for (int i = 0; i < 6; ++i)
    y[i] = (std::max(x.data<float>()[i], 0.0f) + b[i % 3]) * expected_scale;
  ASSERT_TRUE(write_file_atomic((c / "test_data_set_0/input_0.pb").string(),
                                *io::serialize_tensor_pb(x, "x"))
                  .ok());
  ASSERT_TRUE(write_file_atomic((c / "test_data_set_0/output_0.pb").string(),
                                *io::serialize_tensor_pb(Tensor::from_f32({2, 3}, y), "y"))
                  .ok());
}

void write_unsupported_case(const fs::path& dir, const std::string& name) {
  onnx_test::ModelBuilder b(13);
  b.input("x", {2});
  b.node("Exp", {"x"}, {"y"}, "exp");
  b.output("y");
  fs::create_directories(dir / name / "test_data_set_0");
  ASSERT_TRUE(write_file_atomic((dir / name / "model.onnx").string(), b.bytes()).ok());
}

TEST(OnnxConformance, RunCasePassesFailsAndSkips) {
  ScratchDir dir;
  write_relu_case(dir.path(), "test_good", 1.0f);
  write_relu_case(dir.path(), "test_bad", 1.01f);
  write_unsupported_case(dir.path(), "test_exp");

  app::ConformanceOptions opts;
  opts.verbose = true;
  app::CaseResult good = app::run_conformance_case(dir.file("test_good"), opts);
  EXPECT_EQ(good.outcome, app::CaseOutcome::kPass) << good.reason;
  EXPECT_EQ(good.data_sets, 1);
  EXPECT_TRUE(contains(good.log, "output 0 (\"y\") f32 [2,3] ok")) << good.log;
  EXPECT_EQ(good.name, dir.path().filename().string() + "/test_good");

  app::CaseResult bad = app::run_conformance_case(dir.file("test_bad"));
  EXPECT_EQ(bad.outcome, app::CaseOutcome::kFail);
  EXPECT_TRUE(contains(bad.reason, "output 0 (\"y\")")) << bad.reason;
  EXPECT_TRUE(contains(bad.reason, "elements differ")) << bad.reason;

  app::CaseResult exp = app::run_conformance_case(dir.file("test_exp"));
  EXPECT_EQ(exp.outcome, app::CaseOutcome::kSkip);
  EXPECT_TRUE(contains(exp.reason, "unsupported ONNX op Exp")) << exp.reason;
}

struct CliRun {
  int status = -1;
  std::string out;
};

CliRun run_cli(const std::string& args) {
  const sieve_test::CliRun r = sieve_test::run_sieve("onnx-test " + args);
  return {r.rc, r.out};
}

TEST(OnnxConformance, CommandLinePrintsOneLinePerCaseAndASummary) {
  ScratchDir dir;
  const fs::path suite = dir.path() / "suite";
  write_relu_case(suite, "test_good", 1.0f);
  write_relu_case(suite, "test_also_good", 1.0f);
  write_unsupported_case(suite, "test_exp");

  CliRun ok = run_cli(dir.file("suite/test_good") + " " + dir.file("suite/test_also_good"));
  EXPECT_EQ(ok.status, 0) << ok.out;
  EXPECT_TRUE(contains(ok.out, "PASS suite/test_good\n")) << ok.out;
  EXPECT_TRUE(contains(ok.out, "\n2 passed, 0 failed\n")) << ok.out;

  // A folder of cases is expanded; the unsupported op is named; skips do not fail...
  CliRun all = run_cli(suite.string());
  EXPECT_EQ(all.status, 0) << all.out;
  EXPECT_TRUE(contains(all.out, "SKIP suite/test_exp: unsupported ONNX op Exp")) << all.out;
  EXPECT_TRUE(contains(all.out, "\n2 passed, 0 failed, 1 skipped\n")) << all.out;
  // --json and --csv: one row per case, the same counts.
  CliRun js = run_cli("--json " + suite.string());
  EXPECT_EQ(js.status, 0) << js.out;
  EXPECT_TRUE(contains(js.out, "\"passed\": 2")) << js.out;
  EXPECT_TRUE(contains(js.out, "\"skipped\": 1")) << js.out;
  EXPECT_TRUE(contains(js.out, "\"outcome\": \"skip\"")) << js.out;
  CliRun csv = run_cli("--csv --strict " + suite.string());
  EXPECT_EQ(csv.status, 1) << csv.out;
  EXPECT_TRUE(contains(csv.out, "name,outcome,")) << csv.out;
  EXPECT_TRUE(contains(csv.out, "suite/test_exp,fail,")) << csv.out;
  // ...unless --strict.
  CliRun strict = run_cli("--strict " + suite.string());
  EXPECT_EQ(strict.status, 1) << strict.out;
  EXPECT_TRUE(contains(strict.out, "FAIL suite/test_exp: unsupported ONNX op Exp")) << strict.out;
  EXPECT_TRUE(contains(strict.out, "\n2 passed, 1 failed\n")) << strict.out;

  // A wrong result fails with a non-zero exit; names come from --list and --data-dir.
  write_relu_case(suite, "test_bad", 2.0f);
  const std::string list = dir.file("list.txt");
  ASSERT_TRUE(write_file_atomic(list, "# cases\nsuite/test_good\nsuite/test_bad\n").ok());
  CliRun bad = run_cli("--data-dir " + dir.path().string() + " --list " + list);
  EXPECT_EQ(bad.status, 1) << bad.out;
  EXPECT_TRUE(contains(bad.out, "FAIL suite/test_bad: test_data_set_0: output 0")) << bad.out;
  EXPECT_TRUE(contains(bad.out, "\n1 passed, 1 failed\n")) << bad.out;

  CliRun none = run_cli("--data-dir " + dir.path().string() + " test_missing_case");
  EXPECT_EQ(none.status, 1) << none.out;
  EXPECT_TRUE(contains(none.out, "test_missing_case")) << none.out;
}

}  // namespace
}  // namespace sieve
