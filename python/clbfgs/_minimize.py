"""minimize(), the SciPy method callables bfgs and lbfgsb, and
minimize_batch()."""

import ctypes
import inspect
import math
import warnings

import numpy as np

from . import _lib as L
from ._context import context_for
from ._objective import Objective

try:
    from scipy.optimize import OptimizeResult, OptimizeWarning
except ImportError:  # SciPy is optional: the same fields, as a dict with attributes
    class OptimizeResult(dict):
        """The result of a run, with SciPy's fields (x, fun, jac, nit, nfev,
        njev, status, success, message, ...) as keys and attributes."""

        def __getattr__(self, name):
            try:
                return self[name]
            except KeyError as e:
                raise AttributeError(name) from e

        __setattr__ = dict.__setitem__
        __delattr__ = dict.__delitem__

        def __dir__(self):
            return list(self.keys())

    class OptimizeWarning(UserWarning):
        pass

_EPS = np.finfo(float).eps
STOP_ITERATION_MESSAGE = "`callback` raised `StopIteration`."

# SciPy's option names, per method, and what they become here.
_BFGS_OPTIONS = {"gtol", "norm", "maxiter", "xrtol", "c1", "c2", "eps", "hess_inv0",
                 "return_hess_inv", "disp", "return_all", "finite_diff_rel_step"}
_LBFGSB_OPTIONS = {"maxcor", "ftol", "gtol", "eps", "maxfun", "maxiter", "maxls", "disp",
                   "iprint", "finite_diff_rel_step", "workers"}
_OURS = {"precision", "single_kernel"}


def _x0_array(x0):
    if np.iscomplexobj(x0):
        raise ValueError("x0 must be real, not complex")
    try:
        x = np.asarray(x0, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"x0 must be a 1-D array of real numbers: {e}") from None
    if x.ndim == 0:
        x = x.reshape(1)  # SciPy takes a scalar x0 as one variable
    if x.ndim != 1:
        raise ValueError(f"x0 must be 1-D (n values), not of shape {x.shape}; "
                         "for many starting points use clbfgs.minimize_batch")
    if x.size == 0:
        raise ValueError("x0 is empty")
    if not np.all(np.isfinite(x)):
        i = int(np.flatnonzero(~np.isfinite(x))[0])
        raise ValueError(f"x0[{i}] = {x[i]} is not finite")
    return np.ascontiguousarray(x)


def _bounds_arrays(bounds, n):
    """(lower, upper) as float arrays of n, from SciPy's forms: a Bounds
    object, or a sequence of (min, max) pairs with None for no bound."""
    if bounds is None:
        return None, None
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):
        lb = np.broadcast_to(np.asarray(bounds.lb, dtype=float), (n,)).copy()
        ub = np.broadcast_to(np.asarray(bounds.ub, dtype=float), (n,)).copy()
    else:
        try:
            pairs = list(bounds)
        except TypeError:
            raise ValueError("bounds must be a scipy.optimize.Bounds or a sequence of "
                             "(min, max) pairs") from None
        if len(pairs) != n:
            raise ValueError(f"bounds has {len(pairs)} pairs for x0 of {n} values")
        lb, ub = np.empty(n), np.empty(n)
        for i, p in enumerate(pairs):
            try:
                lo, hi = p
            except (TypeError, ValueError):
                raise ValueError(f"bounds[{i}] = {p!r} is not a (min, max) pair") from None
            lb[i] = -np.inf if lo is None else float(lo)
            ub[i] = np.inf if hi is None else float(hi)
    if np.any(np.isnan(lb)) or np.any(np.isnan(ub)):
        raise ValueError("bounds must not be NaN (use None or +-inf for no bound)")
    bad = np.flatnonzero(lb > ub)
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"bounds[{i}]: lower {lb[i]} > upper {ub[i]}")
    return np.ascontiguousarray(lb), np.ascontiguousarray(ub)


class _Call:
    """The Python side of a run: the host objective and the iteration
    callback as C function pointers, and what they met. An exception stops
    the run (clbfgs_callback_fail) and is raised again once clbfgs_minimize
    has returned and released everything."""

    def __init__(self, fun, jac, args, n, fd_step, bounds, callback):
        self.fun, self.jac, self.args, self.n = fun, jac, tuple(args), n
        self.fd_step = fd_step  # None, ("abs", eps) or ("rel", rel_step)
        self.lb, self.ub = bounds
        self.exc = None
        self.stopped = False  # the callback raised StopIteration
        self.nfev = 0         # calls of fun (forward differences count each)
        self.njev = 0
        self._xaddr = self._gaddr = None
        self.host_fn = L.HOST_FN(self._host) if fun is not None else None
        self.callback_fn = None
        if callback is not None:
            self.user_callback = callback
            try:
                params = set(inspect.signature(callback).parameters)
            except (TypeError, ValueError):
                params = set()
            self.new_style = params == {"intermediate_result"}
            self.callback_fn = L.CALLBACK_FN(self._callback)

    def _fail(self, e):
        self.exc = e
        try:
            L.callback_fail(f"{type(e).__name__}: {e}".encode("utf-8", "replace"))
        except Exception:
            L.callback_fail(type(e).__name__.encode())
        return 1

    def _f(self, x):
        self.nfev += 1
        fx = self.fun(x, *self.args)
        if not np.isscalar(fx):
            try:
                fx = np.asarray(fx).item()
            except (TypeError, ValueError) as e:
                raise ValueError("The user-provided objective function must return a "
                                 "scalar value.") from e
        return float(fx)

    def _gradient(self, x, g):
        if self.jac is not None:
            self.njev += 1
            gx = np.atleast_1d(np.asarray(self.jac(x, *self.args), dtype=np.float64))
            if gx.shape != (self.n,):
                raise ValueError(f"jac returned an array of shape {gx.shape}; x has "
                                 f"{self.n} values")
            g[:] = gx

    def _host(self, user, xaddr, n, faddr, gaddr):
        try:
            if xaddr != self._xaddr:  # the library keeps its host copies for the run
                self._xv = np.ctypeslib.as_array((ctypes.c_double * n).from_address(xaddr))
                self._xaddr = xaddr
            if gaddr != self._gaddr:
                self._gv = np.ctypeslib.as_array((ctypes.c_double * n).from_address(gaddr))
                self._gaddr = gaddr
            x = self._xv.copy()
            # an array of our own: the library's g is freed when the run
            # ends, and a traceback must not keep a view of it
            g = np.empty(n)
            if self.jac is True:
                self.njev += 1
                self.nfev += 1
                out = self.fun(x, *self.args)
                try:
                    fx, gx = out
                except (TypeError, ValueError):
                    raise ValueError("with jac=True, fun must return (f, gradient)") from None
                f = float(np.asarray(fx).item())
                gx = np.atleast_1d(np.asarray(gx, dtype=np.float64))
                if gx.shape != (n,):
                    raise ValueError(f"fun returned a gradient of shape {gx.shape}; x has "
                                     f"{n} values")
                g[:] = gx
            elif self.fd_step is not None:
                f = self._f(x)
                self.njev += 1
                self._forward_differences(x, f, g)
            else:
                f = self._f(x)
                self._gradient(x, g)
            self._gv[:] = g
            ctypes.c_double.from_address(faddr).value = f
            return 0
        except BaseException as e:  # KeyboardInterrupt too: stop, then raise it
            return self._fail(e)

    def _forward_differences(self, x0, f0, g):
        """SciPy's 2-point rule (approx_derivative): the step, its fallback
        where x + h == x, and its turn away from a bound."""
        kind, step = self.fd_step
        sign = (x0 >= 0).astype(float) * 2 - 1
        rel = sign * np.maximum(1.0, np.abs(x0)) * math.sqrt(_EPS)
        if kind == "abs":
            h = np.full_like(x0, step)
            h = np.where((x0 + h) - x0 == 0, rel, h)
        else:
            h = rel if step is None else step * sign * np.abs(x0)
            if step is not None:
                h = np.where((x0 + h) - x0 == 0, rel, h)
        if self.lb is not None:
            lower_dist, upper_dist = x0 - self.lb, self.ub - x0
            x = x0 + h
            violated = (x < self.lb) | (x > self.ub)
            fitting = np.abs(h) <= np.maximum(lower_dist, upper_dist)
            h = h.copy()
            h[violated & fitting] *= -1
            forward = (upper_dist >= lower_dist) & ~fitting
            h[forward] = upper_dist[forward]
            backward = (upper_dist < lower_dist) & ~fitting
            h[backward] = -lower_dist[backward]
        for i in range(self.n):
            if self.lb is not None and self.lb[i] == self.ub[i]:
                g[i] = 0.0  # fixed by its bounds (SciPy's minimize drops it)
                continue
            x = x0.copy()
            x[i] = x0[i] + h[i]
            dx = x[i] - x0[i]
            g[i] = (self._f(x) - f0) / dx

    def _callback(self, user, it):
        try:
            it = it.contents
            x = np.ctypeslib.as_array(it.x, (it.n,)).copy()
            if self.new_style:
                self.user_callback(intermediate_result=OptimizeResult(x=x, fun=it.f))
            else:
                self.user_callback(x)
            return 0
        except StopIteration:
            self.stopped = True
            return 1
        except BaseException as e:
            return self._fail(e)


def _array(ptr, shape, dtype=np.float64):
    if not ptr:
        return None
    count = int(np.prod(shape))
    return np.ctypeslib.as_array(ptr, (count,)).astype(dtype, copy=True).reshape(shape)


def _opt(options, name, default=None):
    v = options.get(name, default)
    return default if v is None else v


def _configure(o, method, options, n, lb, ub):
    """Fills the C options from SciPy's option names (the given method's)."""
    known = (_BFGS_OPTIONS if method == L.METHOD_BFGS else _LBFGSB_OPTIONS) | _OURS | {"tol"}
    unknown = sorted(set(options) - known)
    if unknown:
        warnings.warn(f"Unknown solver options: {', '.join(unknown)}", OptimizeWarning,
                      stacklevel=4)
    tol = options.get("tol")
    o.method = method
    o.gtol = float(_opt(options, "gtol", 1e-5 if tol is None else tol))
    maxiter = _opt(options, "maxiter", 0)
    if maxiter < 0:
        raise ValueError(f"maxiter must be >= 0, not {maxiter}")
    if maxiter == 0 and options.get("maxiter") is not None:
        # the library reads 0 as its default (200 n; 15000)
        if method == L.METHOD_BFGS:
            raise ValueError("maxiter=0 is not supported with BFGS: clbfgs takes at least "
                             "one iteration")
        maxiter = 1  # SciPy's L-BFGS-B tests the limit after an iteration: 0 acts as 1
    o.maxiter = int(maxiter)
    if options.get("eps") is not None:
        o.eps = float(options["eps"])
    prec = options.get("precision", "auto")
    if prec not in L.PRECISIONS:
        raise ValueError(f"precision must be 'auto', 'double' or 'float', not {prec!r}")
    o.precision = L.PRECISIONS[prec]
    sk = options.get("single_kernel", "auto")
    sk_map = {"auto": 0, "never": -1, "always": 1, 0: 0, -1: -1, 1: 1}
    if sk not in sk_map:
        raise ValueError(f"single_kernel must be 'auto', 'never' or 'always', not {sk!r}")
    o.single_kernel = sk_map[sk]
    keep = []
    if method == L.METHOD_BFGS:
        if options.get("return_all"):
            raise ValueError("return_all is not supported (the iterates stay on the device); "
                             "collect them with a callback")
        for name in ("norm", "xrtol", "c1", "c2"):
            if options.get(name) is not None:
                setattr(o, name, float(options[name]))
        h0 = options.get("hess_inv0")
        if h0 is not None:
            h0 = np.ascontiguousarray(h0, dtype=np.float64)
            if h0.shape != (n, n):
                raise ValueError(f"hess_inv0 must be {n} x {n}, not {h0.shape}")
            keep.append(h0)
            o.hess_inv0 = h0.ctypes.data_as(L.c_double_p)
        o.return_hess_inv = 1 if options.get("return_hess_inv") else 0
    else:
        if options.get("maxcor") is not None:
            o.m = int(options["maxcor"])
        if options.get("ftol") is not None or tol is not None:
            o.ftol = float(_opt(options, "ftol", tol))
        if options.get("maxfun") is not None:
            # SciPy tests it after an iteration too: 0 acts as 1 (the library refuses 0)
            o.maxfun = max(1, int(options["maxfun"]))
        if options.get("maxls") is not None:
            o.maxls = int(options["maxls"])
        if options.get("workers") not in (None, 1):
            raise ValueError("workers is not supported: the device evaluates in parallel")
        if lb is not None:
            keep += [lb, ub]
            o.lower = lb.ctypes.data_as(L.c_double_p)
            o.upper = ub.ctypes.data_as(L.c_double_p)
    return keep


def _result(r, n, call, method):
    res = OptimizeResult(
        x=_array(r.x, (n,)), fun=float(r.fun), jac=_array(r.jac, (n,)),
        nit=int(r.nit), nfev=int(r.nfev), njev=int(r.njev), status=int(r.status),
        success=bool(r.success), message=r.message.decode("utf-8", "replace"))
    if r.hess_inv:
        res.hess_inv = _array(r.hess_inv, (n, n))
    if call is not None and call.host_fn is not None:
        res.nfev = call.nfev  # the Python calls of fun, as SciPy counts them
        if call.jac is not True and call.fd_step is None:
            res.njev = call.njev
    if call is not None and call.stopped:
        res.status, res.success, res.message = 99, False, STOP_ITERATION_MESSAGE
    t = r.time
    res.precision = L.PRECISION_NAMES.get(r.precision, "auto")
    res.skipped_updates = int(r.skipped_updates)
    res.time = {name: getattr(t, name) for name, _ in L.Timings._fields_}
    return res


def _disp(res, method):
    if method == L.METHOD_BFGS:
        print(("" if res.success else "Warning: ") + res.message)
        print(f"         Current function value: {res.fun:f}")
        print(f"         Iterations: {res.nit}")
        print(f"         Function evaluations: {res.nfev}")
        print(f"         Gradient evaluations: {res.njev}")
    else:
        print(res.message)


def minimize(fun, x0, args=(), jac=None, callback=None, options=None, device=None, *,
             method="BFGS", bounds=None, tol=None):
    """Minimizes fun from x0 with clbfgs, as scipy.optimize.minimize does.

    fun : callable ``fun(x, *args) -> float`` (the SciPy habit: x crosses to
        Python and f, g back at each evaluation; the O(n^2) or O(mn) work
        stays on the device, except for BFGS at n <= 256, where the whole
        run is on the host), or a device objective (clbfgs.Source,
        clbfgs.Terms, clbfgs.Builtin) whose f and g never leave the device.
    jac : ``True`` (fun returns ``(f, g)``), a callable ``jac(x, *args)``,
        ``None`` (forward differences with an absolute step eps, SciPy's
        default: 1.49e-8 for BFGS, 1e-8 for L-BFGS-B) or ``'2-point'``
        (SciPy's relative step). Ignored for a device objective.
    callback : ``callback(intermediate_result)`` or ``callback(xk)``, after
        each iteration; raising StopIteration ends the run with status 99.
    options : SciPy's options for the method (BFGS: gtol, norm, maxiter,
        xrtol, c1, c2, eps, hess_inv0, disp; L-BFGS-B: maxcor, ftol, gtol,
        eps, maxfun, maxiter, maxls, disp), plus ``return_hess_inv`` (BFGS:
        the result's hess_inv), ``precision`` ('auto', 'double', 'float')
        and ``single_kernel`` ('auto', 'never', 'always').
    device : a selector ("cpu", "gpu", "pocl", "0:1"), a clbfgs.Device, a
        clbfgs.Context, or a pyopencl CommandQueue or Context; None for
        $CLBFGS_DEVICE, else the first GPU, else the first device.
    method : 'BFGS' (dense inverse Hessian) or 'L-BFGS-B' (with ``bounds``:
        a scipy.optimize.Bounds or (min, max) pairs, None for no bound).
    tol : as SciPy's: gtol (and ftol for L-BFGS-B) unless given in options.

    Returns a scipy.optimize.OptimizeResult (x, fun, jac, nit, nfev, njev,
    status, success, message; hess_inv when asked), plus precision,
    skipped_updates and time (seconds by phase, launch and sync counts and
    hessian_bytes). An exception raised by fun,
    jac or callback ends the run and is raised here unchanged; a library
    failure raises clbfgs.Error, whose ``result`` holds the best point
    reached. Wrong shapes and options raise ValueError before anything runs.
    """
    m = {"bfgs": L.METHOD_BFGS, "l-bfgs-b": L.METHOD_LBFGSB, "lbfgsb": L.METHOD_LBFGSB}.get(
        str(method).lower())
    if m is None:
        raise ValueError(f"method must be 'BFGS' or 'L-BFGS-B', not {method!r}")
    x = _x0_array(x0)
    n = x.size
    options = dict(options or {})
    if tol is not None:
        options.setdefault("tol", tol)
    if not isinstance(args, tuple):
        args = (args,)
    if bounds is not None and m == L.METHOD_BFGS:
        raise ValueError("BFGS takes no bounds; use method='L-BFGS-B'")
    lb, ub = _bounds_arrays(bounds, n)
    o = L.new_options()
    keep = _configure(o, m, options, n, lb, ub)
    ctx = context_for(device)
    device_objective = isinstance(fun, Objective)
    if device_objective:
        if args:
            raise ValueError("args are for a Python fun; a device objective takes its data "
                             "in its own args")
        call = _Call(None, None, (), n, None, (None, None), callback)
        handle = fun._handle(ctx)
        owned = None
    else:
        if not callable(fun):
            raise TypeError(f"fun must be callable or a clbfgs device objective, not "
                            f"{type(fun).__name__}")
        fd = None
        if jac is None or jac is False:
            fd = ("abs", float(options["eps"]) if options.get("eps") is not None else
                  (1e-8 if m == L.METHOD_LBFGSB else math.sqrt(_EPS)))
        elif isinstance(jac, str):
            if jac != "2-point":
                raise ValueError(f"jac={jac!r} is not supported: use True, a callable, None "
                                 "or '2-point'")
            # SciPy's relative step; finite_diff_rel_step replaces its sqrt(eps)
            # (with jac=None the absolute step eps wins, as in SciPy)
            rel = options.get("finite_diff_rel_step")
            fd = ("rel", None if rel is None else float(rel))
        elif jac is not True and not callable(jac):
            raise TypeError("jac must be True, a callable, None or '2-point'")
        call = _Call(fun, None if fd else jac, args, n, fd, (lb, ub), callback)
        owned = ctypes.c_void_p()
        L.check(L.objective_host(ctypes.byref(owned), call.host_fn, None))
        handle = owned
    if call.callback_fn is not None:
        o.callback = call.callback_fn
    r = L.Result()
    try:
        status = L.minimize(ctx.handle, handle, n, x.ctypes.data_as(L.c_double_p),
                            ctypes.byref(o), ctypes.byref(r))
        message = L.error_message() if status != L.SUCCESS else ""
        res = _result(r, n, call, m)
    finally:
        L.result_free(ctypes.byref(r))
        if owned is not None:
            L.objective_free(owned)
        # the views of the library's x and g (freed now) must not outlive the run
        call._xv = call._gv = call._xaddr = call._gaddr = None
    del keep
    if call.exc is not None:
        exc = call.exc
        call.exc = None
        raise exc
    if status != L.SUCCESS:
        raise L.Error(status, message, res)
    if options.get("disp"):
        _disp(res, m)
    return res


def _method(m):
    def method(fun, x0, args=(), jac=None, hess=None, hessp=None, bounds=None,
               constraints=(), callback=None, **options):
        if hess is not None or hessp is not None:
            warnings.warn("clbfgs does not use Hessian information (hess, hessp)",
                          RuntimeWarning, stacklevel=3)
        if constraints:
            raise ValueError("clbfgs cannot handle constraints")
        if bounds is not None and m == L.METHOD_BFGS:
            warnings.warn("Method clbfgs.bfgs cannot handle bounds.", RuntimeWarning,
                          stacklevel=3)
            bounds = None
        device = options.pop("device", None)
        # scipy.optimize.minimize wraps fun for jac=True (MemoizeJac) and
        # passes jac=fun.derivative: undo it, so each point is one call.
        if getattr(jac, "__func__", None) is not None and \
                getattr(jac.__self__, "derivative", None) is not None and \
                type(jac.__self__).__name__ == "MemoizeJac":
            fun, jac = jac.__self__.fun, True
        return minimize(fun, x0, args=args, jac=jac, callback=callback, options=options,
                        device=device, method="BFGS" if m == L.METHOD_BFGS else "L-BFGS-B",
                        bounds=bounds)
    return method


bfgs = _method(L.METHOD_BFGS)
bfgs.__name__ = bfgs.__qualname__ = "bfgs"
bfgs.__doc__ = """BFGS on clbfgs, as a method for scipy.optimize.minimize:

    scipy.optimize.minimize(fun, x0, jac=..., method=clbfgs.bfgs, options={...})

SciPy's BFGS options (gtol, norm, maxiter, xrtol, c1, c2, eps, hess_inv0,
disp) and tol mean what they mean there; clbfgs adds return_hess_inv,
precision, single_kernel and device (a selector or Context)."""

lbfgsb = _method(L.METHOD_LBFGSB)
lbfgsb.__name__ = lbfgsb.__qualname__ = "lbfgsb"
lbfgsb.__doc__ = """L-BFGS-B on clbfgs, as a method for scipy.optimize.minimize:

    scipy.optimize.minimize(fun, x0, jac=..., bounds=..., method=clbfgs.lbfgsb)

SciPy's L-BFGS-B options (maxcor, ftol, gtol, eps, maxfun, maxiter, maxls,
disp) and tol (ftol and gtol) mean what they mean there; clbfgs adds
precision and device."""


def minimize_batch(fun, x0, options=None, device=None):
    """Minimizes P independent problems of one device objective (a
    clbfgs.Terms, or Builtin "rosen", "ext-rosenbrock", "quadratic"), each
    from its own row of x0 (P x n), in one run on the device (BFGS; n up to
    1024). Data that differ between problems are PerProblem arguments of
    the objective.

    Returns an OptimizeResult of arrays: x (P x n), fun (P), jac (P x n),
    nit, nfev, njev, status (P each), success (P booleans), message (P
    strings), plus converged, precision, local_hessian, work_items, total
    and setup (seconds).
    """
    if not isinstance(fun, Objective):
        raise TypeError("minimize_batch takes a device objective (clbfgs.Terms or "
                        "clbfgs.Builtin)")
    try:
        x = np.asarray(x0, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"x0 must be a P x n array of real numbers: {e}") from None
    if x.ndim != 2:
        raise ValueError(f"x0 must be 2-D (P x n: one starting point per row), not of "
                         f"shape {x.shape}")
    P, n = x.shape
    if P == 0 or n == 0:
        raise ValueError(f"x0 of shape {x.shape} holds no problem")
    if not np.all(np.isfinite(x)):
        p, i = (int(v[0]) for v in np.nonzero(~np.isfinite(x)))
        raise ValueError(f"x0[{p}, {i}] = {x[p, i]} is not finite")
    x = np.ascontiguousarray(x)
    options = dict(options or {})
    o = L.new_options()
    keep = _configure(o, L.METHOD_BFGS, options, n, None, None)
    ctx = context_for(device)
    handle = fun._handle(ctx)
    for index, count in fun._per_problem_counts(P):
        L.check(L.objective_set_arg_per_problem(handle, index, count))
    r = L.BatchResult()
    try:
        status = L.minimize_batch(ctx.handle, handle, n, P, x.ctypes.data_as(L.c_double_p),
                                  ctypes.byref(o), ctypes.byref(r))
        L.check(status)
        st = _array(r.status, (P,), np.int64)
        res = OptimizeResult(
            x=_array(r.x, (P, n)), fun=_array(r.fun, (P,)), jac=_array(r.jac, (P, n)),
            nit=_array(r.nit, (P,), np.int64), nfev=_array(r.nfev, (P,), np.int64),
            njev=_array(r.njev, (P,), np.int64), status=st, success=st == 0,
            message=[L.status_message(int(s)).decode() for s in st],
            converged=int(r.converged), precision=L.PRECISION_NAMES.get(r.precision, "auto"),
            local_hessian=bool(r.local_hessian), work_items=int(r.work_items),
            total=float(r.total), setup=float(r.setup))
    finally:
        L.batch_result_free(ctypes.byref(r))
    del keep
    return res
