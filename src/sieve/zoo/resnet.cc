// ResNet-152 (He et al., CVPR 2016, Table 1) in torchvision's form (the one whose parameter
// count is usually quoted): input [N, 3, 224, 224]; conv1 7x7/2 64 + BatchNorm + ReLU,
// max pool 3x3/2 pad 1; four stages of bottleneck blocks [3, 8, 36, 3] with widths
// 64/128/256/512 and expansion 4; the stride-2 of stages 2-4 sits on the 3x3 convolution
// ("ResNet v1.5"; the paper's v1 puts it on the first 1x1, which gives the thesis's 11.3 G
// MACs); projection shortcuts (1x1 conv + BatchNorm) where shape changes; global average pool;
// fc 2048->1000. Convolutions have no bias (BatchNorm follows each).
// 60,192,808 parameters (BatchNorm scale and shift counted, running statistics not);
// 11,513,626,624 MACs (11.51 G).
#include <string>

#include "sieve/zoo/builder.h"
#include "sieve/zoo/families.h"

namespace sieve::zoo {

namespace {

std::string conv_bn(NetBuilder& b, const std::string& name, const std::string& x, int64_t out,
                    int64_t kernel, int64_t stride, bool relu) {
  auto y = b.conv(
      name, x, {.out = out, .kernel = kernel, .stride = stride, .pad = kernel / 2, .bias = false});
  y = b.batch_norm(name + "_bn", y);
  return relu ? b.relu(name + "_relu", y) : y;
}

// torchvision Bottleneck: 1x1 (width) -> 3x3 (width, stride) -> 1x1 (4·width), plus the
// shortcut, then ReLU.
std::string bottleneck(NetBuilder& b, const std::string& name, const std::string& x, int64_t width,
                       int64_t stride) {
  const int64_t out = 4 * width;
  auto y = conv_bn(b, name + "_conv1", x, width, 1, 1, true);
  y = conv_bn(b, name + "_conv2", y, width, 3, stride, true);
  y = conv_bn(b, name + "_conv3", y, out, 1, 1, false);
  std::string shortcut = x;
  if (stride != 1 || b.shape(x)[1] != out) {
    shortcut = conv_bn(b, name + "_downsample", x, out, 1, stride, false);
  }
  return b.relu(name + "_relu", b.add(name + "_add", y, shortcut));
}

}  // namespace

ir::Graph build_resnet152(int64_t batch) {
  NetBuilder b("resnet152");
  struct Stage {
    int64_t width;
    int blocks;
    int64_t stride;
  };
  constexpr Stage kStages[] = {{64, 3, 1}, {128, 8, 2}, {256, 36, 2}, {512, 3, 2}};
  auto x = b.input({batch, 3, 224, 224});
  x = conv_bn(b, "conv1", x, 64, 7, 2, true);
  x = b.max_pool("pool1", x, {.kernel = 3, .stride = 2, .pad = 1});
  int stage_no = 2;
  for (const Stage& s : kStages) {
    for (int i = 0; i < s.blocks; ++i) {
      std::string name = "res" + std::to_string(stage_no) + "_" + std::to_string(i + 1);
      x = bottleneck(b, name, x, s.width, i == 0 ? s.stride : 1);
    }
    ++stage_no;
  }
  x = b.global_avg_pool("pool5", x);
  x = b.flatten("flatten", x);
  x = b.fc("fc", x, 1000);
  return b.finish(x);
}

}  // namespace sieve::zoo
