// NetBuilder: writes an ir::Graph layer by layer, the way a Caffe prototxt or a torchvision
// model reads ("conv 20@5x5, max pool 2/2, ..."): each call adds one node whose output value is
// named like the node, creates its zero-filled weight initializers ("<node>.weight",
// "<node>.bias", ...) and returns the output value's name. The builder tracks the shapes of the
// values it creates (only to size the weights), so a layer needs only its own hyper-parameters,
// not its input's channel count.
//
// Used by the zoo's family files; misuse (unknown value, wrong rank) is a programming error and
// asserts. Ownership: finish() moves the graph out; the builder is then spent. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sieve/core/tensor.h"
#include "sieve/ir/graph.h"

namespace sieve::zoo {

struct ConvSpec {
  int64_t out = 0;     // output channels (Caffe num_output)
  int64_t kernel = 1;  // square kernel
  int64_t stride = 1;
  int64_t pad = 0;  // on every side
  int64_t group = 1;
  bool bias = true;
};

struct PoolSpec {
  int64_t kernel = 2;
  int64_t stride = 2;
  int64_t pad = 0;
  bool ceil = false;  // Caffe rounds pooled sizes up: ceil_mode = 1
};

struct LstmSpec {
  int64_t hidden = 0;  // cells
  int64_t proj = 0;    // recurrent projection size (0: none)
  bool peepholes = false;
  bool bias = true;
};

class NetBuilder {
 public:
  explicit NetBuilder(std::string graph_name);

  // The graph input, named "input" (f32).
  std::string input(const Shape& shape);

  std::string conv(const std::string& name, const std::string& x, const ConvSpec& c);
  // FullyConnected with W [out, in]; x must be 2-D.
  std::string fc(const std::string& name, const std::string& x, int64_t out, bool bias = true);
  std::string relu(const std::string& name, const std::string& x);
  std::string max_pool(const std::string& name, const std::string& x, const PoolSpec& p);
  std::string avg_pool(const std::string& name, const std::string& x, const PoolSpec& p);
  std::string global_avg_pool(const std::string& name, const std::string& x);
  std::string lrn(const std::string& name, const std::string& x, int64_t size, double alpha,
                  double beta, double bias = 1.0);
  std::string batch_norm(const std::string& name, const std::string& x, double epsilon = 1e-5);
  std::string add(const std::string& name, const std::string& a, const std::string& b);
  std::string concat(const std::string& name, const std::vector<std::string>& xs, int64_t axis = 1);
  std::string flatten(const std::string& name, const std::string& x);
  // ratio 0.5 (the ONNX default) adds no operand; another ratio adds a scalar initializer
  // "<name>.ratio".
  std::string dropout(const std::string& name, const std::string& x, double ratio);
  // ONNX LSTM over x [seq, batch, features], forward direction; returns Y
  // [seq, 1, batch, proj or hidden].
  std::string lstm(const std::string& name, const std::string& x, const LstmSpec& s);

  // The shape the builder computed for `value`.
  const Shape& shape(const std::string& value) const;

  // Marks `output` as the graph output and returns the graph.
  ir::Graph finish(const std::string& output);

 private:
  ir::Node& add_node(ir::OpKind op, const std::string& name, std::vector<std::string> inputs,
                     const Shape& out_shape);
  std::string add_param(const std::string& name, const Shape& shape);
  std::string pool(ir::OpKind op, const std::string& name, const std::string& x, const PoolSpec& p);

  ir::Graph g_;
  std::map<std::string, Shape> shapes_;
};

}  // namespace sieve::zoo
