// Workloads for ESE (hw/archs/ese) and its figures: the zoo's `lstm` (the LSTMP acoustic model
// ESE runs: 153 inputs, 1,024 cells, a 512-unit projection, peepholes) over T time steps with
// fine-grained masks drawn at a given density, load-balanced over the PEs or not.
//
// The masks are drawn, not trained (a hardware model reads only the pattern; the trained LSTM of
// `sieve lstm` is the real-data counterpart). Balanced: rows are dealt round-robin to `groups`
// PEs (row r to PE r mod groups, EIE/ESE's interleaving) and each PE keeps exactly
// round(density × its positions) of every matrix (W_x, W_r and W_proj separately), chosen
// uniformly at random — what the compress pass `balanced` guarantees. Unbalanced: exactly
// round(density × positions) of each matrix chosen uniformly over the whole matrix, so each
// PE's count varies (hypergeometrically). Activations are synthetic and dense.
//
// Thread-safety: reentrant.
#pragma once

#include <cstdint>

#include "sieve/core/status.h"
#include "sieve/hw/core/workload.h"

namespace sieve::hw {

// Replaces the mask of every FC and LSTM layer of `w` (an LSTM's W_x and W_r column ranges
// separately) with a drawn one at `density`, balanced over `groups` PEs when groups > 0.
// Returns the layers changed. Refused: density outside (0, 1], groups < 0.
Result<int64_t> impose_fine_masks(Workload& w, double density, int64_t groups, uint64_t seed);

// Sets every LSTM layer of `w` to `steps` time steps (dense activations, `w.batch` samples) and
// repeats its projection layer "<node>/proj" once per step as "<node>/proj@t", as
// build_workload names them. Refused: steps < 1.
Status expand_lstm_steps(Workload& w, int64_t steps);

// The zoo's `lstm` with masks at `density` (balanced over `groups` PEs, 0: unbalanced), `steps`
// time steps and `batch` samples (1..kMaxSyntheticBatch).
Result<Workload> ese_lstm_workload(double density, int64_t groups, int64_t steps, int64_t batch,
                                   uint64_t seed);

}  // namespace sieve::hw
