// The LeNet family on MNIST-sized input [N, 1, 28, 28].
#include "sieve/zoo/builder.h"
#include "sieve/zoo/families.h"

namespace sieve::zoo {

// LeNet-300-100 (LeCun et al. 1998), the "MLP" of the thesis and of Deep Compression:
// 784-300-100-10 with ReLU. Parameters 784·300+300 + 300·100+100 + 100·10+10 = 266,610;
// MACs 235,200 + 30,000 + 1,000 = 266,200.
ir::Graph build_lenet_300_100(int64_t batch) {
  NetBuilder b("lenet-300-100");
  auto x = b.input({batch, 1, 28, 28});
  x = b.flatten("flatten", x);
  x = b.relu("relu1", b.fc("ip1", x, 300));
  x = b.relu("relu2", b.fc("ip2", x, 100));
  x = b.fc("ip3", x, 10);
  return b.finish(x);
}

// Caffe's LeNet (examples/mnist/lenet.prototxt): no activation after the convolutions, pools
// 2x2/2 (Caffe rounds pooled sizes up; 24 and 8 divide evenly, so ceil_mode changes nothing).
//   conv1 20@5x5 -> [20,24,24]   520 params   288,000 MACs
//   pool1 2/2    -> [20,12,12]
//   conv2 50@5x5 -> [50,8,8]   25,050 params 1,600,000 MACs
//   pool2 2/2    -> [50,4,4]
//   ip1 800->500, ReLU        400,500 params   400,000 MACs
//   ip2 500->10                 5,010 params     5,000 MACs
//   total                     431,080 params 2,293,000 MACs
ir::Graph build_lenet5(int64_t batch) {
  NetBuilder b("lenet5");
  auto x = b.input({batch, 1, 28, 28});
  x = b.conv("conv1", x, {.out = 20, .kernel = 5});
  x = b.max_pool("pool1", x, {.kernel = 2, .stride = 2, .ceil = true});
  x = b.conv("conv2", x, {.out = 50, .kernel = 5});
  x = b.max_pool("pool2", x, {.kernel = 2, .stride = 2, .ceil = true});
  x = b.flatten("flatten", x);
  x = b.relu("relu1", b.fc("ip1", x, 500));
  x = b.fc("ip2", x, 10);
  return b.finish(x);
}

}  // namespace sieve::zoo
