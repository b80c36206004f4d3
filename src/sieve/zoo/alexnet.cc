// BVLC AlexNet (Krizhevsky et al., NIPS 2012) as in Caffe's models/bvlc_alexnet/deploy.prototxt:
// input [N, 3, 227, 227], LRN after relu1 and relu2 (local_size 5, alpha 1e-4, beta 0.75),
// conv2/4/5 in two groups (the two-GPU split), max pools 3/2, dropout 0.5 after fc6 and fc7.
//   layer  output        params        MACs
//   conv1  [96,55,55]        34,944   105,415,200
//   conv2  [256,27,27]      307,456   223,948,800
//   conv3  [384,13,13]      885,120   149,520,384
//   conv4  [384,13,13]      663,936   112,140,288
//   conv5  [256,13,13]      442,624    74,760,192
//   fc6    [4096]        37,752,832    37,748,736
//   fc7    [4096]        16,781,312    16,777,216
//   fc8    [1000]         4,097,000     4,096,000
//   total                60,965,224   724,406,816
#include "sieve/zoo/builder.h"
#include "sieve/zoo/families.h"

namespace sieve::zoo {

ir::Graph build_alexnet(int64_t batch) {
  NetBuilder b("alexnet");
  const PoolSpec pool = {.kernel = 3, .stride = 2, .ceil = true};
  auto x = b.input({batch, 3, 227, 227});
  x = b.relu("relu1", b.conv("conv1", x, {.out = 96, .kernel = 11, .stride = 4}));
  x = b.lrn("norm1", x, 5, 1e-4, 0.75);
  x = b.max_pool("pool1", x, pool);
  x = b.relu("relu2", b.conv("conv2", x, {.out = 256, .kernel = 5, .pad = 2, .group = 2}));
  x = b.lrn("norm2", x, 5, 1e-4, 0.75);
  x = b.max_pool("pool2", x, pool);
  x = b.relu("relu3", b.conv("conv3", x, {.out = 384, .kernel = 3, .pad = 1}));
  x = b.relu("relu4", b.conv("conv4", x, {.out = 384, .kernel = 3, .pad = 1, .group = 2}));
  x = b.relu("relu5", b.conv("conv5", x, {.out = 256, .kernel = 3, .pad = 1, .group = 2}));
  x = b.max_pool("pool5", x, pool);
  x = b.flatten("flatten", x);
  x = b.dropout("drop6", b.relu("relu6", b.fc("fc6", x, 4096)), 0.5);
  x = b.dropout("drop7", b.relu("relu7", b.fc("fc7", x, 4096)), 0.5);
  x = b.fc("fc8", x, 1000);
  return b.finish(x);
}

}  // namespace sieve::zoo
