// VGG-16, configuration D of Simonyan and Zisserman (ICLR 2015, Table 1): input
// [N, 3, 224, 224], thirteen 3x3 convolutions with padding 1 in five stages (64, 128, 256,
// 512, 512 channels), each stage closed by a 2x2/2 max pool, then fc6 25088->4096, fc7
// 4096->4096 (ReLU and dropout 0.5 after each) and fc8 4096->1000.
// 138,357,544 parameters; 15,470,264,320 MACs (15.47 G: 15.35 G conv + 0.12 G fc).
#include <string>

#include "sieve/zoo/builder.h"
#include "sieve/zoo/families.h"

namespace sieve::zoo {

ir::Graph build_vgg16(int64_t batch) {
  NetBuilder b("vgg16");
  struct Stage {
    int64_t channels;
    int convs;
  };
  constexpr Stage kStages[] = {{64, 2}, {128, 2}, {256, 3}, {512, 3}, {512, 3}};
  auto x = b.input({batch, 3, 224, 224});
  int stage_no = 1;
  for (const Stage& s : kStages) {
    for (int i = 1; i <= s.convs; ++i) {
      std::string id = std::to_string(stage_no) + "_" + std::to_string(i);
      x = b.conv("conv" + id, x, {.out = s.channels, .kernel = 3, .pad = 1});
      x = b.relu("relu" + id, x);
    }
    x = b.max_pool("pool" + std::to_string(stage_no), x, {.kernel = 2, .stride = 2});
    ++stage_no;
  }
  x = b.flatten("flatten", x);
  x = b.dropout("drop6", b.relu("relu6", b.fc("fc6", x, 4096)), 0.5);
  x = b.dropout("drop7", b.relu("relu7", b.fc("fc7", x, 4096)), 0.5);
  x = b.fc("fc8", x, 1000);
  return b.finish(x);
}

}  // namespace sieve::zoo
