// The MPI driver of sieve sweep (sweep_mpi.h). Messages: a worker sends kTagResult (the compact
// JSON of the row of its last point, empty the first time) and receives kTagWork (the next point
// index, or -1: stop). Rows travel as JSON text, which round-trips every number exactly, so the
// master's output is byte-identical to a local run's.
#include "sweep_mpi.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#ifdef SIEVE_HAVE_MPI
#include <fmt/format.h>
#include <mpi.h>

#include "command.h"
#include "sieve/core/atomic_file.h"
#endif

namespace sieve::cli {

#ifndef SIEVE_HAVE_MPI

bool launched_under_mpi() {
  // Started as one of several MPI ranks without MPI support: every rank would run the whole
  // sweep and write the same output. Refused in run_sweep_mpi.
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* n = std::getenv(v); n != nullptr && std::atoi(n) > 1) return true;
  return false;
}

int run_sweep_mpi(const SweepArgs&) {
  std::fprintf(stderr,
               "sieve: error: failed precondition: started by an MPI launcher as one of several "
               "ranks, but this sieve was built without MPI (install libopenmpi-dev and "
               "rebuild); run it without mpirun for a local sweep\n");
  return 1;
}

#else

namespace {

constexpr int kTagResult = 1;
constexpr int kTagWork = 2;

int master(const app::SweepPlan& plan, const SweepArgs& a, int ranks) {
  Status failed;
  std::unique_ptr<app::SweepOutput> out;
  if (Result<std::unique_ptr<app::SweepOutput> > o = app::SweepOutput::open(plan, a.output);
      o.ok()) {
    out = std::move(*o);
  } else {
    failed = o.status();
  }
  std::vector<int64_t> todo;
  if (out) todo = out->pending();
  std::fprintf(stderr, "sieve sweep: %lld points on %d MPI worker ranks (rank 0 writes)\n",
               static_cast<long long>(todo.size()), ranks - 1);
  size_t next = 0;
  int active = ranks - 1;
  std::string buf;
  while (active > 0) {
    // Polled with short sleeps rather than a blocking probe, which spins in OpenMPI: the
    // master's core is then free for a worker.
    MPI_Status st;
    for (int flag = 0;;) {
      MPI_Iprobe(MPI_ANY_SOURCE, kTagResult, MPI_COMM_WORLD, &flag, &st);
      if (flag) break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    int count = 0;
    MPI_Get_count(&st, MPI_CHAR, &count);
    buf.resize(static_cast<size_t>(count));
    MPI_Recv(buf.data(), count, MPI_CHAR, st.MPI_SOURCE, kTagResult, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    if (count > 0 && failed.ok()) {
      nlohmann::json row = nlohmann::json::parse(buf, nullptr, false);
      failed = row.is_discarded()
                   ? internal_error("rank {} sent a row that is not JSON", st.MPI_SOURCE)
                   : out->add(std::move(row));
    }
    long long idx = -1;
    if (failed.ok() && next < todo.size()) {
      idx = todo[next++];
    } else {
      --active;
    }
    MPI_Send(&idx, 1, MPI_LONG_LONG, st.MPI_SOURCE, kTagWork, MPI_COMM_WORLD);
  }
  if (!failed.ok()) return fail(failed);
  std::string text;
  if (Status s = out->finish(&text); !s.ok()) return fail(s);
  if (a.output.path.empty()) std::fputs(text.c_str(), stdout);
  std::fprintf(stderr, "sieve sweep: %lld points (%lld from the checkpoint), %lld failed%s%s\n",
               static_cast<long long>(plan.size()), static_cast<long long>(out->resumed()),
               static_cast<long long>(out->errors()), a.output.path.empty() ? "" : ", written to ",
               a.output.path.c_str());
  return 0;
}

void worker(const app::SweepEvaluator& eval) {
  std::string msg;
  for (;;) {
    MPI_Send(msg.data(), static_cast<int>(msg.size()), MPI_CHAR, 0, kTagResult, MPI_COMM_WORLD);
    long long idx = -1;
    MPI_Recv(&idx, 1, MPI_LONG_LONG, 0, kTagWork, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (idx < 0) return;
    msg = eval.evaluate(idx).dump();
  }
}

}  // namespace

bool launched_under_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK"})
    if (std::getenv(v) != nullptr) return true;
  return false;
}

int run_sweep_mpi(const SweepArgs& a) {
  MPI_Init(nullptr, nullptr);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (ranks == 1) {
    std::fprintf(stderr, "sieve sweep: one MPI rank: running locally on its threads\n");
    const int rc = run_sweep_here(a);
    MPI_Finalize();
    return rc;
  }
  // Rank 0 reads the spec and sends it to the others (they need no copy of the file).
  long long len = -1;
  std::string text;
  if (rank == 0) {
    Result<std::string> t = read_file(a.spec);
    if (t.ok()) {
      text = std::move(*t);
      len = static_cast<long long>(text.size());
    } else {
      fail(t.status());
    }
  }
  MPI_Bcast(&len, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
  if (len < 0) {
    MPI_Finalize();
    return rank == 0 ? 1 : 0;
  }
  text.resize(static_cast<size_t>(len));
  MPI_Bcast(text.data(), static_cast<int>(len), MPI_CHAR, 0, MPI_COMM_WORLD);
  // Every rank parses the same text the same way: all go on, or all stop (rank 0 says why).
  Result<app::SweepPlan> plan = app::parse_sweep_spec(text, a.spec, a.options);
  if (!plan.ok()) {
    if (rank == 0) fail(plan.status());
    MPI_Finalize();
    return rank == 0 ? 1 : 0;
  }
  int rc = 0;
  if (rank == 0) {
    rc = master(*plan, a, ranks);
  } else {
    Result<std::unique_ptr<app::SweepEvaluator> > eval = app::SweepEvaluator::make(*plan);
    if (!eval.ok()) {
      fail(eval.status().with_context(fmt::format("MPI rank {}", rank)));
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    worker(**eval);
  }
  MPI_Finalize();
  return rc;
}

#endif

}  // namespace sieve::cli
