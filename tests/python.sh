#!/bin/sh
# The Python package (python/clbfgs) on the library just built. First the
# install path, offline: pip installs a copy of python/ into a venv (with the
# system's site packages, for NumPy), and the venv's python imports it from
# another directory, without PYTHONPATH or CLBFGS_LIBRARY, and minimizes. The
# copy sits in a directory whose .libs is the build's, as in a clone, so
# setup.py records it and the installed package finds the library there by
# itself. Then the package's pytest suite (python/tests: against SciPy's BFGS
# and L-BFGS-B) from the source tree, with CLBFGS_LIBRARY naming the build's
# library. Nothing is written to the source tree (it is read-only in make
# distcheck). Skips (77) without NumPy or pytest, or without a shared
# library (--disable-shared); leaves out the install check, saying so, where
# venv, setuptools or wheel are missing.
set -u
# shellcheck disable=SC2154 # top_srcdir and top_builddir: AM_TESTS_ENVIRONMENT
lib=$top_builddir/.libs/libclbfgs.so.0 src=$top_srcdir
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
"$py" -c 'import numpy' 2> /dev/null || { echo "NumPy not found: skipped"; exit 77; }
"$py" -c 'import pytest' 2> /dev/null || { echo "pytest not found: skipped"; exit 77; }
[ -f "$lib" ] || { echo "$lib not built (--disable-shared?): skipped"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/clbfgs-python.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0
trap 'exit 1' HUP INT TERM
export PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
status=0

# ---- the install path ------------------------------------------------------
mkdir "$tmp/clone" "$tmp/elsewhere" || exit 1
cp -R "$src/python" "$tmp/clone/python" && chmod -R u+w "$tmp/clone/python" || exit 1
rm -rf "$tmp/clone/python/build" "$tmp/clone/python"/*.egg-info
ln -s "${lib%/*}" "$tmp/clone/.libs" || exit 1
if ! "$py" -c 'import setuptools, wheel' 2> /dev/null; then
    echo "setuptools or wheel not found: install check left out"
elif ! "$py" -m venv --system-site-packages "$tmp/v" > "$tmp/venv.log" 2>&1; then
    cat "$tmp/venv.log"
    echo "python3 -m venv failed (python3-venv missing?): install check left out"
elif ! "$tmp/v/bin/pip" install -q --no-build-isolation --no-index --no-deps --no-cache-dir \
    "$tmp/clone/python"; then
    echo "FAIL: pip install of python/ into a venv"
    status=1
else
    if (unset PYTHONPATH CLBFGS_LIBRARY && cd "$tmp/elsewhere" && "$tmp/v/bin/python" -c '
import os, sys
import numpy as np
import clbfgs
lib = sys.argv[1]
assert clbfgs.__file__.startswith(sys.prefix), f"imported {clbfgs.__file__}, not the installed copy"
assert os.path.realpath(clbfgs.LIBRARY_PATH) == os.path.realpath(lib), \
    f"loaded {clbfgs.LIBRARY_PATH}, not {lib}"
res = clbfgs.minimize(lambda x: float(((x - 2) ** 2).sum()), np.zeros(3), jac=lambda x: 2 * (x - 2))
assert res.success and np.allclose(res.x, 2), res
print(f"installed: clbfgs {clbfgs.__version__} at {os.path.dirname(clbfgs.__file__)}")
print(f"library: {clbfgs.LIBRARY_PATH}; minimized in {res.nit} iterations")
' "$lib"); then
        echo "PASS: pip install, import and minimize from another directory"
    else
        echo "FAIL: the installed package"
        status=1
    fi
fi

# ---- the tests -------------------------------------------------------------
# (from python/, for short test names; they write nothing there)
cd "$src/python" || exit 1
PYTHONPATH="$src/python${PYTHONPATH:+:$PYTHONPATH}" CLBFGS_LIBRARY=$lib \
    "$py" -m pytest -q -rfEs -p no:cacheprovider --rootdir=. tests || status=1

# ---- the example (it checks itself against SciPy and its truth) ------------
if "$py" -c 'import scipy' 2> /dev/null; then
    PYTHONPATH="$src/python${PYTHONPATH:+:$PYTHONPATH}" CLBFGS_LIBRARY=$lib \
        "$py" "$src/examples/fit.py" || { echo "FAIL: examples/fit.py"; status=1; }
fi
exit $status
