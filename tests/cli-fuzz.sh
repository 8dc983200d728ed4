#!/bin/sh
# A bounded fuzz of the clbfgs command: a few hundred malformed command lines,
# made deterministically from options x bad values, then a seeded random mix.
# Each runs under timeout; a run fails the test when it dies from a signal,
# hangs, or exits non-zero without a word on stderr. A run may be refused
# (exit 2, 3 or 4 with a message) or accepted (0, or 1 "not converged" with a
# result on stdout); both are fine.
#
# Knobs: CLI_FUZZ_TIMEOUT (seconds a run may take, 30), CLI_FUZZ_SEED (10) and
# CLI_FUZZ_RANDOM (150 lines) for the random mix.
set -u
clbfgs="$top_builddir/tools/clbfgs"
# With a shared library, tools/clbfgs is libtool's wrapper script, which
# costs a shell per run; run the program it wraps, as the wrapper would.
if [ -x "$top_builddir/tools/.libs/clbfgs" ] && grep -q "libtool" "$clbfgs" 2> /dev/null; then
    clbfgs="$top_builddir/tools/.libs/clbfgs"
    LD_LIBRARY_PATH="$top_builddir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export LD_LIBRARY_PATH
fi
srcdir=$top_srcdir
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
limit=${CLI_FUZZ_TIMEOUT:-30}
runs=0
rejected=0
accepted=0
fails=0
start=$(date +%s)

try() { # clbfgs ARGS...: one command line
    runs=$((runs + 1))
    timeout -k 5 "$limit" "$clbfgs" "$@" < /dev/null > "$tmp/out" 2> "$tmp/err"
    rc=$?
    why=
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        why="timed out after $limit s"
    elif [ "$rc" -ge 128 ]; then
        why="died from signal $((rc - 128))"
    elif [ "$rc" -ne 0 ] && [ ! -s "$tmp/err" ] && { [ "$rc" -ne 1 ] || [ ! -s "$tmp/out" ]; }; then
        why="exit status $rc without a message"
    fi
    if [ -n "$why" ]; then
        fails=$((fails + 1))
        printf 'FAIL: %s:' "$why"
        printf " '%s'" "$@"
        printf '\n'
        head -c 2000 "$tmp/err"
    elif [ "$rc" -le 1 ]; then
        accepted=$((accepted + 1))
    else
        rejected=$((rejected + 1))
    fi
}

# ---- inputs ----
printf '__kernel void k(__global real *x) { x[0] = (real)1; }\n' > "$tmp/good.cl"
printf '1 0.5 -1\n0 -0.5 1\n1 1 0.2\n0 -1 -0.3\n' > "$tmp/data.txt"
printf '1 2 junk\n' > "$tmp/junk.txt"
printf '1,,2\n' > "$tmp/empty-element.txt"
: > "$tmp/empty.txt"
printf '\377\376\000\001' > "$tmp/binary.txt"
long=$(printf '%05000d' 7)
mgh="$srcdir/tests/mgh.cl"
denoise="$srcdir/examples/denoise.cl"

# Bad values by kind, one per line; the empty value is tried separately
# (a shell split on newlines drops empty lines).
numbers=" 1
1 
-1
+1
 -1
1e999
nan
inf
1x
0x10
4294967296
18446744073709551616
2305843009213693952
--json
1,2"
lists=",
1,
,1
1,,2
1;2
nan,1
1e999,1
@
@/nonexistent/file
@/dev/zero
@/dev/null
@$tmp
@$tmp/junk.txt
@$tmp/empty.txt
@$tmp/empty-element.txt
@$tmp/binary.txt
$long"
# --bounds also reads inf and none, and pairs
bounds_lists="none,none
none
inf,-inf
1,0
0,1,2
0,1,none,2,3
nan,nan
-inf,inf,-inf,inf,-inf,inf
None,1
$lists"
files="/dev/zero
/dev/null
/nonexistent/file
$tmp
$tmp/binary.txt
$tmp/empty.txt
$tmp/junk.txt"
words=" 
quad
%s%n%x
$(printf 'x\001y\377')
$long
--json"

# Options, the kind of value each takes, and the cheap valid command line it
# is tried in.
quad="minimize --builtin quadratic --n 3 --maxiter 5"
cl="minimize --cl $mgh --kernel beale --x0 1,1 --maxiter 5"
options_in="n numbers $quad
maxiter numbers minimize --builtin quadratic --n 3
fill numbers $quad
gtol numbers $quad
norm numbers $quad
xrtol numbers $quad
c1 numbers $quad
c2 numbers $quad
eps numbers $quad
lambda numbers minimize --builtin logistic --data $tmp/data.txt --n 2 --fill 0 --maxiter 5
work-size numbers $cl
n numbers demo
x0 lists minimize --builtin quadratic --maxiter 5
hess-inv0 lists $quad
data files minimize --builtin logistic --n 2 --fill 0 --maxiter 5
batch files minimize --builtin rosen --maxiter 5
cl files minimize --kernel k --n 2
precision words $quad
device words $quad
builtin words minimize --n 3 --maxiter 5
kernel words minimize --cl $mgh --x0 1,1 --maxiter 5
options words build $tmp/good.cl
precision words build $tmp/good.cl
device words demo --n 3
method words $quad
m numbers $quad --method lbfgsb
ftol numbers $quad --method lbfgsb
maxfun numbers $quad --method lbfgsb
maxls numbers $quad --method lbfgsb
bounds bounds $quad --method lbfgsb
m numbers $quad
bounds bounds $quad"

# ---- options x bad values: --opt VALUE for each, --opt=VALUE for the first
# few, --opt= and --opt last with no value ----
set -f # the command lines are split on spaces, never globbed
nl='
'
IFS_SAVE=$IFS
IFS=$nl
for entry in $options_in; do
    IFS=$IFS_SAVE
    # shellcheck disable=SC2086 # "OPTION KIND COMMAND..." split into words
    set -- $entry
    opt=$1
    kind=$2
    shift 2
    base=$*
    # shellcheck disable=SC2086 # base is split into words on purpose
    try $base "--$opt"
    # shellcheck disable=SC2086
    try $base "--$opt" ""
    # shellcheck disable=SC2086
    try $base "--$opt="
    case $kind in
    numbers) values=$numbers ;;
    lists) values=$lists ;;
    bounds) values=$bounds_lists ;;
    files) values=$files ;;
    *) values=$words ;;
    esac
    k=0
    IFS=$nl
    for value in $values; do
        IFS=$IFS_SAVE
        # shellcheck disable=SC2086
        try $base "--$opt" "$value"
        k=$((k + 1))
        # shellcheck disable=SC2086
        [ "$k" -gt 3 ] || try $base "--$opt=$value"
        IFS=$nl
    done
    IFS=$IFS_SAVE
done

# build's file, and --arg TYPE:VALUE for every type, against a kernel with no
# extra arguments (the count check refuses what parses).
IFS=$nl
for value in $files; do
    try build "$value"
done
for type in real double float int uint long ulong reals short ""; do
    for value in "" " 1" -1 1.5 1e999 nan 4294967296 18446744073709551616 1,,2 @/dev/zero; do
        IFS=$IFS_SAVE
        # shellcheck disable=SC2086
        try $cl --arg "$type:$value"
        IFS=$nl
    done
done
IFS=$IFS_SAVE

# Build options that compile or fail to (not "-D" alone: see below).
for value in "" " " "-DX=1" "-cl-fast-relaxed-math" "-I/nonexistent" "-cl-std=CL9.9" "-Werror"; do
    try build "$tmp/good.cl" --options "$value"
done

# Whole command lines: unknown and abbreviated options, duplicates, strays.
try
try ""
try bogus
try --bogus
try help extra
try version --json
try devices --json --json
try devices --bogus
try devices --json=1
try devices -- --json
try devices json
try build
try build --
try build "$tmp/good.cl" "$tmp/good.cl"
try build /dev/zero
try build /dev/null
try build "$tmp"
try build /nonexistent.cl
try build "$tmp/good.cl" --options
try build "$tmp/good.cl" --verbose=1
try minimize
try minimize --
try minimize --builtin
try minimize --builtin=
try minimize --builtin rosen
try minimize --builtin rosen --builtin quadratic --n 3 --maxiter 5
try minimize --builtin rosen --cl "$mgh" --kernel beale --n 2
try minimize --builtin quadratic --n 3 --n 4 --maxiter 5
try minimize --builtin quadratic --n 3 --x0 1,2
try minimize --builtin quadratic --x0 1,2,3 --fill 1
try minimize --builtin quadratic --n 3 --hess-inv0 1,0,0,1
try minimize --builtin quadratic --n 3 --kernel k
try minimize --builtin quadratic --n 3 --no-gradient
try minimize --builtin quadratic --n 3 --json --json --verbose --verbose --maxiter 2
try minimize --builtin quadratic --n 3 --maxiter 2 stray
try minimize --builtin quadratic --n 3 --maxiter 2 -- stray
try minimize --builtin quadratic --n 3 --maxiter 2 -x
try minimize --builtin quadratic --n 3 --maxiter 2 -
try minimize --builtin quadratic --n 3 --ma 2
try minimize --builtin quadratic --n 3 --no 2
try minimize --builtin quadratic --n 3 --json=
try minimize --builtin quadratic --n 3 --verbose=yes
try minimize --builtin ext-rosenbrock --n 3
try minimize --builtin logistic --n 2
try minimize --builtin logistic --data "$tmp/data.txt" --n 3 --fill 0
try minimize --cl "$mgh" --kernel beale
try minimize --cl "$mgh" --kernel beale_f --no-gradient --x0 1,1 --maxiter 3
try minimize --cl "$mgh" --kernel beale --x0 1,1 --work-size 0
try minimize --cl "$mgh" --kernel beale --x0 1,1 --arg
try minimize --cl "$mgh" --kernel beale --x0 1,1 --arg=
try minimize --cl "$tmp/good.cl" --kernel k --n 2
try minimize --cl /dev/null --kernel k --n 2
try demo --n 3 --maxiter 2
try demo --n 0
try demo --n 1048577
try demo --json
# Lines that crashed inside the library before issue 10: a scalar --arg where
# the kernel takes a buffer, --arg int:1 where it takes a real, and the build
# option "-D" alone (pocl crashes on it). Each is refused by name now.
try minimize --cl "$denoise" --kernel denoise --x0 0,1,0 --arg real:1 --arg real:1 \
    --arg real:1 --maxiter 2
try minimize --cl "$denoise" --kernel denoise --x0 0,1,0 --arg reals:0,1,0 --arg int:1 \
    --arg real:1 --maxiter 2
try build "$tmp/good.cl" --options -D

# ---- a seeded random mix of the same pieces ----
# Lines of words separated by \037 (so words may hold spaces), from a
# Park-Miller generator with a fixed seed: its products stay below 2^53, so
# every awk (mawk, gawk, busybox) makes the same lines, where srand/rand do not.
us=$(printf '\037')
awk -v seed="${CLI_FUZZ_SEED:-10}" -v count="${CLI_FUZZ_RANDOM:-150}" -v tmp="$tmp" \
    -v mgh="$mgh" -v us="$us" '
function random() { state = (state * 16807) % 2147483647; return (state - 1) / 2147483646 }
BEGIN {
    state = seed % 2147483647
    if (state <= 0)
        state = 1
    nc = split("minimize minimize minimize demo build devices help bogus", cmds, " ")
    no = split("--n --x0 --hess-inv0 --fill --gtol --norm --maxiter --xrtol --c1 --c2 --eps " \
               "--precision --device --builtin --data --lambda --cl --kernel --arg " \
               "--work-size --json --verbose --profile --no-gradient --options --bogus --ma " \
               "-x - -- --n= --x0= --arg= --method --m --bounds --ftol --maxfun --maxls", opts,
               " ")
    nv = split("0|1|3|-1| 1|1 |1e999|nan|inf|-inf|1x|4294967296|18446744073709551616|" \
               "2305843009213693952|1,2,3|1,,2|,|1,|@|@/dev/zero|@/nonexistent|@" tmp "|" \
               "@" tmp "/junk.txt|" tmp "/data.txt|" mgh "|beale|quadratic|rosen|logistic|" \
               "double|float|auto|quad|real:1|int:1.5|uint:-1|long:9223372036854775808|" \
               "ulong:18446744073709551616|reals:1,,2|reals:@/dev/zero|float:1e39|bogus:1|" \
               "-DX=1|cpu|zz-no-such-device|%s%n|lbfgsb|bfgs|none,0.5|1,0|inf,-inf", vals, "|")
    for (i = 0; i < count; i++) {
        line = cmds[1 + int(random() * nc)]
        words = int(random() * 7)
        for (w = 0; w < words; w++) {
            r = random()
            if (r < 0.45)
                line = line us opts[1 + int(random() * no)]
            else if (r < 0.9)
                line = line us vals[1 + int(random() * nv)]
            else
                line = line us opts[1 + int(random() * no)] "=" vals[1 + int(random() * nv)]
        }
        print line
    }
}' > "$tmp/random.txt"
random_lines=$(wc -l < "$tmp/random.txt")
IFS=$nl
# shellcheck disable=SC2013 # lines, split on newlines alone (IFS)
for line in $(cat "$tmp/random.txt"); do
    IFS=$us
    # shellcheck disable=SC2086 # split on \037 into the words of the line
    try $line
    IFS=$nl
done
IFS=$IFS_SAVE
set +f

echo "$runs runs ($random_lines random): $rejected rejected with a message," \
    "$accepted accepted, $fails failed, in $(($(date +%s) - start)) s"
echo "$((runs - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
