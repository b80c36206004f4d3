#include "sieve/app/model_loader.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

#include "sieve/io/container/container.h"
#include "sieve/io/onnx/onnx.h"
#include "sieve/zoo/zoo.h"

namespace sieve::app {

namespace {

bool ends_with_nocase(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}

Status check_readable_file(const std::string& path) {
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) return not_found("{}: no such file", path);
  if (std::filesystem::is_directory(st)) return invalid_argument("{}: is a directory", path);
  return ok_status();
}

}  // namespace

ModelSource model_source(const std::string& spec) {
  if (ends_with_nocase(spec, ".onnx")) return ModelSource::kOnnx;
  if (ends_with_nocase(spec, ".sieve")) return ModelSource::kSieve;
  return ModelSource::kZoo;
}

Result<ir::Graph> load_model(const std::string& spec, const LoadOptions& opts) {
  switch (model_source(spec)) {
    case ModelSource::kOnnx:
      SIEVE_RETURN_IF_ERROR(check_readable_file(spec));
      return io::import_onnx(spec);
    case ModelSource::kSieve:
      SIEVE_RETURN_IF_ERROR(check_readable_file(spec));
      {
        // The graph with every compressed layer's weights decoded (pruned positions zero).
        auto model = io::read_sieve(spec);
        if (!model.ok()) return model.status();
        return std::move(model.value().graph);
      }
    case ModelSource::kZoo: break;
  }
  if (zoo::find_model(spec) == nullptr) {
    std::string hint;
    std::error_code ec;
    if (std::filesystem::exists(spec, ec)) {
      hint = "; a file of that name exists, but only .onnx and .sieve files can be loaded";
    }
    std::string known;
    for (const std::string& n : zoo::names()) known += (known.empty() ? "" : ", ") + n;
    return not_found(
        "unknown model \"{}\": not a zoo name (known: {}) nor a .onnx or .sieve "
        "file{}",
        spec, known, hint);
  }
  return zoo::build(spec,
                    {.batch = opts.batch, .init_weights = opts.init_weights, .seed = opts.seed});
}

}  // namespace sieve::app
