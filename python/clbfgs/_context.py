"""Devices and contexts.

A Context is one device, its OpenCL context and queue, and the programs built
on it. Creating one costs milliseconds and compiling kernels seconds (pocl),
so minimize() keeps one per device selector and thread and reuses it; pass a
Context of your own to control its lifetime, its cache directory or its log.
"""

import ctypes
import threading
from dataclasses import dataclass

from . import _lib as L

_TYPES = {1: "cpu", 2: "gpu", 3: "accelerator", 4: "other"}


@dataclass(frozen=True)
class Device:
    """One OpenCL device, as ``clbfgs devices`` lists it. ``selector`` is
    "P:D", accepted wherever a device is taken."""
    index: int
    platform_index: int
    device_index: int
    type: str
    name: str
    vendor: str
    platform: str
    opencl_version: str
    driver_version: str
    has_fp64: bool
    global_mem_bytes: int
    max_alloc_bytes: int
    compute_units: int
    max_work_group_size: int

    @property
    def selector(self):
        return f"{self.platform_index}:{self.device_index}"

    def __str__(self):
        fp64 = "fp64" if self.has_fp64 else "no fp64"
        return (f"{self.index}  {self.selector}  {self.type:<4} {self.name} "
                f"({self.platform}; {self.opencl_version}; {fp64}; "
                f"{self.global_mem_bytes / 2**30:.1f} GiB)")


def _device(info):
    s = lambda b: b.decode("utf-8", "replace")  # noqa: E731
    return Device(info.index, info.platform_index, info.device_index,
                  _TYPES.get(info.type, "other"), s(info.name), s(info.vendor),
                  s(info.platform_name), s(info.opencl_version), s(info.driver_version),
                  bool(info.has_fp64), int(info.global_mem_bytes), int(info.max_alloc_bytes),
                  int(info.compute_units), int(info.max_work_group_size))


def devices():
    """Every OpenCL device of every platform, as a list of Device. Raises
    clbfgs.Error when no OpenCL platform is installed."""
    lst = ctypes.POINTER(L.DeviceInfo)()
    count = ctypes.c_size_t()
    L.check(L.devices(ctypes.byref(lst), ctypes.byref(count)))
    try:
        return [_device(lst[i]) for i in range(count.value)]
    finally:
        L.devices_free(lst)


def select_device(selector=None):
    """The Device a selector names (as the CLI's --device): None or "" for
    $CLBFGS_DEVICE, else the first GPU, else the first device; "N"; "P:D";
    "gpu"/"cpu"/"accelerator"; or a part of the name, vendor or platform.
    Raises clbfgs.Error (listing the devices) when nothing matches."""
    if isinstance(selector, Device):
        selector = selector.selector
    info = L.DeviceInfo()
    sel = None if selector is None else str(selector).encode()
    L.check(L.select_device(sel, ctypes.byref(info)))
    return _device(info)


_LEVELS = {"error": 0, "warning": 1, "info": 2, "debug": 3}


def _is_pyopencl(obj, cls_name):
    t = type(obj)
    return t.__module__.split(".")[0] == "pyopencl" and t.__name__ == cls_name


class Context:
    """A device with its OpenCL context, queue and built programs.

    ``Context(device=None)`` opens a device by selector (see select_device) or
    Device. ``device`` may also be a ``pyopencl.CommandQueue`` (its context,
    device and queue are used) or a ``pyopencl.Context`` (its first device,
    on a new queue): buffers made with pyopencl on it can then be passed as
    data. ``cache_dir`` and ``disk_cache`` control the on-disk program cache;
    ``log`` is a callable ``log(level, message)`` (level "error", "warning",
    "info" or "debug") that receives the library's messages up to
    ``log_level``; ``profile=True`` times the device phases.

    A Context is not thread-safe: use one per thread. ``close()`` (or a
    ``with`` block) releases it; so does garbage collection.
    """

    def __init__(self, device=None, *, cache_dir=None, disk_cache=True, build_options=None,
                 log=None, log_level="info", profile=False):
        self._handle = None
        self._keep = []  # what the C side points at: strings, the log callback
        self._pyopencl = None
        opts = L.new_context_options()
        if cache_dir is not None:
            opts.cache_dir = self._str(cache_dir)
        opts.disk_cache = 1 if disk_cache else 0
        if build_options:
            opts.build_options = self._str(build_options)
        if log is not None:
            if not callable(log):
                raise TypeError("log must be a callable log(level, message)")
            if log_level not in _LEVELS:
                raise ValueError(f"log_level must be one of {list(_LEVELS)}, not {log_level!r}")
            names = {v: k for k, v in _LEVELS.items()}

            def _log(user, level, message, _log=log):
                try:
                    _log(names.get(level, "debug"), message.decode("utf-8", "replace"))
                except Exception:  # a log function must not break a run
                    pass
            cb = L.LOG_FN(_log)
            self._keep.append(cb)
            opts.log = cb
            opts.log_level = _LEVELS[log_level]
        opts.profile = 1 if profile else 0
        handle = ctypes.c_void_p()
        if _is_pyopencl(device, "CommandQueue") or _is_pyopencl(device, "Context"):
            import pyopencl as cl
            if _is_pyopencl(device, "Context"):
                queue = cl.CommandQueue(device, device.devices[0],
                                        properties=(cl.command_queue_properties.PROFILING_ENABLE
                                                    if profile else 0))
            else:
                queue = device
            self._pyopencl = queue
            L.check(L.context_adopt(ctypes.byref(handle), queue.context.int_ptr,
                                    queue.device.int_ptr, queue.int_ptr, ctypes.byref(opts)))
        else:
            if isinstance(device, Device):
                device = device.selector
            if device is not None:
                opts.device = self._str(str(device))
            L.check(L.context_new(ctypes.byref(handle), ctypes.byref(opts)))
        self._handle = handle
        info = L.DeviceInfo()
        L.check(L.context_device(handle, ctypes.byref(info)))
        self.device = _device(info)

    def _str(self, s):
        b = str(s).encode()
        self._keep.append(b)
        return b

    @property
    def handle(self):
        if not self._handle:
            raise ValueError("this clbfgs.Context has been closed")
        return self._handle

    @property
    def cl_context(self):
        """The cl_context as an integer (pyopencl.Context.from_int_ptr takes it)."""
        return L.context_cl_context(self.handle)

    @property
    def cl_queue(self):
        """The cl_command_queue as an integer."""
        return L.context_queue(self.handle)

    def close(self):
        if self._handle:
            L.context_free(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        state = "closed" if not self._handle else self.device.name
        return f"<clbfgs.Context {state}>"


_local = threading.local()


def context_for(device):
    """A Context for `device`: the argument itself when it is one, else one
    kept per selector and thread (the programs it built stay built)."""
    if isinstance(device, Context):
        return device
    if _is_pyopencl(device, "CommandQueue") or _is_pyopencl(device, "Context"):
        key = ("pyopencl", device.int_ptr)
    else:
        key = device.selector if isinstance(device, Device) else device
    cache = getattr(_local, "contexts", None)
    if cache is None:
        cache = _local.contexts = {}
    ctx = cache.get(key)
    if ctx is None:
        ctx = cache[key] = Context(device)
    return ctx
