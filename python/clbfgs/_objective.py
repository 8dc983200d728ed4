"""Objectives that run on the device: OpenCL C source, term functions and the
built-ins. f and g never come back to Python; only a few scalars per
iteration cross to the host.

Data arguments are given as Python values, in the order the kernel (or the
term function) declares them after its fixed parameters:

- a NumPy array of floats (float64 or float32) for a ``__global const real *``:
  copied to the device once, in the run's precision, and kept there for the
  next runs on the same device;
- a NumPy array of another dtype (int32, uint32, int64, ...) for a
  ``__global const int *`` (and so on): copied to a device buffer as it is;
- a ``pyopencl.Buffer`` (or anything with an ``int_ptr`` to a cl_mem) for a
  pointer argument: used in place (the Context must be on its OpenCL context);
- a Python float for a ``real``; a Python int for an ``int``; a NumPy scalar
  (``np.uint32(5)``, ``np.float32(0.5)``) for that exact type;
- ``Local(nbytes)`` for ``__local`` memory;
- ``PerProblem(array)`` in a batch: the array holds P equal blocks, problem p
  sees block p.

Each is checked against the kernel's declaration when a run starts; a
mismatch is a clbfgs.Error naming the argument.
"""

import ctypes
import weakref

import numpy as np

from . import _lib as L

_SCALAR_TYPES = {
    np.dtype(np.int8): "char", np.dtype(np.uint8): "uchar",
    np.dtype(np.int16): "short", np.dtype(np.uint16): "ushort",
    np.dtype(np.int32): "int", np.dtype(np.uint32): "uint",
    np.dtype(np.int64): "long", np.dtype(np.uint64): "ulong",
    np.dtype(np.float16): "half", np.dtype(np.float32): "float",
    np.dtype(np.float64): "double",
}


class Local:
    """``__local`` memory of ``nbytes`` bytes for a kernel argument."""

    def __init__(self, nbytes):
        self.nbytes = int(nbytes)
        if self.nbytes <= 0:
            raise ValueError(f"Local memory needs a positive size, not {nbytes!r}")


class PerProblem:
    """Marks a data argument that holds P equal blocks, one for each problem
    of a batch (see minimize_batch); a single run sees block 0. ``count`` is
    the elements per problem: by default an array's size / P; give it for a
    pyopencl.Buffer."""

    def __init__(self, value, count=None):
        self.value = value
        self.count = None if count is None else int(count)
        if self.count is not None and self.count <= 0:
            raise ValueError(f"PerProblem count must be positive, not {count!r}")


_opencl = None


def _cl():
    """libOpenCL, for the one call we need ourselves: clCreateBuffer."""
    global _opencl
    if _opencl is None:
        lib = None
        for name in ("libOpenCL.so.1", "libOpenCL.so", "/System/Library/Frameworks/OpenCL."
                     "framework/OpenCL"):
            try:
                lib = ctypes.CDLL(name)
                break
            except OSError:
                continue
        if lib is None:
            raise L.Error(L.ERR_NO_PLATFORM, "libOpenCL could not be loaded")
        lib.clCreateBuffer.restype = ctypes.c_void_p
        lib.clCreateBuffer.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_size_t,
                                       ctypes.c_void_p, ctypes.POINTER(ctypes.c_int32)]
        lib.clReleaseMemObject.restype = ctypes.c_int32
        lib.clReleaseMemObject.argtypes = [ctypes.c_void_p]
        _opencl = lib
    return _opencl


def _device_copy(ctx, array, what):
    CL_MEM_READ_ONLY, CL_MEM_COPY_HOST_PTR = 1 << 2, 1 << 5
    a = np.ascontiguousarray(array)
    if a.nbytes == 0:
        raise ValueError(f"{what} is empty")
    err = ctypes.c_int32(0)
    mem = _cl().clCreateBuffer(ctx.cl_context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                               a.nbytes, a.ctypes.data, ctypes.byref(err))
    if err.value != 0 or not mem:
        raise L.Error(L.ERR_OPENCL, f"clCreateBuffer failed with {err.value} for {what} "
                      f"({a.nbytes} bytes)")
    return mem


class Objective:
    """A device objective; build one with Source, Terms or Builtin."""

    _first_arg = 0  # the index the first data argument has in the C API

    def __init__(self, args=()):
        if not isinstance(args, (tuple, list)):
            args = (args,)
        self.args = tuple(args)
        self._handles = {}  # id(Context) -> (weakref to it, C objective)

    def _create(self):
        raise NotImplementedError

    def _set_args(self, handle, ctx):
        for k, value in enumerate(self.args):
            index = self._first_arg + k
            what = f"data argument {k} (index {index})"
            if isinstance(value, PerProblem):  # its counts: _per_problem_counts
                value = value.value
            if isinstance(value, Local):
                L.check(L.objective_set_arg(handle, index, value.nbytes, None), what)
            elif hasattr(value, "int_ptr") and not isinstance(value, np.ndarray):
                L.check(L.objective_set_arg_buffer(handle, index, value.int_ptr), what)
            elif isinstance(value, np.ndarray) and value.ndim >= 1:
                if value.dtype.kind == "f":
                    a = np.ascontiguousarray(value, dtype=np.float64).ravel()
                    if a.size == 0:
                        raise ValueError(f"{what} is an empty array")
                    L.check(L.objective_set_arg_reals(
                        handle, index, a.ctypes.data_as(L.c_double_p), a.size), what)
                elif value.dtype in _SCALAR_TYPES:
                    mem = _device_copy(ctx, value, what)
                    try:
                        L.check(L.objective_set_arg_buffer(handle, index, mem), what)
                    finally:
                        _cl().clReleaseMemObject(mem)  # the objective holds its own reference
                else:
                    raise ValueError(f"{what}: arrays of dtype {value.dtype} are not supported")
            elif isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{what}: a bool has no OpenCL C kernel-argument type; "
                                 "pass np.int32 or np.uint32")
            elif isinstance(value, np.generic) or (isinstance(value, np.ndarray) and
                                                   value.ndim == 0):
                v = np.asarray(value)
                if v.dtype not in _SCALAR_TYPES:
                    raise ValueError(f"{what}: a scalar of dtype {v.dtype} is not supported")
                L.check(L.objective_set_arg_typed(handle, index,
                                                  _SCALAR_TYPES[v.dtype].encode(), v.nbytes,
                                                  v.ctypes.data), what)
            elif isinstance(value, float):
                L.check(L.objective_set_arg_real(handle, index, value), what)
            elif isinstance(value, int):
                info = np.iinfo(np.int32)
                if not info.min <= value <= info.max:
                    raise ValueError(f"{what}: {value} does not fit an int; pass np.int64 "
                                     "or np.uint64 for a long")
                v = np.asarray(value, dtype=np.int32)
                L.check(L.objective_set_arg_typed(handle, index, b"int", 4, v.ctypes.data),
                        what)
            else:
                raise ValueError(f"{what}: cannot pass a {type(value).__name__} to a kernel")

    def _handle(self, ctx):
        """The C objective for runs on ctx, made on first use."""
        entry = self._handles.get(id(ctx))
        if entry is not None and entry[0]() is ctx:
            return entry[1]
        # let go of the C objectives (and their device copies of the data)
        # made for contexts that are gone or closed: a new context can have
        # a dead one's id, and its entry would be overwritten unreleased
        for key, (ref, old) in list(self._handles.items()):
            other = ref()
            if other is None or not other._handle:
                del self._handles[key]
                L.objective_free(old)
        handle = ctypes.c_void_p()
        self._create(handle)
        try:
            self._set_args(handle, ctx)
        except BaseException:
            L.objective_free(handle)
            raise
        self._handles[id(ctx)] = (weakref.ref(ctx), handle)
        return handle

    def _per_problem_counts(self, P):
        """(index, count) for each PerProblem argument of a batch of P."""
        counts = []
        per_problem = [(self._first_arg + k, v) for k, v in enumerate(self.args)
                       if isinstance(v, PerProblem)]
        for index, per in per_problem:
            if per.count is not None:
                counts.append((index, per.count))
                continue
            if not isinstance(per.value, np.ndarray):
                raise ValueError(f"PerProblem argument {index - self._first_arg}: give count "
                                 "(elements per problem) for a buffer")
            size = per.value.size
            if size % P:
                raise ValueError(f"PerProblem argument {index - self._first_arg} has {size} "
                                 f"elements, which do not split into P = {P} equal blocks")
            counts.append((index, size // P))
        return counts

    def close(self):
        for _, handle in self._handles.values():
            L.objective_free(handle)
        self._handles.clear()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def _b(s):
    return None if s is None else str(s).encode()


class Source(Objective):
    """An objective written as an OpenCL C kernel to clbfgs's source contract
    (see the README's "Objectives"):

        __kernel void NAME(const uint n, __global const real *x,
                           __global real *f_terms, __global real *g, ...)

    (without ``g`` when ``gradient=False``: the library then forms the
    gradient by forward differences on the device). ``args`` are the values
    of the parameters after the fixed ones. ``work_size`` is the work-items
    per problem (default n); ``build_options`` extra compiler options;
    ``name`` the file name build logs quote."""

    def __init__(self, source, kernel, args=(), *, gradient=True, work_size=None,
                 build_options=None, name=None):
        super().__init__(args)
        if not isinstance(source, str) or not isinstance(kernel, str):
            raise TypeError("source and kernel must be strings")
        self.source, self.kernel = source, kernel
        self.gradient = bool(gradient)
        self.work_size = 0 if work_size is None else int(work_size)
        if self.work_size < 0:
            raise ValueError("work_size must be positive")
        self.build_options, self.name = build_options, name
        self._first_arg = 4 if self.gradient else 3

    def _create(self, handle):
        o = L.new_source_options()
        keep = [_b(self.name), _b(self.build_options)]
        o.name, o.build_options = keep
        o.gradient = 1 if self.gradient else 0
        o.work_size = self.work_size
        L.check(L.objective_source(ctypes.byref(handle), self.source.encode(),
                                   self.kernel.encode(), ctypes.byref(o)))


class Terms(Objective):
    """A sum over m data items, f = sum_i FUNCTION(i, x, g, data...), with
    FUNCTION written in OpenCL C:

        real FUNCTION(const uint i, const real *x, real *g, <params>)

    ``params`` declares the data parameters ("__global const real *t,
    __global const real *y"); ``args`` gives their values. ``gradient=False``
    drops ``g`` and takes forward differences in the same pass over the data;
    ``least_squares=True`` makes each value a residual r_i, f = 1/2 sum r_i^2.
    The library sums the terms on the device, deterministically."""

    def __init__(self, source, function, m, params=None, args=(), *, gradient=True,
                 least_squares=False, build_options=None, name=None):
        super().__init__(args)
        if not isinstance(source, str) or not isinstance(function, str):
            raise TypeError("source and function must be strings")
        m = int(m)
        if m <= 0:
            raise ValueError(f"m (the number of data items) must be positive, not {m}")
        self.source, self.function, self.m, self.params = source, function, m, params
        self.gradient, self.least_squares = bool(gradient), bool(least_squares)
        self.build_options, self.name = build_options, name

    def _create(self, handle):
        o = L.new_terms_options()
        o.name, o.args, o.build_options = _b(self.name), _b(self.params), _b(self.build_options)
        o.gradient = 1 if self.gradient else 0
        o.least_squares = 1 if self.least_squares else 0
        L.check(L.objective_terms(ctypes.byref(handle), self.source.encode(),
                                  self.function.encode(), self.m, ctypes.byref(o)))


class Builtin(Objective):
    """A built-in problem: "rosen", "ext-rosenbrock" or "quadratic"."""

    def __init__(self, name):
        super().__init__(())
        self.builtin = str(name)

    def _create(self, handle):
        L.check(L.objective_builtin(ctypes.byref(handle), self.builtin.encode()))
