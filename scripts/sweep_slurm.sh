#!/bin/bash
# sieve sweep on a Slurm cluster over MPI (docs/formats/sweep.md, "Under MPI, and on a cluster").
#
#   sbatch --nodes=4 --ntasks-per-node=32 --time=04:00:00 scripts/sweep_slurm.sh \
#       SPEC.yaml results.csv [more sieve sweep options, e.g. --pareto time,energy]
#
# Run from the source tree (build/sieve and configs/ must be at the same path on every node: a
# shared file system). Task 0 is the master (hands out points, writes results.csv and its
# checkpoint); every other task evaluates points one at a time, so ask for one task per core.
# The run always passes --resume: a job stopped by its time limit (or a failed node) continues
# where its last checkpoint left off when submitted again, and a first run starts from scratch
# (a finished sweep has no checkpoint left: submitting it again runs it again).
# Slurm's MPI plug-in: PMIx by default; set SIEVE_SRUN_MPI=pmi2 where the cluster has no PMIx
# (`srun --mpi=list` names the plug-ins).
#SBATCH --job-name=sieve-sweep
#SBATCH --output=sieve-sweep-%j.log
#SBATCH --ntasks=2
#SBATCH --cpus-per-task=1
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: sbatch [options] scripts/sweep_slurm.sh SPEC.yaml OUT.csv|OUT.json [sieve sweep options]" >&2
  exit 2
fi
spec=$1 out=$2
shift 2
sieve=${SIEVE_BINARY:-build/sieve}
if [ ! -x "$sieve" ]; then
  echo "sweep_slurm.sh: $sieve not found: build Sieve first (make), or set SIEVE_BINARY" >&2
  exit 1
fi
# Progress lines (one per checkpoint) go to the job's log. A checkpoint of another spec is
# refused by sieve before any point runs.
exec srun --mpi="${SIEVE_SRUN_MPI:-pmix}" --cpu-bind=cores "$sieve" sweep "$spec" --out "$out" \
  --resume "$@"
