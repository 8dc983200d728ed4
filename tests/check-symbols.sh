#!/bin/sh
# The shared library exports exactly the functions the public header declares:
# nothing internal (clbfgs__*), nothing without the clbfgs_ prefix, nothing missing.
# Where the MPI layer is built, libclbfgs-mpi likewise exports exactly what
# clbfgs.h and clbfgs_mpi.h declare.
set -eu
lib="$top_builddir/.libs/libclbfgs.so"
[ -f "$lib" ] || { echo "no shared library at $lib (built with --disable-shared?)"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# check LIBRARY HEADER...
check() {
    lib=$1; shift
    # Defined, dynamic, global symbols (T text, D/B data, R read-only).
    ${NM:-nm} -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sort -u > "$tmp/exported"
    # Every name that follows CLBFGS_API in the headers (a declaration may span lines).
    cat "$@" | grep -v '^#' | tr '\n' ' ' | grep -o 'CLBFGS_API [^(;]*(' |
        sed -e 's/($//' -e 's/.*[ *]//' | sort -u > "$tmp/declared"

    echo "$(basename "$lib"): exported: $(wc -l < "$tmp/exported"), declared: $(wc -l < "$tmp/declared")"
    if [ ! -s "$tmp/declared" ]; then
        echo "FAIL: no declarations found in $*"
        status=1
    fi
    bad=$(grep -v '^clbfgs_[a-z]' "$tmp/exported" || true)
    if [ -n "$bad" ]; then
        echo "FAIL: exported without the clbfgs_ prefix:"; echo "$bad"; status=1
    fi
    internal=$(grep '^clbfgs__' "$tmp/exported" || true)
    if [ -n "$internal" ]; then
        echo "FAIL: internal clbfgs__ symbols exported:"; echo "$internal"; status=1
    fi
    extra=$(comm -23 "$tmp/exported" "$tmp/declared")
    if [ -n "$extra" ]; then
        echo "FAIL: exported but not in $*:"; echo "$extra"; status=1
    fi
    missing=$(comm -13 "$tmp/exported" "$tmp/declared")
    if [ -n "$missing" ]; then
        echo "FAIL: declared in $* but not exported:"; echo "$missing"; status=1
    fi
}

check "$lib" "$top_srcdir/include/clbfgs.h"
mpilib="$top_builddir/.libs/libclbfgs-mpi.so"
[ -f "$mpilib" ] && check "$mpilib" "$top_srcdir/include/clbfgs.h" "$top_srcdir/include/clbfgs_mpi.h"
[ $status -eq 0 ] && echo "PASS: the exported symbols are exactly the public API"
exit $status
