#!/bin/sh
# clbfgs against SciPy's BFGS on the same problems from the same fresh random
# starting points, in double and in float, and against SciPy's L-BFGS-B in
# double, with and without bounds. Skips (77) without SciPy.
set -u
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
"$py" -c 'import scipy' 2> /dev/null || { echo "SciPy not found: skipped"; exit 77; }
exec "$py" "$top_srcdir/tests/scipy_compare.py" "$top_builddir/tools/clbfgs" "$top_srcdir/tests/mgh.cl"
