"""The C library through ctypes: finding it, its structs and its functions.

Everything here mirrors include/clbfgs.h. The option structs are versioned by
their first field, struct_size: we fill them with the library's
*_init_size(), passing the size of *our* mirror, so a newer library with
longer structs still reads ours correctly (see "Versioned option structs" in
the header).

ctypes releases the GIL around every foreign call, so other Python threads
run while the device works; our callbacks take it back while Python runs.
"""

import ctypes
import ctypes.util
import os
import sys
from pathlib import Path

c_double_p = ctypes.POINTER(ctypes.c_double)
c_size_t_p = ctypes.POINTER(ctypes.c_size_t)
c_int_p = ctypes.POINTER(ctypes.c_int)
cl_mem = ctypes.c_void_p

# ---- status codes (clbfgs_status) -----------------------------------------
SUCCESS = 0
ERR_INVALID_ARGUMENT = -1
ERR_OUT_OF_HOST_MEMORY = -2
ERR_NO_PLATFORM = -3
ERR_DEVICE_NOT_FOUND = -4
ERR_OPENCL = -5
ERR_BUILD = -6
ERR_KERNEL_NOT_FOUND = -7
ERR_UNSUPPORTED = -8
ERR_OUT_OF_DEVICE_MEMORY = -9
ERR_BLAS = -10
ERR_OBJECTIVE = -11
ERR_CALLBACK = -12

PRECISIONS = {"auto": 0, "double": 1, "float": 2}
PRECISION_NAMES = {v: k for k, v in PRECISIONS.items()}
METHOD_BFGS, METHOD_LBFGSB = 0, 1


class Error(RuntimeError):
    """A failure reported by the library: ``status`` is the library's
    clbfgs_status code (negative), ``message`` its detailed message (which
    device, kernel, OpenCL call or argument), ``result`` the partial
    OptimizeResult of a run that an error ended (the best point reached and
    the counts), or None."""

    def __init__(self, status, message, result=None):
        self.status = status
        self.message = message
        self.result = result
        super().__init__(message)


class LibraryNotFound(ImportError):
    """The shared library libclbfgs could not be loaded."""


# ---- structs ---------------------------------------------------------------

class DeviceInfo(ctypes.Structure):
    _fields_ = [
        ("index", ctypes.c_uint),
        ("platform_index", ctypes.c_uint),
        ("device_index", ctypes.c_uint),
        ("type", ctypes.c_int),
        ("name", ctypes.c_char * 128),
        ("vendor", ctypes.c_char * 128),
        ("platform_name", ctypes.c_char * 128),
        ("opencl_version", ctypes.c_char * 64),
        ("driver_version", ctypes.c_char * 64),
        ("has_fp64", ctypes.c_int),
        ("global_mem_bytes", ctypes.c_uint64),
        ("max_alloc_bytes", ctypes.c_uint64),
        ("compute_units", ctypes.c_uint),
        ("max_work_group_size", ctypes.c_uint64),
        ("platform_id", ctypes.c_void_p),
        ("device_id", ctypes.c_void_p),
    ]


LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)


class ContextOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("device", ctypes.c_char_p),
        ("cache_dir", ctypes.c_char_p),
        ("disk_cache", ctypes.c_int),
        ("build_options", ctypes.c_char_p),
        ("log", LOG_FN),
        ("log_user", ctypes.c_void_p),
        ("log_level", ctypes.c_int),
        ("profile", ctypes.c_int),
    ]


class SourceOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("name", ctypes.c_char_p),
        ("build_options", ctypes.c_char_p),
        ("gradient", ctypes.c_int),
        ("work_size", ctypes.c_size_t),
    ]


class TermsOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("name", ctypes.c_char_p),
        ("args", ctypes.c_char_p),
        ("gradient", ctypes.c_int),
        ("least_squares", ctypes.c_int),
        ("build_options", ctypes.c_char_p),
    ]


class Iterate(ctypes.Structure):
    _fields_ = [
        ("k", ctypes.c_size_t),
        ("f", ctypes.c_double),
        ("gnorm", ctypes.c_double),
        ("step", ctypes.c_double),
        ("nfev", ctypes.c_size_t),
        ("x", c_double_p),
        ("n", ctypes.c_size_t),
    ]


CALLBACK_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(Iterate))
# x, f and g come as plain addresses: the host objective caches its NumPy
# views of them by address (a run uses one or two host copies of each)
HOST_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                           ctypes.c_void_p, ctypes.c_void_p)


class Options(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("gtol", ctypes.c_double),
        ("norm", ctypes.c_double),
        ("maxiter", ctypes.c_size_t),
        ("xrtol", ctypes.c_double),
        ("c1", ctypes.c_double),
        ("c2", ctypes.c_double),
        ("precision", ctypes.c_int),
        ("hess_inv0", c_double_p),
        ("eps", ctypes.c_double),
        ("return_hess_inv", ctypes.c_int),
        ("callback", CALLBACK_FN),
        ("callback_user", ctypes.c_void_p),
        ("single_kernel", ctypes.c_int),
        # since 0.3: L-BFGS-B
        ("method", ctypes.c_int),
        ("m", ctypes.c_size_t),
        ("lower", c_double_p),
        ("upper", c_double_p),
        ("ftol", ctypes.c_double),
        ("maxfun", ctypes.c_size_t),
        ("maxls", ctypes.c_int),
    ]


class Timings(ctypes.Structure):
    _fields_ = [
        ("total", ctypes.c_double),
        ("setup", ctypes.c_double),
        ("line_search", ctypes.c_double),
        ("hessian", ctypes.c_double),
        ("callback", ctypes.c_double),
        ("syncs", ctypes.c_size_t),
        ("launches", ctypes.c_size_t),
        ("device_objective", ctypes.c_double),
        ("device_hessian", ctypes.c_double),
        ("device_other", ctypes.c_double),
        ("device_transfer", ctypes.c_double),
        ("hessian_bytes", ctypes.c_double),
    ]


class Result(ctypes.Structure):
    _fields_ = [
        ("n", ctypes.c_size_t),
        ("x", c_double_p),
        ("fun", ctypes.c_double),
        ("jac", c_double_p),
        ("hess_inv", c_double_p),
        ("nit", ctypes.c_size_t),
        ("nfev", ctypes.c_size_t),
        ("njev", ctypes.c_size_t),
        ("status", ctypes.c_int),
        ("success", ctypes.c_int),
        ("message", ctypes.c_char * 128),
        ("skipped_updates", ctypes.c_size_t),
        ("precision", ctypes.c_int),
        ("time", Timings),
    ]


class BatchResult(ctypes.Structure):
    _fields_ = [
        ("P", ctypes.c_size_t),
        ("n", ctypes.c_size_t),
        ("x", c_double_p),
        ("fun", c_double_p),
        ("jac", c_double_p),
        ("nit", c_size_t_p),
        ("nfev", c_size_t_p),
        ("njev", c_size_t_p),
        ("status", c_int_p),
        ("converged", ctypes.c_size_t),
        ("skipped_updates", ctypes.c_size_t),
        ("precision", ctypes.c_int),
        ("local_hessian", ctypes.c_int),
        ("work_items", ctypes.c_size_t),
        ("total", ctypes.c_double),
        ("setup", ctypes.c_double),
    ]


# ---- finding the library ---------------------------------------------------

def _build_tree_candidates():
    """The library of the clone this package sits in (an editable install,
    or PYTHONPATH=python), or of the clone it was installed from (recorded
    at install time in _build_tree.py)."""
    here = Path(__file__).resolve().parent
    roots = [here.parent.parent]
    try:
        from ._build_tree import BUILD_TREE  # written by setup.py at install
        roots.append(Path(BUILD_TREE))
    except ImportError:
        pass
    names = ("libclbfgs.so.0", "libclbfgs.so", "libclbfgs.0.dylib", "libclbfgs.dylib")
    return [str(root / ".libs" / name) for root in roots for name in names]


def _system_candidates():
    names = ["libclbfgs.so.0", "libclbfgs.so", "libclbfgs.0.dylib"]
    found = ctypes.util.find_library("clbfgs")
    if found:
        names.insert(0, found)
    dirs = [Path(sys.prefix) / "lib", Path("/usr/local/lib"), Path("/usr/local/lib64"),
            Path("/usr/lib"), Path("/usr/lib64")]
    # the plain names go through the dynamic loader's own search (ld.so.conf,
    # LD_LIBRARY_PATH); the paths cover a `make install` not yet in its cache
    return names + [str(d / n) for d in dirs for n in names[-3:]]


def _load():
    override = os.environ.get("CLBFGS_LIBRARY")
    if override:
        try:
            return ctypes.CDLL(override)
        except OSError as e:
            raise LibraryNotFound(
                f"clbfgs: CLBFGS_LIBRARY={override!r} could not be loaded: {e}") from None
    tried = []
    for cand in _build_tree_candidates():
        if os.path.exists(cand):
            try:
                return ctypes.CDLL(cand)
            except OSError as e:
                tried.append(f"{cand}: {e}")
    for cand in _system_candidates():
        if "/" in cand and not os.path.exists(cand):
            continue
        try:
            return ctypes.CDLL(cand)
        except OSError as e:
            tried.append(f"{cand}: {e}")
    detail = "".join(f"\n  {t}" for t in tried)
    raise LibraryNotFound(
        "clbfgs: the C library libclbfgs was not found. Build it (./quickstart demo, or "
        "./configure && make) and `make install`, install this package from the built clone, "
        "or set CLBFGS_LIBRARY to the path of libclbfgs.so." + detail)


lib = _load()
LIBRARY_PATH = getattr(lib, "_name", None)


def _proto(name, restype, *argtypes):
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


_st = ctypes.c_int
_vp = ctypes.c_void_p
_vpp = ctypes.POINTER(ctypes.c_void_p)

version = _proto("clbfgs_version", ctypes.c_char_p)
strerror = _proto("clbfgs_strerror", ctypes.c_char_p, _st)
last_error = _proto("clbfgs_last_error", ctypes.c_char_p)
status_message = _proto("clbfgs_status_message", ctypes.c_char_p, ctypes.c_int)
callback_fail = _proto("clbfgs_callback_fail", None, ctypes.c_char_p)

devices = _proto("clbfgs_devices", _st, ctypes.POINTER(ctypes.POINTER(DeviceInfo)),
                 c_size_t_p)
devices_free = _proto("clbfgs_devices_free", None, ctypes.POINTER(DeviceInfo))
select_device = _proto("clbfgs_select_device", _st, ctypes.c_char_p, ctypes.POINTER(DeviceInfo))
device_type_name = _proto("clbfgs_device_type_name", ctypes.c_char_p, ctypes.c_int)

context_options_init_size = _proto("clbfgs_context_options_init_size", None,
                                   ctypes.POINTER(ContextOptions), ctypes.c_size_t)
context_new = _proto("clbfgs_context_new", _st, _vpp, ctypes.POINTER(ContextOptions))
context_adopt = _proto("clbfgs_context_adopt", _st, _vpp, _vp, _vp, _vp,
                       ctypes.POINTER(ContextOptions))
context_free = _proto("clbfgs_context_free", None, _vp)
context_device = _proto("clbfgs_context_device", _st, _vp, ctypes.POINTER(DeviceInfo))
context_cl_context = _proto("clbfgs_context_cl_context", _vp, _vp)
context_queue = _proto("clbfgs_context_queue", _vp, _vp)

source_options_init_size = _proto("clbfgs_source_options_init_size", None,
                                  ctypes.POINTER(SourceOptions), ctypes.c_size_t)
terms_options_init_size = _proto("clbfgs_terms_options_init_size", None,
                                 ctypes.POINTER(TermsOptions), ctypes.c_size_t)
objective_source = _proto("clbfgs_objective_source", _st, _vpp, ctypes.c_char_p,
                          ctypes.c_char_p, ctypes.POINTER(SourceOptions))
objective_terms = _proto("clbfgs_objective_terms", _st, _vpp, ctypes.c_char_p, ctypes.c_char_p,
                         ctypes.c_size_t, ctypes.POINTER(TermsOptions))
objective_builtin = _proto("clbfgs_objective_builtin", _st, _vpp, ctypes.c_char_p)
objective_host = _proto("clbfgs_objective_host", _st, _vpp, HOST_FN, _vp)
objective_free = _proto("clbfgs_objective_free", None, _vp)
objective_set_arg_typed = _proto("clbfgs_objective_set_arg_typed", _st, _vp, ctypes.c_uint,
                                 ctypes.c_char_p, ctypes.c_size_t, _vp)
objective_set_arg_real = _proto("clbfgs_objective_set_arg_real", _st, _vp, ctypes.c_uint,
                                ctypes.c_double)
objective_set_arg_reals = _proto("clbfgs_objective_set_arg_reals", _st, _vp, ctypes.c_uint,
                                 c_double_p, ctypes.c_size_t)
objective_set_arg_buffer = _proto("clbfgs_objective_set_arg_buffer", _st, _vp, ctypes.c_uint,
                                  cl_mem)
objective_set_arg = _proto("clbfgs_objective_set_arg", _st, _vp, ctypes.c_uint, ctypes.c_size_t,
                           _vp)
objective_set_arg_per_problem = _proto("clbfgs_objective_set_arg_per_problem", _st, _vp,
                                       ctypes.c_uint, ctypes.c_size_t)

options_init_size = _proto("clbfgs_options_init_size", None, ctypes.POINTER(Options),
                           ctypes.c_size_t)
minimize = _proto("clbfgs_minimize", _st, _vp, _vp, ctypes.c_size_t, c_double_p,
                  ctypes.POINTER(Options), ctypes.POINTER(Result))
result_free = _proto("clbfgs_result_free", None, ctypes.POINTER(Result))
minimize_batch = _proto("clbfgs_minimize_batch", _st, _vp, _vp, ctypes.c_size_t,
                        ctypes.c_size_t, c_double_p, ctypes.POINTER(Options),
                        ctypes.POINTER(BatchResult))
batch_result_free = _proto("clbfgs_batch_result_free", None, ctypes.POINTER(BatchResult))


def error_message():
    return last_error().decode("utf-8", "replace")


def check(status, what=None):
    """Raises Error for a failing status, with the library's message."""
    if status != SUCCESS:
        msg = error_message() or strerror(status).decode()
        raise Error(status, f"{what}: {msg}" if what else msg)


def new_options():
    o = Options()
    options_init_size(ctypes.byref(o), ctypes.sizeof(o))
    return o


def new_context_options():
    o = ContextOptions()
    context_options_init_size(ctypes.byref(o), ctypes.sizeof(o))
    return o


def new_source_options():
    o = SourceOptions()
    source_options_init_size(ctypes.byref(o), ctypes.sizeof(o))
    return o


def new_terms_options():
    o = TermsOptions()
    terms_options_init_size(ctypes.byref(o), ctypes.sizeof(o))
    return o
