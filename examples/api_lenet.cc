// The library API (docs/api.md) on LeNet-5: the thesis' code 4.1, layer after layer.
//
// The layers are Caffe's LeNet-5 (the zoo's lenet5) with the thesis' figures for it
// (configs/benchmarks/thesis.yaml): conv filters 11.02 % of 16-row blocks kept, 8-bit codes;
// FC filters 8.53 % kept, 5-bit codes; FC inputs 88.5 % non-zero. The program prints the built
// program's summary, the first words of its assembly and the cycles and energy the Sieve model
// gives when driven by the program and by the plans.
//
//   api_lenet [--arch NAME] [--asm FILE]   (default sieve; --asm writes the whole assembly)
//
// Exit status: 0, or 1 with the error on stderr (an architecture without a code generator,
// a descriptor the calls refuse).
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <string>

#include "sieve/api/api.h"

namespace api = sieve::api;
using sieve::Status;

namespace {

int fail(const Status& s) {
  std::fprintf(stderr, "api_lenet: error: %s\n", s.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string arch = "sieve", asm_file;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--arch") == 0 && i + 1 < argc) {
      arch = argv[++i];
    } else if (std::strcmp(argv[i], "--asm") == 0 && i + 1 < argc) {
      asm_file = argv[++i];
    } else {
      std::fprintf(stderr, "usage: api_lenet [--arch NAME] [--asm FILE]\n");
      return 2;
    }
  }

  // Data declaration (code 4.1, lines 1-6): tensors and filters with their sparse attributes.
  using api::FilterDescriptor;
  using api::TensorDescriptor;
  auto data = TensorDescriptor::nchw("data", 1, 1, 28, 28);
  auto conv1_w = FilterDescriptor::conv("conv1.w", 20, 1, 5, 5)
                     .sparse_blocks(0.1102, {16, 1, 1, 1})
                     .quantized(8);
  auto conv1_y = TensorDescriptor::nchw("conv1.y", 1, 20, 24, 24);
  auto pool1_y = TensorDescriptor::nchw("pool1.y", 1, 20, 12, 12);
  auto conv2_w = FilterDescriptor::conv("conv2.w", 50, 20, 5, 5)
                     .sparse_blocks(0.1102, {16, 1, 1, 1})
                     .quantized(8);
  auto conv2_y = TensorDescriptor::nchw("conv2.y", 1, 50, 8, 8);
  auto pool2_y = TensorDescriptor::nchw("pool2.y", 1, 50, 4, 4).sparse_at(0.885);
  auto ip1_w = FilterDescriptor::inner_product("ip1.w", 500, 800)
                   .sparse_blocks(0.0853, {16, 1})
                   .quantized(5);
  auto ip1_y = TensorDescriptor::vector("ip1.y", 500);
  auto relu1_y = TensorDescriptor::vector("relu1.y", 500).sparse_at(0.885);
  auto ip2_w = FilterDescriptor::inner_product("ip2.w", 10, 500)
                   .sparse_blocks(0.0853, {10, 1})
                   .quantized(5);
  auto ip2_y = TensorDescriptor::vector("ip2.y", 10);

  // Operations (lines 7-10): one call per layer.
  api::Network net("lenet5-api");
  const auto pool = api::PoolingDescriptor::make(api::PoolMode::kMax, 2, 2, /*ceil=*/true);
  for (const Status& s : {
           api::ConvForward(net, "conv1", api::ConvDescriptor{}, data, conv1_w, conv1_y),
           api::PoolingForward(net, "pool1", pool, conv1_y, pool1_y),
           api::ConvForward(net, "conv2", api::ConvDescriptor{}, pool1_y, conv2_w, conv2_y),
           api::PoolingForward(net, "pool2", pool, conv2_y, pool2_y),
           api::InnerProductForward(net, "ip1", pool2_y, ip1_w, ip1_y),
           api::ActivationForward(net, "relu1", {api::ActivationMode::kRelu}, ip1_y, relu1_y),
           api::InnerProductForward(net, "ip2", relu1_y, ip2_w, ip2_y),
       }) {
    if (!s.ok()) return fail(s);
  }

  // The program for the architecture.
  api::BuildOptions opt;
  opt.arch = arch;
  sieve::Result<api::BuiltProgram> p = api::build(net, opt);
  if (!p.ok()) return fail(p.status());
  std::fputs(api::summary(*p).c_str(), stdout);
  const std::string text = p->assembly();
  std::printf("assembly: %zu lines, binary: %zu bytes; the first words:\n",
              static_cast<size_t>(std::count(text.begin(), text.end(), '\n')),
              p->binary().size());
  size_t at = 0;
  for (int line = 0; line < 12 && at < text.size(); ++line) {
    const size_t end = text.find('\n', at);
    std::printf("  | %s\n", text.substr(at, end - at).c_str());
    at = end == std::string::npos ? text.size() : end + 1;
  }
  if (!asm_file.empty()) {
    std::ofstream(asm_file) << text;
    std::printf("assembly written to %s\n", asm_file.c_str());
  }

  // Simulated: driven by the program, and by the plans for comparison.
  auto by_program = api::simulate(*p, /*program_driven=*/true);
  if (!by_program.ok()) return fail(by_program.status());
  auto by_plan = api::simulate(*p, /*program_driven=*/false);
  if (!by_plan.ok()) return fail(by_plan.status());
  const auto tp = by_program->result.total(), tl = by_plan->result.total();
  std::printf("simulated (program-driven): %lld cycles, %.2f us, %.3f uJ\n",
              static_cast<long long>(tp.cycles), tp.time_ns / 1e3,
              by_program->energy.total_pj() / 1e6);
  std::printf("simulated (plan-driven):    %lld cycles (program/plan %.4f)\n",
              static_cast<long long>(tl.cycles),
              tl.cycles > 0 ? static_cast<double>(tp.cycles) / static_cast<double>(tl.cycles)
                            : 0.0);
  return 0;
}
