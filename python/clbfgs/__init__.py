"""clbfgs: BFGS and L-BFGS-B on any OpenCL device, the SciPy way.

    import clbfgs, scipy.optimize
    res = scipy.optimize.minimize(scipy.optimize.rosen, x0, jac=scipy.optimize.rosen_der,
                                  method=clbfgs.bfgs)
    res = clbfgs.minimize(fun, x0, jac=True, options={"gtol": 1e-6})

The package is ctypes over the C library libclbfgs (found in the clone it
was installed from, in the system's library directories after `make
install`, or at $CLBFGS_LIBRARY). See the README's "Python" section.
"""

from ._lib import Error, LibraryNotFound, LIBRARY_PATH
from ._lib import version as _version
from ._context import Context, Device, devices, select_device
from ._objective import Builtin, Local, Objective, PerProblem, Source, Terms
from ._minimize import OptimizeResult, bfgs, lbfgsb, minimize, minimize_batch

__version__ = "0.1.0"  # the library's (configure.ac)
library_version = _version().decode()

__all__ = ["minimize", "bfgs", "lbfgsb", "minimize_batch", "devices", "select_device",
           "Context", "Device", "Source", "Terms", "Builtin", "Objective", "Local",
           "PerProblem", "OptimizeResult", "Error", "LibraryNotFound", "LIBRARY_PATH",
           "library_version"]
