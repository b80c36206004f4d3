// sieve sweep under MPI (`mpirun -np N build/sieve sweep SPEC.yaml`): rank 0 is the master (hands
// out one point at a time, so ranks that draw cheap points take more of them; gathers the rows,
// writes and checkpoints the output exactly as a local run does), every other rank a worker
// that evaluates the points it is given. Built only when CMake finds MPI (SIEVE_HAVE_MPI);
// without it the sweep runs locally, and a start by mpirun as one of several ranks is refused
// (each rank would run the whole sweep and write the same file).
#pragma once

#include <string>
#include <vector>

#include "sieve/app/sweep.h"

namespace sieve::cli {

struct SweepArgs {
  std::string spec;
  app::SweepOptions options;
  app::SweepOutputOptions output;
  std::string pareto;  // the --pareto list as given
  int jobs = 0;
};

// The sweep on this process's threads; returns the exit code.
int run_sweep_here(const SweepArgs& a);

// True when an MPI launcher (mpirun, srun with PMI or PMIx) started this process (without MPI
// support: as one of several ranks).
bool launched_under_mpi();

// The sweep over every MPI rank (MPI_Init and MPI_Finalize included); one rank runs it locally
// (run_sweep_here) and says so on stderr. Returns this rank's exit code. Without MPI support:
// refuses, exit code 1.
int run_sweep_mpi(const SweepArgs& a);

}  // namespace sieve::cli
