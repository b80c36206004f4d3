#include "sieve/io/datasets/dataset.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <span>

#include "sieve/io/datasets/fashion_mnist.h"

namespace sieve::io {

std::vector<std::string> known_datasets() {
  return {"fashion-mnist"};
}

Result<Dataset> load_dataset(const std::string& name, const std::string& split,
                             const std::string& dir, int64_t limit) {
  if (name == "fashion-mnist") return load_fashion_mnist(split, dir, limit);
  return invalid_argument("unknown dataset \"{}\"; known: {}", name,
                          fmt::join(known_datasets(), ", "));
}

Result<Dataset> split_validation(Dataset& d, int64_t n) {
  const int64_t size = static_cast<int64_t>(d.labels.size());
  if (n <= 0 || n >= size) {
    return invalid_argument("validation split of {} examples: needs 0 < n < {} (the training "
                            "examples there are)", n, size);
  }
  const Shape& shape = d.images.shape();
  if (shape.empty() || shape[0] != size) {
    return invalid_argument("validation split: {} labels but images of shape [{}]", size,
                            fmt::join(shape, ", "));
  }
  const int64_t keep = size - n;
  const int64_t per = d.images.numel() / size;
  const std::span<const float> all = d.images.span<float>();
  Shape head_shape = shape, tail_shape = shape;
  head_shape[0] = keep;
  tail_shape[0] = n;
  Dataset val;
  val.num_classes = d.num_classes;
  val.images = Tensor::from_f32(tail_shape, all.subspan(static_cast<size_t>(keep * per)));
  val.labels.assign(d.labels.begin() + keep, d.labels.end());
  d.images = Tensor::from_f32(head_shape, all.first(static_cast<size_t>(keep * per)));
  d.labels.resize(static_cast<size_t>(keep));
  return val;
}

}  // namespace sieve::io
