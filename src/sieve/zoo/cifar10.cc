// Caffe's CIFAR-10 "quick" model (examples/cifar10/cifar10_quick_train_test.prototxt) on
// [N, 3, 32, 32]. Layer order as in the prototxt: pool1 (max) comes before relu1, pools 2 and 3
// are average pools, and there is no ReLU between ip1 and ip2. Caffe rounds pooled sizes up
// (ceil_mode = 1): 32 -> 16 -> 8 -> 4.
//   conv1 32@5x5 pad 2 -> [32,32,32]   2,432 params 2,457,600 MACs
//   conv2 32@5x5 pad 2 -> [32,16,16]  25,632 params 6,553,600 MACs
//   conv3 64@5x5 pad 2 -> [64,8,8]    51,264 params 3,276,800 MACs
//   ip1 1024->64                      65,600 params    65,536 MACs
//   ip2 64->10                           650 params       640 MACs
//   total                            145,578 params 12,354,176 MACs
#include "sieve/zoo/builder.h"
#include "sieve/zoo/families.h"

namespace sieve::zoo {

ir::Graph build_cifar10_quick(int64_t batch) {
  NetBuilder b("cifar10-quick");
  const PoolSpec pool = {.kernel = 3, .stride = 2, .ceil = true};
  auto x = b.input({batch, 3, 32, 32});
  x = b.conv("conv1", x, {.out = 32, .kernel = 5, .pad = 2});
  x = b.max_pool("pool1", x, pool);
  x = b.relu("relu1", x);
  x = b.relu("relu2", b.conv("conv2", x, {.out = 32, .kernel = 5, .pad = 2}));
  x = b.avg_pool("pool2", x, pool);
  x = b.relu("relu3", b.conv("conv3", x, {.out = 64, .kernel = 5, .pad = 2}));
  x = b.avg_pool("pool3", x, pool);
  x = b.flatten("flatten", x);
  x = b.fc("ip1", x, 64);
  x = b.fc("ip2", x, 10);
  return b.finish(x);
}

}  // namespace sieve::zoo
