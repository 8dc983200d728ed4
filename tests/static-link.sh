#!/bin/sh
# A program linked against the static libclbfgs.a with what
# `pkg-config --static` says it needs, as a user's build would, links and
# runs a minimization. Skips (77) without pkg-config or a static library.
set -u
command -v pkg-config > /dev/null || { echo "pkg-config not found: skipped"; exit 77; }
[ -f "$top_builddir/.libs/libclbfgs.a" ] || { echo "no static library built: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# An installed-looking tree: the static archive alone (so -lclbfgs cannot
# pick the shared one), the header, and clbfgs.pc pointing at them.
mkdir "$tmp/lib" "$tmp/include"
cp "$top_builddir/.libs/libclbfgs.a" "$tmp/lib/"
cp "$top_srcdir/include/clbfgs.h" "$tmp/include/"
sed -e "s|^libdir=.*|libdir=$tmp/lib|" -e "s|^includedir=.*|includedir=$tmp/include|" \
    "$top_builddir/clbfgs.pc" > "$tmp/lib/clbfgs.pc"
flags=$(PKG_CONFIG_PATH="$tmp/lib${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" \
    pkg-config --static --cflags --libs clbfgs) || { echo "FAIL: pkg-config --static clbfgs"; exit 1; }
echo "pkg-config --static --cflags --libs clbfgs: $flags"
# shellcheck disable=SC2086 # the flags are words
if ! ${CC:-cc} -o "$tmp/rosen" "$top_srcdir/examples/rosen.c" $flags 2> "$tmp/err"; then
    echo "FAIL: the static link failed:"
    cat "$tmp/err"
    echo "0 passed, 1 failed"
    exit 1
fi
if ! "$tmp/rosen" > "$tmp/out" 2>&1 || ! grep -q "Optimization terminated successfully." "$tmp/out"; then
    echo "FAIL: the statically linked example did not converge:"
    cat "$tmp/out"
    echo "1 passed, 1 failed"
    exit 1
fi
echo "2 passed, 0 failed"
