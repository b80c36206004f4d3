#include "sieve/compress/pipeline.h"

namespace sieve::compress {

Result<PipelineResult> run_pipeline(const Recipe&, const PipelineOptions&) {
  return unimplemented("compression pipeline: not implemented yet");
}

std::string dense_cache_path(const PipelineOptions&, const std::string&, uint64_t, int) {
  return "";
}

}  // namespace sieve::compress
