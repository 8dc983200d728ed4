#!/bin/sh
# clbfgs_mpi_minimize with 1, 2 and 3 ranks on this machine (oversubscribed:
# pocl's CPU device is shared): the same fit must give the same status and
# nit, f within 1e-12 relative and x within 1e-10 (reduction order aside),
# in double, with BFGS and with L-BFGS-B, with a rank that holds no data;
# and bad input must end every rank with an error, none hanging: ranks that
# disagree on n, gtol or x0, a rank with invalid arguments, a rank whose
# device fails mid-run, a rank whose callback stops the run early.
set -u
exe="$top_builddir/tests/test-mpi"
[ -x "$exe" ] || { echo "no $exe (configure --with-mpi)"; exit 77; }
mpiexec=${MPIEXEC:-mpiexec}
command -v "$mpiexec" > /dev/null || { echo "no MPI launcher ('$mpiexec'): install openmpi-bin"; exit 77; }
# what containers need: root allowed, more ranks than cores, no CMA
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# the libtool wrapper would relink under mpiexec: run the real binary
[ -x "$top_builddir/tests/.libs/test-mpi" ] && [ -f "$top_builddir/tests/.libs/lt-test-mpi" -o -x "$top_builddir/tests/.libs/test-mpi" ] &&
    exe_real="$top_builddir/tests/.libs/test-mpi" || exe_real="$exe"
export LD_LIBRARY_PATH="$top_builddir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
seed=${CLBFGS_TEST_SEED:-$(date +%s)}
echo "seed $seed (CLBFGS_TEST_SEED replays it)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# ranks, then test-mpi's arguments: output in $tmp/out and $tmp/err, status in $rc
run_n() { n=$1; shift; timeout 120 "$mpiexec" -n "$n" "$exe_real" "$@" > "$tmp/out" 2> "$tmp/err"; rc=$?; }

# "method ranks [test-mpi options]"; the first of each method is the reference.
# With forward differences (--fd) the bar is looser: each rank's partial sums
# round differently, and the difference quotient multiplies that by 1/h =
# 7e7, so x agrees to about 5e-8 there, not 1e-10.
for case in "bfgs 1" "bfgs 2" "bfgs 3" "bfgs 3 --empty 1" "lbfgsb 1" "lbfgsb 2" "lbfgsb 3" \
    "lbfgsb 3 --empty 1" "bfgs 1 --fd" "bfgs 3 --fd" "bfgs 3 --fd --empty 2"; do
        set -- $case
        method=$1 ranks=$2; shift 2
        ftol=1e-12 xtol=1e-10
        case "$*" in *--fd*) ftol=1e-10 xtol=1e-6 ;; esac
        run_n "$ranks" fit --method "$method" --seed "$seed" "$@"
        line=$(grep -v '^rank' "$tmp/out" | head -1)
        echo "$method, $ranks ranks $*: rc $rc: $line"
        sed 's/^/    /' "$tmp/err" | grep -v '^    $' | head -5
        if [ $rc -ne 0 ] || [ -z "$line" ]; then
            echo "FAIL: $method with $ranks ranks $* did not run"; cat "$tmp/out"; fail=1; continue
        fi
        if [ "$ranks" = 1 ]; then
            ref=$line
        else
            echo "$ref" "$line" | awk -v what="$method, $ranks ranks $*" -v ftol=$ftol -v xtol=$xtol '{
                bad = ($1 != $10 || $2 != $11 || $3 != $12)
                df = $5 - $14; if (df < 0) df = -df; s = $5 < 0 ? -$5 : $5
                if (df > ftol * s) bad = 1
                for (j = 6; j <= 9; j++) { d = $j - $(j + 9); if (d < 0) d = -d; if (d > xtol) bad = 1 }
                if (bad) { print "FAIL: " what " differs from 1 rank"; exit 1 } }' || fail=1
        fi
done

# the command under mpiexec: each rank reads its own rows of the .npy files
# (examples/climate writes them), rank 0 prints; 1 rank is a plain run
clbfgs="$top_builddir/tools/.libs/clbfgs"
[ -x "$clbfgs" ] || clbfgs="$top_builddir/tools/clbfgs"
if "$top_builddir/examples/climate" --m 30000 --write-npy "$tmp" > /dev/null; then
    words="minimize --terms $top_srcdir/examples/climate.cl --function two_layer --data $tmp/t.npy
        --data $tmp/temp.npy --arg real:0.005773502691896258 --least-squares --x0 1,0,1,3.9
        --precision double"
    for ranks in 1 2 3; do
        timeout 120 "$mpiexec" -n $ranks "$clbfgs" $words > "$tmp/cli$ranks" 2> "$tmp/err"
        rc=$?
        echo "clbfgs minimize, $ranks ranks: rc $rc: $(grep -E '^  (fun|nit):' "$tmp/cli$ranks" | tr -s ' ' | tr '\n' ' ')"
        grep -q '^ranks: ' "$tmp/cli$ranks" && [ $ranks -eq 1 ] && { echo "FAIL: 1 rank is not a plain run"; fail=1; }
        if [ $rc -ne 0 ] || [ "$(grep -c '^  fun:' "$tmp/cli$ranks")" -ne 1 ]; then
            echo "FAIL: the command with $ranks ranks"; cat "$tmp/cli$ranks" "$tmp/err"; fail=1
        elif [ $ranks -gt 1 ]; then
            for key in status nit nfev; do
                [ "$(grep "^  $key:" "$tmp/cli1")" = "$(grep "^  $key:" "$tmp/cli$ranks")" ] ||
                    { echo "FAIL: $key with $ranks ranks differs from 1 rank"; fail=1; }
            done
            awk '/^  fun:/ { f[FILENAME] = $2; files[++k] = FILENAME }
                 END { d = f[files[1]] - f[files[2]]; if (d < 0) d = -d
                       if (d > 1e-12 * f[files[1]]) { print "FAIL: f differs"; exit 1 } }' \
                "$tmp/cli1" "$tmp/cli$ranks" || fail=1
        fi
    done
    timeout 120 "$mpiexec" -n 2 "$clbfgs" minimize --builtin rosen --n 4 > "$tmp/out" 2> "$tmp/err"
    rc=$?
    # (mpiexec may end the second rank before it prints, once the first has exited)
    if [ $rc -eq 0 ] || ! grep -q 'runs a --terms objective' "$tmp/err"; then
        echo "FAIL: --builtin under mpiexec -n 2 was not refused (rc $rc)"; cat "$tmp/err"; fail=1
    fi
else
    echo "FAIL: examples/climate could not write the .npy files"; fail=1
fi

# the example: 3 ranks recover the record's parameters
if timeout 120 "$mpiexec" -n 3 "$top_builddir/examples/climate_mpi" --m-per-rank 40000 > "$tmp/out" 2>&1; then
    sed 's/^/    /' "$tmp/out"
else
    echo "FAIL: examples/climate_mpi with 3 ranks"; cat "$tmp/out"; fail=1
fi

# every rank must end, with an error that says what happened, well inside
# the timeout: "MODE|what rank 1 says|what the others say"
for expect in \
    "disagree-n|disagree on n (from 3 to 4 among the ranks; 3 here)|disagree on n (from 3 to 4" \
    "disagree-gtol|disagree on options.gtol|disagree on options.gtol" \
    "disagree-x0|disagree on x0|disagree on x0" \
    "bad-args|result must not be NULL|another rank could not start" \
    "fail-eval|simulated device failure on rank 1|the evaluation failed on 1 of 3 ranks" \
    "diverge|while 2 of 3 ranks went on evaluating|the run ended on 1 of 3 ranks"; do
    mode=${expect%%|*}; rest=${expect#*|}; one=${rest%%|*}; others=${rest#*|}
    run_n 3 "$mode" --seed "$seed"
    errors=$(grep -c '^rank [0-9]*: error:' "$tmp/out")
    echo "$mode: rc $rc, $errors of 3 ranks ended with an error"
    sed 's/^/    /' "$tmp/out"
    if [ $rc -eq 124 ]; then
        echo "FAIL: $mode hung"; fail=1
    elif [ $rc -ne 0 ] || [ "$errors" -ne 3 ]; then
        echo "FAIL: $mode: not every rank ended with its error"; cat "$tmp/err"; fail=1
    elif ! grep '^rank 1: error:' "$tmp/out" | grep -qF "$one" ||
         [ "$(grep '^rank [02]: error:' "$tmp/out" | grep -cF "$others")" -ne 2 ]; then
        echo "FAIL: $mode: the messages do not say what happened"; fail=1
    fi
done
exit $fail
