#include "sieve/hw/sim/inputs.h"

#include <cstring>

#include "sieve/app/model_loader.h"
#include "sieve/hw/workloads/eie.h"
#include "sieve/hw/workloads/thesis.h"
#include "sieve/io/container/container.h"
#include "sieve/io/datasets/dataset.h"

namespace sieve::hw {

bool is_thesis_benchmark(const std::string& model) {
  return model.starts_with("thesis:");
}

Result<compress::CompressedModel> load_compressed_model(const std::string& spec, uint64_t seed) {
  if (is_thesis_benchmark(spec)) return thesis_model(spec.substr(7), seed);
  if (app::model_source(spec) == app::ModelSource::kSieve) return io::read_sieve(spec);
  compress::CompressedModel m;
  SIEVE_ASSIGN_OR_RETURN(m.graph, app::load_model(spec));
  m.metadata["source"] = spec + " (dense: nothing pruned or quantized)";
  return m;
}

Result<std::vector<Tensor>> dataset_samples(const ir::Graph& g, const std::string& data,
                                            const std::string& data_dir, int64_t limit,
                                            std::vector<uint8_t>* labels) {
  if (limit <= 0) return invalid_argument("--limit {} must be positive", limit);
  SIEVE_ASSIGN_OR_RETURN(io::Dataset ds, io::load_dataset(data, "test", data_dir, limit));
  const std::vector<std::string> ins = g.input_names();
  if (ins.size() != 1)
    return invalid_argument("model {} has {} inputs; simulation with data needs exactly one",
                            g.name, ins.size());
  Shape in_shape;
  if (auto it = g.values.find(ins[0]); it != g.values.end()) {
    in_shape = it->second.shape;
  } else if (const ir::Node* in = g.producer(ins[0]); in != nullptr && in->has_attr("shape")) {
    in_shape = in->attr_ints("shape");
  } else {
    return invalid_argument("model input {} has no shape", ins[0]);
  }
  if (!in_shape.empty()) in_shape[0] = 1;
  const int64_t n = ds.images.dim(0);
  const int64_t per = ds.images.numel() / n;
  if (shape_numel(in_shape) != per)
    return invalid_argument("model input {} has shape {} ({} values) but {} images have {}", ins[0],
                            shape_str(in_shape), shape_numel(in_shape), data, per);
  std::vector<Tensor> out;
  const float* src = ds.images.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    Tensor t(DType::kF32, in_shape);
    std::memcpy(t.data<float>(), src + i * per, static_cast<size_t>(per) * sizeof(float));
    out.push_back(std::move(t));
  }
  if (labels != nullptr) *labels = ds.labels;
  return out;
}

Result<Workload> make_workload(const WorkloadRequest& req, compress::CompressedModel* model_out) {
  // "eie:all" / "eie:<zoo name>[,...]": EIE's benchmark layers (hw/workloads/eie.h).
  if (req.model.starts_with("eie:")) {
    if (!req.data.empty() || req.input_density || req.batch != 1)
      return invalid_argument(
          "--model {}: EIE's benchmark layers run at their published activation densities, one "
          "sample, no --data",
          req.model);
    std::vector<std::string> names;
    const std::string list = req.model.substr(4);
    if (list != "all") {
      size_t at = 0;
      while (at <= list.size()) {
        const size_t comma = std::min(list.find(',', at), list.size());
        names.push_back(list.substr(at, comma - at));
        at = comma + 1;
      }
    }
    SIEVE_ASSIGN_OR_RETURN(Workload w, eie_workload(names, req.seed));
    w.model = req.model;
    return w;
  }
  if (is_thesis_benchmark(req.model) && !req.data.empty())
    return invalid_argument(
        "--model {} is a thesis benchmark (ImageNet-scale shapes, synthetic activations); it "
        "cannot take --data {}",
        req.model, req.data);
  SIEVE_ASSIGN_OR_RETURN(compress::CompressedModel m, load_compressed_model(req.model, req.seed));
  WorkloadOptions opt;
  opt.seed = req.seed;
  if (!req.data.empty()) {
    SIEVE_ASSIGN_OR_RETURN(opt.samples,
                           dataset_samples(m.graph, req.data, req.data_dir, req.limit));
  } else if (is_thesis_benchmark(req.model) && !req.input_density) {
    SIEVE_ASSIGN_OR_RETURN(opt, thesis_workload_options(req.model.substr(7), req.seed, req.batch));
    opt.seed = req.seed;
    opt.synthetic_batch = req.batch;
  } else {
    const double d = req.input_density.value_or(1.0);
    if (!(d > 0 && d <= 1)) return invalid_argument("--input-density {} must be in (0, 1]", d);
    opt.default_input_density = d;
    opt.default_output_density = d;
    opt.synthetic_batch = req.batch;
  }
  SIEVE_ASSIGN_OR_RETURN(Workload w, build_workload(m, opt));
  w.model = req.model;
  if (!req.data.empty())
    w.notes["activations"] =
        fmt::format("computed on the first {} {} test images", req.limit, req.data);
  else if (is_thesis_benchmark(req.model) && !req.input_density)
    w.notes["activations"] =
        "synthetic at the thesis' published dynamic sparsity (Table 3.2); no ImageNet here";
  else
    w.notes["activations"] = fmt::format("synthetic, density {}", req.input_density.value_or(1.0));
  if (model_out != nullptr) *model_out = std::move(m);
  return w;
}

}  // namespace sieve::hw
