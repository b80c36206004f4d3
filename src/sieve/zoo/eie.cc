// The nine benchmark layers of EIE (Han et al., ISCA 2016, Table III; SPEC §8), each a single
// FullyConnected layer on input [N, in]. EIE's "size" is rows × columns of the weight matrix,
// i.e. out × in. The layers are built WITHOUT biases: EIE benchmarks the sparse matrix-vector
// product alone, so params = out · in exactly (NeuralTalk-LSTM's 1201 columns already hold the
// bias as a constant-1 input: 600 input + 600 recurrent + 1). MACs = out · in per inference.
//   layer            size          weight density  activation density
//   AlexNet-6        4096 × 9216    9 %            35 %
//   AlexNet-7        4096 × 4096    9 %            35 %
//   AlexNet-8        1000 × 4096   25 %            38 %
//   VGG-6            4096 × 25088   4 %            18 %
//   VGG-7            4096 × 4096    4 %            37 %
//   VGG-8            1000 × 4096   23 %            41 %
//   NeuralTalk-We     600 × 4096   10 %           100 %
//   NeuralTalk-Wd    8791 × 600    11 %           100 %
//   NeuralTalk-LSTM  2400 × 1201   10 %           100 %
// (The densities are inputs to the sparsity experiments, not part of the graph.)
#include <string>

#include "sieve/zoo/builder.h"
#include "sieve/zoo/families.h"

namespace sieve::zoo {

namespace {

ir::Graph eie_layer(const std::string& name, int64_t batch, int64_t rows, int64_t cols) {
  NetBuilder b(name);
  auto x = b.input({batch, cols});
  x = b.fc("fc", x, rows, /*bias=*/false);
  return b.finish(x);
}

}  // namespace

ir::Graph build_eie_alexnet6(int64_t batch) {
  return eie_layer("eie-alexnet6", batch, 4096, 9216);
}
ir::Graph build_eie_alexnet7(int64_t batch) {
  return eie_layer("eie-alexnet7", batch, 4096, 4096);
}
ir::Graph build_eie_alexnet8(int64_t batch) {
  return eie_layer("eie-alexnet8", batch, 1000, 4096);
}
ir::Graph build_eie_vgg6(int64_t batch) {
  return eie_layer("eie-vgg6", batch, 4096, 25088);
}
ir::Graph build_eie_vgg7(int64_t batch) {
  return eie_layer("eie-vgg7", batch, 4096, 4096);
}
ir::Graph build_eie_vgg8(int64_t batch) {
  return eie_layer("eie-vgg8", batch, 1000, 4096);
}
ir::Graph build_eie_neuraltalk_we(int64_t batch) {
  return eie_layer("eie-neuraltalk-we", batch, 600, 4096);
}
ir::Graph build_eie_neuraltalk_wd(int64_t batch) {
  return eie_layer("eie-neuraltalk-wd", batch, 8791, 600);
}
ir::Graph build_eie_neuraltalk_lstm(int64_t batch) {
  return eie_layer("eie-neuraltalk-lstm", batch, 2400, 1201);
}

}  // namespace sieve::zoo
