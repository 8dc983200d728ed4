#!/bin/sh
# The clbfgs command as a user meets it: help, the device list as a table and
# as JSON, exit statuses, build logs, and a machine with no OpenCL platform.
set -u
clbfgs="$top_builddir/tools/clbfgs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
passes=0
check() { # description, then a command that must succeed
    desc=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $desc"; fails=$((fails + 1)); fi
}
run() { # runs clbfgs, keeping stdout, stderr and the exit status
    "$clbfgs" "$@" > "$tmp/out" 2> "$tmp/err"
    echo $? > "$tmp/rc"
}
rc_is() { [ "$(cat "$tmp/rc")" = "$1" ] || { echo "  exit status $(cat "$tmp/rc"), expected $1"; cat "$tmp/err"; false; }; }
out_has() { grep -q -- "$1" "$tmp/out" || { echo "  stdout lacks '$1':"; cat "$tmp/out"; false; }; }
err_has() { grep -q -- "$1" "$tmp/err" || { echo "  stderr lacks '$1':"; cat "$tmp/err"; false; }; }
# A device name is text, not a pattern, and may be any length.
out_has_text() { grep -q -F -- "$1" "$tmp/out" || { echo "  stdout lacks '$1':"; cat "$tmp/out"; false; }; }

run help
check "help exits 0" rc_is 0
check "help documents devices" out_has "devices \[--json\]"
check "help documents CLBFGS_DEVICE" out_has CLBFGS_DEVICE
check "help documents the exit statuses" out_has "Exit status"
for opt in json verbose profile single-kernel no-gradient builtin cl kernel options data arg work-size n x0 \
    hess-inv0 fill device precision maxiter gtol norm xrtol c1 c2 eps lambda terms function \
    least-squares batch batch-data summary method m bounds ftol maxfun maxls; do
    check "help documents --$opt" out_has "--$opt[ =,)]"
done
check "help documents exit status 4" out_has "4 out of host memory"
check "help says inf and NaN are null in JSON" out_has "written as null"

run devices --json
check "devices --json exits 0" rc_is 0
cp "$tmp/out" "$tmp/devices.json"
if command -v python3 > /dev/null; then
    check "devices --json is valid JSON with the fields a choice needs" python3 -c '
import json, sys
devs = json.load(open(sys.argv[1]))
assert len(devs) >= 1, devs
for d in devs:
    for k in ("index", "platform_index", "device_index", "type", "name", "vendor", "platform",
              "opencl_version", "driver_version", "fp64", "global_mem_bytes", "max_alloc_bytes",
              "compute_units"):
        assert k in d, k
    assert d["type"] in ("cpu", "gpu", "accelerator", "other")
    assert d["global_mem_bytes"] > 0 and d["compute_units"] > 0
' "$tmp/devices.json"
fi
first_name=$(sed -n 's/.*"name": "\([^"]*\)".*/\1/p' "$tmp/devices.json" | head -n 1)

run devices
check "devices exits 0" rc_is 0
check "the table has its header" out_has "fp64"
check "the table lists the first device by its whole name" out_has_text "$first_name"

run devices --bogus
check "an unknown option is bad usage (2)" rc_is 2
run frobnicate
check "an unknown command is bad usage (2)" rc_is 2
check "an unknown command is named" err_has frobnicate

printf '__kernel void k(__global real *x)\n{\n    x[0] = 2 * missing_name;\n}\n' > "$tmp/bad.cl"
run build "$tmp/bad.cl"
check "a kernel that does not compile is a compile error (3)" rc_is 3
check "its build log points at the file and line" err_has "bad.cl:3"
check "its build log names the problem" err_has missing_name

printf '__kernel void k(__global real *x) { x[0] = (real)1; }\n' > "$tmp/good.cl"
run build "$tmp/good.cl" --precision float
check "a good kernel builds" rc_is 0
check "the build names the device" out_has_text "$first_name"
run build "$tmp/good.cl" --precision quad
check "an unknown precision is bad usage" rc_is 2
run build "$tmp/missing.cl"
check "a missing file is bad input (2)" rc_is 2

run build "$tmp/good.cl" --device zz-no-such-device
check "a selector that matches nothing is a device error (3)" rc_is 3
check "its message lists the devices" sh -c 'grep -q -F -- "$1" "$2"' sh "$first_name" "$tmp/err"
CLBFGS_DEVICE=zz-no-such-device "$clbfgs" build "$tmp/good.cl" > /dev/null 2> "$tmp/err"
check "a bad CLBFGS_DEVICE is named, not ignored" err_has "CLBFGS_DEVICE"

# The README's demo: a readable result of a real minimization.
run demo --n 20
check "the demo converges (0)" rc_is 0
check "the demo says so in SciPy's words" out_has "Optimization terminated successfully."
check "the demo names its device" out_has_text "$first_name"
check "the demo shows nit and nfev" out_has "nfev:"
run minimize --builtin rosen --n 4 --maxiter 2
check "an iteration limit is 'not converged' (1)" rc_is 1
check "with SciPy's message" out_has "Maximum number of iterations has been exceeded."
run minimize --builtin rosen --x0 1,2,nope
check "a bad starting point is bad input (2)" rc_is 2
run minimize --builtin nothing --n 3
check "an unknown built-in is bad input (2)" rc_is 2
check "its message lists the built-ins" err_has "ext-rosenbrock"
run minimize --builtin ext-rosenbrock --n 3
check "an odd n for ext-rosenbrock is bad input (2)" rc_is 2
run minimize --builtin ext-rosenbrock --n 64 --gtol 0 --maxiter 5 --profile
check "--profile prints the device time by phase" out_has "device time: .*objective .*, H .*syncs"
check "the text output counts syncs and launches" out_has "device calls: [0-9]* syncs, [0-9]* kernel launches"
run minimize --builtin ext-rosenbrock --n 64 --gtol 0 --maxiter 20 --json --single-kernel never
if command -v python3 > /dev/null; then
    # One read per iteration, which carries the first trial point; one per
    # further trial point; 4 or 5 launches per iteration, 3 per further trial.
    check "--json counts one sync per evaluation and the launches" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
t, nit, extra = r["time"], r["nit"], r["nfev"] - 1 - r["nit"]
assert nit == 20, r
assert t["syncs"] == r["nfev"] - 1, t
assert 4 * nit + 3 * extra <= t["launches"] <= 5 * nit + 3 * extra, t
' "$tmp/out"
fi
check "help documents --profile" sh -c '"$1" help | grep -q -- --profile' sh "$clbfgs"
# the one-kernel solve: chosen by itself for a small built-in, refused or
# forced on request, with the same status and counts as the host-driven run
run minimize --builtin rosen --n 6 --json --single-kernel always
cp "$tmp/out" "$tmp/one.json"
run minimize --builtin rosen --n 6 --json --single-kernel never
if command -v python3 > /dev/null; then
    check "--single-kernel always and never: the same status, nit and nfev" python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["status"] == b["status"] == 0 and a["nit"] == b["nit"] and a["nfev"] == b["nfev"], (a, b)
assert abs(a["fun"] - b["fun"]) < 1e-12, (a["fun"], b["fun"])
assert a["time"]["launches"] == 1 and b["time"]["launches"] > 10, (a["time"], b["time"])
' "$tmp/one.json" "$tmp/out"
fi
run minimize --builtin rosen --n 6 --single-kernel sometimes
check "--single-kernel takes auto, never or always (2)" rc_is 2
run minimize --builtin rosen --n 6 --single-kernel always --hess-inv0 1,0,0,0,0,0,0,1,0,0,0,0,0,0,1,0,0,0,0,0,0,1,0,0,0,0,0,0,1,0,0,0,0,0,0,1
check "--single-kernel always says why it cannot" err_has "hess_inv0"
check "help documents --single-kernel" sh -c '"$1" help | grep -q -- --single-kernel' sh "$clbfgs"
run minimize --builtin quadratic --n 3 --json
check "--json exits 0" rc_is 0
if command -v python3 > /dev/null; then
    check "--json is one object with the result fields" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("x", "fun", "jac", "nit", "nfev", "njev", "status", "success", "message", "device", "time"):
    assert k in r, k
assert r["success"] is True and len(r["x"]) == 3 and abs(r["x"][2] - 1) < 1e-5
' "$tmp/out"
fi
run minimize --builtin rosen --n 3 --verbose
check "--verbose prints one line per iteration" out_has "nfev"

# Objectives from .cl files, as the README shows them.
run minimize --cl "$top_srcdir/examples/denoise.cl" --kernel denoise --x0 0,1,0,1,0 \
    --arg reals:0,1,0,1,0 --arg real:0.1 --arg real:1e-4 --json
check "a .cl objective with extra arguments converges (0)" rc_is 0
check "its JSON names the file and kernel" out_has "denoise.cl:denoise"
run minimize --cl "$top_srcdir/tests/mgh.cl" --kernel beale_f --no-gradient --x0 1,1
check "a value-only kernel converges with forward differences (0)" rc_is 0
check "counting n + 1 values per gradient" out_has "nfev:         51"
run minimize --cl "$tmp/bad.cl" --kernel k --n 2
check "a .cl objective that does not compile is a compile error (3)" rc_is 3
check "its build log points at the file and line" err_has "bad.cl:3"
run minimize --cl "$tmp/good.cl" --kernel nope --n 2
check "a kernel name that is not there is a device error (3)" rc_is 3
check "its message lists the kernels there are" err_has "it has: k"
run minimize --cl "$tmp/good.cl" --n 2
check "--cl without --kernel is bad usage (2)" rc_is 2
run minimize --cl "$tmp/good.cl" --kernel k --n 2
check "a kernel off the contract is bad input (2)" rc_is 2
check "its message says what the contract needs" err_has "at least 4"
run minimize --cl "$top_srcdir/tests/mgh.cl" --kernel beale --x0 1,1 --arg real:1
check "an argument the kernel does not take is bad input (2)" rc_is 2
check "its message counts the arguments" err_has "0 extra arguments"
run minimize --cl "$top_srcdir/tests/mgh.cl" --kernel beale --x0 1,1 --arg int:1.5
check "a non-integer int argument is bad usage (2)" rc_is 2
run minimize --builtin logistic --n 2
check "the logistic built-in without data is bad usage (2)" rc_is 2
check "its message asks for --data" err_has "--data"
printf '1 0.5 -1\n0 -0.5 1\n1 1 0.2\n0 -1 -0.3\n' > "$tmp/data.txt"
run minimize --builtin logistic --data "$tmp/data.txt" --n 2 --fill 0
check "the logistic built-in fits a data file (0)" rc_is 0
run minimize --builtin logistic --data "$tmp/data.txt" --n 3 --fill 0
check "a data file of the wrong width is bad input (2)" rc_is 2
run minimize --builtin quadratic --n 2 --hess-inv0 1,0,0
check "--hess-inv0 of the wrong size is bad usage (2)" rc_is 2
run minimize --builtin quadratic --n 2 --hess-inv0 1,2,2,1
check "an indefinite --hess-inv0 is bad input (2)" rc_is 2
check "its message says so" err_has "not positive definite"

# Options: getopt_long's two spellings, and a message for each kind of mistake.
run minimize --builtin quadratic --n=3 --gtol=1e-8 --json
check "--opt=value works as --opt value does" rc_is 0
run build "$tmp/good.cl" --precision=float
check "build takes --precision=float" rc_is 0
run minimize --builtin quadratic --n 3 --bogus
check "an unknown option last is bad usage (2)" rc_is 2
check "it is called unknown, not short of a value" err_has "unknown option '--bogus'"
run minimize --builtin quadratic --bogus=1 --n 3
check "an unknown --opt=value is named without its value" err_has "unknown option '--bogus'"
run minimize --builtin quadratic --n
check "a missing value is bad usage (2)" rc_is 2
check "a missing value says so" err_has "'--n' needs a value"
run minimize --builtin quadratic --n 3 --json=yes
check "a value for a flag is bad usage (2)" rc_is 2
check "a value for a flag says so" err_has "'--json' takes no value"
run minimize --builtin quadratic --n 3 --max 5
check "an abbreviation is not taken for another option" err_has "unknown option '--max'"
run demo --n 3 --gtol 1
check "demo refuses minimize's options" err_has "demo: unknown option '--gtol'"

# Numbers are read whole and in range; sizes are bounded before allocation.
for bad in ' -1' -1 +3 3x '3 ' '' 0x10 1e3; do
    run minimize --builtin quadratic --n "$bad"
    check "--n '$bad' is bad usage (2)" rc_is 2
    check "--n '$bad' names the option and the value" err_has "^clbfgs: --n: '$bad' is not"
done
run minimize --builtin quadratic --n 4294967296
check "--n 2^32 is bad usage (2), not a silent exit" rc_is 2
check "--n 2^32 is out of range" err_has "4294967296 is out of range"
run minimize --builtin quadratic --n 2305843009213693952
check "an n whose bytes overflow is bad usage (2), not a crash" rc_is 2
run minimize --builtin quadratic --n 18446744073709551616
check "an n past 64 bits is out of range" err_has "out of range"
run minimize --builtin quadratic --n 3 --maxiter ' 5'
check "a space before --maxiter's value is refused" err_has "^clbfgs: --maxiter: ' 5' is not"
run minimize --builtin quadratic --n 3 --gtol 1e-5x
check "junk after a real number is refused" err_has "^clbfgs: --gtol: '1e-5x' is not a number"
run minimize --builtin quadratic --n 3 --gtol 1e999
check "a real number past a double's range is refused" err_has "1e999 is out of the range"
run minimize --builtin quadratic --n 3 --fill nan
check "--fill nan is refused" err_has "must be a finite number"
run minimize --builtin quadratic --x0 1,1,,0
check "an empty element of --x0 is bad usage (2)" rc_is 2
check "an empty element is named" err_has "value 3 is empty"
run minimize --builtin quadratic --x0 1,1,
check "a trailing comma is an empty element" err_has "value 3 is empty"
printf '1 2\n3,\n' > "$tmp/x0.txt"
run minimize --builtin quadratic --x0 "@$tmp/x0.txt"
check "a trailing comma in a file is an empty element" err_has "value 4 in .*x0.txt is empty"
# (Not under AddressSanitizer, whose shadow memory ulimit -v cannot hold.)
if [ -z "${CLBFGS_TEST_SANITIZED:-}" ]; then
    yes 1 | (ulimit -v 150000 && "$clbfgs" minimize --builtin quadratic --x0 @/dev/stdin) \
        > "$tmp/out" 2> "$tmp/err"
    echo $? > "$tmp/rc"
    check "running out of memory is exit status 4, not a silent exit" rc_is 4
    check "running out of memory says so" err_has "out of memory"
fi

# Files are read up to a cap, and must be text.
run_limited() { timeout 60 "$clbfgs" "$@" > "$tmp/out" 2> "$tmp/err"; echo $? > "$tmp/rc"; }
run_limited minimize --builtin quadratic --x0 @/dev/zero
check "--x0 @/dev/zero ends as bad input (2)" rc_is 2
check "--x0 @/dev/zero says why" err_has "'/dev/zero' is not a text file"
yes 1 | timeout 60 "$clbfgs" minimize --builtin quadratic --x0 @/dev/stdin > "$tmp/out" 2> "$tmp/err"
echo $? > "$tmp/rc"
check "an endless --x0 file ends as bad input (2)" rc_is 2
check "an endless --x0 file is larger than the cap" err_has "larger than 268435456 bytes"
run_limited minimize --builtin logistic --n 2 --data /dev/zero
check "--data /dev/zero ends with a message" err_has "'/dev/zero' is not a text file"
run_limited minimize --cl /dev/zero --kernel k --n 2
check "--cl /dev/zero ends with a message" err_has "'/dev/zero' is not a text file"
run_limited minimize --builtin quadratic --x0 "@$tmp"
check "a directory as a file is bad input (2)" rc_is 2

# Every write is checked: output that is lost fails the command.
"$clbfgs" minimize --builtin quadratic --n 3 > /dev/full 2> "$tmp/err"
echo $? > "$tmp/rc"
check "minimize > /dev/full is exit status 4" rc_is 4
check "minimize > /dev/full says so on stderr" err_has "cannot write the output"
"$clbfgs" devices --json > /dev/full 2> "$tmp/err"
echo $? > "$tmp/rc"
check "devices > /dev/full is exit status 4" rc_is 4

# --json is strict JSON whatever the run found: inf and NaN are null, strings
# are escaped and valid UTF-8, and --verbose's table goes to stderr.
printf '%s\n' '__kernel void inf_f(const uint n, __global const real *x, __global real *f_terms,' \
    '                    __global real *g)' \
    '{' \
    '    const size_t i = get_global_id(0);' \
    '    if (i < n) {' \
    '        f_terms[i] = INFINITY;' \
    '        g[i] = NAN;' \
    '    }' \
    '}' > "$tmp/inf.cl"
odd="$tmp/$(printf 'q"b\\s\tt\377')".cl # a quote, a backslash, a tab, a byte that is not UTF-8
cp "$tmp/inf.cl" "$odd"
run minimize --cl "$odd" --kernel inf_f --n 3 --json --verbose
check "an objective whose f is inf is 'not converged' (1)" rc_is 1
check "--verbose with --json puts the table on stderr" err_has "nfev"
if command -v python3 > /dev/null; then
    check "--json with f = inf and a NaN gradient is strict JSON" python3 -c '
import json, sys
def strict(name):
    raise ValueError("not JSON: " + name)
r = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"), parse_constant=strict)
assert r["fun"] is None and r["jac"] == [None, None, None], r
assert r["problem"].endswith("q\"b\\s\tt\ufffd.cl:inf_f"), r["problem"]
' "$tmp/out"
    check "--json output passes json.load from stdin" \
        sh -c 'python3 -c "import json,sys; json.load(sys.stdin)" < "$1"' sh "$tmp/out"
fi
run minimize --cl "$tmp/inf.cl" --kernel inf_f --n 3
check "the text result still shows inf" out_has "fun: *inf"

# Integer --arg values go to their own type only, over its whole range: c
# counts the arguments that arrived exactly, and the minimum is x = c = 5.
printf '%s\n' '__kernel void ints(const uint n, __global const real *x, __global real *f_terms,' \
    '                   __global real *g, const int i, const uint u, const long l,' \
    '                   const ulong ul, const long big)' \
    '{' \
    '    const size_t k = get_global_id(0);' \
    '    const real c = (real)((i == INT_MIN) + (u == UINT_MAX) + (l == LONG_MIN) +' \
    '                          (ul == ULONG_MAX) + (big - 9007199254740992L));' \
    '    if (k < n) {' \
    '        f_terms[k] = (x[k] - c) * (x[k] - c);' \
    '        g[k] = 2 * (x[k] - c);' \
    '    }' \
    '}' > "$tmp/ints.cl"
run minimize --cl "$tmp/ints.cl" --kernel ints --n 2 --json --arg int:-2147483648 \
    --arg uint:4294967295 --arg long:-9223372036854775808 --arg ulong:18446744073709551615 \
    --arg long:9007199254740993
check "each integer type takes its extremes (0)" rc_is 0
if command -v python3 > /dev/null; then
    check "all five values arrive exactly (x = 5)" python3 -c '
import json, sys
x = json.load(open(sys.argv[1]))["x"]
assert all(abs(v - 5) < 1e-6 for v in x), x
' "$tmp/out"
fi
for bad in int:2147483648 int:-2147483649 uint:4294967296 uint:-1 long:9223372036854775808 \
    ulong:18446744073709551616 ulong:-1 int:1e3 'int: 1' int:; do
    run minimize --cl "$tmp/ints.cl" --kernel ints --n 2 --arg "$bad"
    check "--arg $bad is bad usage (2)" rc_is 2
    check "--arg $bad names its type" err_has "^clbfgs: --arg ${bad%%:*}: "
done
run minimize --cl "$tmp/ints.cl" --kernel ints --n 2 --arg float:1e39
check "a float argument past a float's range is refused" err_has "out of the range of a float"

# Arguments that do not fit the kernel, and a malformed build option, are
# refused by name (each crashed inside pocl before).
run minimize --cl "$top_srcdir/examples/denoise.cl" --kernel denoise --x0 0,1,0 \
    --arg real:1 --arg real:1 --arg real:1
check "a scalar for a buffer argument is bad input (2)" rc_is 2
check "a scalar for a buffer argument names it" err_has "argument 4 ('d'"
run minimize --cl "$top_srcdir/examples/denoise.cl" --kernel denoise --x0 0,1,0 \
    --arg reals:0,1,0 --arg int:1 --arg real:1
check "an int for a real argument is bad input (2)" rc_is 2
check "an int for a real argument names it" err_has "argument 5 ('lambda'"
# Where the sizes agree, the types still must (issue 10): an int for a real in
# a float run, or 3.0f's bits as an int for a float, ran and reported success.
printf '%s\n' '__kernel void sc(const uint n, __global const real *x, __global real *f_terms,' \
    '                 __global real *g, const real c, const float s)' \
    '{' \
    '    const size_t i = get_global_id(0);' \
    '    if (i < n) { f_terms[i] = (x[i] - c * s) * (x[i] - c * s); g[i] = 2 * (x[i] - c * s); }' \
    '}' > "$tmp/sc.cl"
run minimize --cl "$tmp/sc.cl" --kernel sc --n 3 --arg int:1 --arg float:1 --precision float
check "an int for a real in a float run is bad input (2)" rc_is 2
check "an int for a real in a float run names both types" \
    err_has "argument 4 ('c', real = float) .* takes float, .* an int"
run minimize --cl "$tmp/sc.cl" --kernel sc --n 3 --arg real:1 --arg int:1077936128 \
    --precision double
check "an int for a float is bad input (2)" rc_is 2
check "an int for a float names both types" err_has "argument 5 ('s', float) .* takes float"
run minimize --cl "$tmp/sc.cl" --kernel sc --n 3 --arg float:1.5 --arg float:2 --precision float
check "a float for a real in a float run converges (0)" rc_is 0
check "a float for a real in a float run reaches c s = 3" out_has "x\[0..2\]: *\(3\|2\.999\)"
run build "$tmp/good.cl" --options -D
check "the build option -D alone is bad input (2)" rc_is 2
check "the build option -D alone is named" err_has "invalid build option '-D'"

# A header beside the .cl file is found without -I, from any working
# directory, for build and for minimize; a build error names the file.
mkdir "$tmp/inc"
printf '#define TARGET 3\n' > "$tmp/inc/target.h"
cat > "$tmp/inc/sq.cl" << 'EOF'
#include "target.h"
__kernel void sq(const uint n, __global const real *x, __global real *f_terms, __global real *g)
{
    const size_t i = get_global_id(0);
    if (i >= n)
        return;
    f_terms[i] = (x[i] - TARGET) * (x[i] - TARGET);
    g[i] = 2 * (x[i] - TARGET);
}
EOF
run build "$tmp/inc/sq.cl"
check "build finds a header beside the file" rc_is 0
run minimize --cl "$tmp/inc/sq.cl" --kernel sq --n 2 --fill 0 --json
check "minimize finds a header beside the file" rc_is 0
check "the header's value is used" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert all(abs(v - 3) < 1e-6 for v in r["x"]), r["x"]' "$tmp/out"
(cd "$tmp/inc" && "$clbfgs" minimize --cl sq.cl --kernel sq --n 2 > "$tmp/out" 2> "$tmp/err"; echo $? > "$tmp/rc")
check "a bare file name finds its header in the working directory" rc_is 0
printf '#include "target.h"\n__kernel void k(void) { undeclared(); }\n' > "$tmp/inc/broken.cl"
run build "$tmp/inc/broken.cl"
check "a build error names the user's file and line" err_has "broken.cl:2"

# build in a directory whose name has a space or reads as an option, with
# no include: no -I is added, so the build cannot trip over it.
mkdir "$tmp/my dir" "$tmp/-dash"
printf '__kernel void k(__global real *x) { x[0] = (real)1; }\n' > "$tmp/my dir/plain.cl"
cp "$tmp/my dir/plain.cl" "$tmp/-dash/plain.cl"
run build "$tmp/my dir/plain.cl"
check "build: a file in a directory with a space builds" rc_is 0
(cd "$tmp" && "$clbfgs" build -- -dash/plain.cl > "$tmp/out" 2> "$tmp/err"; echo $? > "$tmp/rc")
check "build: a file under a directory named like an option builds" rc_is 0
cp "$tmp/inc/sq.cl" "$tmp/inc/target.h" "$tmp/-dash/"
(cd "$tmp" && "$clbfgs" build -- -dash/sq.cl > "$tmp/out" 2> "$tmp/err"; echo $? > "$tmp/rc")
check "build: ... and finds its header there" rc_is 0

# A cache directory others can write is refused, and the user is told.
mkdir "$tmp/open-cache"
chmod 0777 "$tmp/open-cache"
CLBFGS_CACHE_DIR="$tmp/open-cache" "$clbfgs" minimize --builtin rosen --n 2 \
    > "$tmp/out" 2> "$tmp/err"
echo $? > "$tmp/rc"
check "an open cache directory does not stop the run" rc_is 0
check "an open cache directory is a warning on stderr" err_has "warning: .*open-cache"
CLBFGS_CACHE_DIR="$tmp/open-cache" "$clbfgs" build "$tmp/good.cl" > "$tmp/out" 2> "$tmp/err"
echo $? > "$tmp/rc"
check "build warns about it too" err_has "warning: .*open-cache"

# Term objectives: a straight line fitted to 400 points read from CSV files.
awk 'BEGIN { for (i = 0; i < 400; i++) printf "%.17g\n", i / 40.0 }' > "$tmp/t.csv"
awk 'BEGIN { for (i = 0; i < 400; i++) printf "%.17g\n", 3 * i / 40.0 - 2 + ((i % 7) - 3) / 100.0 }' > "$tmp/y.csv"
run minimize --terms "$top_srcdir/tests/line.cl" --function line --least-squares --data "$tmp/t.csv" \
    --data "$tmp/y.csv" --x0 0,0 --json
check "--terms fits a line to CSV data" rc_is 0
if command -v python3 > /dev/null; then
    check "--terms recovers the slope and the intercept" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert abs(r["x"][0] - 3) < 0.01 and abs(r["x"][1] + 2) < 0.05, r["x"]
' "$tmp/out"
fi
run minimize --terms "$top_srcdir/tests/line.cl" --function line_value --no-gradient --data "$tmp/t.csv" \
    --data "$tmp/y.csv" --x0 0,0 --gtol 1e-4
check "--terms --no-gradient fits it by forward differences" rc_is 0
run minimize --terms "$top_srcdir/tests/line.cl" --data "$tmp/t.csv" --x0 0,0
check "--terms without --function is a usage error" rc_is 2
check "its message asks for --function" err_has "needs --function NAME"
run minimize --terms "$top_srcdir/tests/line.cl" --function line --x0 0,0
check "--terms without --data is a usage error" rc_is 2
check "its message asks for --data" err_has "needs its data: --data FILE"
head -n 100 "$tmp/y.csv" > "$tmp/short.csv"
run minimize --terms "$top_srcdir/tests/line.cl" --function line --data "$tmp/t.csv" --data "$tmp/short.csv" \
    --x0 0,0
check "data files of different lengths are bad input" rc_is 2
check "the message gives both lengths" err_has "has 100 rows, but .* has 400"
run minimize --builtin rosen --n 2 --function line
check "--function without --terms is a usage error" rc_is 2
awk 'BEGIN { for (i = 0; i < 400; i++) print (i == 17 ? "nan" : 3 * i / 40.0 - 2) }' > "$tmp/nan.csv"
run minimize --terms "$top_srcdir/tests/line.cl" --function line --least-squares --data "$tmp/t.csv" \
    --data "$tmp/nan.csv" --x0 0,0 --json
check "NaN in the data ends the run as SciPy does (status 3), not a hang" out_has '"status": 3'
check "its message is SciPy's" out_has "NaN result encountered."
# .npy files as NumPy writes them (version 1.0), made here byte by byte:
# npy FILE DESCR SHAPE BODY_BYTES (the body all zeros)
npy() {
    dict="{'descr': '$2', 'fortran_order': False, 'shape': $3, }"
    total=$(((10 + ${#dict} + 1 + 63) / 64 * 64))
    {
        printf '\223NUMPY\001\000'
        printf "\\$(printf %03o $(((total - 10) % 256)))\\$(printf %03o $(((total - 10) / 256)))"
        printf '%s%*s\n' "$dict" $((total - 11 - ${#dict})) ''
        head -c "$4" /dev/zero
    } > "$1"
}
npy "$tmp/zeros.npy" '<f8' '(400,)' 3200
run minimize --terms "$top_srcdir/tests/line.cl" --function line --least-squares --data "$tmp/t.csv" \
    --data "$tmp/zeros.npy" --x0 1,1 --json
check "--terms reads float64 .npy data" rc_is 0
if command -v python3 > /dev/null; then
    check "and fits the line y = 0 it holds" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["fun"] < 1e-12 and max(map(abs, r["x"])) < 1e-6, r
' "$tmp/out"
fi
npy "$tmp/ints.npy" '<i8' '(400,)' 3200
run minimize --terms "$top_srcdir/tests/line.cl" --function line --data "$tmp/t.csv" --data "$tmp/ints.npy" \
    --x0 0,0
check "an .npy file of integers is bad input" rc_is 2
check "the message names its dtype and the fix" err_has "dtype '<i8' (integers) is not supported"
npy "$tmp/cut.npy" '<f8' '(400,)' 3000
run minimize --terms "$top_srcdir/tests/line.cl" --function line --data "$tmp/t.csv" --data "$tmp/cut.npy" \
    --x0 0,0
check "a truncated .npy file is bad input" rc_is 2
check "the message gives the bytes missing" err_has "3200 bytes) but the file has 3000"
npy "$tmp/empty.npy" '<f8' '(0,)' 0
run minimize --terms "$top_srcdir/tests/line.cl" --function line --data "$tmp/empty.npy" --data "$tmp/empty.npy" \
    --x0 0,0
check "no data items (m = 0) is bad input" rc_is 2
check "the message says the array is empty" err_has "the array is empty"

# The L-BFGS-B example: extended Rosenbrock in a box, every pair at its
# known answer and every bound on the even coordinates active
"$top_builddir/examples/bounds" --n 20000 > "$tmp/out" 2> "$tmp/err"
echo $? > "$tmp/rc"
check "examples/bounds reaches the known answer in the box" rc_is 0
check "examples/bounds says how many bounds are active" out_has "bounds active at the answer: 10000 of 10000"

# The climate example: a fit through the C API that recovers the parameters
# its record came from, then the same fit from the command line.
"$top_builddir/examples/climate" --m 50000 --write-npy "$tmp" > "$tmp/out" 2> "$tmp/err"
echo $? > "$tmp/rc"
check "examples/climate recovers the parameters of its record" rc_is 0
check "examples/climate reports the equilibrium warming" out_has "equilibrium warming"
run minimize --terms "$top_srcdir/examples/climate.cl" --function two_layer --least-squares \
    --data "$tmp/t.npy" --data "$tmp/temp.npy" --arg "real:$(awk 'BEGIN { print 1 / sqrt(50000) }')" \
    --x0 1,0,1,3.9 --json
check "--terms with --arg: the climate fit from the command line" rc_is 0
if command -v python3 > /dev/null; then
    check "it finds the same equilibrium warming" python3 -c '
import json, sys
x = json.load(open(sys.argv[1]))["x"]
assert abs(x[0] + x[2] - 4.5) < 0.1, x
' "$tmp/out"
fi
run minimize --terms "$top_srcdir/examples/climate.cl" --function two_layer --least-squares \
    --data "$tmp/t.npy" --data "$tmp/temp.npy" --x0 1,0,1,3.9
check "a function that takes more data arguments than given fails to build (3)" rc_is 3
check "the message says what the library calls" err_has "calls two_layer(i, x, g, data0, data1)"
run minimize --terms "$top_srcdir/examples/climate.cl" --function two_layer --data "$tmp/t.npy" \
    --data "$tmp/temp.npy" --arg bogus:1 --x0 1,0,1,3.9
check "--arg with an unknown type is a usage error with --terms too" rc_is 2

# Batches: P problems in one run, each with the result it has alone.
# SciPy's rosen from six starts; with --maxiter 30, four converge (in 0 to 28
# iterations) and two stop at the limit.
printf '%s\n' '# x1, x2, x3' 1.3,0.7,0.8 -1.2,1,1 1,1,1 0,0,0 2,2,2 1.5,-0.5,3 > "$tmp/starts.csv"
run minimize --builtin rosen --batch "$tmp/starts.csv" --maxiter 30
check "a batch where some problems stop at --maxiter is 'not converged' (1)" rc_is 1
cp "$tmp/out" "$tmp/batch.jsonl"
grep -v '^#' "$tmp/starts.csv" | while read -r row; do
    "$clbfgs" minimize --builtin rosen --x0 "$row" --maxiter 30 --json
done > "$tmp/solo.jsonl" 2> "$tmp/err"
if command -v python3 > /dev/null; then
    check "--batch prints one JSON record per problem, each with its fields" python3 -c '
import json, sys
def strict(name):
    raise ValueError("not JSON: " + name)
records = [json.loads(line, parse_constant=strict) for line in open(sys.argv[1])]
assert [r["problem"] for r in records] == list(range(6)), records
for r in records:
    assert sorted(r) == sorted(["problem", "status", "success", "message", "fun", "nit", "nfev",
                                "njev", "x"]), r
    assert len(r["x"]) == 3 and r["success"] == (r["status"] == 0), r
assert sorted(r["status"] for r in records) == [0, 0, 0, 0, 1, 1], records
assert records[2]["nit"] == 0 and records[2]["fun"] == 0, records[2]
' "$tmp/batch.jsonl"
    check "each problem of a batch ends as its own run does (status, nit, nfev, fun)" python3 -c '
import json, sys
batch = [json.loads(line) for line in open(sys.argv[1])]
solo = [json.loads(line) for line in open(sys.argv[2])]
assert len(batch) == len(solo) == 6, (len(batch), len(solo))
for b, s in zip(batch, solo):
    for k in ("status", "message", "nit", "nfev", "njev"):
        assert b[k] == s[k], (k, b, s)
    assert abs(b["fun"] - s["fun"]) <= 1e-10 * abs(s["fun"]), (b, s)
' "$tmp/batch.jsonl" "$tmp/solo.jsonl"
fi
run minimize --builtin rosen --batch "$tmp/starts.csv"
check "a batch where every problem converges exits 0" rc_is 0
run minimize --builtin rosen --batch "$tmp/starts.csv" --maxiter 30 --summary
check "--summary exits as the records do (1)" rc_is 1
check "--summary counts the converged problems" out_has "^4 of 6 problems converged"
check "--summary gives P and n" out_has "n = 3, P = 6"
check "--summary counts each status with its message" \
    out_has "status 1: *2: Maximum number of iterations has been exceeded."
check "--summary gives nit's range" out_has "nit: *min 0, median [0-9.]*, max 30"
check "--summary gives the time and the rate" out_has "time: .* s (setup .*), [0-9.]* fits/s"
check "--summary says where H was kept" out_has "H: *in \(local\|global\) memory"
run minimize --builtin rosen --batch "$tmp/starts.csv" --maxiter 30 --summary --json
if command -v python3 > /dev/null; then
    check "--summary --json is one object that agrees with the records" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
records = [json.loads(line) for line in open(sys.argv[2])]
assert s["P"] == 6 and s["n"] == 3 and s["converged"] == 4 and s["success"] is False, s
assert [(c["status"], c["count"]) for c in s["statuses"]] == [(0, 4), (1, 2)], s
nits = sorted(r["nit"] for r in records)
assert s["nit"] == {"min": nits[0], "median": (nits[2] + nits[3]) / 2, "max": nits[-1]}, s
assert s["local_hessian"] in (True, False) and s["fits_per_s"] > 0, s
' "$tmp/out" "$tmp/batch.jsonl"
fi
# a device whose local memory holds no H: the global-memory tier, the same
# records, and --verbose says so
export CLBFGS_LOCAL_MEM_LIMIT=16
run minimize --builtin rosen --batch "$tmp/starts.csv" --maxiter 30 --verbose
unset CLBFGS_LOCAL_MEM_LIMIT
check "with no room in local memory, H goes to global memory (said with --verbose)" \
    err_has "H goes to global memory"
if command -v python3 > /dev/null; then
    check "... with the same records" python3 -c '
import json, sys
a = [json.loads(line) for line in open(sys.argv[1])]
b = [json.loads(line) for line in open(sys.argv[2])]
assert [(r["status"], r["nit"], r["fun"]) for r in a] == [(r["status"], r["nit"], r["fun"]) for r in b]
' "$tmp/out" "$tmp/batch.jsonl"
fi
printf '1,2,3\n4,5\n' > "$tmp/ragged.csv"
run minimize --builtin rosen --batch "$tmp/ragged.csv"
check "a batch file with a ragged row is bad input (2)" rc_is 2
check "its message names the file and the row" err_has "^clbfgs: --batch: '.*ragged.csv': line 2 has 2"
: > "$tmp/none.csv"
run minimize --builtin rosen --batch "$tmp/none.csv"
check "an empty batch file is bad input (2)" rc_is 2
check "its message says the file is empty" err_has "none.csv': the file is empty"
npy "$tmp/none.npy" '<f8' '(0, 3)' 0
run minimize --builtin rosen --batch "$tmp/none.npy"
check "a batch of no problems (P = 0) is bad input (2)" rc_is 2
check "its message says the array is empty" err_has "the array is empty"
run minimize --builtin rosen --batch "$tmp/starts.csv" --n 4
check "a batch whose rows are not --n long is bad input (2)" rc_is 2
run minimize --builtin rosen --batch "$tmp/starts.csv" --x0 1,1,1
check "--batch with --x0 is bad usage (2)" rc_is 2
run minimize --builtin rosen --batch "$tmp/starts.csv" --batch-data "$tmp/starts.csv"
check "--batch-data without --terms is bad usage (2)" rc_is 2
check "its message says it goes with --terms" err_has "batch-data goes with --terms"
run minimize --builtin rosen --n 3 --summary
check "--summary without --batch is bad usage (2)" rc_is 2
run minimize --cl "$top_srcdir/tests/mgh.cl" --kernel beale --batch "$tmp/starts.csv"
check "--batch with a --cl kernel is bad usage (2)" rc_is 2
check "its message says what --batch takes" err_has "batch takes a function the library compiles in"

# A line fitted to each problem's own 20 points: t shared (--data), y per
# problem (--batch-data): problem p's line is y = (p + 1) t - p.
awk 'BEGIN { for (i = 0; i < 20; i++) printf "%.17g\n", i / 4.0 }' > "$tmp/t20.csv"
awk 'BEGIN { for (p = 0; p < 3; p++) { for (i = 0; i < 20; i++)
    printf "%s%.17g", i ? "," : "", (p + 1) * i / 4.0 - p + ((i % 5) - 2) / 100.0; print "" } }' \
    > "$tmp/y3.csv"
awk 'BEGIN { for (p = 0; p < 3; p++) { for (i = 0; i < 20; i++)
    printf "%s%.17g", i ? "," : "", i / 4.0; print "" } }' > "$tmp/t3.csv"
printf '0,0\n1,1\n-1,2\n' > "$tmp/lines-x0.csv"
run minimize --terms "$top_srcdir/tests/line.cl" --function line --least-squares \
    --data "$tmp/t20.csv" --batch-data "$tmp/y3.csv" --batch "$tmp/lines-x0.csv"
check "--batch-data gives each problem its own data (0)" rc_is 0
cp "$tmp/out" "$tmp/lines.jsonl"
if command -v python3 > /dev/null; then
    check "each problem fits its own line" python3 -c '
import json, sys
for p, line in enumerate(open(sys.argv[1])):
    x = json.loads(line)["x"]
    assert abs(x[0] - (p + 1)) < 0.01 and abs(x[1] + p) < 0.05, (p, x)
' "$tmp/lines.jsonl"
fi
sed -n 3p "$tmp/y3.csv" | tr , '\n' > "$tmp/y-third.csv"
run minimize --terms "$top_srcdir/tests/line.cl" --function line --least-squares \
    --data "$tmp/t20.csv" --data "$tmp/y-third.csv" --x0 -1,2 --json
if command -v python3 > /dev/null; then
    check "a problem with per-problem data ends as its own run does" python3 -c '
import json, sys
b = [json.loads(line) for line in open(sys.argv[1])][2]
s = json.load(open(sys.argv[2]))
assert (b["status"], b["nit"], b["nfev"]) == (s["status"], s["nit"], s["nfev"]), (b, s)
assert abs(b["fun"] - s["fun"]) <= 1e-10 * abs(s["fun"]), (b, s)
' "$tmp/lines.jsonl" "$tmp/out"
fi
run minimize --terms "$top_srcdir/tests/line.cl" --function line --least-squares \
    --batch-data "$tmp/t3.csv" --batch-data "$tmp/y3.csv" --batch "$tmp/lines-x0.csv"
check "with every data argument per problem, m is the row length (0)" rc_is 0
if command -v python3 > /dev/null; then
    check "... and the fits are the same" python3 -c '
import json, sys
a = [json.loads(line) for line in open(sys.argv[1])]
b = [json.loads(line) for line in open(sys.argv[2])]
assert [(r["status"], r["nit"]) for r in a] == [(r["status"], r["nit"]) for r in b], (a, b)
assert all(abs(p - q) <= 1e-10 * abs(q) for r, s in zip(a, b) for p, q in zip(r["x"], s["x"])), (a, b)
' "$tmp/out" "$tmp/lines.jsonl"
fi
head -n 2 "$tmp/y3.csv" > "$tmp/y2.csv"
run minimize --terms "$top_srcdir/tests/line.cl" --function line --least-squares \
    --data "$tmp/t20.csv" --batch-data "$tmp/y2.csv" --batch "$tmp/lines-x0.csv"
check "--batch-data with a row count other than P is bad input (2)" rc_is 2
check "its message names both files and both counts" \
    err_has "'.*y2.csv' has 2 rows, but --batch '.*lines-x0.csv' has 3 problems"
run minimize --terms "$top_srcdir/tests/line.cl" --function line --data "$tmp/t20.csv" \
    --batch-data "$tmp/y3.csv" --x0 0,0
check "--batch-data without --batch is bad usage (2)" rc_is 2
check "its message asks for --batch" err_has "batch-data goes with --batch"

# L-BFGS-B: --method lbfgsb and the options only it takes.
for opt in "--bounds 0,1" "--m 5" "--ftol 1e-10" "--maxfun 100" "--maxls 5"; do
    # shellcheck disable=SC2086 # the option and its value
    run minimize --builtin rosen --n 2 $opt
    check "${opt%% *} without --method lbfgsb is bad usage (2)" rc_is 2
    check "${opt%% *} without --method lbfgsb says it needs it" \
        err_has "^clbfgs: minimize: ${opt%% *} needs --method lbfgsb"
done
run minimize --builtin rosen --n 2 --method bfgs --bounds 0,1
check "--bounds with --method bfgs is bad usage (2)" rc_is 2
run minimize --builtin rosen --n 2 --method l-bfgs
check "an unknown --method is bad usage (2)" rc_is 2
check "an unknown --method lists the methods" err_has "method must be bfgs or lbfgsb"
run minimize --builtin rosen --n 3 --method lbfgsb --bounds 0,1,2
check "--bounds with neither 2 nor 2n values is bad usage (2)" rc_is 2
check "... and says what n takes" err_has "bounds has 3 values; n = 3 takes 2 .* or 6"
run minimize --builtin rosen --n 2 --method lbfgsb --bounds 0,1,-1,oops
check "a --bounds value that is not a number is bad usage (2)" rc_is 2
check "... named with its place and coordinate" \
    err_has "bounds: value 4 (the upper bound of x\[1\]), 'oops', is not a number"
run minimize --builtin rosen --n 2 --method lbfgsb --bounds nan,1
check "a NaN bound is bad usage (2)" rc_is 2
check "... which says none is how to leave a side open" \
    err_has "value 1 (the lower bound of every coordinate) is NaN; no bound on that side is none"
run minimize --builtin rosen --n 2 --method lbfgsb --bounds 0,1,,2
check "an empty --bounds element is bad usage (2)" err_has "bounds: value 3 is empty"
run minimize --builtin rosen --n 2 --method lbfgsb --bounds 1e999,2
check "a --bounds value past a double's range is refused" err_has "out of the range of a double"
printf -- '-1 1\nnone 0.5\n2 x\n' > "$tmp/bounds-bad.txt"
run minimize --builtin rosen --n 3 --method lbfgsb --bounds "@$tmp/bounds-bad.txt"
check "a bad value in a --bounds file names the file" \
    err_has "value 6 in .*bounds-bad.txt (the upper bound of x\[2\]), 'x'"
run minimize --builtin rosen --n 3 --method lbfgsb --bounds "@$tmp/missing.txt"
check "a missing --bounds file is bad input (2)" rc_is 2
: > "$tmp/bounds-empty.txt"
run minimize --builtin rosen --n 3 --method lbfgsb --bounds "@$tmp/bounds-empty.txt"
check "an empty --bounds file is bad usage" err_has "bounds holds no values in .*bounds-empty.txt"
for bad in "--m 0" "--maxfun 0" "--maxls 0" "--maxls 2147483648" "--ftol nan" "--m -1"; do
    # shellcheck disable=SC2086 # the option and its value
    run minimize --builtin rosen --n 2 --method lbfgsb $bad
    check "$bad is bad usage (2)" rc_is 2
    check "$bad names the option" err_has "^clbfgs: ${bad%% *}"
done

# A bounded run whose answer SciPy gives (1.10 and 1.17 alike):
# minimize(rosen, [-1.2, 1], jac=rosen_der, method='L-BFGS-B',
# bounds=[(None, 0.5)] * 2) converges at x = (0.5, 0.25), f = 0.25, with
# status 0 in 14 iterations and 19 evaluations.
run minimize --builtin rosen --x0 -1.2,1 --method lbfgsb --bounds none,0.5 --json
check "L-BFGS-B on rosen with x <= 0.5 converges (0)" rc_is 0
check "... with L-BFGS-B's message" out_has "CONVERGENCE: NORM.OF.PROJECTED.GRADIENT"
if command -v python3 > /dev/null; then
    check "... at SciPy's answer: x[0] at its bound, f = 0.25, nit close to 14" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == 0 and r["success"] is True, r
assert r["x"][0] == 0.5 and abs(r["x"][1] - 0.25) < 1e-5, r["x"]
assert abs(r["fun"] - 0.25) < 1e-8, r["fun"]
assert 11 <= r["nit"] <= 17, r["nit"]
' "$tmp/out"
fi
cp "$tmp/out" "$tmp/bounded.json"
printf 'none 0.5\n-inf 0.5\n' > "$tmp/bounds.txt"
run minimize --builtin rosen --x0 -1.2,1 --method lbfgsb --bounds "@$tmp/bounds.txt" --json
if command -v python3 > /dev/null; then
    check "--bounds @FILE, a pair per line, is the same run as the list" python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert (a["status"], a["nit"], a["nfev"], a["x"]) == (b["status"], b["nit"], b["nfev"], b["x"]), (a, b)
' "$tmp/bounded.json" "$tmp/out"
fi
run minimize --builtin rosen --x0 -1.2,1 --method lbfgsb --bounds none,0.5
check "the text result shows L-BFGS-B's message" out_has "^CONVERGENCE: NORM.OF.PROJECTED.GRADIENT"
# x0 = (2, 2) lies outside: projected onto (0.5, 0.5), said with --verbose;
# SciPy then needs one iteration (3 evaluations) to reach f = 0.25.
run minimize --builtin rosen --x0 2,2 --method lbfgsb --bounds none,0.5 --verbose
check "an x0 outside the bounds still converges (0)" rc_is 0
check "--verbose says x0 was projected onto the bounds" err_has "info: .*project"
check "... and prints the iterations" out_has "nfev"
check "... to f = 0.25" out_has "fun: *0\.25"
run minimize --builtin rosen --x0 2,2 --method lbfgsb --bounds none,0.5
check "without --verbose the projection is not mentioned" sh -c '! grep -q project "$1"' sh "$tmp/err"
# A fixed coordinate (lower = upper): x[1] stays at 0.7; SciPy: f =
# 0.11658506614126966 at x = (0.83724071, 0.7, 0.49) in 7 iterations.
run minimize --builtin rosen --x0 1.3,0.7,0.8 --method lbfgsb --bounds none,none,0.7,0.7,none,none \
    --json
check "a fixed coordinate converges (0)" rc_is 0
if command -v python3 > /dev/null; then
    check "... stays where it is fixed, at SciPy's f" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["x"][1] == 0.7, r["x"]
assert abs(r["fun"] - 0.11658506614126966) < 1e-8 and abs(r["x"][0] - 0.83724071) < 1e-5, r
assert 5 <= r["nit"] <= 9, r["nit"]
' "$tmp/out"
fi
run minimize --builtin rosen --n 2 --method lbfgsb --bounds 0,1,2,1
check "a lower bound above its upper one is bad input (2)" rc_is 2
check "... and the library names the coordinate" err_has "lower\[1\] = 2 > upper\[1\] = 1"
# SciPy's limits and their messages (status 1, exit status 1).
run minimize --builtin rosen --x0 -1.2,1 --method lbfgsb --bounds none,0.5 --maxiter 3
check "L-BFGS-B at --maxiter is 'not converged' (1)" rc_is 1
check "... in SciPy's words" out_has "STOP: TOTAL NO. [oO][fF] ITERATIONS REACHED LIMIT"
run minimize --builtin rosen --x0 -1.2,1 --method lbfgsb --bounds none,0.5 --maxfun 5
check "L-BFGS-B past --maxfun is 'not converged' (1)" rc_is 1
check "... in SciPy's words" out_has "STOP: TOTAL NO. [oO][fF] [fF].* EVALUATIONS EXCEEDS LIMIT"
# --m: SciPy's maxcor; rosen from (-1.2, 1) with 3 pairs takes 38 iterations.
run minimize --builtin rosen --x0 -1.2,1 --method lbfgsb --m 3 --json
check "--m 3 converges (0)" rc_is 0
if command -v python3 > /dev/null; then
    check "... in about SciPy's 38 iterations, with fewer pairs than the default 10" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == 0 and r["fun"] < 1e-10 and 30 <= r["nit"] <= 46, r
' "$tmp/out"
fi
run minimize --builtin rosen --batch "$tmp/starts.csv" --method lbfgsb
check "--batch with --method lbfgsb is bad usage (2)" rc_is 2
check "... which says batches run BFGS" err_has "batch runs BFGS"
run minimize --builtin rosen --n 2 --method lbfgsb --c1 0.01
check "a BFGS option with --method lbfgsb is bad input (2)" rc_is 2
check "... named by the library" err_has "c1"

# The examples run and say what they found.
"$top_builddir/examples/rosen" > "$tmp/out" 2> "$tmp/err"; echo $? > "$tmp/rc"
check "examples/rosen converges" rc_is 0
check "examples/rosen prints SciPy's message" out_has "Optimization terminated successfully."
"$top_builddir/examples/host_callback" > "$tmp/out" 2> "$tmp/err"; echo $? > "$tmp/rc"
check "examples/host_callback converges" rc_is 0
check "examples/host_callback recovers b" out_has "b = 1.3"
"$top_builddir/examples/multistart" > "$tmp/out" 2> "$tmp/err"; echo $? > "$tmp/rc"
check "examples/multistart runs eight starts through one solver" rc_is 0
check "examples/multistart reaches the global minimum" out_has "of 8 starts reached the global minimum"
"$top_builddir/examples/denoise" > "$tmp/out" 2> "$tmp/err"; echo $? > "$tmp/rc"
check "examples/denoise converges and lowers the error" rc_is 0
check "examples/denoise reports the error" out_has "denoised"
"$top_builddir/examples/logistic" > "$tmp/out" 2> "$tmp/err"; echo $? > "$tmp/rc"
check "examples/logistic: the callback and the built-in agree" rc_is 0
check "examples/logistic reports both" out_has "built-in:"
# 2000 spot fits in one batch; it exits 1 unless 99% converge and 95% recover
# their true parameters (Gaussian errors would give 98.65% or more).
"$top_builddir/examples/spots" --P 2000 > "$tmp/out" 2> "$tmp/err"; echo $? > "$tmp/rc"
check "examples/spots fits its images and recovers their parameters" rc_is 0
check "examples/spots reports the fits per second" out_has "fits/s"
check "examples/spots reports how many converged" out_has "converged: *[0-9]* of 2000"
check "examples/spots reports how many recovered their parameters" out_has "recovered: *[0-9]* of 2000"

# A machine with no OpenCL platform: the ICD loader reads an empty vendor list.
mkdir "$tmp/no-vendors"
OCL_ICD_VENDORS="$tmp/no-vendors" OCL_ICD_FILENAMES= "$clbfgs" devices > "$tmp/out" 2> "$tmp/err"
echo $? > "$tmp/rc"
check "no platform is a device error (3)" rc_is 3
check "no platform says what to install" err_has "pocl-opencl-icd"
OCL_ICD_VENDORS="$tmp/no-vendors" OCL_ICD_FILENAMES= "$top_builddir/tests/test-device" > /dev/null 2>&1
echo $? > "$tmp/rc"
check "a test binary with no platform skips (77)" rc_is 77

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
