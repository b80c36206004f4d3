// The SparseNN MLPs (Zhu et al., DATE 2018): MNIST-sized input [N, 1, 28, 28], hidden layers of
// 1000 ReLU units, 10 logits. The 3-layer net has one hidden layer (784-1000-10, 795,010
// parameters, 794,000 MACs); the 5-layer net has three (784-1000-1000-1000-10, 2,797,010
// parameters, 2,794,000 MACs).
#include <string>

#include "sieve/zoo/builder.h"
#include "sieve/zoo/families.h"

namespace sieve::zoo {

namespace {

ir::Graph mlp(const std::string& name, int64_t batch, int hidden_layers) {
  NetBuilder b(name);
  auto x = b.flatten("flatten", b.input({batch, 1, 28, 28}));
  for (int i = 1; i <= hidden_layers; ++i) {
    std::string id = std::to_string(i);
    x = b.relu("relu" + id, b.fc("fc" + id, x, 1000));
  }
  x = b.fc("fc" + std::to_string(hidden_layers + 1), x, 10);
  return b.finish(x);
}

}  // namespace

ir::Graph build_sparsenn_mlp3(int64_t batch) {
  return mlp("sparsenn-mlp3", batch, 1);
}
ir::Graph build_sparsenn_mlp5(int64_t batch) {
  return mlp("sparsenn-mlp5", batch, 3);
}

}  // namespace sieve::zoo
