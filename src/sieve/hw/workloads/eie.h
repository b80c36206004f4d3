// EIE's nine benchmark layers (Han et al., ISCA 2016, Table III): the zoo's eie-* FC layers
// with fine-grained masks at the published weight density (each weight kept or pruned alone,
// exactly round(density · rows · cols) kept, chosen uniformly at random with a seeded
// generator: EIE prunes by magnitude, element by element), 4-bit random codes over one
// 16-entry codebook (EIE §III-C), and synthetic activations at the published activation
// density. Every number comes from configs/benchmarks/eie.yaml with its source, with EIE's
// published latency of each layer (for the figures). There are no trained weights here: only
// the statistics are the paper's.
//
// Thread-safety: reentrant; the config file is read on each call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sieve/compress/model.h"
#include "sieve/core/status.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw {

// The nine zoo names in Table III order: eie-alexnet6 ... eie-neuraltalk-lstm.
std::vector<std::string> eie_benchmarks();

struct EieBenchmark {
  std::string name;  // zoo name
  double weight_density = 0, act_density = 0, latency_us = 0;
};
// The published figures of one layer (unknown names refused listing the nine).
Result<EieBenchmark> eie_benchmark(const std::string& name);

// The layer as a CompressedModel (one compressed FC weight).
Result<compress::CompressedModel> eie_model(const std::string& name, uint64_t seed);

// The layers named (empty = all nine), one workload layer each, named by its zoo name, batch 1.
Result<Workload> eie_workload(const std::vector<std::string>& names, uint64_t seed);

}  // namespace sieve::hw
