// The CLI of the zoo part: `sieve zoo list [--json]`, `sieve inspect MODEL [--json]`, and the
// model loader behind it (zoo names, .onnx paths, errors for anything else).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_util.h"
#include "sieve/app/model_loader.h"
#include "sieve/io/onnx/onnx.h"
#include "sieve/ir/cost.h"
#include "sieve/zoo/zoo.h"

namespace sieve {
namespace {

// out = stdout, err = stderr (kept apart: --json output must parse).
struct CliRun {
  int rc;
  std::string out;
  std::string err;
};

// ctest runs each test in its own process, several at once: every scratch file carries the pid.
std::string scratch(const std::string& name) {
  return testing::TempDir() + "sieve_zoo_cli_" + std::to_string(::getpid()) + "_" + name;
}

CliRun run_sieve(const std::string& args) {
  const sieve_test::CliRun r = sieve_test::run_sieve(args);
  return {r.rc, r.stdout_only, r.stderr_only};
}

TEST(ZooCli, ListTable) {
  CliRun r = run_sieve("zoo list");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("alexnet"), std::string::npos);
  // name, params, MACs, input shape, description
  EXPECT_NE(r.out.find("lenet5"), std::string::npos);
  EXPECT_NE(r.out.find("431,080"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2,293,000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[1,1,28,28]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("60,965,224"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("724,406,816"), std::string::npos) << r.out;
}

TEST(ZooCli, ListJson) {
  CliRun r = run_sieve("zoo list --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 19u);
  bool seen_vgg = false;
  for (const auto& m : j) {
    ASSERT_TRUE(m.contains("name") && m.contains("params") && m.contains("macs") &&
                m.contains("input_shape") && m.contains("description"))
        << m.dump();
    EXPECT_GT(m["params"].get<int64_t>(), 0);
    EXPECT_GT(m["macs"].get<int64_t>(), 0);
    if (m["name"] == "vgg16") {
      seen_vgg = true;
      EXPECT_EQ(m["params"].get<int64_t>(), 138'357'544);
      EXPECT_EQ(m["macs"].get<int64_t>(), 15'470'264'320);
      EXPECT_EQ(m["input_shape"], nlohmann::json({1, 3, 224, 224}));
    }
  }
  EXPECT_TRUE(seen_vgg);
}

TEST(ZooCli, InspectZooModel) {
  CliRun r = run_sieve("inspect cifar10-quick");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("conv1[1,32,32,32]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("145,578 parameters"), std::string::npos) << r.out;
}

TEST(ZooCli, InspectJsonWithBatch) {
  CliRun r = run_sieve("inspect lenet5 --json --batch 2");
  ASSERT_EQ(r.rc, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["name"], "lenet5");
  EXPECT_EQ(j["params"].get<int64_t>(), 431'080);
  EXPECT_EQ(j["macs"].get<int64_t>(), 2 * 2'293'000);
  ASSERT_EQ(j["nodes"].size(), 9u);
  const auto& conv1 = j["nodes"][1];
  EXPECT_EQ(conv1["op"], "Conv");
  EXPECT_EQ(conv1["outputs"][0]["shape"], nlohmann::json({2, 20, 24, 24}));
  EXPECT_EQ(conv1["attributes"]["kernel_shape"], nlohmann::json({5, 5}));
  EXPECT_EQ(conv1["macs"].get<int64_t>(), 2 * 288'000);
}

TEST(ZooCli, InspectUnknownModelFails) {
  CliRun r = run_sieve("inspect lenet6");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("unknown model \"lenet6\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("lenet5"), std::string::npos) << r.err;  // lists the zoo
}

TEST(ZooCli, InspectMissingFileFails) {
  CliRun r = run_sieve("inspect /nonexistent/dir/model.onnx");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("/nonexistent/dir/model.onnx: no such file"), std::string::npos) << r.err;
}

TEST(ZooCli, ZooWithoutSubcommandFails) {
  CliRun r = run_sieve("zoo");
  EXPECT_NE(r.rc, 0);
}

// Zoo models survive ONNX export and come back through the loader with the same counts; the
// CLI inspects the file like the zoo name.
TEST(ModelLoader, ZooModelsRoundTripThroughOnnx) {
  for (const char* name : {"lenet5", "cifar10-quick", "squeezenet", "lstm"}) {
    Result<ir::Graph> g = zoo::build(name, {.init_weights = false});
    ASSERT_TRUE(g.ok()) << g.status().to_string();
    const std::string path = scratch(std::string("roundtrip_") + name + ".onnx");
    Status s = io::export_onnx(*g, path, {.allow_sieve_extensions = true});
    ASSERT_TRUE(s.ok()) << name << ": " << s.to_string();
    Result<ir::Graph> back = app::load_model(path);
    ASSERT_TRUE(back.ok()) << name << ": " << back.status().to_string();
    EXPECT_EQ(back->num_parameters(), g->num_parameters()) << name;
    EXPECT_EQ(ir::total_macs(*back), ir::total_macs(*g)) << name;
    if (std::string(name) == "lenet5") {
      CliRun r = run_sieve("inspect " + path);
      EXPECT_EQ(r.rc, 0) << r.err;
      EXPECT_NE(r.out.find("431,080 parameters, 2,293,000 MACs"), std::string::npos) << r.out;
    }
    std::filesystem::remove(path);
  }
}

TEST(ModelLoader, Sources) {
  EXPECT_EQ(app::model_source("lenet5"), app::ModelSource::kZoo);
  EXPECT_EQ(app::model_source("dir/m.onnx"), app::ModelSource::kOnnx);
  EXPECT_EQ(app::model_source("M.ONNX"), app::ModelSource::kOnnx);
  EXPECT_EQ(app::model_source("m.sieve"), app::ModelSource::kSieve);
}

TEST(ModelLoader, LoadsZooModelsWithOptions) {
  Result<ir::Graph> g = app::load_model("lenet-300-100", {.batch = 4, .init_weights = false});
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  EXPECT_EQ(g->num_parameters(), 266'610);
  EXPECT_EQ(g->find_node("input")->attr_ints("shape"), (std::vector<int64_t>{4, 1, 28, 28}));
}

TEST(ModelLoader, Errors) {
  Result<ir::Graph> unknown = app::load_model("resnet151");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("resnet152"), std::string::npos);

  Result<ir::Graph> missing = app::load_model("/no/such/file.onnx");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/no/such/file.onnx"), std::string::npos);

  // A file that exists but has an unknown extension is named as such.
  const std::string txt = scratch("model_loader_test.txt");
  std::ofstream(txt) << "not a model";
  Result<ir::Graph> other = app::load_model(txt);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("only .onnx and .sieve"), std::string::npos)
      << other.status().message();
  std::filesystem::remove(txt);

  // Garbage in a .onnx file is the importer's error, naming the file.
  const std::string bad = scratch("model_loader_garbage.onnx");
  std::ofstream(bad) << "\x01\x02garbage";
  Result<ir::Graph> garbage = app::load_model(bad);
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("model_loader_garbage.onnx"), std::string::npos)
      << garbage.status().message();
  std::filesystem::remove(bad);
}

}  // namespace
}  // namespace sieve
