// The text dump: one line per node with op, operands and results with shapes, attributes,
// parameters and MACs, then a summary line.
#include "sieve/ir/dump.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "sieve/zoo/zoo.h"

namespace sieve::ir {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The line describing node `name` (its first column).
std::string node_line(const std::vector<std::string>& lines, const std::string& name) {
  for (const std::string& l : lines) {
    if (l.rfind(name + " ", 0) == 0) return l;
  }
  ADD_FAILURE() << "no line for node " << name;
  return "";
}

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "missing \"" << part << "\" in:\n" << text;
}

Graph lenet5() {
  Result<Graph> g = zoo::build("lenet5", {.init_weights = false});
  SIEVE_ASSERT(g.ok(), "{}", g.status().to_string());
  return std::move(g).value();
}

TEST(Dump, OneLinePerNodePlusHeaderAndSummary) {
  Graph g = lenet5();
  std::vector<std::string> lines = lines_of(dump(g));
  ASSERT_EQ(lines.size(), g.nodes.size() + 3) << dump(g);
  expect_contains(lines[0], "graph \"lenet5\"");
  expect_contains(lines[1], "params");
  expect_contains(lines[1], "MACs");
}

TEST(Dump, ConvLineHasShapesAttributesParamsAndMacs) {
  std::vector<std::string> lines = lines_of(dump(lenet5()));
  std::string conv1 = node_line(lines, "conv1");
  expect_contains(conv1, " Conv ");
  expect_contains(conv1,
                  "input[1,1,28,28], conv1.weight[20,1,5,5], conv1.bias[20] -> "
                  "conv1[1,20,24,24]");
  expect_contains(conv1, "kernel_shape=[5,5]");
  expect_contains(conv1, "strides=[1,1]");
  expect_contains(conv1, " 520 ");
  expect_contains(conv1, " 288,000 ");
  std::string pool1 = node_line(lines, "pool1");
  expect_contains(pool1, "MaxPool");
  expect_contains(pool1, "-> pool1[1,20,12,12]");
  expect_contains(pool1, "ceil_mode=1");
  std::string ip1 = node_line(lines, "ip1");
  expect_contains(ip1, "FullyConnected");
  expect_contains(ip1, "flatten[1,800], ip1.weight[500,800], ip1.bias[500] -> ip1[1,500]");
  expect_contains(ip1, " 400,500 ");
  expect_contains(ip1, " 400,000 ");
}

TEST(Dump, SummaryTotals) {
  std::vector<std::string> lines = lines_of(dump(lenet5()));
  const std::string& total = lines.back();
  expect_contains(total, "total: 9 nodes, 431,080 parameters, 2,293,000 MACs");
  expect_contains(total, "inputs input[1,1,28,28]");
  expect_contains(total, "outputs ip2[1,10]");
}

TEST(Dump, AttributesOfEveryKind) {
  Graph g;
  g.name = "attrs";
  Node in;
  in.op = OpKind::kInput;
  in.name = "x";
  in.outputs = {"x"};
  in.attrs["shape"] = std::vector<int64_t>{2, 3};
  in.attrs["dtype"] = int64_t{0};
  Node sm;
  sm.op = OpKind::kSoftmax;
  sm.name = "sm";
  sm.inputs = {"x"};
  sm.outputs = {"y"};
  sm.attrs["axis"] = int64_t{-1};
  sm.attrs["f"] = 0.25;
  sm.attrs["s"] = std::string("abc");
  sm.attrs["fs"] = std::vector<double>{0.5, 2.0};
  sm.attrs["ss"] = std::vector<std::string>{"Sigmoid", "Tanh"};
  g.nodes = {in, sm};
  g.outputs = {"y"};
  std::string line = node_line(lines_of(dump(g)), "sm");
  expect_contains(line, "x[2,3] -> y[2,3]");
  expect_contains(line, "axis=-1 f=0.25 fs=[0.5,2] s=\"abc\" ss=[\"Sigmoid\",\"Tanh\"]");
}

TEST(Dump, ShapeErrorsAreReportedNotFatal) {
  Graph g = lenet5();
  // ip1 now expects 801 inputs: shape inference fails at ip1.
  g.initializers["ip1.weight"] = Tensor(DType::kF32, {500, 801});
  std::string text = dump(g);
  expect_contains(text, "shape inference failed");
  expect_contains(node_line(lines_of(text), "conv1"), "conv1[1,20,24,24]");
  expect_contains(node_line(lines_of(text), "ip2"), "ip2[?]");
  expect_contains(text, "(some unknown)");
}

TEST(Dump, OmittedOperandsPrintAsUnderscore) {
  Result<Graph> g = zoo::build("lstm", {.init_weights = false});
  ASSERT_TRUE(g.ok());
  std::string line = node_line(lines_of(dump(*g)), "lstm");
  expect_contains(line, "lstm.B[1,8192], _, _, _, lstm.P[1,3072], lstm.W_proj[1,512,1024]");
  expect_contains(line, "-> lstm[1,1,1,512]");
  expect_contains(line, "proj_size=512");
  expect_contains(line, " 3,251,200 ");
}

}  // namespace
}  // namespace sieve::ir
