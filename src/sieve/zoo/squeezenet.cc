// SqueezeNet 1.0 (Iandola et al., arXiv:1602.07360, Table 1) in torchvision's form
// (squeezenet1_0): input [N, 3, 224, 224]; conv1 96@7x7/2 + ReLU; max pools 3/2 with
// ceil_mode after conv1, fire4 and fire8; eight fire modules (squeeze 1x1 s, then expand 1x1 e
// and expand 3x3 e concatenated on channels, ReLU after each conv); dropout 0.5; conv10
// 1000@1x1 + ReLU; global average pool. 1,248,424 parameters; 818,924,576 MACs (0.82 G).
#include <string>

#include "sieve/zoo/builder.h"
#include "sieve/zoo/families.h"

namespace sieve::zoo {

namespace {

std::string fire(NetBuilder& b, const std::string& name, const std::string& x, int64_t squeeze,
                 int64_t expand) {
  auto s = b.relu(name + "_squeeze_relu",
                  b.conv(name + "_squeeze1x1", x, {.out = squeeze, .kernel = 1}));
  auto e1 = b.relu(name + "_expand1x1_relu",
                   b.conv(name + "_expand1x1", s, {.out = expand, .kernel = 1}));
  auto e3 = b.relu(name + "_expand3x3_relu",
                   b.conv(name + "_expand3x3", s, {.out = expand, .kernel = 3, .pad = 1}));
  return b.concat(name + "_concat", {e1, e3}, 1);
}

}  // namespace

ir::Graph build_squeezenet(int64_t batch) {
  NetBuilder b("squeezenet");
  const PoolSpec pool = {.kernel = 3, .stride = 2, .ceil = true};
  auto x = b.input({batch, 3, 224, 224});
  x = b.relu("relu1", b.conv("conv1", x, {.out = 96, .kernel = 7, .stride = 2}));
  x = b.max_pool("pool1", x, pool);
  x = fire(b, "fire2", x, 16, 64);
  x = fire(b, "fire3", x, 16, 64);
  x = fire(b, "fire4", x, 32, 128);
  x = b.max_pool("pool4", x, pool);
  x = fire(b, "fire5", x, 32, 128);
  x = fire(b, "fire6", x, 48, 192);
  x = fire(b, "fire7", x, 48, 192);
  x = fire(b, "fire8", x, 64, 256);
  x = b.max_pool("pool8", x, pool);
  x = fire(b, "fire9", x, 64, 256);
  x = b.dropout("drop9", x, 0.5);
  x = b.relu("relu10", b.conv("conv10", x, {.out = 1000, .kernel = 1}));
  x = b.global_avg_pool("pool10", x);
  x = b.flatten("flatten", x);
  return b.finish(x);
}

}  // namespace sieve::zoo
