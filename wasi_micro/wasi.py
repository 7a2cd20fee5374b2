# WASI preview1 (`wasi_snapshot_preview1`): the function table, the functions that are not about
# files (args, environ, clocks, random, proc_exit) and `run_command`. wasi_fs.py holds the
# descriptors, wasi_path.py the path calls, wasi_rare.py what few programs call (poll_oneoff,
# sockets, signals, positioned I/O, directory listing ...).
#
# Every handler is fn(wasi, *raw_args) and returns nothing (success) or raises WasiError(errno);
# the wrapper built by Wasi.imports() turns host errors into errnos so no Python exception
# reaches the guest. Exit (proc_exit) unwinds the guest; the host running out of memory traps.
import os
import struct
import sys

from . import compat
from .compat import const
from .errors import Exit, LimitError, Trap, OUT_OF_MEMORY
from .wasi_abi import (
    WasiError, errno_of, membuf, check, put_u32, put_u64,
    EINVAL, EIO,
)
from . import wasi_fs as fs

_CLOCK_NAMES = ("time", "monotonic", "process_time", "thread_time")


def _strings(buf, ptrs, data, items):
    """args_get/environ_get: a pointer array and the NUL-terminated strings it points to."""
    check(buf, ptrs, 4 * len(items))
    check(buf, data, sum(len(s) + 1 for s in items))
    for s in items:
        buf[ptrs:ptrs + 4] = struct.pack("<I", data)
        ptrs += 4
        buf[data:data + len(s)] = s
        data += len(s)
        buf[data] = 0
        data += 1


def _sizes(buf, count_ptr, size_ptr, items):
    check(buf, count_ptr, 4)
    check(buf, size_ptr, 4)
    put_u32(buf, count_ptr, len(items))
    put_u32(buf, size_ptr, sum(len(s) + 1 for s in items))


def args_get(w, argv, argv_buf):
    _strings(membuf(w), argv, argv_buf, w.args)


def args_sizes_get(w, argc, size):
    _sizes(membuf(w), argc, size, w.args)


def environ_get(w, environ, environ_buf):
    _strings(membuf(w), environ, environ_buf, w.env)


def environ_sizes_get(w, count, size):
    _sizes(membuf(w), count, size, w.env)


def clock_now(w, cid):
    if cid == 0:
        return compat.realtime_ns()
    if cid == 1:
        return compat.monotonic_ns()
    if cid > 3:
        raise WasiError(EINVAL)
    t = compat.cputime_ns(cid == 3)
    if t is None:
        # No CPU-time clock (MicroPython): the guest is the only program running, so the time
        # since it started is an honest process (and thread) clock.
        t = compat.monotonic_ns() - w.started
    return t


def clock_res_get(w, cid, ptr):
    buf = membuf(w)
    clock_now(w, cid)  # EINVAL as for the clock itself
    put_u64(buf, ptr, compat.clock_res_ns(_CLOCK_NAMES[cid]))


def clock_time_get(w, cid, precision, ptr):
    buf = membuf(w)
    check(buf, ptr, 8)
    put_u64(buf, ptr, clock_now(w, cid) & 0xFFFFFFFFFFFFFFFF)


def random_get(w, ptr, n):
    buf = membuf(w)
    check(buf, ptr, n)
    while n:
        k = min(n, 256)  # small chunks: os.urandom allocates its result
        buf[ptr:ptr + k] = os.urandom(k)
        ptr += k
        n -= k


def sched_yield(w):
    pass


def proc_exit(w, code):
    raise Exit(code)


# Where a function of TABLE is when it is not here: imported on a guest's first call of one, so
# that a board's RAM is not spent on them for the many programs that never do.
_PATH = const(1)  # wasi_path: a guest names a path
_RARE = const(2)  # wasi_rare: the calls few programs make


def _later(name, where):
    def op(w, *args):
        if where == _RARE:
            from . import wasi_rare as m
        else:
            from . import wasi_path as m
        return getattr(m, name)(w, *args)
    return op


# The 46 functions of wasi_snapshot_preview1: name, signature (params ':' results; i = i32,
# I = i64), handler (or where it is). This table is the coverage list.
TABLE = (
    ("args_get", "ii:i", args_get),
    ("args_sizes_get", "ii:i", args_sizes_get),
    ("environ_get", "ii:i", environ_get),
    ("environ_sizes_get", "ii:i", environ_sizes_get),
    ("clock_res_get", "ii:i", clock_res_get),
    ("clock_time_get", "iIi:i", clock_time_get),
    ("fd_advise", "iIIi:i", _RARE),
    ("fd_allocate", "iII:i", _RARE),
    ("fd_close", "i:i", fs.fd_close),
    ("fd_datasync", "i:i", _RARE),
    ("fd_fdstat_get", "ii:i", fs.fd_fdstat_get),
    ("fd_fdstat_set_flags", "ii:i", _RARE),
    ("fd_fdstat_set_rights", "iII:i", _RARE),
    ("fd_filestat_get", "ii:i", fs.fd_filestat_get),
    ("fd_filestat_set_size", "iI:i", _RARE),
    ("fd_filestat_set_times", "iIIi:i", _RARE),
    ("fd_pread", "iiiIi:i", _RARE),
    ("fd_prestat_get", "ii:i", fs.fd_prestat_get),
    ("fd_prestat_dir_name", "iii:i", fs.fd_prestat_dir_name),
    ("fd_pwrite", "iiiIi:i", _RARE),
    ("fd_read", "iiii:i", fs.fd_read),
    ("fd_readdir", "iiiIi:i", _RARE),
    ("fd_renumber", "ii:i", _RARE),
    ("fd_seek", "iIii:i", fs.fd_seek),
    ("fd_sync", "i:i", _RARE),
    ("fd_tell", "ii:i", fs.fd_tell),
    ("fd_write", "iiii:i", fs.fd_write),
    ("path_create_directory", "iii:i", _PATH),
    ("path_filestat_get", "iiiii:i", _PATH),
    ("path_filestat_set_times", "iiiiIIi:i", _PATH),
    ("path_link", "iiiiiii:i", _PATH),
    ("path_open", "iiiiiIIii:i", _PATH),
    ("path_readlink", "iiiiii:i", _PATH),
    ("path_remove_directory", "iii:i", _PATH),
    ("path_rename", "iiiiii:i", _PATH),
    ("path_symlink", "iiiii:i", _PATH),
    ("path_unlink_file", "iii:i", _PATH),
    ("poll_oneoff", "iiii:i", _RARE),
    ("proc_exit", "i:", proc_exit),
    ("proc_raise", "i:i", _RARE),
    ("random_get", "ii:i", random_get),
    ("sched_yield", ":i", sched_yield),
    ("sock_accept", "iii:i", _RARE),
    ("sock_recv", "iiiiii:i", _RARE),
    ("sock_send", "iiiii:i", _RARE),
    ("sock_shutdown", "ii:i", _RARE),
)


def _guarded(w, name, fn):
    def call(*args):
        try:
            fn(w, *args)
            return 0
        except WasiError as e:
            return e.errno
        except (Exit, Trap):  # a trap here (guest memory the host has no room for) is one
            raise
        except OSError as e:
            return errno_of(e)
        except MemoryError:  # the host's heap ran out, not the guest's request: a clean trap
            raise LimitError(OUT_OF_MEMORY, name)
        except Exception as e:  # a host surprise must not reach the guest
            w.surprise(e)
            return EIO
    return call


def _encode(s):
    return s if isinstance(s, bytes) else s.encode()


class Wasi:
    """The state of one WASI command: arguments, environment, descriptors, guest memory.

    args: argv including the program name; env: dict or [(name, value)] (exactly what the
    guest sees); preopens: [(host dir, guest name)]; streams: binary file-like objects.
    """

    def __init__(self, args=(), env=(), preopens=(), stdin=None, stdout=None, stderr=None):
        self.args = [_encode(a) for a in args]
        items = env.items() if hasattr(env, "items") else env
        self.env = [_encode(k) + b"=" + _encode(v) for k, v in items]
        self.mem = None
        self.inst = None
        self.started = compat.monotonic_ns()  # the process clock's zero where no CPU clock
        self.fds = {
            0: fs.stdio(fs.STDIN, _std(stdin, sys.stdin, True)),
            1: fs.stdio(fs.STDOUT, _std(stdout, sys.stdout, False)),
            2: fs.stdio(fs.STDOUT, _std(stderr, sys.stderr, False)),
        }
        for host, guest in preopens:
            fs.add(self, fs.preopen(host, guest))

    def imports(self, host_func=None):
        """{"wasi_snapshot_preview1": {name: HostFunc}} for instantiate(). The functions are
        made as the module asks for them: a board pays only for the few a program imports."""
        if host_func is None:
            from .runtime import HostFunc as host_func
        return {"wasi_snapshot_preview1": _Functions(self, host_func)}

    def surprise(self, exc):
        """An unexpected host exception in a WASI call (the guest gets EIO); for tests and
        fuzzing to override."""

    def bind(self, instance):
        self.inst = instance
        self.mem = instance.memory()

    def close(self):
        """Close every descriptor (flushing stdout/stderr)."""
        fds = self.fds
        self.fds = {}
        for e in fds.values():
            try:
                fs.close_entry(e)
            except Exception:
                pass


class _Functions:
    """The preview1 functions as a read-only mapping, each built on first lookup."""

    def __init__(self, w, host_func):
        self.w = w
        self.host_func = host_func
        self.made = {}

    def get(self, name, default=None):
        f = self.made.get(name)
        if f is None:
            for row in TABLE:
                if row[0] == name:
                    fn = row[2]
                    if fn == _PATH or fn == _RARE:
                        fn = _later(name, fn)
                    f = self.made[name] = self.host_func(row[1], _guarded(self.w, name, fn))
                    break
            else:
                return default
        return f

    def __getitem__(self, name):
        f = self.get(name)
        if f is None:
            raise KeyError(name)
        return f

    def __contains__(self, name):
        return self.get(name) is not None

    def keys(self):
        return [row[0] for row in TABLE]


def _std(given, default, reading):
    if given is not None:
        return given
    b = getattr(default, "buffer", default)
    # CPython's buffered stdin would wait to fill the whole read: read the raw file.
    return getattr(b, "raw", b) if reading else b


def run_command(module_or_bytes, args, env, preopens, stdin=None, stdout=None, stderr=None,
                config=None):
    """Run a WASI command's `_start`; returns its exit status. Traps propagate as Trap."""
    from . import load, instantiate
    from .runtime import Store
    m = module_or_bytes
    if isinstance(m, (bytes, bytearray, str)):
        m = load(m)
    w = Wasi(args, env, preopens, stdin, stdout, stderr)
    try:
        # A store of its own: the global one would keep the instance (its code, registers and
        # memory) alive after the command ends.
        inst = instantiate(m, w.imports(), config, Store(), run_start=False)
        w.bind(inst)  # before the start function, which may call WASI too
        inst.start()
        inst.invoke("_start", [])
        return 0
    except Exit as e:
        return e.status
    finally:
        w.close()
