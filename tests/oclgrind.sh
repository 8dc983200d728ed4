#!/bin/sh
# The library's kernels under Oclgrind, a checking OpenCL implementation:
# every API call checked (--check-api), data races between work-items
# (--data-races), reads of memory no one wrote (--uninitialized). Small CLI
# runs: the built-in objectives, forward differences, a caller's kernel with
# buffer and scalar arguments, the H pass by columns in chunks with its
# sum (Oclgrind says it is a GPU), delayed H updates, profiling, a
# starting inverse Hessian, double and float; the term objectives' kernels (cl/terms.cl), with sums
# in private and in global memory. About 40 s on the 2-core development
# machine.
# Skips (77) where Oclgrind is not installed (./quickstart check installs it).
set -u
command -v oclgrind > /dev/null || { echo "oclgrind not found: skipped"; exit 77; }
clbfgs="$top_builddir/tools/clbfgs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Oclgrind compiles each program itself; the disk cache would hand it
# binaries it cannot load, and is not what is under test here.
CLBFGS_CACHE_DIR=off
export CLBFGS_CACHE_DIR
unset CLBFGS_DEVICE

fails=0
passes=0
runs=0
# name, the status the run must end with, then the clbfgs arguments;
# Oclgrind's log must stay empty
grind() {
    name=$1
    want=$2
    shift 2
    runs=$((runs + 1))
    log="$tmp/$runs.log"
    oclgrind --check-api --data-races ${uninitialized---uninitialized} --num-threads 2 --log "$log" \
        "$clbfgs" minimize --device oclgrind "$@" > "$tmp/out" 2> "$tmp/err"
    rc=$?
    # the CLI exits 0 when the run converged, 1 when it stopped otherwise
    if [ "$rc" -ne 0 ] && { [ "$rc" -ne 1 ] || [ "$want" -eq 0 ]; }; then
        echo "FAIL: $name: clbfgs exited $rc"
        cat "$tmp/err"
        fails=$((fails + 1))
    elif [ -s "$log" ]; then
        echo "FAIL: $name: Oclgrind reported"
        head -n 40 "$log"
        fails=$((fails + 1))
    elif ! grep -q "status: *$want " "$tmp/out"; then
        echo "FAIL: $name: the run did not end with status $want"
        cat "$tmp/out"
        fails=$((fails + 1))
    else
        passes=$((passes + 1))
    fi
}

# the host-driven iterations' kernels (a small built-in would otherwise be
# solved in one kernel), then the one-kernel solve itself
grind "rosen, double" 0 --builtin rosen --n 6 --single-kernel never
grind "rosen, float" 0 --builtin rosen --n 6 --precision float --gtol 1e-3 --single-kernel never
grind "extended Rosenbrock, profiled" 0 --builtin ext-rosenbrock --n 4 --profile
grind "rosen in one kernel" 0 --builtin rosen --n 6 --single-kernel always
grind "rosen in one kernel, float" 0 --builtin rosen --n 6 --precision float --gtol 1e-3 \
    --single-kernel always
grind "quadratic from a starting inverse Hessian" 0 --builtin quadratic --n 3 \
    --hess-inv0 1,0,0,0,0.5,0,0,0,0.3333333333333333
grind "a caller's kernel with a buffer and scalars" 0 --cl "$top_srcdir/examples/denoise.cl" \
    --kernel denoise --x0 0,1,0,1,0,1,0 --arg reals:0,1,0,1,0,1,0 --arg real:0.5 --arg real:0.01
grind "forward differences" 0 --cl "$top_srcdir/tests/mgh.cl" --kernel trigonometric_f \
    --no-gradient --n 5 --fill 0.2
# n = 40 splits the columns into two chunks summed by a second kernel; a
# few iterations of it are enough (a whole solve takes Oclgrind 20 s).
grind "the H pass by columns in two chunks" 1 --builtin quadratic --n 40 --fill 0 --maxiter 4 \
    --single-kernel never
# delayed updates: three kept pending, their share added (dense_lowrank),
# all three folded by the pass at iterations 4 and 7
export CLBFGS_DENSE_DELAY=3
grind "delayed H updates" 1 --builtin rosen --n 12 --maxiter 9 --single-kernel never
# the triangle layout, both of its passes whatever the device: n = 70 is
# two tiles a side, the second short; updates folded three at a time
# (Oclgrind 21.10's --uninitialized check crashes, in a memcpy of its
# own, Uninitialized::instructionExecuted, on the block-row pass, which
# keeps about 20 KB of private arrays a work-item: that pass runs with the
# other checks, memory bounds among them)
# (a variable is exported and unset around grind: an assignment before a
# function call may outlive the call in some shells)
for pass in rows tiles; do
    [ "$pass" = rows ] && uninitialized= || unset uninitialized
    export CLBFGS_DENSE_TRIANGLE=$pass
    grind "H's triangle by $pass, delayed updates" 1 --builtin rosen --n 70 --maxiter 5 \
        --single-kernel never
done
unset uninitialized CLBFGS_DENSE_TRIANGLE
unset CLBFGS_DENSE_DELAY
# term objectives: the generated sum and final kernels, with and without a gradient
awk 'BEGIN { for (i = 0; i < 300; i++) printf "%.17g\n", i / 30.0 }' > "$tmp/t.csv"
awk 'BEGIN { for (i = 0; i < 300; i++) printf "%.17g\n", 3 * i / 30.0 - 2 }' > "$tmp/y.csv"
grind "a term objective, least squares" 0 --terms "$top_srcdir/tests/line.cl" --function line \
    --least-squares --data "$tmp/t.csv" --data "$tmp/y.csv" --x0 0,0 --single-kernel never
grind "a term objective by forward differences" 1 --terms "$top_srcdir/tests/line.cl" \
    --function line_value --no-gradient --data "$tmp/t.csv" --data "$tmp/y.csv" --x0 0,0 \
    --maxiter 3 --single-kernel never
grind "a term objective in one kernel, by differences" 1 --terms "$top_srcdir/tests/line.cl" \
    --function line_value --no-gradient --data "$tmp/t.csv" --data "$tmp/y.csv" --x0 0,0 \
    --maxiter 3 --single-kernel always
# past 64 parameters each work-item's sums go through global memory: logistic
# regression on 70 features, 100 items, two iterations, the climate scale 1/m
awk 'BEGIN { srand(7); for (i = 0; i < 100; i++) { for (j = 0; j < 70; j++)
    printf "%s%.6f", j ? "," : "", rand() - 0.5; print "" } }' > "$tmp/x70.csv"
awk 'BEGIN { for (i = 0; i < 100; i++) print (i % 3 ? 1 : -1) }' > "$tmp/l.csv"
grind "a term objective with 70 parameters" 1 --terms "$top_srcdir/tests/logistic_terms.cl" \
    --function logistic --data "$tmp/x70.csv" --data "$tmp/l.csv" --arg real:0.01 --n 70 --fill 0 \
    --maxiter 2
# L-BFGS-B: without bounds; with bounds active at the solution and an x0
# outside them (the Cauchy walk, the subspace step and its backtracking); in
# the GPUs' strided rows; and n = 4104 with two pairs for two iterations, so
# that a work-item's block of rows is longer than the CPUs' 8-wide loops.
grind "L-BFGS-B, rosen" 0 --builtin rosen --n 6 --method lbfgsb
grind "L-BFGS-B, rosen in a box" 0 --builtin rosen --n 6 --method lbfgsb \
    --bounds -2,0.5 --x0 1,1,-3,0.2,0.4,0.9
export CLBFGS_LBFGSB_ROWS=strided
grind "L-BFGS-B, strided rows, float" 0 --builtin rosen --n 6 \
    --method lbfgsb --bounds none,0.5 --precision float --gtol 1e-3
unset CLBFGS_LBFGSB_ROWS
grind "L-BFGS-B, 8-wide blocks" 1 --builtin ext-rosenbrock --n 4104 --method lbfgsb --m 2 \
    --bounds none,0.5 --maxiter 2
# Not here: the logistic objective. It runs clean, then the process aborts at
# exit ("corrupted double-linked list"): CLBlast's process-wide program cache
# releases its programs from a static destructor after Oclgrind's runtime has
# torn down its LLVM context (clReleaseProgram <- clblast::Cache::~Cache <-
# __cxa_finalize). Their teardown order, not a finding in our kernels.

echo "oclgrind: $runs runs"
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
