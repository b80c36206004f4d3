#!/bin/sh
# sieve sweep under MPI gives the local run's bytes: runs SPEC locally and with
# `mpirun -np 2` (one master, one worker) and with `-np 3`, and compares the outputs.
# Usage: sweep_mpi.sh SIEVE SPEC OUTDIR HAVE_MPI. Exit 77 (ctest: skipped) with the reason when
# mpirun is absent or sieve was built without MPI.
set -u
sieve=$1 spec=$2 dir=$3 have_mpi=$4
if [ "$have_mpi" != 1 ]; then
  echo "SKIP: this sieve was built without MPI (CMake found no MPI; install libopenmpi-dev)"
  exit 77
fi
if ! command -v mpirun >/dev/null 2>&1; then
  echo "SKIP: mpirun not found (Debian: openmpi-bin)"
  exit 77
fi
mkdir -p "$dir" && rm -f "$dir"/local.csv "$dir"/mpi2.csv "$dir"/mpi3.json "$dir"/local.json
"$sieve" sweep "$spec" --jobs 2 --out "$dir/local.csv" || { echo "FAIL: local run"; exit 1; }
"$sieve" sweep "$spec" --jobs 2 --out "$dir/local.json" || { echo "FAIL: local run"; exit 1; }
# As root (containers, CI) OpenMPI needs --allow-run-as-root; --oversubscribe lets 3 ranks
# share fewer cores.
mpirun --allow-run-as-root --oversubscribe -np 2 "$sieve" sweep "$spec" --out "$dir/mpi2.csv" \
  2>"$dir/mpi2.err" || { cat "$dir/mpi2.err"; echo "FAIL: mpirun -np 2"; exit 1; }
grep -q "on 1 MPI worker ranks" "$dir/mpi2.err" || { cat "$dir/mpi2.err"; echo "FAIL: not run over MPI"; exit 1; }
cmp "$dir/local.csv" "$dir/mpi2.csv" || { echo "FAIL: mpirun -np 2 wrote other bytes"; exit 1; }
mpirun --allow-run-as-root --oversubscribe -np 3 "$sieve" sweep "$spec" --out "$dir/mpi3.json" \
  --checkpoint-every 2 2>"$dir/mpi3.err" || { cat "$dir/mpi3.err"; echo "FAIL: mpirun -np 3"; exit 1; }
cmp "$dir/local.json" "$dir/mpi3.json" || { echo "FAIL: mpirun -np 3 wrote other bytes"; exit 1; }
# One rank: the local run, said so.
mpirun --allow-run-as-root --oversubscribe -np 1 "$sieve" sweep "$spec" --out "$dir/mpi1.csv" \
  2>"$dir/mpi1.err" || { cat "$dir/mpi1.err"; echo "FAIL: mpirun -np 1"; exit 1; }
grep -q "one MPI rank: running locally" "$dir/mpi1.err" || { cat "$dir/mpi1.err"; echo "FAIL: no fallback message"; exit 1; }
cmp "$dir/local.csv" "$dir/mpi1.csv" || { echo "FAIL: mpirun -np 1 wrote other bytes"; exit 1; }
echo "PASS: mpirun -np 1, 2 and 3 wrote the local run's bytes"
